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
# # Lesson 3: An MLP with dropout
#
# The single-layer model of lesson 2 reads about 9 digits out of 10. In this lesson we
# give it **hidden layers**: layers between the pixels and the 10 scores, each followed
# by an **activation function**. Such a network is called a **multi-layer perceptron
# (MLP)**. Ours will read more than 95 digits out of 100.
#
# **What you will learn**
#
# - why stacking linear layers without an activation gains nothing, and what a straight
#   line cannot separate (the XOR problem)
# - the MLPs of the classic PyTorch MNIST tutorials, layer by layer (`Linear`, `ReLU`,
#   `Dropout`), and how many numbers they learn
# - what dropout does, and why it needs `model.train()` and `model.eval()`
# - a training loop written by hand: a `DataLoader`, SGD with momentum, `torch.no_grad()`
#   for testing, and the loss and accuracy of every epoch
# - the same loop as `mnist_course.training.fit`
# - ReLU against sigmoid, and the softmax mistake that slows training down
# - a confusion matrix and the digits the network gets wrong

# %% [markdown]
# ## Setup
#
# Imports, seed, figure settings and the device, as in lessons 1 and 2. The networks of
# this lesson train in seconds on a CPU; a GPU makes them faster still.

# %% tags=["nbval-ignore-output", "volatile"]
import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader
from torchvision import transforms

from mnist_course.data import MNIST_MEAN, MNIST_STD, data_source, load_mnist, mnist_dataset
from mnist_course.env import describe_device, get_device, limit_cpu_threads, set_seed, setup_figures
from mnist_course.exercises import check, compare_guess
from mnist_course.learning_curves import plot_history
from mnist_course.models import MLP, count_parameters
from mnist_course.plots import plot_confusion_matrix, show_misclassified
from mnist_course.training import evaluate, fit, predict_labels
from mnist_course.widgets.dashboard import TrainingDashboard

set_seed(0)
setup_figures()
device = get_device()
print("CPU threads:", limit_cpu_threads())  # at most the CPUs this machine lets us use
print("device:", describe_device(device))
print("data:", data_source())

# %% [markdown]
# ## 1. Two linear layers are still one linear layer
#
# The obvious way to make lesson 2's model bigger is to put two linear layers one after
# the other: 784 pixels -> 128 numbers -> 10 scores. The 128 numbers in the middle are
# called a **hidden layer**, because we never see them: they are neither the input nor
# the output.
#
# Without anything in between, this gains nothing. Each layer computes
# `x @ W.T + b`, so two of them compute
#
# > (x @ W1.T + b1) @ W2.T + b2 = x @ (W2 @ W1).T + (b2 + b1 @ W2.T)
#
# which is again *one* linear layer, with the weight `W2 @ W1` and the bias
# `b2 + b1 @ W2.T`. Let us check it with real layers.

# %%
layer1 = nn.Linear(784, 128)  # weight (128, 784), bias (128,)
layer2 = nn.Linear(128, 10)  # weight (10, 128), bias (10,)
two_layers = nn.Sequential(nn.Flatten(), layer1, layer2)  # Flatten: (N, 1, 28, 28) -> (N, 784)
print(two_layers)

# %% [markdown]
# We build a single `nn.Linear(784, 10)` with the combined weight and bias, and give both
# models the same 64 random "images". `torch.allclose` checks that two tensors are equal
# up to tiny rounding differences.

# %%
one_layer = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
with torch.no_grad():
    one_layer[1].weight.copy_(layer2.weight @ layer1.weight)  # (10, 128) @ (128, 784) -> (10, 784)
    one_layer[1].bias.copy_(layer2.bias + layer1.bias @ layer2.weight.T)  # (10,)
    x = torch.randn(64, 1, 28, 28)
    print("same outputs:", torch.allclose(two_layers(x), one_layer(x), atol=1e-5))

# %% [markdown]
# However many linear layers we stack, the result is one linear layer: the same kind of
# model as in lesson 2, only slower. The fix is to put a **non-linear** function, the
# **activation**, after each hidden layer. The most common one is **ReLU**
# (rectified linear unit): `relu(x) = max(x, 0)`. It keeps positive numbers and turns
# negative ones into 0. That small bend is enough, as the next section shows.

# %% [markdown]
# ## 2. What a straight line cannot do: XOR
#
# A linear model gives each class a score that is a weighted sum of the inputs, so the
# border between two classes is a straight line (with 784 inputs, its 784-dimensional
# version, a flat "hyperplane"). Some problems cannot be solved with a straight border.
# The classic example is **XOR** ("exclusive or"): four points in a plane, class 1 when
# exactly one of the two coordinates is 1.

# %%
points = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])  # (4, 2)
targets = torch.tensor([0, 1, 1, 0])  # XOR of the two coordinates
print("points:", points.shape, " targets:", targets.tolist())

# %% [markdown]
# On a picture: try to draw one straight line with both blue points on one side and both
# orange points on the other. It cannot be done. The blue diagonal and the orange
# diagonal (dotted) cross in the middle, at (0.5, 0.5): a straight border with both blue points
# on its blue side has the middle of their diagonal there too, and likewise for orange,
# so the middle would have to be on both sides at once. The two classes are **linearly
# inseparable**.

# %%
fig, ax = plt.subplots(figsize=(4, 4))
for target, color in ((0, "tab:blue"), (1, "tab:orange")):
    chosen = points[targets == target]
    ax.scatter(chosen[:, 0], chosen[:, 1], s=200, color=color, label=f"class {target}")
ax.plot([0, 1], [0, 1], ":", color="tab:blue")  # the blue diagonal
ax.plot([0, 1], [1, 0], ":", color="tab:orange")  # the orange diagonal
ax.set_xlabel("first input")
ax.set_ylabel("second input")
ax.set_title("XOR: no straight line separates the classes")
ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1))  # outside, so the crossing stays visible
plt.show()

# %% [markdown]
# We train a linear model on the four points for 300 steps, with the SGD optimizer of
# lesson 2 (plus momentum, explained in section 6). The best it can do is a 50/50 guess
# for every point: its loss gets stuck at -log(1/2) = log(2) = 0.693.

# %%
def train_on_xor(model, steps=300):
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    for _ in range(steps):
        loss = F.cross_entropy(model(points), targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return loss.item()


linear_loss = train_on_xor(nn.Linear(2, 2))
print("linear model stuck at log(2):", abs(linear_loss - 0.693) < 0.01)

# %% [markdown]
# Now a tiny MLP: 2 inputs -> 8 hidden units with ReLU -> 2 scores. It learns XOR
# perfectly, in the same 300 steps:

# %%
set_seed(0)
xor_mlp = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 2))
mlp_loss = train_on_xor(xor_mlp)
with torch.no_grad():
    answers = xor_mlp(points).argmax(dim=1)
print("MLP loss below 0.05:", mlp_loss < 0.05)
print("MLP answers:", answers.tolist(), " right:", torch.equal(answers, targets))

# %% [markdown]
# How? Each ReLU unit bends the plane along one line; together, the hidden units build a
# border made of several straight pieces. The picture colours every point of the plane
# by the class the MLP would give it: the border is not a straight line.

# %%
grid = torch.linspace(-0.5, 1.5, 101)
grid_x, grid_y = torch.meshgrid(grid, grid, indexing="xy")  # (101, 101) each
grid_points = torch.stack([grid_x.flatten(), grid_y.flatten()], dim=1)  # (10201, 2)
with torch.no_grad():
    grid_classes = xor_mlp(grid_points).argmax(dim=1).reshape(101, 101)
fig, ax = plt.subplots(figsize=(4, 4))
ax.contourf(grid_x, grid_y, grid_classes, levels=[-0.5, 0.5, 1.5], colors=["#c6dbef", "#fdd0a2"])
ax.scatter(points[:, 0], points[:, 1], s=200, c=["tab:blue", "tab:orange", "tab:orange", "tab:blue"])
ax.set_xlabel("first input")
ax.set_ylabel("second input")
ax.set_title("The MLP's two regions (blue: class 0, orange: class 1)")
plt.show()

# %% [markdown]
# Digits are the same story in 784 dimensions: many of them cannot be told apart by
# straight borders alone, and hidden layers with activations let the model draw bent
# ones.

# %% [markdown]
# ## 3. The MLPs of the classic tutorials
#
# The beginner tutorials this course grew from train three MLPs on MNIST. Written
# `784-128-256-10`, the numbers are the sizes of the layers: 784 pixels in, hidden layers
# of 128 and 256 units, 10 scores out.
#
# | network | hidden layers | dropout |
# | --- | --- | --- |
# | 784-128-256-10 | 128, 256 | 0.5 after each hidden layer |
# | 784-250-200-10 | 250, 200 | none |
# | 784-500-256-10 | 500, 256 | none |
#
# Here is the first one written out as an `nn.Sequential`, which applies its layers one
# after the other. `Dropout` is explained in section 4. There is no softmax at the end:
# as in lesson 2, the model outputs raw logits and the loss applies the softmax
# (section 12 shows what goes wrong otherwise).

# %%
set_seed(0)
model = nn.Sequential(
    nn.Flatten(),  # (N, 1, 28, 28) -> (N, 784)
    nn.Linear(784, 128),  # hidden layer 1
    nn.ReLU(),
    nn.Dropout(0.5),
    nn.Linear(128, 256),  # hidden layer 2
    nn.ReLU(),
    nn.Dropout(0.5),
    nn.Linear(256, 10),  # output layer: 10 logits
).to(device)
print(model)

# %% [markdown]
# The course package builds the same network with one line,
# `MLP(hidden=(128, 256), dropout=0.5)`, from `mnist_course/models.py`. It contains the
# same layers:

# %%
print(MLP(hidden=(128, 256), dropout=0.5))

# %% [markdown]
# How many numbers does each network learn? Every `Linear(a, b)` has `a * b` weights and
# `b` biases. For 784-128-256-10 that is 784 x 128 + 128 = 100,480, then
# 128 x 256 + 256 = 33,024, then 256 x 10 + 10 = 2,570: 136,074 in all.
# `count_parameters` adds them up for us. Lesson 2's model had 7,850.

# %%
print(f"our nn.Sequential: {count_parameters(model):,}")
for hidden in [(128, 256), (250, 200), (500, 256)]:
    network = MLP(hidden=hidden)
    name = "784-" + "-".join(str(size) for size in hidden) + "-10"
    print(f"{name}: {count_parameters(network):,} parameters")

# %% [markdown]
# ## 4. Dropout, and why it needs `train()` and `eval()`
#
# A big network can **memorise** its training images instead of learning what digits
# look like in general. It then does well on the training set and worse on new images:
# this is called **overfitting**. **Dropout** is a simple remedy: during training, every
# time a batch goes through, each hidden unit is switched off (set to 0) with probability
# `p`. The network cannot rely on any single unit, so it learns several ways to recognise
# each digit.
#
# To keep the average the same, `nn.Dropout` multiplies the units it keeps by
# 1 / (1 - p), here 1 / 0.5 = 2. On a row of twenty ones:

# %% tags=["nbval-ignore-output"]
dropout = nn.Dropout(p=0.5)
ones = torch.ones(1, 20)
first_try = dropout(ones)
print(first_try)
assert ((first_try == 0) | (first_try == 2)).all()

# %% [markdown]
# Which units are dropped is random, but there are only two possible values:

# %%
dropped = dropout(ones)
print("only 0s and 2s:", bool(((dropped == 0) | (dropped == 2)).all()))

# %% [markdown]
# When we *use* the network, to test it or to read a digit, we want all units and the
# same answer every time. So every PyTorch module has two modes:
#
# - `model.train()`: training mode, dropout is on;
# - `model.eval()`: evaluation mode, dropout does nothing.
#
# A new model starts in training mode. We give our MLP the same image twice in each mode.
#
# **Predict first.** In training mode, will the two outputs for the same image be exactly
# the same? Write your guess, `True` or `False`, before you run the experiment.

# %% tags=["predict"]
my_guess = ...  # True or False

# %%
image = torch.randn(1, 1, 28, 28, device=device)
model.train()
same_in_train_mode = torch.equal(model(image), model(image))
print("train mode, same output twice:", same_in_train_mode)
model.eval()
print("eval mode, same output twice: ", torch.equal(model(image), model(image)))

# %% [markdown]
# How did your guess do?

# %%
compare_guess(my_guess, same_in_train_mode)

# %% [markdown]
# In training mode the two outputs differ, because different units were dropped. A
# forgotten `model.eval()` therefore gives noisy, too-pessimistic test results, and a
# forgotten `model.train()` silently trains without dropout. The training loop below
# switches modes at the start of every phase.
#
# > **A bug we fixed: "`eval()` makes the weights read-only".** One tutorial explains
# > `model.eval()` that way. It does not: `eval()` only sets a flag, `model.training`,
# > which layers such as `Dropout` (and `BatchNorm`) read to decide how to behave. The
# > weights still record gradients, and an optimizer step still changes them. What stops
# > the recording is `torch.no_grad()` (section 6). Our model is in `eval()` mode now:

# %%
print("check: model.training is False:", model.training is False)
print("check: every weight still has requires_grad=True:", all(p.requires_grad for p in model.parameters()))

# %% [markdown]
# ## 5. Batches from a `DataLoader`
#
# As in lesson 1, the `Dataset` turns each image into a normalised tensor with
# `ToTensor` + `Normalize`, and a `DataLoader` groups them into batches:
#
# - `batch_size=64`: 64 images per training step;
# - `shuffle=True`: a new random order every epoch, so the batches are different each
#   time;
# - `drop_last=True`: skip the last, smaller batch (10,000 images make 156 batches of 64
#   and one of 16). A batch of a few images gives a noisy step, and skipping it loses
#   nothing: the next epoch shuffles, so those images land in full batches.
#
# For testing we use larger batches of 1,000 and no shuffling: the order does not matter
# there.

# %%
normalize = transforms.Compose([transforms.ToTensor(), transforms.Normalize((MNIST_MEAN,), (MNIST_STD,))])
train_dataset = mnist_dataset("train", transform=normalize)
test_dataset = mnist_dataset("test", transform=normalize)
train_loader = DataLoader(train_dataset, batch_size=64, shuffle=True, drop_last=True)
test_loader = DataLoader(test_dataset, batch_size=1000)
images, labels = next(iter(train_loader))
print("one batch:", images.shape, labels.shape)  # (64, 1, 28, 28), (64,)

# %% [markdown]
# > **A bug we fixed: `drop_last=True` and `shuffle=True` on the test loader.** One
# > tutorial builds its test loader with the training loader's settings, then divides the
# > number of right answers by 10,000. With `drop_last=True` the last 16 test images are
# > never seen (10,000 = 156 x 64 + 16), so the accuracy is computed over 9,984 images
# > and divided by 10,000: slightly wrong, and a different 16 images are left out every
# > time because of `shuffle=True`. The fix: no `drop_last` (and no need to shuffle) for
# > testing, and divide by the number of images actually seen.

# %%
bad_test_loader = DataLoader(test_dataset, batch_size=64, shuffle=True, drop_last=True)
print("test images in the bad loader's batches:", len(bad_test_loader) * 64)
print("check: ours, 10 batches of 1,000, sees all 10,000:", len(test_loader) * 1000 == len(test_dataset))

# %% [markdown]
# The number of batches depends on your copy of MNIST (10,000 training images offline,
# 60,000 online); with `drop_last=True` it is the number of *whole* batches of 64:

# %% tags=["nbval-ignore-output"]
print("training images:", len(train_dataset), " batches per epoch:", len(train_loader))
assert len(train_loader) == len(train_dataset) // 64

# %% [markdown]
# ## 6. The training loop, written by hand
#
# The loop is lesson 2's, with three additions: `model.train()` / `model.eval()`, a
# `DataLoader`, and **momentum**.
#
# Plain SGD steps downhill along the gradient of the current batch. Each batch gives a
# slightly different, noisy direction. SGD with **momentum** keeps a running direction,
# like a ball rolling downhill that does not stop at every bump: each new direction is
# 0.9 times the previous direction plus the new gradient (`momentum=0.9`). The noise
# averages out and steps that agree add up, so training goes faster.

# %%
loss_fn = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)

# %% [markdown]
# > **A bug we fixed: an optimizer used before it is defined.** In one tutorial the
# > training code uses `optimizer` before the line that creates it. Run top to bottom,
# > it fails with a `NameError`; run in another order,
# > it may silently use an old optimizer that holds the parameters of an earlier model,
# > so the new model never learns. The fix: create the model, then its optimizer from
# > `model.parameters()`, then train, in that order, as here.

# %% [markdown]
# One training epoch: a pass over all the batches in training mode. We also add up the
# loss and the number of right answers, to report the epoch's averages. `loss.item()`
# turns a one-number tensor into a Python number. The images come from the `DataLoader`
# on the CPU, so we move each batch to the device.
#
# > **A bug we fixed: `total_train_loss += loss`.** One tutorial adds up the loss
# > tensors themselves. A loss tensor remembers how it was computed (its graph, needed for
# > `backward()`), and a sum of them remembers all of them: every batch's graph stays in
# > memory until the end of the epoch, and memory grows with every batch. The fix is
# > `loss.item()`, a plain Python number with no graph.
# >
# > **And a second one: summing batch averages, then dividing by the number of images.**
# > `loss_fn` returns the *average* loss of a batch. Adding those averages up and dividing
# > by the number of images divides by the batch size twice, giving a loss about 64 times
# > too small. We multiply each average by its number of images first (`* len(labels)`),
# > which is also right when the last batch is smaller.

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
# The first bug in one line, on the batch from section 5:

# %%
loss = loss_fn(model(images.to(device)), labels.to(device))
total_train_loss = 0.0 + loss  # what `total_train_loss += loss` makes: a tensor
print("check: the sum keeps the graph (it has a grad_fn):", total_train_loss.grad_fn is not None)
print("check: loss.item() is a plain float:", type(loss.item()) is float)

# %% [markdown]
# Testing: one pass over the test batches, in evaluation mode (dropout off) and
# inside `torch.no_grad()`. That tells PyTorch not to record the computations for
# `backward()`, which saves time and memory: we only measure, we do not train.
#
# > **A bug we fixed: a `test()` that reads a global loader.** One tutorial's
# > `test(model)` loops over a `test_loader` it does not receive, the one defined
# > somewhere else in the notebook. Change or rename that variable and `test` silently
# > measures something else (or fails far from the cause). Our `test_model` gets
# > everything it uses as arguments: the model, the loader, the loss and the device.

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
# Now we train the 784-128-256-10 network with dropout for 2 epochs, and measure the
# training and test loss and accuracy after each. (Only 2 epochs to keep the lesson
# quick: the `DataLoader` is slow, as the optional appendix A1 measures. With the full
# 60,000 training images, each epoch takes about 6 times longer.) The numbers depend on
# your data and device, so the cell only checks that the model has learned something.

# %% tags=["nbval-ignore-output"]
for epoch in range(1, 3):
    train_loss, train_accuracy = train_one_epoch(model, train_loader, loss_fn, optimizer, device)
    test_loss, test_accuracy = test_model(model, test_loader, loss_fn, device)
    print(f"epoch {epoch}: train loss {train_loss:.3f}, accuracy {train_accuracy:.3f} | "
          f"test loss {test_loss:.3f}, accuracy {test_accuracy:.3f}")
assert test_accuracy > 0.85 and train_accuracy < test_accuracy

# %% [markdown]
# The training accuracy is *lower* than the test accuracy. That is mostly dropout at
# work: the training numbers are measured while half of the hidden units are switched
# off, the test numbers with all of them. (Also, the training numbers are averages over
# the epoch, while the model was still improving; the test numbers come at its end.)

# %% [markdown]
# ## 7. The loop now lives in `mnist_course.training.fit`
#
# From now on, the course does not write this loop again: our `train_one_epoch` and
# `test_model` moved, unchanged, into the course package (`mnist_course/training.py` and
# `mnist_course/evaluation.py`), and `fit(model, train, test, epochs, optimizer, lr,
# momentum, ...)` runs them epoch after epoch:
#
# | our loop | inside `fit` |
# | --- | --- |
# | `DataLoader(...)`: shuffled batches of 64 | `TensorBatches(...)`: the same, faster (section 8) |
# | `torch.optim.SGD(model.parameters(), lr, momentum)` | `optimizer="sgd", lr=..., momentum=...` |
# | `train_one_epoch`: `model.train()`, loss, `backward()`, `step()` | the same one, plus a progress bar |
# | `test_model`: `model.eval()`, `torch.no_grad()` | `evaluate(model, images, labels)`, which calls it |
# | printing the numbers of each epoch | a `History` with a list per number |
#
# `fit` takes the training and test splits straight from `load_mnist` (lesson 1): it
# uses their uint8 `images` and their `labels`, and normalises the images itself.
# `progress=False` turns off its progress bar.

# %%
train = load_mnist("train")
test = load_mnist("test")
print("train images:", train.images.dtype, tuple(train.images.shape[1:]))

# %% [markdown]
# ## 8. Why `fit` is faster
#
# `fit` keeps the whole training set as one normalised tensor, `TensorBatches` (in
# `mnist_course/data/batches.py`): each batch is one indexing operation instead of Python work
# for every image, so it delivers batches much faster than a `DataLoader`. The optional
# appendix A1 (`A1_fast_batches_and_threads.ipynb`) measures it, and explains the CPU
# threads of the setup cell.

# %% [markdown]
# ## 9. Training the 784-250-200-10 network with `fit`
#
# Now the 784-250-200-10 network (no dropout), with SGD with momentum (learning rate
# 0.03) for 8 epochs. We pick it over 784-500-256-10 to keep the lesson quick: it has
# less than half as many parameters (248,460 against 523,326), so each training step
# takes less time (appendix A1 measures it).

# %% [markdown]
# On the offline copy of MNIST the 8 epochs take a few seconds on a CPU; with the full
# 60,000 training images each epoch takes about 6 times longer.

# %%
set_seed(0)
model = MLP(hidden=(250, 200)).to(device)
history = fit(model, train, test, epochs=8, optimizer="sgd", lr=0.03, momentum=0.9,
              batch_size=64, progress=False)
print("epochs done:", len(history))

# %% [markdown]
# `history` holds one number per epoch for each measure:

# %% tags=["nbval-ignore-output"]
for i in range(len(history)):
    print(f"epoch {history.epoch[i]}: train loss {history.train_loss[i]:.3f}, "
          f"accuracy {history.train_accuracy[i]:.3f} | test loss {history.test_loss[i]:.3f}, "
          f"accuracy {history.test_accuracy[i]:.3f}")
gap = [test - train for train, test in zip(history.train_loss, history.test_loss, strict=True)]
assert history.train_loss[-1] < history.test_loss[-1] / 5  # far below
assert history.test_loss[-1] < history.test_loss[2]  # the test loss is still lower than after epoch 3
assert gap[-1] > gap[1]  # the gap between them has grown

# %% [markdown]
# As curves, with `plot_history` (solid: training, dashed: test). The training loss
# falls to almost 0, far below the test loss, and the gap between the two grows: the
# network does much better on the images it trains on than on new ones. But the test
# loss still goes down, with ups and downs (it is lower after epoch 8 than after epoch
# 3), so the extra epochs still help on new digits. The network is starting to
# specialise on its training images; the test loss has not begun to rise. Lesson 4
# trains longer on fewer images, until it does: that is **overfitting**.

# %%
train_losses, test_losses = history.train_loss, history.test_loss
print("check: final training loss below a fifth of the test loss:", train_losses[-1] < test_losses[-1] / 5)
print("check: test loss after epoch 8 below that after epoch 3:", test_losses[-1] < test_losses[2])
print("check: the gap between test and training loss has grown:", gap[-1] > gap[1])

# %%
axes = plot_history(history)
axes[0].figure.suptitle("784-250-200-10, SGD with momentum")
plt.show()

# %% [markdown]
# ## 10. How good is it?
#
# `evaluate` (from `mnist_course.training`) is our `test_model` for tensors: it
# switches to evaluation mode, runs the whole test set inside `torch.no_grad()`, and
# returns the average loss and the accuracy.

# %% tags=["nbval-ignore-output"]
test_loss, test_accuracy = evaluate(model, test.images, test.labels)
print(f"test loss {test_loss:.4f}, test accuracy {test_accuracy:.4f}")
assert test_accuracy >= 0.95

# %% [markdown]
# The exact number depends on your data and device, so the cell checks a threshold:
# more than 95 of 100 test digits are right, against about 90 for lesson 2's model.

# %%
print("accuracy >= 0.95:", test_accuracy >= 0.95)

# %% [markdown]
# Which digits does it confuse? A **confusion matrix** counts, for every true digit (row),
# how often the model answered each digit (column). The diagonal holds the right answers;
# everything else is a mistake. `predict_labels` gives the model's answer for every test
# image.

# %%
predictions = predict_labels(model, test.images)  # (10000,)
plot_confusion_matrix(test.labels, predictions)
plt.show()

# %% [markdown]
# The first twelve test digits it gets wrong, titled with the true digit and the
# network's answer. Some would make a person hesitate too; others look clear to us and
# show what the network has not learned yet.

# %%
show_misclassified(test.images, test.labels, predictions, n=12)
plt.show()

# %% [markdown]
# ## 11. ReLU against sigmoid
#
# Early neural networks used the **sigmoid** activation, `1 / (1 + exp(-x))`, which
# squashes every number into the range 0..1. Today ReLU is the default. Why? Look at the
# **slope** (the derivative) of each function. During `backward()`, the gradient that
# reaches a layer is multiplied by the slope of every activation it passes through.
# We let autograd compute the slopes:

# %%
x = torch.linspace(-6, 6, 200, requires_grad=True)
sigmoid_slope = torch.autograd.grad(torch.sigmoid(x).sum(), x)[0]
relu_slope = torch.autograd.grad(torch.relu(x).sum(), x)[0]
print("largest sigmoid slope:", round(sigmoid_slope.max().item(), 2))

# %% [markdown]
# The sigmoid's slope is at most 0.25, and almost 0 once its input is far from 0 (the
# unit is "saturated"). On its way back through a sigmoid layer, the gradient is
# multiplied by these slopes, so by 1/4 or less, and also by the weights of the next
# layer, which can make it larger or smaller. So the slope alone does not decide
# whether the gradient shrinks; we measure it below. ReLU's slope is exactly 1 for every
# positive input, so there the gradient passes through unchanged.

# %%
fig, (ax_functions, ax_slopes) = plt.subplots(1, 2, figsize=(10, 3.5))
ax_functions.plot(x.detach(), torch.sigmoid(x).detach(), label="sigmoid")
ax_functions.plot(x.detach(), torch.relu(x).detach(), label="ReLU")
ax_functions.set_ylim(-0.5, 3)
ax_functions.set_title("Activation functions")
ax_slopes.plot(x.detach(), sigmoid_slope, label="sigmoid")
ax_slopes.plot(x.detach(), relu_slope, label="ReLU")
ax_slopes.set_title("Their slopes (derivatives)")
for ax in (ax_functions, ax_slopes):
    ax.set_xlabel("input")
    ax.legend()
ax_functions.set_ylabel("output")
ax_slopes.set_ylabel("slope")
plt.show()

# %% [markdown]
# How large are the gradients of each layer, then? We build 784-128-256-10 with each
# activation (the same starting weights), compute the loss of one batch of 64 training
# images, and measure the size (norm: the square root of the sum of the squares) of the
# gradient of each `Linear` layer's weights, from the first layer to the last, before
# any training:

# %%
def gradient_norms(model, images, labels):
    loss_fn(model(images), labels).backward()
    return [layer.weight.grad.norm().item() for layer in model.modules() if isinstance(layer, nn.Linear)]


batch_images, batch_labels = next(iter(train_loader))  # (64, 1, 28, 28), (64,)
norms = {}
for activation in ("relu", "sigmoid"):
    set_seed(0)
    network = MLP(hidden=(128, 256), activation=activation).to(device)
    norms[activation] = gradient_norms(network, batch_images.to(device), batch_labels.to(device))

# %% [markdown]
# The numbers depend on the batch, so the cell checks what the text says about them:

# %% tags=["nbval-ignore-output"]
for activation, layer_norms in norms.items():
    print(f"{activation:7} gradient norm of layers 1, 2, 3:", [round(norm, 3) for norm in layer_norms])
assert norms["sigmoid"][0] < norms["relu"][0] / 3 and norms["sigmoid"][0] < norms["sigmoid"][-1] / 5

# %% [markdown]
# In the sigmoid network the gradient does shrink on its way back: the first layer gets
# a gradient several times smaller than the last, and several times smaller than the
# first layer of the ReLU network. Its first layer learns slowly: the **vanishing
# gradient** problem, which can get worse with every extra layer.

# %%
print("check: sigmoid's first layer gets less than a fifth of its last layer's gradient:",
      norms["sigmoid"][0] < norms["sigmoid"][-1] / 5)
print("check: and less than a third of ReLU's first layer:", norms["sigmoid"][0] < norms["relu"][0] / 3)

# %% [markdown]
# Does that make sigmoid networks learn more slowly? A smaller gradient could be made up
# for by a larger learning rate, so a fair race gives each activation its *own* best
# rate. We train 784-128-256-10 without dropout with each activation and four learning
# rates (SGD with momentum 0.9, 3 epochs on the first 5,000 training images:
# `subset=5000` keeps it quick), and keep for each the rate with the lowest final
# training loss. (We choose by the training loss because the question is how fast each
# one learns; choosing by test accuracy would tune on the test set, see lesson 4.)
#
# **Predict first.** After the first epoch, each at its best rate, which network reads
# more test digits? Write `"relu"` or `"sigmoid"` before you run the training.

# %% tags=["predict"]
my_guess = ...  # "relu" or "sigmoid"

# %% [markdown]
# The race:

# %%
def train_small(model, lr=0.03):
    return fit(model, train, test, epochs=3, optimizer="sgd", lr=lr, momentum=0.9,
               subset=5000, progress=False)


learning_rates = (0.01, 0.03, 0.1, 0.3)
grid = {}
for activation in ("relu", "sigmoid"):
    for lr in learning_rates:
        set_seed(0)
        grid[activation, lr] = train_small(MLP(hidden=(128, 256), activation=activation).to(device), lr)
best_lr = {activation: min(learning_rates, key=lambda lr: grid[activation, lr].train_loss[-1])
           for activation in ("relu", "sigmoid")}
relu_history = grid["relu", best_lr["relu"]]
sigmoid_history = grid["sigmoid", best_lr["sigmoid"]]

# %% [markdown]
# The final training loss of every run, and the best rate of each (the numbers depend
# on your data and device):

# %% tags=["nbval-ignore-output"]
for activation in ("relu", "sigmoid"):
    finals = ", ".join(f"lr {lr}: {grid[activation, lr].train_loss[-1]:.3f}" for lr in learning_rates)
    print(f"{activation:7} final training loss with {finals}")
print("best learning rates:", best_lr)
for name, run in (("ReLU", relu_history), ("sigmoid", sigmoid_history)):
    print(f"test accuracy per epoch, {name} at its best rate:", [round(a, 3) for a in run.test_accuracy])
relu_ahead = all(r < s for r, s in zip(relu_history.train_loss, sigmoid_history.train_loss, strict=True))
assert best_lr["sigmoid"] > best_lr["relu"] and relu_ahead
assert relu_history.test_accuracy[0] > sigmoid_history.test_accuracy[0]
assert grid["relu", 0.03].test_accuracy[0] > grid["sigmoid", 0.03].test_accuracy[0] + 0.05

# %% [markdown]
# How did your guess do?

# %%
first_epoch_winner = "relu" if relu_history.test_accuracy[0] > sigmoid_history.test_accuracy[0] else "sigmoid"
compare_guess(my_guess, first_epoch_winner, choices=("relu", "sigmoid"))

# %% [markdown]
# What the race shows:
#
# - With the *same* rate, 0.03, the sigmoid network is far behind after the first epoch.
# - The sigmoid network wants a larger learning rate than ReLU, to make up for its
#   smaller gradients. Given it, it comes much closer. (Too large a rate does not work
#   either: look at ReLU's final training loss at 0.3, far above the others. Its steps
#   overshoot, as in lesson 2.)
# - Even so, each at its best rate, ReLU has the lower training loss after every epoch,
#   and the higher test accuracy after the first: it learns faster.

# %%
print("check: sigmoid's best rate is larger than ReLU's:", best_lr["sigmoid"] > best_lr["relu"])
print("check: at its best rate, ReLU has the lower training loss after every epoch:", relu_ahead)
print("check: and the higher test accuracy after epoch 1:",
      relu_history.test_accuracy[0] > sigmoid_history.test_accuracy[0])
gap_same_rate = grid["relu", 0.03].test_accuracy[0] - grid["sigmoid", 0.03].test_accuracy[0]
gap_best_rates = relu_history.test_accuracy[0] - sigmoid_history.test_accuracy[0]
print("check: at its own best rate, sigmoid comes closer after epoch 1:", gap_best_rates < gap_same_rate)
print("check: ReLU at 0.3 ends far above its best training loss:",
      grid["relu", 0.3].train_loss[-1] > 2 * grid["relu", best_lr["relu"]].train_loss[-1])

# %% [markdown]
# The two best runs side by side (solid: training, dashed: test):

# %%
names = [f"ReLU, lr {best_lr['relu']}", f"sigmoid, lr {best_lr['sigmoid']}"]
axes = plot_history([relu_history, sigmoid_history], names=names)
axes[0].figure.suptitle("ReLU against sigmoid, each at its best learning rate")
plt.show()

# %% [markdown]
# ## 12. The softmax mistake
#
# Some of the tutorials end their model with a softmax, or a log-softmax, and then use
# `nn.CrossEntropyLoss`. Lesson 2 showed that `CrossEntropyLoss` already applies
# log-softmax to the raw logits. What happens if the model has done it already? We try
# three endings on one image whose true digit is 0, for which the model is very sure it
# is a 0 (logit 10 for digit 0, logit 0 for the other nine):

# %%
label = torch.tensor([0])  # the true digit
sure_and_right = torch.tensor([[10.0, 0, 0, 0, 0, 0, 0, 0, 0, 0]])  # (1, 10) logits
endings = {
    "raw logits (correct)": lambda logits: logits,
    "log_softmax first": lambda logits: F.log_softmax(logits, dim=1),
    "softmax first": lambda logits: F.softmax(logits, dim=1),
}
for name, ending in endings.items():
    print(f"{name:21} loss {F.cross_entropy(ending(sure_and_right), label).item():.4f}")

# %% [markdown]
# **`log_softmax` first gives exactly the same loss.** Log-softmax computes
# `z - log(sum(exp(z)))`. When `z` already holds log-probabilities, `exp(z)` are
# probabilities, which add up to 1, and log(1) = 0: the second log-softmax subtracts 0.
# Applying it twice is the same as applying it once:

# %%
once = F.log_softmax(sure_and_right, dim=1)
print("log_softmax twice == once:", torch.allclose(F.log_softmax(once, dim=1), once))

# %% [markdown]
# So with `log_softmax` first, the loss, its gradients and the training are identical.
# It is redundant and misleading, but not harmful. (A model that ends in `log_softmax`
# should be paired with `nn.NLLLoss`, which is lesson 2's NLL step alone; together they
# make exactly `CrossEntropyLoss`.)
#
# **`softmax` first is the real bug: softmax is applied twice.** The loss now receives
# probabilities between 0 and 1 as if they were logits. Logits that differ by at most 1
# can never make a confident prediction: the second softmax gives the right digit at most
# e / (e + 9) = 0.23, so even this perfect answer gets a loss of -log(0.23) = 1.46
# instead of almost 0. Worse is what happens to the gradients. Here the model is very sure
# of the *wrong* digit, 1; we look at the gradient on the logit of the right digit, 0,
# the push that should correct the mistake:

# %%
sure_and_wrong = torch.tensor([[0.0, 10, 0, 0, 0, 0, 0, 0, 0, 0]], requires_grad=True)
for name, ending in endings.items():
    loss = F.cross_entropy(ending(sure_and_wrong), label)
    gradient = torch.autograd.grad(loss, sure_and_wrong)[0]  # (1, 10)
    print(f"{name:21} loss {loss.item():.4f}, gradient on the right digit {gradient[0, 0].item():.5f}")

# %% [markdown]
# With raw logits, the loss is large (10) and the gradient on the right digit is about
# -1 (negative: raising this logit lowers the loss), a strong push in the right
# direction. With softmax first, the loss barely notices the mistake (2.46) and the
# gradient almost vanishes, 20,000 times weaker: a saturated softmax is flat, like a
# saturated sigmoid (section 11). The model hardly learns from its most confident
# mistakes.
#
# The proof is in training. We wrap the ReLU network of section 11 with each extra ending
# (`nn.Sequential` runs the MLP, then the ending) and train it on the same budget, with
# the same learning rate 0.03 (`train_small`'s default) as the plain ReLU run:

# %%
set_seed(0)
log_softmax_history = train_small(nn.Sequential(MLP(hidden=(128, 256)), nn.LogSoftmax(dim=1)).to(device))
set_seed(0)
softmax_history = train_small(nn.Sequential(MLP(hidden=(128, 256)), nn.Softmax(dim=1)).to(device))

# %% [markdown]
# The numbers (they depend on your data and device): the log-softmax network learns
# exactly like the correct one, the softmax network is clearly worse, and its training
# loss cannot go below 1.46.

# %% tags=["nbval-ignore-output"]
relu_history = grid["relu", 0.03]  # the plain ReLU network at the same rate
histories = {"raw logits": relu_history, "log_softmax": log_softmax_history, "softmax": softmax_history}
for name, run in histories.items():
    print(f"{name:11} final test accuracy {run.test_accuracy[-1]:.3f}, "
          f"final train loss {run.train_loss[-1]:.3f}")
assert abs(log_softmax_history.test_accuracy[-1] - relu_history.test_accuracy[-1]) < 0.01
assert softmax_history.test_accuracy[-1] < relu_history.test_accuracy[-1] - 0.03
assert min(softmax_history.train_loss) > 1.46

# %% [markdown]
# The three runs as curves. The raw-logits and log-softmax curves lie on top of each
# other; the softmax curves are far behind:

# %%
axes = plot_history(list(histories.values()), names=list(histories.keys()))
axes[0].figure.suptitle("The same network with three endings before CrossEntropyLoss")
plt.show()

# %% [markdown]
# So: the model returns **raw logits**, and `CrossEntropyLoss` does the rest. Apply
# `softmax` only when you want to *show* probabilities, after training (lesson 5 does).

# %% [markdown]
# ## Try it live: the training dashboard
#
# Now it is your turn to turn the knobs. The dashboard below trains an MLP with `fit`,
# using the three knobs of this lesson:
#
# - **hidden sizes**: type the sizes of the hidden layers, e.g. `500, 256` or `250, 200`
#   (leave it empty for no hidden layer at all: that is lesson 2's softmax regression);
# - **dropout**: the probability of switching off each hidden unit while training;
# - **activation**: ReLU, sigmoid or tanh.
#
# Release a slider (or press Enter in the text box, or press **Start**) and training starts
# in the background: the notebook stays usable, and the curves are redrawn several times
# per epoch (solid: the latest training batches, dashed with squares: the test set after each
# epoch). Changing a knob while it trains stops that run and starts a new one; **Stop** just
# stops. Earlier runs (finished or stopped) stay on the plot as faint curves labelled with
# their settings, so you can compare runs, and asking for settings you already tried answers
# at once, from memory.
#
# A run trains on 10,000 images for 5 epochs: a few seconds on a laptop's CPU. The knobs on
# the right change that (on the full 60,000 images each epoch takes 6 times longer) and the
# device.
# Nothing trains until you touch it. In a page that only shows the notebook (not running
# it), you see its text instead of the widgets.

# %%
dashboard = TrainingDashboard(
    train,
    test,
    controls=("hidden", "dropout", "activation"),
    defaults={"hidden": (128, 256), "dropout": 0.5, "activation": "relu",
              "optimizer": "sgd+momentum", "lr": 0.05, "epochs": 5, "subset": 10_000},
    device=device,
)
dashboard

# %% [markdown]
# The dashboard can also train without anyone clicking: `run_sync` runs exactly the code the
# **Start** button runs, but here in this cell, and returns the `History` of the run (the
# per-epoch losses and accuracies of `fit`). Its curves appear in the dashboard above. Here
# it trains 784-128-256-10 with dropout 0.5 for 2 epochs.

# %%
history = dashboard.run_sync(hidden=(128, 256), dropout=0.5, activation="relu", epochs=2)
print("epochs:", len(history))
print("test accuracy > 0.8:", history.test_accuracy[-1] > 0.8)

# %% [markdown]
# ## Recap
#
# - Linear layers stacked without an activation are one linear layer (`W2 @ W1`), and a
#   linear model cannot separate XOR. An **activation** such as ReLU after each hidden
#   layer lets the network draw bent borders.
# - An **MLP** is `Linear -> ReLU -> (Dropout) -> ... -> Linear`, with raw logits at the
#   end. 784-128-256-10 learns 136,074 numbers, 784-500-256-10 learns 523,326.
# - **Dropout** switches off random hidden units while training, against overfitting.
#   `model.train()` turns it on, `model.eval()` off: always test in `eval()` mode, inside
#   `torch.no_grad()`.
# - The training loop: for each epoch, `model.train()`, then for each batch of the
#   `DataLoader`: logits, loss, `zero_grad()`, `backward()`, `step()`; then `model.eval()`
#   and the test loss and accuracy. SGD with **momentum** smooths and speeds up the steps.
# - This loop is now `mnist_course.training.fit`, which keeps the whole dataset in one
#   tensor (`TensorBatches`) and so delivers batches much faster than a `DataLoader`
#   that converts every image in Python. The optional appendix A1 measures how much
#   faster, and what that gains for training.
# - 784-250-200-10 reads more than 95% of the test digits after a few seconds of training.
# - In the sigmoid network the gradients shrink on their way back to the first layer
#   (its slope is at most 1/4). It needs a larger learning rate, and even at its best
#   rate it learns more slowly than ReLU.
# - Never put `softmax` before `CrossEntropyLoss` (softmax twice: squashed gradients, slow
#   learning). `log_softmax` before it is redundant but harmless; pair it with `NLLLoss`.

# %% [markdown]
# ## Exercises
#
# Write your answer in each cell marked "your code here" (replace the `...`) and run the
# cell. The check at its end says at once whether your answer is correct, or which
# mistake it sees. **Hint** shows one hint at a time; **Solution** shows a solution, but
# only when you click it. Running the whole notebook never replaces what you wrote.

# %% [markdown]
# **Exercise 3.1.** Work out by hand how many numbers the network 784-250-200-10 learns
# (weights and biases), as section 3 did for 784-128-256-10. Write it as a calculation in
# `by_hand`.

# %% tags=["exercise"]
by_hand = ...  # your code here
check("3.1", by_hand)

# %% [markdown]
# **Exercise 3.2.** Build `no_relu`: the XOR network of section 2 without its `nn.ReLU()`.
# The check trains it with section 2's 300 steps. Can it still learn XOR? The check's
# answer says why.

# %% tags=["exercise"]
no_relu = ...  # your code here
check("3.2", no_relu)

# %% [markdown]
# **Exercise 3.3.** Write `predict_probabilities(model, images)`: it returns the model's
# probabilities for a batch of normalised images, shape `(N, 10)`, each row summing to 1.
# It must give the same answer every time for the same images, even for a model with
# dropout that was left in training mode, and must not record anything for `backward()`.

# %% tags=["exercise"]
def predict_probabilities(model, images):
    ...  # your code here


check("3.3", predict_probabilities)

# %% [markdown]
# **Exercise 3.4.** Write the heart of `train_one_epoch` as a function: `train_step` gets a
# model, a batch (`images`, `labels`), a `loss_fn` and an `optimizer`; it takes one training
# step and returns the batch's loss as a Python number. The check calls it twice in a row
# and compares with two correct SGD steps.

# %% tags=["exercise"]
def train_step(model, images, labels, loss_fn, optimizer):
    ...  # your code here


check("3.4", train_step)
