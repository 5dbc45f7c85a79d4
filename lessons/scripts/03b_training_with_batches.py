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
# # Lesson 3b: Training with batches
#
# *About 45 minutes. The second part of lesson 3: part 3a built the networks, this part
# trains them.*
#
# Here you write the training loop that every later lesson uses, in plain PyTorch, and
# train the MLPs of lesson 3a on MNIST.
#
# **What you will learn**
#
# - batches from a `DataLoader` (`batch_size=64`, `shuffle=True`, `drop_last=True`)
# - SGD with **momentum**, and one training step
# - `train_one_epoch` and `test_model`, then a loop over epochs that records the loss and
#   accuracy of every epoch: the `fit` you could have written, and what
#   `mnist_course.training.fit` adds to it
# - how good 784-250-200-10 gets: a confusion matrix and the digits it gets wrong
# - ReLU against sigmoid in a fair race, and the softmax mistake in training

# %% [markdown]
# ## Setup
#
# The one-call setup of lesson 3a: seed, figures, CPU threads and device.

# %% tags=["nbval-ignore-output", "volatile"]
import math

import matplotlib.pyplot as plt
import torch
from torch import nn
from torch.utils.data import DataLoader, Subset, TensorDataset

from mnist_course.data import load_mnist, to_float_images
from mnist_course.env import set_seed, setup
from mnist_course.exercises import check, compare_guess
from mnist_course.history import History
from mnist_course.learning_curves import plot_history
from mnist_course.models import MLP
from mnist_course.plots import plot_confusion_matrix, show_misclassified
from mnist_course.widgets.dashboard import TrainingDashboard

device = setup()

# %% [markdown]
# ## 1. The model, the loss and SGD with momentum
#
# We start with lesson 3a's first network, 784-128-256-10 with dropout 0.5, the loss of
# lesson 2 and an optimizer. Plain SGD steps downhill along the gradient of the current
# batch; each batch gives a slightly different, noisy direction. SGD with **momentum**
# keeps a running direction, like a ball rolling downhill that does not stop at every
# bump: each new direction is 0.9 times the previous one plus the new gradient
# (`momentum=0.9`). The noise averages out and steps that agree add up, so training goes
# faster.

# %%
set_seed(0)
model = MLP(hidden=(128, 256), dropout=0.5).to(device)
loss_fn = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)

# %% [markdown]
# > **A bug we fixed: an optimizer used before it is defined.** In one tutorial the
# > training code uses `optimizer` before the line that creates it. Run top to bottom, it
# > fails with a `NameError`; run in another order, it may silently use an old optimizer
# > that holds the parameters of an earlier model, so the new model never learns. The
# > fix: create the model, then its optimizer from `model.parameters()`, then train.
#
# **Exercise 3.5.** Write the heart of training as a function: `train_step` gets a model,
# a batch (`images`, `labels`), a `loss_fn` and an `optimizer`; it takes one training
# step and returns the batch's loss as a Python number. The check calls it twice in a row
# and compares with two correct SGD steps. The check says at once whether it is right, or
# which mistake it sees; **Hint** shows one hint at a time, **Solution** a solution.

# %% tags=["exercise"]
def train_step(model, images, labels, loss_fn, optimizer):
    ...  # your code here


check("3.5", train_step)

# %% [markdown]
# ## 2. Batches from a `DataLoader`
#
# Lesson 1's `DataLoader` read a torchvision `Dataset`, which converts each image with
# `ToTensor` + `Normalize` every time it is read: in every epoch again, and slowly
# (appendix A1 measures it). MNIST fits in memory, so as in lesson 2 we normalise all the
# images once with `to_float_images`, pair them with their labels in a `TensorDataset`,
# and let the `DataLoader` make the batches:
#
# - `batch_size=64`: 64 images per training step;
# - `shuffle=True`: a new random order every epoch, so the batches differ each time;
# - `drop_last=True`: skip the last, smaller batch (10,000 images make 156 batches of 64
#   and one of 16). A batch of a few images gives a noisy step, and skipping it loses
#   nothing: the next epoch shuffles, so those images land in full batches.
#
# For testing we use batches of 1,000 and no shuffling: the order does not matter there.

# %%
train, test = load_mnist("train"), load_mnist("test")  # uint8 images (N, 28, 28), labels (N,)
train_dataset = TensorDataset(to_float_images(train.images), train.labels)  # (N, 1, 28, 28), (N,)
test_dataset = TensorDataset(to_float_images(test.images), test.labels)
train_loader = DataLoader(train_dataset, batch_size=64, shuffle=True, drop_last=True)
test_loader = DataLoader(test_dataset, batch_size=1000)
images, labels = next(iter(train_loader))
print("one batch:", images.shape, labels.shape)  # (64, 1, 28, 28), (64,)
print("test batches:", len(test_loader), "of 1,000 images:", len(test_loader) * 1000, "test images")

# %% [markdown]
# > **A bug we fixed: `drop_last=True` and `shuffle=True` on the test loader.** One
# > tutorial builds its test loader with the training loader's settings, then divides the
# > number of right answers by 10,000. With `drop_last=True` the last 16 test images are
# > never seen, so the accuracy is computed over 9,984 images and divided by 10,000:
# > slightly wrong, and a different 16 images are left out every time because of
# > `shuffle=True`. The fix, above: no `drop_last` (and no need to shuffle) for testing,
# > and divide by the number of images actually seen.

# %%
bad_test_loader = DataLoader(test_dataset, batch_size=64, shuffle=True, drop_last=True)
print("test images in the bad loader's batches:", len(bad_test_loader) * 64)

# %% [markdown]
# **Exercise 3.6.** With `batch_size=64` and `drop_last=True`, how many training images
# does one epoch of `train_loader` train on? Compute `images_per_epoch` from
# `len(train_dataset)` (10,000 images offline, 60,000 online).

# %% tags=["exercise"]
images_per_epoch = ...  # your code here
check("3.6", images_per_epoch)

# %% [markdown]
# ## 3. One epoch, and one test, written by hand
#
# One training epoch is a pass over all the batches in training mode. We also add up the
# loss and the number of right answers, to report the epoch's averages. `loss.item()`
# turns a one-number tensor into a Python number. The `DataLoader` gives batches on the
# CPU, so we move each one to the device.
#
# > **A bug we fixed: `total_train_loss += loss`.** One tutorial adds up the loss tensors
# > themselves. A loss tensor remembers how it was computed (its graph, needed for
# > `backward()`), and a sum of them remembers all of them: memory grows with every batch
# > until the end of the epoch. The fix is `loss.item()`, a plain Python number.
# >
# > **And a second one: summing batch averages, then dividing by the number of images.**
# > `loss_fn` returns the *average* loss of a batch; adding those up and dividing by the
# > number of images divides by the batch size twice. We multiply each average by its
# > number of images first (`* len(labels)`), which is also right for a smaller batch.

# %%
def train_one_epoch(model, loader, loss_fn, optimizer, device):
    model.train()  # dropout on
    total_loss, correct, count = 0.0, 0, 0
    for images, labels in loader:
        images, labels = images.to(device), labels.to(device)  # (64, 1, 28, 28), (64,)
        logits = model(images)  # (64, 10)
        loss = loss_fn(logits, labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total_loss += loss.item() * len(labels)
        correct += (logits.argmax(dim=1) == labels).sum().item()
        count += len(labels)
    return total_loss / count, correct / count  # average loss, accuracy


# %% [markdown]
# The first bug in one line, on the batch above: the sum is a tensor that carries its
# graph (`grad_fn`), while `loss.item()` is a plain `float`.

# %% tags=["nbval-ignore-output", "volatile"]
loss = loss_fn(model(images.to(device)), labels.to(device))
total_train_loss = 0.0 + loss  # what `total_train_loss += loss` makes
print(total_train_loss)
print(type(loss.item()))

# %% [markdown]
# Testing is one pass over the test batches in evaluation mode (dropout off), inside
# `torch.no_grad()` (lesson 3a): we only measure.
#
# > **A bug we fixed: a `test()` that reads a global loader.** One tutorial's
# > `test(model)` loops over a `test_loader` it does not receive. Rename that variable
# > and `test` silently measures something else. Our `test_model` gets everything it uses
# > as arguments.

# %%
def test_model(model, loader, loss_fn, device):
    model.eval()  # dropout off
    total_loss, correct, count = 0.0, 0, 0
    with torch.no_grad():
        for images, labels in loader:
            images, labels = images.to(device), labels.to(device)
            logits = model(images)
            total_loss += loss_fn(logits, labels).item() * len(labels)
            correct += (logits.argmax(dim=1) == labels).sum().item()
            count += len(labels)
    return total_loss / count, correct / count


# %% [markdown]
# **Exercise 3.7.** Write `count_mistakes(model, loader, device)`: how many images of the
# loader the model gets wrong, as a Python `int`. Like `test_model`, it must work for a
# model with dropout that was left in training mode, and record nothing for `backward()`.

# %% tags=["exercise"]
def count_mistakes(model, loader, device):
    ...  # your code here


check("3.7", count_mistakes)

# %% [markdown]
# ## 4. The loop over epochs
#
# Now the whole training: for each epoch, `train_one_epoch`, then `test_model`, and we
# record the five numbers of the epoch in a dictionary of lists, `history`.
#
# **Predict first.** Our network has dropout. After the second epoch, will its training
# accuracy be `"higher"` or `"lower"` than its test accuracy? Write your guess before you
# run the loop.

# %% tags=["predict"]
my_guess = ...  # "higher" or "lower"

# %% [markdown]
# Two epochs (with the full 60,000 training images each epoch takes 6 times longer than
# with the offline 10,000). The numbers depend on your data and device:

# %% tags=["nbval-ignore-output", "volatile"]
history = {"epoch": [], "train_loss": [], "train_accuracy": [], "test_loss": [], "test_accuracy": []}
for epoch in range(1, 3):
    train_loss, train_accuracy = train_one_epoch(model, train_loader, loss_fn, optimizer, device)
    test_loss, test_accuracy = test_model(model, test_loader, loss_fn, device)
    history["epoch"].append(epoch)
    history["train_loss"].append(train_loss)
    history["train_accuracy"].append(train_accuracy)
    history["test_loss"].append(test_loss)
    history["test_accuracy"].append(test_accuracy)
    print(f"epoch {epoch}: train loss {train_loss:.3f}, accuracy {train_accuracy:.3f} | "
          f"test loss {test_loss:.3f}, accuracy {test_accuracy:.3f}")

# %% [markdown]
# How did your guess do?

# %%
train_vs_test = "higher" if history["train_accuracy"][-1] > history["test_accuracy"][-1] else "lower"
compare_guess(my_guess, train_vs_test, choices=("higher", "lower"))

# %% [markdown]
# The training accuracy is *lower*. That is mostly dropout at work: the training numbers
# are measured with half of the hidden units switched off. (Also, they are averages over
# the epoch, while the model was still improving; the test numbers come at its end.)

# %% [markdown]
# ## 5. The `fit` you could have written
#
# The loop above, as a function, is all of training:

# %%
def fit(model, train_loader, test_loader, loss_fn, optimizer, epochs, device):
    history = {"epoch": [], "train_loss": [], "train_accuracy": [], "test_loss": [], "test_accuracy": []}
    for epoch in range(1, epochs + 1):
        train_loss, train_accuracy = train_one_epoch(model, train_loader, loss_fn, optimizer, device)
        test_loss, test_accuracy = test_model(model, test_loader, loss_fn, device)
        history["epoch"].append(epoch)
        history["train_loss"].append(train_loss)
        history["train_accuracy"].append(train_accuracy)
        history["test_loss"].append(test_loss)
        history["test_accuracy"].append(test_accuracy)
    return history


# %% [markdown]
# We train the 784-250-200-10 network (no dropout) with it: SGD with momentum, learning
# rate 0.03, 8 epochs. The numbers depend on your data and device:

# %% tags=["nbval-ignore-output", "volatile"]
set_seed(0)
model = MLP(hidden=(250, 200)).to(device)
optimizer = torch.optim.SGD(model.parameters(), lr=0.03, momentum=0.9)
history = fit(model, train_loader, test_loader, loss_fn, optimizer, epochs=8, device=device)
for epoch, accuracy in zip(history["epoch"], history["test_accuracy"], strict=True):
    print(f"epoch {epoch}: test accuracy {accuracy:.3f}")

# %% [markdown]
# The course's `History` (`mnist_course/history.py`) holds the same five lists, and
# `plot_history` draws them (solid: training, dashed: test):

# %%
axes = plot_history(History(**history))
axes[0].figure.suptitle("784-250-200-10, SGD with momentum")
plt.show()

# %% [markdown]
# The training loss keeps falling, below the test loss: the network does better on the
# images it trains on than on new ones. Lesson 4 trains longer, until the test loss
# rises again: **overfitting**.
#
# From now on the course does not write this loop again. Our `train_one_epoch` and
# `test_model` moved, unchanged, into the course package (`mnist_course/training.py`
# and `mnist_course/evaluation.py`; a test keeps the copies identical), and
# `mnist_course.training.fit` is this same loop plus a few extension points:
#
# | our `fit` | `mnist_course.training.fit` |
# | --- | --- |
# | a `DataLoader` of shuffled batches of 64 | `TensorBatches`: the same batches, faster (appendix A1) |
# | the optimizer you built | the same, or one by name (`"sgd"`, `"adam"`, lesson 4) |
# | `train_one_epoch`, `test_model` | the same functions |
# | a dictionary of lists | a `History` with the same lists |
# | nothing else | a progress bar, callbacks (live curves, cancel), augmentation (lesson 4) |

# %% [markdown]
# ## 6. How good is it?
#
# After 8 epochs more than 95 of 100 test digits are right, against about 90 for lesson
# 2's model. Which digits does it confuse? A
# **confusion matrix** counts, for every true digit (row), how often the model answered
# each digit (column). The diagonal holds the right answers; everything else is a
# mistake. We collect the model's answer for every test image:

# %%
model.eval()
with torch.no_grad():
    predictions = torch.cat([model(images.to(device)).argmax(dim=1).cpu() for images, _ in test_loader])
test_labels = test.labels  # (10000,), in the loader's order
plot_confusion_matrix(test_labels, predictions)
plt.show()

# %% [markdown]
# **Exercise 3.8.** Read the matrix: which mistake does the model make most often? Write
# it as `most_common_mistake = (true digit, predicted digit)`.

# %% tags=["exercise"]
most_common_mistake = ...  # your code here
check("3.8", most_common_mistake, test_labels=test_labels, predictions=predictions)

# %% [markdown]
# The first twelve test digits it gets wrong, titled with the true digit and the
# network's answer. Some would make a person hesitate too; others look clear to us.

# %%
show_misclassified(test.images, test_labels, predictions, n=12)
plt.show()

# %% [markdown]
# ## 7. ReLU against sigmoid, a fair race
#
# Lesson 3a measured that in a sigmoid network the gradients shrink on their way back.
# Does it learn more slowly? A smaller gradient could be made up for by a larger learning
# rate, so a fair race gives each activation its *own* best rate. We train
# 784-128-256-10 without dropout with each activation at four learning rates, twice
# each (seeds 0 and 1), for 2 epochs on the first 3,000 training images, tested on the
# first 2,000 test images: small, to keep it quick. For each activation we keep the rate
# with the lowest final training loss, averaged over the seeds. (We choose by the
# training loss because the question is how fast each one learns; choosing by test
# accuracy would tune on the test set, see lesson 4.)
#
# **Predict first.** After the first epoch, each at its best rate, which network reads
# more test digits? Write `"relu"` or `"sigmoid"` before you run the race.

# %% tags=["predict"]
my_guess = ...  # "relu" or "sigmoid"

# %% [markdown]
# The race, 16 short runs of our `fit`:

# %%
race_train = DataLoader(Subset(train_dataset, range(3000)), batch_size=64, shuffle=True, drop_last=True)
race_test = DataLoader(Subset(test_dataset, range(2000)), batch_size=1000)
learning_rates, seeds = (0.01, 0.03, 0.1, 0.3), (0, 1)
runs = {}
for activation in ("relu", "sigmoid"):
    for lr in learning_rates:
        for seed in seeds:
            set_seed(seed)
            network = MLP(hidden=(128, 256), activation=activation).to(device)
            optimizer = torch.optim.SGD(network.parameters(), lr=lr, momentum=0.9)
            runs[activation, lr, seed] = fit(network, race_train, race_test, loss_fn, optimizer, 2, device)

# %% [markdown]
# The mean final training loss of every rate (a run whose loss blew up to `nan` counts as
# the worst), and each activation's best rate:

# %%
def mean_over_seeds(activation, lr, name, epoch=-1):
    values = [runs[activation, lr, seed][name][epoch] for seed in seeds]
    return sum(values) / len(values) if all(math.isfinite(value) for value in values) else math.inf


best_lr = {activation: min(learning_rates, key=lambda lr: mean_over_seeds(activation, lr, "train_loss"))
           for activation in ("relu", "sigmoid")}

# %% tags=["nbval-ignore-output", "volatile"]
for activation in ("relu", "sigmoid"):
    finals = ", ".join(f"{lr}: {mean_over_seeds(activation, lr, 'train_loss'):.3f}" for lr in learning_rates)
    print(f"{activation:7} mean final training loss at each rate: {finals}")
print("best learning rates:", best_lr)
for activation, lr in best_lr.items():
    accuracy = mean_over_seeds(activation, lr, "test_accuracy", epoch=0)
    print(f"{activation:7} at {lr}: test accuracy after epoch 1 {accuracy:.3f}")
for activation in ("relu", "sigmoid"):  # the same rate for both
    print(f"{activation:7} at 0.03: test accuracy after epoch 1 "
          f"{mean_over_seeds(activation, 0.03, 'test_accuracy', epoch=0):.3f}")

# %% [markdown]
# How did your guess do?

# %%
first_epoch = {activation: mean_over_seeds(activation, lr, "test_accuracy", epoch=0)
               for activation, lr in best_lr.items()}
compare_guess(my_guess, max(first_epoch, key=first_epoch.get), choices=("relu", "sigmoid"))

# %% [markdown]
# What the race shows:
#
# - With the *same* rate, 0.03, the sigmoid network is far behind after the first epoch.
# - Sigmoid's best rate lies inside the range we tried: the rates just below and just
#   above it both end with a higher training loss.
# - Even so, each at its best rate, ReLU has the lower training loss after each epoch,
#   and the higher test accuracy after the first: it learns faster.
#
# ## 8. The softmax mistake, in training
#
# Lesson 3a showed that a `softmax` before `CrossEntropyLoss` flattens the gradients. We
# wrap the ReLU network with each extra ending (`nn.Sequential` runs the MLP, then the
# ending) and train it like the race's ReLU run at rate 0.03, seed 0:

# %%
endings = {"log_softmax": nn.LogSoftmax(dim=1), "softmax": nn.Softmax(dim=1)}
ending_runs = {"raw logits": runs["relu", 0.03, 0]}
for name, ending in endings.items():
    set_seed(0)
    network = nn.Sequential(MLP(hidden=(128, 256)), ending).to(device)
    optimizer = torch.optim.SGD(network.parameters(), lr=0.03, momentum=0.9)
    ending_runs[name] = fit(network, race_train, race_test, loss_fn, optimizer, 2, device)

# %% [markdown]
# The numbers depend on your data and device: the log-softmax network learns exactly like
# the correct one; the softmax network is far behind, and its training loss cannot go
# below 1.46.

# %% tags=["nbval-ignore-output", "volatile"]
for name, run in ending_runs.items():
    print(f"{name:11} final test accuracy {run['test_accuracy'][-1]:.3f}, "
          f"final train loss {run['train_loss'][-1]:.3f}")

# %% [markdown]
# ## Try it live: the training dashboard
#
# Now turn the knobs yourself. The dashboard trains an MLP with the course's `fit`, with
# three knobs of this lesson: the **hidden sizes** (e.g. `500, 256`; empty for lesson 2's
# model), **dropout**, and the **activation**. Release a slider (or press **Start**) and
# training starts in the background; the curves are redrawn several times per epoch
# (solid: training, dashed: test). Changing a knob stops the run and starts a new one;
# earlier runs stay as faint curves. A run trains on 10,000 images for 5 epochs; the
# knobs on the right change that and the device. Nothing trains until you touch it.

# %%
dashboard = TrainingDashboard(
    train,  # load_mnist's uint8 images and labels: the course's fit normalises them itself
    test,
    controls=("hidden", "dropout", "activation"),
    defaults={"hidden": (128, 256), "dropout": 0.5, "activation": "relu",
              "optimizer": "sgd+momentum", "lr": 0.05, "epochs": 5, "subset": 10_000},
    device=device,
)
dashboard

# %% [markdown]
# `run_sync` runs exactly what the **Start** button runs, but here in this cell, and
# returns the run's `History`; its curves appear in the dashboard above. Here it trains
# 784-128-256-10 with dropout 0.5 for 2 epochs:

# %% tags=["nbval-ignore-output", "volatile"]
dashboard_history = dashboard.run_sync(hidden=(128, 256), dropout=0.5, activation="relu", epochs=2)
print(f"test accuracy after 2 epochs: {dashboard_history.test_accuracy[-1]:.3f}")

# %% [markdown]
# ## Recap
#
# - A `DataLoader` gives shuffled batches of 64 for training (`drop_last=True`), and all
#   test images in order for testing (no `drop_last`).
# - SGD with **momentum** keeps a running direction: steps that agree add up.
# - One step: logits, loss, `zero_grad()`, `backward()`, `step()`. One epoch:
#   `model.train()` and a step per batch; one test: `model.eval()` inside
#   `torch.no_grad()`. Add up `loss.item() * len(labels)`, never the loss tensors.
# - The loop over epochs records the loss and accuracy of each: that is `fit`. The
#   course's `mnist_course.training.fit` is the same loop with faster batches and
#   extension points; later lessons use it.
# - 784-250-200-10 reads more than 95% of the test digits after 8 epochs.
# - Each at its best learning rate, ReLU learns faster than sigmoid.
# - A `softmax` before `CrossEntropyLoss` cripples training; `log_softmax` is harmless.
