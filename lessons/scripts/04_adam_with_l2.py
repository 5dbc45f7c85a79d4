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
# # Lesson 4: Adam with L2 — from a working network to a well-trained one
#
# In lesson 3 you trained a multi-layer perceptron (MLP) with SGD and momentum. It works,
# but *how well* it works depends on choices we made without much thought: the
# optimizer, the learning rate, how many epochs to train, and what to do about the
# network memorising its training images. This lesson looks at each of them.
#
# **What you will learn**
#
# 1. Why we need three splits: **train**, **validation** and **test**.
# 2. **SGD vs Adam**: the same network, data and number of epochs, trained three ways.
# 3. **Adam's learning rate**: why `lr=1e-2` goes wrong and `1e-3` is the usual choice.
# 4. **L2 regularisation**, written two ways: as the optimizer's `weight_decay`, and as a
#    penalty `lambda * sum(w**2)` added to the loss. We check that they give the same update.
# 5. **Adam + L2 vs AdamW**: why the same `weight_decay` means different things in them.
# 6. **Overfitting**: training accuracy reaching 100% while the validation loss climbs,
#    and what weight decay, dropout and **data augmentation** do about it.
# 7. **Checkpoints**: saving the model after every epoch and picking the best epoch
#    with the validation split, then measuring it on the test set once.
# 8. (Optional) logging to **TensorBoard**.
#
# At the end we save the best model; lesson 5 loads it to read your own handwriting.

# %% [markdown]
# ## Setup
#
# The usual first cell: imports, a fixed random seed (so you get the same numbers every
# time you run the lesson), figure settings, and the device to train on.

# %% tags=["nbval-ignore-output", "volatile"]
import copy
import importlib.util
import math
from pathlib import Path

import matplotlib.pyplot as plt
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from mnist_course.augment import random_affine
from mnist_course.checkpoints import load_checkpoint, save_checkpoint
from mnist_course.data import data_source, load_mnist, to_float_images
from mnist_course.env import describe_device, get_device, limit_cpu_threads, set_seed, setup_figures
from mnist_course.exercises import check, compare_guess
from mnist_course.learning_curves import plot_history
from mnist_course.models import MLP
from mnist_course.plots import show_digits, show_misclassified
from mnist_course.recipe import FINAL_RECIPE, train_final_model
from mnist_course.training import evaluate, fit, predict_labels
from mnist_course.widgets.dashboard import TrainingDashboard

set_seed(0)
setup_figures()
device = get_device()
print("CPU threads:", limit_cpu_threads())  # at most the CPUs this machine lets us use
print("device:", describe_device(device))
print("data:", data_source())

# %% [markdown]
# ## 1. Train, validation and test
#
# So far we measured every model on the **test set** after every epoch. That is fine for
# watching, but in this lesson we start *choosing* things: which optimizer, which
# learning rate, which epoch to keep. If we choose by test accuracy, we tune the model to
# those particular 10,000 images, and the test accuracy stops being an honest estimate
# of how the model does on digits it has never seen.
#
# So we split off a **validation set** from the training images:
#
# - **train**: the model learns from these;
# - **validation**: we compare settings and pick epochs with these;
# - **test**: locked away until the very end, used once to report the final accuracy.
#
# We shuffle the training images with a fixed seed and keep the last 1,000 for validation.

# %%
train_all = load_mnist("train")
test = load_mnist("test")

order = torch.randperm(len(train_all.labels), generator=torch.Generator().manual_seed(0))
train_index, val_index = order[:-1000], order[-1000:]
train = (train_all.images[train_index], train_all.labels[train_index])  # (N, 28, 28), (N,)
validation = (train_all.images[val_index], train_all.labels[val_index])  # (1000, 28, 28), (1000,)

print("validation images:", validation[0].shape)
print("no image is in both train and validation:", set(train_index.tolist()).isdisjoint(val_index.tolist()))

# %% [markdown]
# How many training images are left depends on your copy of MNIST: the full set has
# 60,000 (59,000 left for training), the offline copy 10,000 (9,000 left):

# %% tags=["nbval-ignore-output"]
print(f"train: {len(train[1]):,}   validation: {len(validation[1]):,}   test: {len(test.labels):,}")
assert len(train[1]) + len(validation[1]) == len(train_all.labels)

# %% [markdown]
# `fit` (the training loop from lesson 3, now in `mnist_course.training`) measures the
# model after every epoch on whatever data we pass as its `test=` argument. In this
# lesson we always pass `test=validation`. So the `test_loss` and `test_accuracy` that
# `fit` records, and the **dashed lines** in the plots below (labelled "test" by
# `plot_history`), are **validation** numbers. The real test set is used only in
# section 7.
#
# ## 2. SGD vs Adam
#
# All three optimizers below use the gradient to decide how to change each weight:
#
# - **SGD**: step = `-lr * gradient`. Simple, but every weight gets the same learning
#   rate, and where the gradient is small, progress is slow.
# - **SGD with momentum**: keeps a running average of past gradients (a "velocity") and
#   steps along it, so it speeds up in directions the gradients agree on (lesson 3).
# - **Adam**: keeps a running average of the gradient *and* of its square for every
#   weight, and steps by roughly `-lr * average / sqrt(average of squares)`. Dividing by
#   the gradient's typical size gives every weight its own step size: about `lr`,
#   whether its gradients are large or tiny.
#
# A fair comparison uses the same network (784-256-128-10), the same starting weights
# (`set_seed(0)` before building each model), the same 4,000 training images seen in
# the same order, and the same 5 epochs. Each optimizer gets its usual learning rate.
# (With momentum 0.9, the steps add up to about 10 times `lr`: that is part of why
# momentum is faster.)

# %%
settings = {
    "SGD lr=0.01": dict(optimizer="sgd", lr=0.01),
    "SGD+momentum": dict(optimizer="sgd", lr=0.01, momentum=0.9),
    "Adam lr=1e-3": dict(optimizer="adam", lr=1e-3),
}
histories, models = {}, {}
for name, options in settings.items():
    set_seed(0)  # the same starting weights for every run
    models[name] = MLP(hidden=(256, 128))
    histories[name] = fit(models[name], train, test=validation, epochs=5, subset=4000,
                          batch_size=64, device=device, progress=False, **options)

# %% [markdown]
# Solid lines are measured on the training images while training, dashed lines on the
# validation images after each epoch.

# %%
axes = plot_history(list(histories.values()), names=list(histories), test_label="validation")
axes[0].figure.suptitle("Same network, data and epochs (solid: train, dashed: validation)")
plt.show()

# %% [markdown]
# Plain SGD with `lr=0.01` is still far from done after 5 epochs. Momentum helps a lot,
# and so does Adam. The exact numbers depend on your machine and data:

# %% tags=["nbval-ignore-output"]
for name, history in histories.items():
    print(f"{name:14s} validation accuracy after 5 epochs: {history.test_accuracy[-1]:.3f}")
last_accuracy = {name: history.test_accuracy[-1] for name, history in histories.items()}
assert last_accuracy["SGD+momentum"] > last_accuracy["SGD lr=0.01"] + 0.03
assert last_accuracy["Adam lr=1e-3"] > last_accuracy["SGD lr=0.01"] + 0.03

# %% [markdown]
# ## 3. Adam's learning rate: 1e-2 vs 1e-3
#
# Because Adam moves every weight by about `lr` per step, the learning rate is a
# distance in "weight units". How big are the weights? The first layer starts with
# random values of about this size:

# %%
set_seed(0)
first_layer = MLP(hidden=(256, 128)).layers[1]  # layers[0] is Flatten
print(f"average size of a first-layer weight at the start: {first_layer.weight.abs().mean():.3f}")

# %% [markdown]
# With `lr=1e-2`, one step can move a weight by half its typical size, in every step,
# for every weight. Let's train the same network with Adam at `1e-2` and at `1e-4`, and
# compare with the `1e-3` run from above.
#
# **Predict first.** After 5 epochs, will Adam at `lr=1e-2` end with a *higher* or a
# *lower* validation loss than at `lr=1e-3`? Write your guess before you run the training.

# %% tags=["predict"]
my_guess = ...  # "higher" or "lower"

# %%
for name, lr in (("Adam lr=1e-2", 1e-2), ("Adam lr=1e-4", 1e-4)):
    set_seed(0)
    models[name] = MLP(hidden=(256, 128))
    histories[name] = fit(models[name], train, test=validation, epochs=5, subset=4000,
                          batch_size=64, optimizer="adam", lr=lr, device=device, progress=False)

# %% [markdown]
# Plot the three Adam runs side by side. We zoom in on the interesting part of the
# curves (`set_ylim`), so the first epochs of `lr=1e-4` are cut off.

# %%
adam_runs = ["Adam lr=1e-2", "Adam lr=1e-3", "Adam lr=1e-4"]
axes = plot_history([histories[name] for name in adam_runs], names=adam_runs, test_label="validation")
axes[0].set_ylim(0, 1)  # zoom in: lr=1e-4 starts far above the others
axes[1].set_ylim(0.8, 1)
for ax in axes:  # the legends go below the plots, so that they hide no curve
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.25), ncol=2)
axes[0].figure.suptitle("Adam with three learning rates (solid: train, dashed: validation)")
plt.show()

# %% [markdown]
# - `lr=1e-4` is safe but slow: after 5 epochs it is still behind.
# - `lr=1e-2` learns fast in the first epoch, then its steps are too big to settle into
#   a good minimum: its validation loss goes up and down and ends above that of `1e-3`,
#   and its validation accuracy ends up lower. Its weights also grow several times larger than with
#   `1e-3` (below), which makes the network over-confident.
# - `lr=1e-3` (Adam's default in PyTorch) is the usual good choice for networks like ours.

# %% tags=["nbval-ignore-output"]
for name in adam_runs:
    weights = models[name].layers[1].weight
    print(f"{name}: validation loss {histories[name].test_loss[-1]:.3f}, "
          f"accuracy {histories[name].test_accuracy[-1]:.3f}, first-layer weight norm {weights.norm():.1f}")
assert histories["Adam lr=1e-2"].test_loss[-1] > histories["Adam lr=1e-3"].test_loss[-1]
assert histories["Adam lr=1e-2"].test_accuracy[-1] < histories["Adam lr=1e-3"].test_accuracy[-1]
assert histories["Adam lr=1e-4"].test_loss[-1] > histories["Adam lr=1e-3"].test_loss[-1]  # still behind
assert models["Adam lr=1e-2"].layers[1].weight.norm() > 2 * models["Adam lr=1e-3"].layers[1].weight.norm()

# %% [markdown]
# How did your guess do?

# %%
final_losses = {name: histories[name].test_loss[-1] for name in ("Adam lr=1e-2", "Adam lr=1e-3")}
high_rate_loss = "higher" if final_losses["Adam lr=1e-2"] > final_losses["Adam lr=1e-3"] else "lower"
compare_guess(my_guess, high_rate_loss, choices=("higher", "lower"))

# %% [markdown]
# ### The tutorial's optimizer, in a plain PyTorch loop
#
# One of the tutorials this course grew from trains with exactly
# `torch.optim.Adam(model.parameters(), lr=1e-2, weight_decay=1e-5)`. Here it is in the
# loop you would write without this course (lesson 3's loop, with batches from
# `TensorDataset` + `DataLoader` as in lesson 2): the same network, the same 4,000
# training images and 5 epochs as above, measured on the validation images after each
# epoch with `evaluate`.

# %%
set_seed(0)
tutorial_model = MLP(hidden=(256, 128)).to(device)
optimizer = torch.optim.Adam(tutorial_model.parameters(), lr=1e-2, weight_decay=1e-5)
loss_fn = nn.CrossEntropyLoss()
dataset = TensorDataset(to_float_images(train[0][:4000]), train[1][:4000])  # the first 4,000, as subset=4000
loader = DataLoader(dataset, batch_size=64, shuffle=True)
tutorial_validation_loss = []
for _ in range(5):  # 5 epochs
    tutorial_model.train()
    for batch_images, batch_labels in loader:  # (64, 1, 28, 28), (64,)
        loss = loss_fn(tutorial_model(batch_images.to(device)), batch_labels.to(device))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    tutorial_validation_loss.append(evaluate(tutorial_model, *validation)[0])  # evaluate: (loss, accuracy)

# %% [markdown]
# The tiny `weight_decay=1e-5` does not save it: it behaves like the `lr=1e-2` run
# above. Its validation loss does not settle: it ends above its own lowest value and
# above Adam's with `1e-3`, and its first-layer weights grow much larger (the numbers
# depend on your machine and data). With this network, use `lr=1e-3`.

# %% tags=["nbval-ignore-output"]
tutorial_norm = tutorial_model.layers[1].weight.norm().item()
adam_3_norm = models["Adam lr=1e-3"].layers[1].weight.norm().item()
print("validation loss per epoch:", [round(loss, 3) for loss in tutorial_validation_loss])
print(f"first-layer weight norm {tutorial_norm:.1f}, with Adam lr=1e-3: {adam_3_norm:.1f}")
assert tutorial_validation_loss[-1] > min(tutorial_validation_loss)
assert tutorial_validation_loss[-1] > histories["Adam lr=1e-3"].test_loss[-1]
assert tutorial_norm > 2 * adam_3_norm

# %%
print("check: the final validation loss is above the lowest one:",
      tutorial_validation_loss[-1] > min(tutorial_validation_loss))
adam_3_loss = histories["Adam lr=1e-3"].test_loss[-1]
print("check: and above Adam's with lr=1e-3:", tutorial_validation_loss[-1] > adam_3_loss)
print("check: the first-layer weights are more than twice as large:", tutorial_norm > 2 * adam_3_norm)

# %% [markdown]
# ## 4. L2 regularisation, two ways
#
# A network with huge weights reacts strongly to tiny changes in its input, which is one
# way of memorising the training images. **L2 regularisation** adds a penalty for large
# weights to the loss:
#
# $$\text{loss} = \text{cross-entropy} + \lambda \sum w^2$$
#
# where the sum runs over every weight (and bias) of the model. The gradient of
# $\lambda w^2$ is $2\lambda w$, so every step also pulls each weight a little towards 0.
# That is why L2 is also called **weight decay**.
#
# PyTorch's optimizers do this for you with `weight_decay=wd`: they add `wd * w` to each
# gradient before the step. That is the gradient of `(wd / 2) * sum(w**2)`, so
#
# > `weight_decay=wd` is the same as adding the penalty `(wd / 2) * sum(w**2)` to the loss.
#
# Let's check it: three identical copies of a small model (784-32-10), one SGD step
# each on the same batch of 64 training images. Models A and B should end up equal;
# model C shows a common mistake.

# %%
images = to_float_images(train[0][:64])  # (64, 1, 28, 28), normalised
labels = train[1][:64]  # (64,)
loss_fn = nn.CrossEntropyLoss()
wd = 0.01

set_seed(0)
model_a = MLP(hidden=(32,))
model_b = copy.deepcopy(model_a)  # exactly the same weights
model_c = copy.deepcopy(model_a)

# %% [markdown]
# Model A: plain loss, and the optimizer's `weight_decay`.

# %%
optimizer = torch.optim.SGD(model_a.parameters(), lr=0.1, weight_decay=wd)
loss = loss_fn(model_a(images), labels)
optimizer.zero_grad()
loss.backward()
optimizer.step()

# %% [markdown]
# Model B: no `weight_decay`, but the penalty `(wd / 2) * sum(w**2)` written into the loss.
# Model C makes the common mistake of using `wd * sum(w**2)`, without the `/ 2`.

# %%
def l2_penalty(model):
    return sum((weights**2).sum() for weights in model.parameters())


for model, strength in ((model_b, wd / 2), (model_c, wd)):
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    loss = loss_fn(model(images), labels) + strength * l2_penalty(model)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()

# %% [markdown]
# `torch.allclose` checks that two tensors are equal up to rounding errors.

# %%
def same_weights(model_1, model_2):
    return all(torch.allclose(p, q) for p, q in zip(model_1.parameters(), model_2.parameters(), strict=True))


print("A (weight_decay=wd) == B (penalty (wd/2)*sum(w^2)):", same_weights(model_a, model_b))
print("A (weight_decay=wd) == C (penalty wd*sum(w^2)):    ", same_weights(model_a, model_c))

# %% [markdown]
# For SGD the two ways are the same thing. So `weight_decay=1e-5` in an optimizer means
# $\lambda = 0.5 \times 10^{-5}$ in the formula. Values between `1e-5` and `1e-3` are
# typical; larger values pull the weights towards 0 so hard that the network cannot fit
# the data any more.
#
# ## 5. Adam + L2 vs AdamW
#
# With Adam, `weight_decay` is *also* added to the gradient, just like for SGD. But then
# Adam divides each gradient by its own typical size. This rescales the weight decay
# differently for every weight:
#
# - a weight whose loss gradient is **large** hardly feels the small extra `wd * w`;
# - a weight whose loss gradient is **tiny** (or zero) gets its decay divided by a tiny
#   number: it is pulled towards 0 with a full step of about `lr`, however small `wd` is.
#
# **AdamW** ("Adam with decoupled weight decay") keeps the decay out of the gradient.
# Before Adam's step, it shrinks every weight directly, `w = w - lr * wd * w` (the same
# fraction for every weight), then takes the Adam step computed from the plain gradient.
# One step on one weight shows the order: start at 1.0, gradient 1.0, `lr=0.1`,
# `weight_decay=1.0`. Adam's first step is about `lr` = 0.1. Decay first gives
# 1.0 x 0.9 - 0.1 = 0.8; decay after the step would give (1.0 - 0.1) x 0.9 = 0.81.

# %%
weight = nn.Parameter(torch.tensor([1.0]))
adamw = torch.optim.AdamW([weight], lr=0.1, weight_decay=1.0)
weight.grad = torch.tensor([1.0])
adamw.step()
print(f"after one AdamW step: {weight.item():.4f}")
print("check: decay first, then the Adam step:", abs(weight.item() - 0.8) < 1e-4)

# %% [markdown]
#
# A tiny experiment shows the difference. Two weights, both 1.0. The loss
# `10 * weights[0]` depends strongly on the first weight and not at all on the second.
# We take 100 steps with and without `weight_decay=0.01` and measure how far the
# **decay** moved each weight (the position without decay minus the position with it).

# %%
def moved_by_decay(optimizer_class, steps=100):
    positions = []
    for weight_decay in (0.0, 0.01):
        weights = nn.Parameter(torch.tensor([1.0, 1.0]))
        optimizer = optimizer_class([weights], lr=1e-3, weight_decay=weight_decay)
        for _ in range(steps):
            loss = 10 * weights[0]  # gradient: 10 for the first weight, 0 for the second
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        positions.append(weights.detach().clone())
    return positions[0] - positions[1]  # (2,)

# %% [markdown]
# Now compare Adam (with L2 in the gradient) and AdamW.

# %%
for optimizer_class in (torch.optim.Adam, torch.optim.AdamW):
    big, zero = moved_by_decay(optimizer_class).tolist()
    print(f"{optimizer_class.__name__ + ':':6s} the decay moved the weight with a big gradient by {big:.3f}, "
          f"the weight with no gradient by {zero:.3f}")

# %% [markdown]
# - **Adam + L2**: the decay did nothing to the weight the loss cares about, and moved the
#   unused weight by almost `100 steps * lr = 0.1`, although `weight_decay` is only 0.01.
# - **AdamW**: both weights were shrunk by the same amount, `100 * lr * wd * w = 0.001`.
#
# So the same number means very different things: `weight_decay=1e-3` is strong
# regularisation for Adam but hardly anything for AdamW, which is usually given values
# like 0.01 to 1. AdamW's decay is easier to reason about ("every weight shrinks by the
# same fraction per step"), which is why it is the common choice for large networks
# today. We will see both on a real network in a moment.
#
# ## 6. Overfitting: many epochs on few images
#
# To see overfitting clearly (and quickly), we give a big network (784-500-256-10,
# about 520,000 weights) only **1,000 training images** (about 100 per digit) and train
# for 15 epochs with batches of 32. With the full 60,000 images it would overfit too,
# but only after many more epochs.
#
# This time we also save a **checkpoint** after every epoch, so that we can go back to
# any epoch later. `fit` calls a `callback` function with a `Progress` report after every
# epoch; ours saves the model with `save_checkpoint` (which stores the weights, the
# model's settings, some metrics and the normalisation used). The files go into a
# `checkpoints` folder next to this notebook.
#
# `fit` calls `callback(progress)` with just one argument, so in the next cell a
# `lambda` (a one-line function) passes our folder along as well.

# %%
def save_every_epoch(progress, folder):
    """Called by fit: save the model at the end of each epoch."""
    if progress.end_of_epoch:
        metrics = {"epoch": progress.epoch, "validation_loss": progress.test_loss,
                   "validation_accuracy": progress.test_accuracy}
        save_checkpoint(Path(folder) / f"epoch_{progress.epoch:02d}.pt", progress.model, metrics=metrics)

# %% [markdown]
# Train the big network with Adam and no regularisation at all.

# %%
overfit_folder = Path("checkpoints") / "overfit"
set_seed(0)
big_model = MLP(hidden=(500, 256))
plain = fit(big_model, train, test=validation, epochs=15, subset=1000, batch_size=32,
            optimizer="adam", lr=1e-3, device=device, progress=False,
            callback=lambda progress: save_every_epoch(progress, overfit_folder))
saved_files = [overfit_folder / f"epoch_{n:02d}.pt" for n in plain.epoch]  # epoch_01.pt ... epoch_15.pt
print("a checkpoint for every epoch:", all(path.exists() for path in saved_files))

# %% [markdown]
# This is what overfitting looks like: the training loss goes to almost 0 and the
# training accuracy to 100% (the network has memorised the 1,000 images), while the
# validation loss stops improving after a few epochs and then slowly **rises** (the
# dashed line on the left creeps up).

# %%
axes = plot_history(plain, names=["no regularisation"], test_label="validation")
axes[0].figure.suptitle("1,000 training images, 15 epochs (solid: train, dashed: validation)")
plt.show()

# %% [markdown]
# Why does the validation loss rise while the validation accuracy stays about the same?
# The cross-entropy loss punishes *confident* mistakes hard. As the network memorises,
# it becomes more and more confident, also on the validation digits it gets wrong.

# %% tags=["nbval-ignore-output"]
best = plain.best_epoch("test_loss")  # lowest validation loss
print(f"final training accuracy: {plain.train_accuracy[-1]:.3f}")
print(f"lowest validation loss {min(plain.test_loss):.3f} at epoch {best}, "
      f"after epoch 15: {plain.test_loss[-1]:.3f}")
assert plain.train_accuracy[-1] > 0.99
assert plain.test_loss[-1] > 1.1 * min(plain.test_loss)

# %% [markdown]
# The model from that best epoch is in its checkpoint. `load_checkpoint` rebuilds the
# model from the file (safely: it never runs code stored in a file) and we check that
# it is exactly the model `fit` measured at that epoch.

# %%
best_model, info = load_checkpoint(overfit_folder / f"epoch_{best:02d}.pt", device=device)
best_loss, best_accuracy = evaluate(best_model, *validation)
print("the checkpoint remembers its epoch:", info["metrics"]["epoch"] == best)
print("the checkpoint holds the best epoch's model:",
      math.isclose(best_loss, plain.test_loss[best - 1], rel_tol=1e-4))

# %% [markdown]
# > **A bug we fixed: `torch.save(model)`.** One tutorial saves the whole model object,
# > `torch.save(model, path)`, and loads it back with `torch.load(path)`. That pickles
# > the object: the file refers to your class by its module and name, so it breaks when
# > the code moves or changes, and unpickling can run any code hidden in a file. Since
# > PyTorch 2.6, `torch.load` defaults to `weights_only=True`: it only loads tensors and
# > plain data, and refuses such a file (you would have to pass `weights_only=False`,
# > which you should only do for files you trust). The fix: save `model.state_dict()`
# > (a dict of tensors), rebuild the model from code and call `load_state_dict`.
# > `save_checkpoint` does that, and adds the settings needed to rebuild it.

# %%
torch.save(best_model, overfit_folder / "whole_model.pt")  # the tutorial's way
try:
    torch.load(overfit_folder / "whole_model.pt")
    refused = False
except Exception as error:  # pickle.UnpicklingError
    refused = "weights_only" in str(error)
print("check: torch.load refuses the whole model:", refused)
torch.save(best_model.state_dict(), overfit_folder / "state_dict.pt")  # the fix
rebuilt = MLP(hidden=(500, 256)).to(device)
rebuilt.load_state_dict(torch.load(overfit_folder / "state_dict.pt", map_location=device))
print("check: the state_dict loads into a new MLP with the same weights:", same_weights(rebuilt, best_model))

# %% [markdown]
# ### Fighting overfitting
#
# Four things we can try, each on its own, with everything else unchanged:
#
# - **Adam + L2**: `optimizer="adam", weight_decay=1e-3`;
# - **AdamW**: `optimizer="adamw", weight_decay=1e-3`, the same number;
# - **dropout**: `MLP(..., dropout=0.5)`, from lesson 3;
# - **data augmentation**: `fit(..., augment=True)`.
#
# **Data augmentation** means: every time the network sees a training image, show it a
# slightly changed version: shifted by a pixel or two, rotated by a few degrees, a bit
# larger or smaller. It is still clearly the same digit, so the label stays correct, but
# the network can no longer memorise exact pixels. `fit` uses `random_affine` from
# `mnist_course.augment`, which transforms a whole batch at once on the device. Here
# are 11 random versions of one training digit, next to the original:

# %%
digit = to_float_images(train[0][:1])  # (1, 1, 28, 28)
versions = random_affine(digit.repeat(11, 1, 1, 1), generator=torch.Generator().manual_seed(0))
show_digits(torch.cat([digit, versions]), ncols=6,  # (12, 1, 28, 28)
            title=f"A {int(train[1][0])} (top left) and 11 augmented versions")
plt.show()

# %% [markdown]
# Now the four runs (this takes a little while).

# %%
remedies = {
    "Adam + L2 1e-3": dict(optimizer="adam", weight_decay=1e-3),
    "AdamW 1e-3": dict(optimizer="adamw", weight_decay=1e-3),
    "dropout 0.5": dict(optimizer="adam", dropout=0.5),
    "augmentation": dict(optimizer="adam", augment=True),
}
runs, big_models = {"no regularisation": plain}, {"no regularisation": big_model}
for name, options in remedies.items():
    options = dict(options)  # a copy, so that pop() leaves `remedies` unchanged
    dropout = options.pop("dropout", 0.0)  # dropout belongs to the model, the rest goes to fit
    set_seed(0)
    big_models[name] = MLP(hidden=(500, 256), dropout=dropout)
    runs[name] = fit(big_models[name], train, test=validation, epochs=15, subset=1000,
                     batch_size=32, lr=1e-3, device=device, progress=False, **options)

# %% [markdown]
# Five runs with train and validation curves would be too many lines for one plot, so
# we draw only the validation loss of each.

# %%
fig, ax = plt.subplots(figsize=(7, 4))
for name, history in runs.items():
    ax.plot(history.epoch, history.test_loss, "-o", ms=3, label=name)
ax.set_xticks(plain.epoch)  # whole epochs: 1, 2, ..., 15
ax.set_xlabel("epoch")
ax.set_ylabel("validation loss (cross-entropy)")
ax.set_title("Validation loss: 1,000 training images, 784-500-256-10")
ax.legend()
plt.show()

# %% [markdown]
# The numbers after 15 epochs, with the size (norm) of each model's first-layer weights
# (the square root of the sum of their squares):

# %% tags=["nbval-ignore-output"]
for name, history in runs.items():
    print(f"{name:18s} train acc {history.train_accuracy[-1]:.3f}"
          f"   validation loss {history.test_loss[-1]:.3f}   validation acc {history.test_accuracy[-1]:.3f}"
          f"   weight norm {big_models[name].layers[1].weight.norm():5.1f}")
norm = {name: model.layers[1].weight.norm().item() for name, model in big_models.items()}
final_loss = {name: history.test_loss[-1] for name, history in runs.items()}
assert norm["Adam + L2 1e-3"] < 0.8 * norm["no regularisation"]
assert norm["AdamW 1e-3"] > 0.9 * norm["no regularisation"]
assert abs(final_loss["AdamW 1e-3"] - final_loss["no regularisation"]) < 0.05  # nearly the same curve
assert final_loss["Adam + L2 1e-3"] < final_loss["no regularisation"]
assert final_loss["dropout 0.5"] < final_loss["no regularisation"]
assert min(final_loss, key=final_loss.get) == "augmentation"
assert max(runs, key=lambda name: runs[name].test_accuracy[-1]) == "augmentation"
assert runs["augmentation"].test_accuracy[-1] > runs["no regularisation"].test_accuracy[-1] + 0.01

# %% [markdown]
# What to read from this:
#
# - **Adam + L2 `1e-3`** makes the weights clearly smaller and ends with a lower
#   validation loss. **AdamW `1e-3`** changes almost nothing (its curve lies almost on
#   top of the one without regularisation, so the plot seems to show only four lines):
#   the same number is a much weaker decay in AdamW (section 5). Try AdamW with
#   `weight_decay=1.0` in the exercises.
# - **Dropout** makes memorising harder (the training accuracy stays below 100%) and
#   ends with a lower validation loss, but with so few images it hardly changes the
#   validation accuracy.
# - **Augmentation** helps most, for both loss and accuracy (the lowest validation loss
#   and the highest validation accuracy of the five): in effect the
#   network never sees the same image twice, so it has to learn the shapes of digits
#   instead of memorising 1,000 images.
#
# We made our choice (augmentation) on the validation set. The test set is only for
# reporting, so now we report what augmentation does to the test accuracy:

# %% tags=["nbval-ignore-output"]
_, plain_test_accuracy = evaluate(big_models["no regularisation"], test.images, test.labels)
_, augmented_test_accuracy = evaluate(big_models["augmentation"], test.images, test.labels)
print(f"test accuracy after 15 epochs on 1,000 images: without augmentation {plain_test_accuracy:.3f}, "
      f"with augmentation {augmented_test_accuracy:.3f}")
assert augmented_test_accuracy > plain_test_accuracy

# %% [markdown]
# Your own handwriting (lesson 5) is never centred and sized quite like MNIST's digits
# either, which is one more reason for augmentation; lesson 5 measures the final model on
# pictures that are not from MNIST.

# %% [markdown]
# ## 7. The final model
#
# Now we put everything together and train the model that lesson 5 will use. Its
# settings are the course's **final recipe**, kept in one place,
# `mnist_course.recipe.FINAL_RECIPE`, so that this lesson, lesson 5 and the command
# line (`python -m mnist_course train`) always train with the same settings:

# %%
print(FINAL_RECIPE)

# %% [markdown]
# - 784-500-256-10 with a little dropout (0.2), Adam with `lr=1e-3`, batches of 128;
# - data augmentation (`"affine"`: the random shifts, rotations and zooms of section 6),
#   because it helps most against overfitting;
# - **deskewing** (`"deskew": True`): every training digit is first straightened by its
#   image moments, and the saved model tells lesson 5's preprocessing to straighten every
#   picture the same way (lesson 5 shows what it does);
# - **all** training images (except the validation ones), 40 epochs;
# - a checkpoint after every epoch, in `checkpoints/final/`.
#
# No weight decay, and only a little dropout: augmentation already does most of the
# regularising (section 6). (`momentum` is SGD's setting; Adam ignores it.)
#
# `train_final_model` builds this model and trains it with `fit`; `python -m mnist_course
# train` calls the same function, on all the training images. It also gives the model its
# `model.recipe`: not how to *train* it, but what every input must go through before the
# model sees it (the normalisation, and the deskewing), saved with it in its checkpoint.

# %%
final_folder = Path("checkpoints") / "final"
model, final = train_final_model(train, validation, device=device, progress=False,
                                 callback=lambda progress: save_every_epoch(progress, final_folder))
print("epochs:", len(final), " recipe:", model.recipe)

# %% [markdown]
# The curves: with augmentation and dropout the training accuracy stays below the
# validation accuracy on average (training images are harder because they are distorted
# and dropout is on).

# %%
axes = plot_history(final, names=["final model"], test_label="validation")
axes[0].figure.suptitle("The final model (solid: train, dashed: validation)")
plt.show()
assert sum(final.train_accuracy) < sum(final.test_accuracy)  # check: training accuracy below, on average

# %% [markdown]
# We pick the epoch with the lowest **validation** loss and load its checkpoint. The test
# set has played no part in any decision so far.

# %% tags=["nbval-ignore-output"]
best = final.best_epoch("test_loss")
model, info = load_checkpoint(final_folder / f"epoch_{best:02d}.pt", device=device)
print(f"best epoch: {best}, validation loss {final.test_loss[best - 1]:.3f}, "
      f"validation accuracy {final.test_accuracy[best - 1]:.3f}")
assert 1 <= best <= len(final) and info["recipe"]["preprocess"] == {"deskew": True}  # saved with it

# %% [markdown]
# And now, once, the test set:

# %%
test_loss, test_accuracy = evaluate(model, test.images, test.labels)  # deskewed first, as the recipe says
print("check: test accuracy above 0.975:", test_accuracy > 0.975)

# %% [markdown]
# The exact numbers (they depend on your machine and your copy of MNIST):

# %% tags=["nbval-ignore-output"]
print(f"test loss {test_loss:.3f}, test accuracy {test_accuracy:.4f}")
assert test_accuracy > 0.975

# %% [markdown]
# Which test digits does it get wrong? Many of them are hard to read for people too.

# %%
predictions = predict_labels(model, test.images)  # (10000,)
show_misclassified(test.images, test.labels, predictions, n=12, ncols=6)
plt.show()

# %% [markdown]
# ### Save the model for lesson 5
#
# `save_checkpoint` stores the weights, the model's settings (so lesson 5 can rebuild an
# `MLP(hidden=(500, 256), dropout=0.2)`), our metrics and the model's *recipe*: the
# normalisation (mean and standard deviation) the model expects its input images to have,
# and the preprocessing they need (`{"deskew": True}`).

# %%
metrics = {"epoch": best, "test_accuracy": test_accuracy, "test_loss": test_loss,
           "validation_accuracy": final.test_accuracy[best - 1], "validation_loss": final.test_loss[best - 1],
           "augment": ",".join(FINAL_RECIPE["augment"]), "train_images": len(train[1])}
best_path = save_checkpoint(Path("checkpoints") / "lesson4_best.pt", model, metrics=metrics)
_, saved = load_checkpoint(best_path)
print(saved["model_class"], saved["config"])
print("recipe:", saved["recipe"])

# %% [markdown]
# ## 8. Optional: TensorBoard
#
# **TensorBoard** is a web page that draws training curves while training runs, and
# keeps the curves of many runs to compare. PyTorch writes its log files with
# `torch.utils.tensorboard.SummaryWriter`: `writer.add_scalar(name, value, step)` adds
# one point to the curve called `name`. In your own loop you call it at the end of every
# epoch; here we write the final model's per-epoch numbers (section 7). Nothing in this
# course needs TensorBoard (the plots above are drawn with matplotlib), so this cell
# only runs when the `tensorboard` package is installed (`pip install tensorboard`).
#
# To look at the logs, run this in a terminal in the `lessons` folder, then open the
# address it prints (usually http://localhost:6006):
#
# ```
# tensorboard --logdir runs
# ```

# %% tags=["nbval-ignore-output"]
if importlib.util.find_spec("tensorboard") is None:
    print("TensorBoard is not installed, so this cell did nothing. To try it: pip install tensorboard")
else:
    from torch.utils.tensorboard import SummaryWriter

    writer = SummaryWriter(Path("runs") / "lesson4_final")  # one folder per run
    for i, epoch in enumerate(final.epoch):
        writer.add_scalar("loss/train", final.train_loss[i], epoch)
        writer.add_scalar("loss/validation", final.test_loss[i], epoch)
        writer.add_scalar("accuracy/validation", final.test_accuracy[i], epoch)
    writer.close()
    assert any(Path(writer.log_dir).glob("events.out.tfevents.*"))  # the log file TensorBoard reads
    print("Logged", len(final), "epochs to runs/lesson4_final. Open them with: tensorboard --logdir runs")

# %% [markdown]
# `fit(..., log_dir="runs/my_run")` does the same for you while it trains, after every
# epoch.

# %% [markdown]
# ## Try it live: the training dashboard
#
# The same dashboard as in lesson 3, now with this lesson's knobs:
#
# - **optimizer**: SGD, SGD + momentum (0.9), Adam or AdamW;
# - **learning rate**: a logarithmic slider from 0.0001 to 1 (steps 1, 2, 5 in each factor
#   of ten), because learning rates that work differ by factors of ten, not by small steps
#   (try Adam at 0.01 and at 0.0001);
# - **weight decay**: also logarithmic, from 1e-6 to 0.1 (written `1e-6`, `3e-6`, ... on the
#   slider and in the legend alike). Its leftmost position, 0, means *no* weight decay. For
#   SGD and Adam it is the L2 penalty, for AdamW the decoupled decay.
#
# The network is 784-128-256-10 with dropout 0.2, trained on this lesson's training
# images (all but the 1,000 validation ones) for 5 epochs (batch size 128), and measured
# on the validation images: the test set stays locked away.
# Set the epochs to 20 or more to watch overfitting appear: the training curve keeps
# improving while the validation curve stalls. Training runs in the background; a change
# restarts it, **Stop** stops it, finished runs stay as faint curves, and repeated settings
# answer from memory.

# %%
dashboard = TrainingDashboard(
    train,
    validation,
    controls=("optimizer", "lr", "weight_decay"),
    defaults={"hidden": (128, 256), "dropout": 0.2, "optimizer": "adam", "lr": 1e-3,
              "weight_decay": 0.0, "epochs": 5, "batch_size": 128, "subset": 10_000},
    device=device,
    test_label="validation",
)
dashboard

# %% [markdown]
# And the same training in this cell, with `run_sync`: AdamW with learning rate 0.001 and
# weight decay 0.0001, for 2 epochs. It returns the `History`, and the dashboard above
# draws its curves.

# %%
history = dashboard.run_sync(optimizer="adamw", lr=1e-3, weight_decay=1e-4, epochs=2)
print("epochs:", len(history))
print("validation accuracy > 0.8:", history.test_accuracy[-1] > 0.8)  # History calls it test_accuracy

# %% [markdown]
# ## Recap
#
# - Three splits: **train** to learn, **validation** to choose (optimizer, learning rate,
#   epoch...), **test** once at the end to report.
# - **Adam** gives each weight its own step size of about `lr`. It trains much faster
#   than plain SGD; `lr=1e-3` is a good default, `1e-2` is too big for our MLP.
# - **L2 regularisation** adds `lambda * sum(w**2)` to the loss; for SGD,
#   `weight_decay=wd` is exactly the penalty `(wd / 2) * sum(w**2)`.
# - **Adam + L2** rescales the decay per weight (strong where gradients are small);
#   **AdamW** shrinks every weight by the same fraction `lr * wd` per step. The same
#   `weight_decay` number means different things in the two.
# - **Overfitting**: training accuracy reaches 100% while the validation loss rises.
#   Weight decay, dropout and especially **data augmentation** (`fit(..., augment=True)`)
#   reduce it.
# - **Checkpoints** after every epoch (`fit`'s `callback` + `save_checkpoint`) let us keep
#   the epoch with the best validation loss. Our final model is in
#   `checkpoints/lesson4_best.pt`, ready for lesson 5.
# - The **dashboard** (`TrainingDashboard`) repeats these experiments while you move the
#   knobs; `dashboard.run_sync(...)` runs the same training in a cell.

# %% [markdown]
# ## Exercises
#
# Write your answer in each cell marked "your code here" (replace the `...`) and run the
# cell. The check at its end says at once whether your answer is correct, or which
# mistake it sees. **Hint** shows one hint at a time; **Solution** shows a solution, but
# only when you click it. Running the whole notebook never replaces what you wrote.

# %% [markdown]
# **Exercise 4.1.** Write `l2_loss(model, weight_decay)`: the penalty that, added to the
# loss, makes plain SGD take exactly the step that SGD with `weight_decay=weight_decay`
# takes (section 4). It must be a tensor that `backward()` can use.

# %% tags=["exercise"]
def l2_loss(model, weight_decay):
    ...  # your code here


check("4.1", l2_loss)

# %% [markdown]
# **Exercise 4.2.** Make `adam_optimizer` for `new_model`: the tutorial's optimizer, Adam
# with L2 regularisation (`weight_decay=1e-5`, Adam + L2, not AdamW), with the learning rate
# that section 3 found to settle well.

# %% tags=["exercise"]
new_model = MLP(hidden=(256, 128))
adam_optimizer = ...  # your code here
check("4.2", adam_optimizer, new_model=new_model)

# %% [markdown]
# **Exercise 4.3.** Write `best_epoch(history)`: given the `History` that `fit` returns
# (trained with `test=validation`), it returns the number of the epoch with the lowest
# validation loss, counting epochs from 1 like the checkpoint files do. (`History` also
# has a `best_epoch` method; write your own here.)

# %% tags=["exercise"]
def best_epoch(history):
    ...  # your code here


check("4.3", best_epoch)

# %% [markdown]
# **Exercise 4.4.** Load the checkpoint of **epoch 1** of the final model (in
# `final_folder`) and measure its accuracy on the validation set: `epoch_1_accuracy`, a
# number between 0 and 1. How much did the later epochs add?

# %% tags=["exercise"]
epoch_1_accuracy = ...  # your code here
check("4.4", epoch_1_accuracy, final_folder=final_folder, validation=validation, train=train, test=test)
