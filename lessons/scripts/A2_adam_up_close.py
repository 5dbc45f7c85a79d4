# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Appendix A2: Adam up close
#
# *Optional, after lesson 4. About 15 minutes.*
#
# Lesson 4 said that Adam steps each weight by about `lr` when its gradients agree, and by
# less when they are noisy; that `lr=1e-2` is too big for our MLP; and that AdamW decays a
# weight before its Adam step. Here we measure each of these, and run the optimizer of one
# of the course's source tutorials, `torch.optim.Adam(model.parameters(), lr=1e-2,
# weight_decay=1e-5)`, in the plain PyTorch loop you would write without this course.

# %% tags=["nbval-ignore-output", "volatile"]
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from mnist_course.data import load_mnist, to_float_images
from mnist_course.env import set_seed, setup
from mnist_course.models import MLP
from mnist_course.training import evaluate

device = setup()

# %% [markdown]
# ## 1. How big is one Adam step?
#
# Adam keeps two running averages for every weight: `m`, of its gradients, and `v`, of
# their squares. Its step is `lr * m / sqrt(v)` (plus small corrections). We feed one
# weight 200 made-up gradients and measure its average step, for three kinds of gradient:
# always large (+10), always tiny (+0.001), and noisy (+1 or -1 at random).

# %%
def average_step(gradients, lr=1e-3):
    """Give Adam these gradients for one weight, one per step; return its average step size."""
    weight = nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.Adam([weight], lr=lr)
    steps = []
    for gradient in gradients:
        before = weight.item()
        weight.grad = torch.tensor([float(gradient)])
        optimizer.step()
        steps.append(abs(weight.item() - before))
    return sum(steps) / len(steps)


noisy = (torch.randint(0, 2, (200,), generator=torch.Generator().manual_seed(0)) * 2 - 1).tolist()  # +1 or -1
gradient_kinds = {"large, always +10": [10.0] * 200, "tiny, always +0.001": [0.001] * 200,
                  "noisy, +1 or -1 at random": noisy}
steps = {kind: average_step(gradients) for kind, gradients in gradient_kinds.items()}
for kind, step in steps.items():
    print(f"{kind:26s} average step {step:.5f}   (lr = 0.00100)")

# %% [markdown]
# When the gradients agree, `m` and `sqrt(v)` have the same size and the step is `lr`,
# whether the gradient is 10 or 0.001: Adam does not care how large a gradient is, only
# how consistent. When they are noisy, `m` averages +1 and -1 towards 0 while `v` stays
# at 1, and the steps are several times smaller than `lr`. So `lr` is the *largest*
# step Adam usually takes, reached where the gradients agree.
#
# ## 2. Why `lr=1e-2` is big for our MLP
#
# How large are the weights such steps move? Those of the first layer of lesson 4's
# 784-256-128-10 network start like this:

# %%
set_seed(0)
first_layer = MLP(hidden=(256, 128)).layers[1]  # layers[0] is Flatten
print(f"average size of a first-layer weight at the start: {first_layer.weight.abs().mean():.4f}")

# %% [markdown]
# About 0.02. A step of `lr=1e-2` moves a weight by about half of that in one step;
# `lr=1e-3` by a twentieth. With `1e-2` the weights soon leave the range they started
# in, which is what lesson 4's run at `1e-2` showed.
#
# ## 3. AdamW decays first, then steps
#
# AdamW shrinks a weight, `w = w - lr * wd * w`, *before* its Adam step. One step on one
# weight shows the order: the weight is 1.0, its gradient 1.0, `lr=0.1`,
# `weight_decay=1.0`. Adam's first step is `lr` = 0.1. Decay first gives
# 1.0 x 0.9 - 0.1 = 0.8; decay after the step would give (1.0 - 0.1) x 0.9 = 0.81.

# %%
weight = nn.Parameter(torch.tensor([1.0]))
adamw = torch.optim.AdamW([weight], lr=0.1, weight_decay=1.0)
weight.grad = torch.tensor([1.0])
adamw.step()
print(f"after one AdamW step: {weight.item():.4f}")

# %% [markdown]
# ## 4. The tutorial's optimizer in a plain PyTorch loop
#
# This is the loop you would write without this course: batches from a `DataLoader`
# (lesson 2), lesson 3b's steps, and the tutorial's optimizer. We train lesson 4's network
# on the same 4,000 training images for 5 epochs, once with the tutorial's `lr=1e-2` and
# once with `lr=1e-3`, both with `weight_decay=1e-5`, and measure the validation loss
# after each epoch. The split is lesson 4's.

# %%
train_all = load_mnist("train")
order = torch.randperm(len(train_all.labels), generator=torch.Generator().manual_seed(0))  # as lesson 4
train = (train_all.images[order[:-1000]], train_all.labels[order[:-1000]])
validation = (train_all.images[order[-1000:]], train_all.labels[order[-1000:]])  # (1000, 28, 28), (1000,)
dataset = TensorDataset(to_float_images(train[0][:4000]), train[1][:4000])  # (4000, 1, 28, 28), (4000,)
loss_fn = nn.CrossEntropyLoss()


def train_like_the_tutorial(lr, epochs=5):
    """Lesson 4's MLP, Adam(lr, weight_decay=1e-5), a DataLoader; return the model and validation losses."""
    set_seed(0)
    model = MLP(hidden=(256, 128)).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=1e-5)
    loader = DataLoader(dataset, batch_size=64, shuffle=True)
    validation_losses = []
    for _ in range(epochs):
        model.train()
        for images, labels in loader:  # (64, 1, 28, 28), (64,)
            loss = loss_fn(model(images.to(device)), labels.to(device))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        validation_losses.append(evaluate(model, *validation)[0])  # evaluate: (loss, accuracy)
    return model, validation_losses

# %% [markdown]
# Both runs, then their validation loss after each epoch and the size (norm) of their
# first-layer weights. Your numbers depend on your machine and data.

# %% tags=["nbval-ignore-output", "volatile"]
tutorial_model, tutorial_losses = train_like_the_tutorial(lr=1e-2)
usual_model, usual_losses = train_like_the_tutorial(lr=1e-3)
runs = {"lr=1e-2": (tutorial_model, tutorial_losses), "lr=1e-3": (usual_model, usual_losses)}
for name, (model, losses) in runs.items():
    print(f"{name}: validation loss per epoch {[round(loss, 3) for loss in losses]}, "
          f"first-layer weight norm {model.layers[1].weight.norm():.1f}")

# %% [markdown]
# The tiny `weight_decay=1e-5` does not save `lr=1e-2`: its validation loss jumps up and
# down and ends above the loss with `lr=1e-3`, and its first-layer weights grow more than
# twice as large. With this network, use `lr=1e-3`.
#
# ## Recap
#
# - Adam's step is about `lr` where a weight's gradients agree, large or tiny, and much
#   smaller where they are noisy.
# - Our MLP's first-layer weights start around 0.02, so `lr=1e-2` moves them far too
#   much per step; `1e-3` is the usual choice.
# - AdamW shrinks each weight by `lr * wd` of itself, then takes the Adam step.
# - The tutorial's `Adam(lr=1e-2, weight_decay=1e-5)` behaves like plain Adam at `1e-2`:
#   a tiny weight decay does not fix a learning rate that is too big.
