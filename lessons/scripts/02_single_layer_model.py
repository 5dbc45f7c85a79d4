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
# # Lesson 2: A single-layer model
#
# In this lesson we build our first model that reads handwritten digits. It has a single
# layer: each of the 784 pixels votes for or against each digit. This model is called
# **softmax regression** (or multinomial logistic regression). Simple as it is, it reads
# about 9 digits out of 10 correctly.
#
# We first build everything by hand from plain tensors, so that nothing is hidden. Then we
# replace one piece at a time with the PyTorch tool that does the same job, as in the
# PyTorch tutorial "What is `torch.nn` really?".
#
# **What you will learn**
#
# - a model as plain tensors: `weights` and `bias`, and `x.view(N, -1) @ weights + bias`
# - softmax, log-softmax and the negative log-likelihood (NLL), and why
#   `F.cross_entropy` takes raw scores ("logits")
# - a training loop written by hand: gradients with `loss.backward()`, then a step
#   downhill; first on one batch of 64 images, then on the whole training set
# - the same model as `nn.Linear`, trained with `torch.optim.SGD`
# - how to measure accuracy on the test set, and what the model has learned

# %% [markdown]
# ## Setup
#
# Imports, seed, figure settings and the device, as in lesson 1. The device is where the
# computations run: a GPU (`cuda` or Apple's `mps`) if the computer has one, else the CPU.
# This model is small enough to train in seconds on a CPU.

# %% tags=["nbval-ignore-output", "volatile"]
import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from mnist_course.data import data_source, load_mnist, to_float_images
from mnist_course.env import describe_device, get_device, limit_cpu_threads, set_seed, setup_figures
from mnist_course.exercises import check
from mnist_course.models import SoftmaxRegression, count_parameters
from mnist_course.plots import show_digits, show_weights

set_seed(0)
setup_figures()
device = get_device()
print("CPU threads:", limit_cpu_threads())  # at most the CPUs this machine lets us use
print("device:", describe_device(device))
print("data:", data_source())

# %% [markdown]
# ## 1. The data, ready for a model
#
# We load both splits as tensors (lesson 1) and prepare all images at once with
# `to_float_images`: divide by 255, then subtract the mean 0.1307 and divide by the std
# 0.3081. These are the same numbers `ToTensor` + `Normalize` gave in lesson 1, computed
# for the whole split in one go instead of image by image. Then `.to(device)` moves the
# tensors to the device.

# %%
train = load_mnist("train")
test = load_mnist("test")
train_images = to_float_images(train.images).to(device)  # (N, 1, 28, 28), normalised
train_labels = train.labels.to(device)  # (N,)
test_images = to_float_images(test.images).to(device)  # (10000, 1, 28, 28)
test_labels = test.labels.to(device)  # (10000,)
print("one image:", train_images.shape[1:], train_images.dtype)

# %% [markdown]
# How many training images you have depends on your copy of MNIST (lesson 1, section 3):

# %% tags=["nbval-ignore-output", "volatile"]
print(train.source)
print("training images:", len(train_images), " test images:", len(test_images))

# %% [markdown]
# ## 2. The model by hand
#
# Each image has 28 x 28 = 784 pixels. For every digit, the model has one **weight** per
# pixel and one extra number, the **bias**. Its score for a digit is
#
# > score = pixel 1 x weight 1 + pixel 2 x weight 2 + ... + pixel 784 x weight 784 + bias
#
# A large positive weight means "ink here is evidence for this digit", a negative one
# "ink here is evidence against". The ten scores are called **logits**; the digit with the
# highest logit is the model's answer.
#
# We store the weights as a `(784, 10)` tensor (one column per digit) and the biases as
# a `(10,)` tensor. The weights start random: `torch.randn` draws numbers around 0 with
# spread 1, and dividing by the square root of 784 keeps the first scores at a sensible
# size: a sum of 784 random terms of spread 1 has a spread of about sqrt(784) = 28, and
# dividing the weights by 28 brings it back to about 1. (This is **LeCun
# initialisation**: weights with spread 1 / sqrt(number of inputs).) The biases start
# at 0.
#
# `requires_grad_()` asks PyTorch to record every computation done with these tensors,
# so that it can later work out how to change them (the **gradient**, section 4). We
# call it after the division, so that PyTorch treats `weights` as the starting point
# of the computations, not as the result of one.

# %%
weights = torch.randn(784, 10, device=device) / 784**0.5  # (784, 10): one column per digit
weights.requires_grad_()
bias = torch.zeros(10, device=device, requires_grad=True)  # (10,): one bias per digit
print("weights:", weights.shape, " bias:", bias.shape)

# %% [markdown]
# The model is one line. `x.view(N, -1)` lays each image out as one row of 784 numbers
# (`-1` means "as many as needed": 1 x 28 x 28 = 784). The matrix product `@` then
# computes all ten scores for all N images at once: for each image (a row) and each
# digit (a column of `weights`) it multiplies pixel by weight and adds everything up,
# exactly the score formula above. `+ bias` adds the bias of each digit to every row.

# %%
def hand_model(x):
    N = len(x)  # number of images
    return x.view(N, -1) @ weights + bias  # (N, 784) @ (784, 10) + (10,) -> (N, 10)


# %% [markdown]
# We try it on the first 64 training images: one **batch** (lesson 1). We get 10 logits
# per image.

# %%
images = train_images[:64]  # (64, 1, 28, 28)
labels = train_labels[:64]  # (64,)
logits = hand_model(images)  # (64, 10)
print("logits:", logits.shape)

# %% [markdown]
# ## 3. From logits to a loss: softmax, log-softmax and NLL
#
# To learn, the model needs a **loss**: one number that is small when its answers are
# good and large when they are bad. For classification we use **cross-entropy**, built in
# three steps. We follow them on a tiny example: 3 classes instead of 10, and one image
# whose true class is 0.

# %%
tiny_logits = torch.tensor([2.0, 1.0, 0.1])  # scores for class 0, 1, 2
tiny_label = 0  # the true class

# %% [markdown]
# **Step 1, softmax**: turn the scores into probabilities. Take `exp` of each score
# (exp(x) is 2.718... to the power x: always positive, and larger scores stay larger),
# then divide by their sum (so they add up to 1).

# %%
probabilities = tiny_logits.exp() / tiny_logits.exp().sum()
print("probabilities:", probabilities)
print("they sum to 1:", torch.isclose(probabilities.sum(), torch.tensor(1.0)).item())
print("same as torch.softmax:", torch.allclose(probabilities, torch.softmax(tiny_logits, dim=0)))

# %% [markdown]
# **Step 2, log-softmax**: take the logarithm of the probabilities. A probability close
# to 1 gives a log close to 0; a small probability gives a large negative number.

# %%
log_probabilities = torch.log_softmax(tiny_logits, dim=0)
print("log-probabilities:", log_probabilities)

# %% [markdown]
# **Step 3, negative log-likelihood (NLL)**: pick the log-probability of the true class
# and flip its sign. Here the model gives the true class 0 a probability of 0.659, so the
# loss is -log(0.659) = 0.417. Had the true class been 2 (probability 0.099), the loss
# would be 2.317: the less probable the model finds the right answer, the larger the loss.
#
# PyTorch does all three steps in `F.cross_entropy`, which takes the **raw logits** and
# the class index (lesson 1). It expects a batch, so we make a batch of one image with
# `unsqueeze(0)`, which adds an axis of size 1 in front. We also compare with PyTorch's
# two-step version: `F.log_softmax`, then `F.nll_loss`.

# %%
nll = -log_probabilities[tiny_label]
batch_logits = tiny_logits.unsqueeze(0)  # (1, 3): a batch of one image
batch_label = torch.tensor([tiny_label])  # (1,)
cross_entropy = F.cross_entropy(batch_logits, batch_label)
two_steps = F.nll_loss(F.log_softmax(batch_logits, dim=1), batch_label)
print(f"NLL by hand: {nll.item():.4f}")
print(f"F.cross_entropy: {cross_entropy.item():.4f}")
print("F.cross_entropy == F.nll_loss(F.log_softmax(...)):", torch.allclose(cross_entropy, two_steps))

# %% [markdown]
# **Why does `F.cross_entropy` (and `nn.CrossEntropyLoss`) take raw logits and not
# probabilities?** Because computing softmax first and the log afterwards can break.
# With large scores, `exp` of a very negative number is too small for a float and becomes
# exactly 0, and log(0) is minus infinity. `log_softmax` computes the same value in one
# step, with a rearranged formula that never takes the log of 0:

# %%
big_logits = torch.tensor([100.0, 0.0, -100.0])
print("probability of class 2:", torch.softmax(big_logits, dim=0)[2].item())
print("log(softmax) of class 2:", torch.log(torch.softmax(big_logits, dim=0))[2].item())
print("log_softmax of class 2: ", torch.log_softmax(big_logits, dim=0)[2].item())

# %% [markdown]
# So the model outputs raw logits, with no softmax at its end, and the loss function does
# softmax, log and NLL together. Giving `F.cross_entropy` probabilities instead would
# apply softmax twice: a common mistake that lesson 3 shows.
#
# To see that there is no magic, we write log-softmax and NLL ourselves and compare them
# with `F.cross_entropy` on our batch of 64 images. `logsumexp` computes
# log(sum(exp(...))) safely, the trick from the cell above. In `nll`,
# `log_probabilities[range(N), labels]` picks, in row i, the column `labels[i]`: the
# log-probability of each image's true digit.

# %%
def log_softmax(logits):
    return logits - logits.logsumexp(dim=1, keepdim=True)  # (N, 10)


def nll(log_probabilities, labels):
    N = len(labels)
    return -log_probabilities[range(N), labels].mean()  # average over the batch


loss = nll(log_softmax(logits), labels)
print("same as F.cross_entropy:", torch.allclose(loss, F.cross_entropy(logits, labels)))

# %% [markdown]
# One more measure: **accuracy**, the fraction of images whose highest logit is the right
# digit. `argmax(dim=1)` gives the position of the largest of the 10 logits of each image.

# %%
def accuracy(logits, labels):
    predictions = logits.argmax(dim=1)  # (N,): the digit with the highest score
    correct = (predictions == labels).float()  # (N,): 1.0 where right, 0.0 where wrong
    return correct.mean().item()  # the fraction of right answers


# %% [markdown]
# Before training, the model is guessing. Guessing evenly among 10 digits would give a
# loss of -log(1/10) = 2.30 and an accuracy of about 10%; our random weights give
# numbers near that (they depend on the device and the data):

# %% tags=["nbval-ignore-output"]
print(f"loss {loss.item():.3f}, accuracy {accuracy(logits, labels):.3f}")
assert 1.5 < loss.item() < 4

# %% [markdown]
# > **A bug we fixed: unscaled `torch.randn` weights.** One tutorial starts from
# > `weights = torch.randn(784, 10)`, without the division by sqrt(784). Each score is
# > then a sum of 784 random terms with a spread of about 28, so the untrained model is
# > already extremely sure of random answers, and its first loss is huge instead of
# > about 2.3. Training has to undo that before it can learn anything. The fix is the
# > `/ 784**0.5` above. The same 64 images with unscaled weights:

# %%
unscaled_logits = images.view(64, -1) @ torch.randn(784, 10, device=device)  # (64, 10)
unscaled_loss = F.cross_entropy(unscaled_logits, labels).item()
print("check: the first loss is more than 5 times larger:", unscaled_loss > 5 * loss.item())

# %% [markdown]
# ## 4. Training by hand, on one batch
#
# Training means changing the weights a little, many times, so that the loss goes down.
#
# 1. `loss.backward()` computes the **gradient**: for every weight and bias, how much
#    the loss would go up if that number went up a little. PyTorch stores it in
#    `weights.grad` and `bias.grad`.
# 2. We take a small step the other way: `weights -= lr * weights.grad`. The **learning
#    rate** `lr` sets the size of the step (`a -= b` means "replace `a` by `a - b`").
#    This is **gradient descent**: walking downhill on the loss, one small step at a time.
#    We do the step inside `with torch.no_grad():` because the step itself is not part of
#    the model: PyTorch should not record it.
# 3. We set the gradients back to zero with `.zero_()`: `backward()` *adds* to
#    `.grad`, so old gradients would pile up.
#
# First we train 50 steps on the same 64 images. A model that cannot even fit 64 images
# has a bug, so this is a quick check before a longer run.

# %%
lr = 0.05  # learning rate
losses = []
for _ in range(50):  # 50 steps; `_` is the usual name for a counter we do not use
    loss = F.cross_entropy(hand_model(images), labels)
    loss.backward()
    with torch.no_grad():
        weights -= lr * weights.grad
        bias -= lr * bias.grad
        weights.grad.zero_()
        bias.grad.zero_()
    losses.append(loss.item())

# %% [markdown]
# Did it work? The last loss should be far below the first one:

# %%
print("loss went down:", losses[-1] < losses[0] / 4)
assert losses[-1] < losses[0] / 4

# %% [markdown]
# The loss after every step, as a curve:

# %%
plt.plot(losses)
plt.title("Training on one batch of 64 images")
plt.xlabel("step")
plt.ylabel("loss (cross-entropy)")
plt.show()

# %% [markdown]
# But the model has only learned *these* 64 images. On the 10,000 test images, which it
# has never seen, it does much worse: 64 examples are not enough to learn what makes
# a digit a 3 or a 7.

# %% tags=["nbval-ignore-output"]
with torch.no_grad():
    batch_accuracy = accuracy(hand_model(images), labels)
    test_accuracy = accuracy(hand_model(test_images), test_labels)
print(f"accuracy on the 64 training images: {batch_accuracy:.3f}")
print(f"accuracy on the test images:        {test_accuracy:.3f}")
assert test_accuracy < batch_accuracy - 0.2

# %% [markdown]
# ## 5. Training by hand, on the whole training set
#
# Now the real training. We start again from fresh random weights, and go through the
# training set in batches of 64 by slicing: images `0:64`, then `64:128`, and so on.
# The last slice is simply shorter when the number of images is not a multiple of 64.
# One pass over all the training images is called an **epoch**; we train for 3 epochs and
# measure the test accuracy after each one. (We visit the images in the same order every
# epoch; that is fine here because MNIST's files are already mixed. Section 6 shuffles.)

# %%
set_seed(0)
weights = torch.randn(784, 10, device=device) / 784**0.5
start_weights = weights.clone()  # kept to see later how far training moved them
weights.requires_grad_()
bias = torch.zeros(10, device=device, requires_grad=True)

# %% [markdown]
# `hand_model` uses `len(x)` for N, so the shorter last slice works.
#
# > **A bug we fixed: `imgs.reshape(64, -1)`.** One tutorial flattens its batches with
# > the batch size written in: `reshape(imgs, (64, -1))`. That only works when every
# > batch has exactly 64 images, that is with a `DataLoader(..., drop_last=True)`
# > (lesson 3). On a last batch of, say, 16 images, `-1` makes the rows 16 x 784 / 64 =
# > 196 numbers long instead of 784: each row holds a quarter of an image, and the
# > next layer fails with a shape error. The fix: `len(x)` for N (as in `hand_model`),
# > or `nn.Flatten()`, which work whatever the batch size.

# %%
last_batch = torch.zeros(16, 1, 28, 28)  # a smaller last batch
print("reshape(64, -1) of 16 images:", tuple(last_batch.reshape(64, -1).shape))
print("check: view(len(x), -1) keeps 784 per image:", last_batch.view(len(last_batch), -1).shape[1] == 784)

# %% [markdown]
# The loop is the one from section 4, with an outer loop over epochs and an inner loop
# over the batches. With the offline copy (10,000 images) an epoch has 157 batches; with
# the full 60,000 images it has 938, so every epoch teaches the model more.

# %%
epochs = 3
batch_size = 64
test_accuracies = []
for _ in range(epochs):
    for start in range(0, len(train_images), batch_size):
        images = train_images[start : start + batch_size]  # (64, 1, 28, 28)
        labels = train_labels[start : start + batch_size]  # (64,)
        loss = F.cross_entropy(hand_model(images), labels)
        loss.backward()
        with torch.no_grad():
            weights -= lr * weights.grad
            bias -= lr * bias.grad
            weights.grad.zero_()
            bias.grad.zero_()
    with torch.no_grad():
        test_accuracies.append(accuracy(hand_model(test_images), test_labels))

# %% [markdown]
# The test accuracy after each epoch (the exact numbers depend on your data and device):

# %% tags=["nbval-ignore-output"]
print("test accuracy after each epoch:", [round(a, 4) for a in test_accuracies])
assert test_accuracies[-1] >= 0.85

# %% [markdown]
# About 9 test digits out of 10 are right, with one layer and a few seconds of training.
#
# What has the model learned? Each column of `weights` holds 784 numbers, one per pixel:
# we can draw it as a 28x28 image. Red pixels are evidence *for* the digit, blue ones
# evidence *against*. You can often see the digit's shape in red, for example a ring for
# 0, and blue where that digit usually has no ink (the middle of the 0).
#
# The speckles all over the pictures are left over from the random starting weights.
# Pixels near the border are background in every image, so they cannot help tell digits
# apart, and training leaves their random differences as they were. (Exercise 4 starts
# from zero weights instead.)

# %%
show_weights(weights)
plt.show()

# %% [markdown]
# Do the border weights stay where they started, then? No. Background is 0 in the file,
# but after normalising it is (0 - 0.1307) / 0.3081 = -0.42, and every training image
# gives those pixels that same input. So each of their weights gets the same gradient,
# -0.42 times the gradient of the digit's bias, at every step: they all move together,
# by -0.42 times what the bias moved. They act like a second bias. Their random
# differences stay, all shifted by the same amount for each digit: that shift is the
# tint of the borders in the pictures. We check it on the pixels that are 0 in every
# training image:

# %%
always_background = (train.images == 0).all(dim=0).flatten().to(device)  # (784,): True or False
moved = (weights - start_weights).detach()[always_background]  # (number of such pixels, 10)
background = train_images.min().item()  # -0.42: the normalised background
print("check: all those weights of a digit moved by the same amount:",
      torch.allclose(moved, moved[0].expand_as(moved), atol=1e-6))
print("check: by -0.42 times the bias:", torch.allclose(moved[0], background * bias.detach(), rtol=1e-3))
print("check: and they did move:", bool((moved[0].abs() > 1e-4).all()))

# %% [markdown]
# ### A learning rate that is too large
#
# How large may the learning rate be? We train one epoch from the same random weights
# with our `lr = 0.05` and with a 100 times larger one, `lr = 5`, and record the loss of
# every batch. (The function is the loop above, with its own `w` and `b`.)

# %%
def one_epoch_by_hand(lr):
    set_seed(0)
    w = (torch.randn(784, 10, device=device) / 784**0.5).requires_grad_()
    b = torch.zeros(10, device=device, requires_grad=True)
    batch_losses = []
    for start in range(0, len(train_images), batch_size):
        x = train_images[start : start + batch_size]  # (64, 1, 28, 28)
        loss = F.cross_entropy(x.view(len(x), -1) @ w + b, train_labels[start : start + batch_size])
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
            w.grad.zero_()
            b.grad.zero_()
        batch_losses.append(loss.item())
    with torch.no_grad():
        return batch_losses, accuracy(test_images.view(len(test_images), -1) @ w + b, test_labels)


small_losses, small_accuracy = one_epoch_by_hand(0.05)
big_losses, big_accuracy = one_epoch_by_hand(5.0)

# %% [markdown]
# With `lr = 5` the loss does not fall, it **grows**: each step jumps so far past the
# bottom of the loss that it lands higher up on the other side. Within a few steps the
# loss is many times larger than at the start, and it stays far above the 2.3 of an
# untrained model until the end of the epoch (a log scale on the vertical axis shows
# both curves):

# %%
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(small_losses, label="lr = 0.05")
ax.plot(big_losses, label="lr = 5")
ax.set_yscale("log")
ax.set_xlabel("batch")
ax.set_ylabel("loss (log scale)")
ax.set_title("One epoch with two learning rates")
ax.legend(loc="upper left", bbox_to_anchor=(1, 1))
plt.show()

# %% [markdown]
# The last 20 batches on average, and the test accuracy after the epoch (the numbers
# depend on your data and device):

# %% tags=["nbval-ignore-output"]
late_small, late_big = sum(small_losses[-20:]) / 20, sum(big_losses[-20:]) / 20
print(f"lr = 0.05: loss {late_small:.2f}, test accuracy {small_accuracy:.3f}")
print(f"lr = 5:    loss {late_big:.2f}, test accuracy {big_accuracy:.3f}")
assert late_big > 2 * big_losses[0] and late_small < small_losses[0] / 4 and big_accuracy < small_accuracy

# %% [markdown]
# Surprisingly, `lr = 5` still gets most test digits right. Its scores are huge, so the
# highest one is often still the right digit, but every mistake is made with enormous
# confidence and costs a huge loss. The loss is what training minimises, and it went the
# wrong way: this training **diverges**. In the checks:

# %%
print("check: with lr = 5 the loss ends more than twice as high as it started:", late_big > 2 * big_losses[0])
print("check: with lr = 0.05 it ends below a quarter of where it started:", late_small < small_losses[0] / 4)
print("check: lr = 5 reads fewer test digits right:", big_accuracy < small_accuracy)

# %% [markdown]
# ## 6. The same model with `torch.nn`
#
# Now we replace our hand-made pieces with PyTorch's, one at a time:
#
# | by hand | PyTorch |
# | --- | --- |
# | `weights`, `bias`, `x.view(N, -1) @ weights + bias` | `nn.Linear(784, 10)` |
# | `F.cross_entropy(logits, labels)` | `loss_fn = nn.CrossEntropyLoss()` (the same function) |
# | `weights -= lr * weights.grad`, `.zero_()` | `optimizer.step()`, `optimizer.zero_grad()` (SGD) |
# | slicing `train_images[start : start + 64]` | `DataLoader(TensorDataset(...))`: shuffled batches |
#
# The course package has the model ready as `SoftmaxRegression` in
# `mnist_course/models.py`. Its whole code is:
#
# ```python
# class SoftmaxRegression(nn.Module):
#     def __init__(self):
#         super().__init__()
#         self.linear = nn.Linear(28 * 28, 10)
#
#     def forward(self, x):
#         return self.linear(x.reshape(len(x), -1))
# ```
#
# An `nn.Module` keeps its weights for us, and `forward` says what to compute:
# `model(images)` calls it. `nn.Linear(784, 10)` holds a weight and a bias and computes
# `x @ weight.T + bias`. It stores the weight as `(10, 784)`, one row per digit: our
# `weights` turned on its side (`.T`, transposed).

# %%
model = SoftmaxRegression().to(device)
print(model)
print("weight:", model.linear.weight.shape, " bias:", model.linear.bias.shape)
print("numbers to learn:", count_parameters(model))  # 784 * 10 weights + 10 biases

# %% [markdown]
# To check that it really is the same model, we copy our trained `weights` and `bias`
# into it. It then gives the same logits as `hand_model`, up to tiny rounding differences:

# %%
with torch.no_grad():
    model.linear.weight.copy_(weights.T)  # (10, 784)
    model.linear.bias.copy_(bias)  # (10,)
    same = torch.allclose(model(test_images), hand_model(test_images), atol=1e-3)
print("same logits as hand_model:", same)

# %% [markdown]
# Now we train it from scratch the PyTorch way. First the pieces:
#
# - a fresh `SoftmaxRegression` (new random weights; `nn.Linear` draws them in its own
#   way, similar in size to ours);
# - `loss_fn`: cross-entropy as an object, the usual PyTorch style;
# - `optimizer`: stochastic gradient descent (**SGD**, "stochastic" because each step
#   uses a random batch instead of all the data) over `model.parameters()`, the model's
#   weights and biases, with the same learning rate as before;
# - `train_loader`: PyTorch's `TensorDataset` pairs our two tensors (sample i is image i
#   with label i), and lesson 1's `DataLoader` does our slicing for us: batches of 64,
#   shuffled into a new order every epoch. These two work for any data you have as
#   tensors. (Lesson 3 measures a faster helper of the course, `TensorBatches`.)

# %%
set_seed(0)
model = SoftmaxRegression().to(device)
loss_fn = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=lr)
train_loader = DataLoader(TensorDataset(train_images, train_labels), batch_size=64, shuffle=True)

# %% [markdown]
# The training loop becomes short. `optimizer.step()` does
# `parameter -= lr * parameter.grad` for every parameter (inside `no_grad`), and
# `optimizer.zero_grad()` resets all the gradients.

# %%
for _ in range(epochs):
    for images, labels in train_loader:  # (64, 1, 28, 28), (64,)
        loss = loss_fn(model(images), labels)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()

# %% [markdown]
# ## 7. Accuracy on the test set
#
# We measure on the test images, which the model never trained on. `torch.no_grad()`
# tells PyTorch not to record anything: we only measure, we do not train.

# %% tags=["nbval-ignore-output"]
with torch.no_grad():
    test_accuracy = accuracy(model(test_images), test_labels)
print(f"test accuracy: {test_accuracy:.4f}")
assert test_accuracy >= 0.88

# %% [markdown]
# The exact number depends on your data (the offline copy trains on 10,000 images, the
# full set on 60,000, which gives a slightly better model) and on your device, so the
# cell checks a threshold instead:

# %%
print("accuracy >= 0.88:", test_accuracy >= 0.88)

# %% [markdown]
# The model's answers for the first nine test images:

# %%
with torch.no_grad():
    predictions = model(test_images[:9]).argmax(dim=1)  # (9,)
show_digits(test.images[:9], test.labels[:9], predictions, title="First nine test images")
plt.show()

# %% [markdown]
# ## What comes next
#
# Lesson 3 writes this training loop once more, for bigger models: batches from a
# `DataLoader`, SGD with momentum, and `model.train()` / `model.eval()`. After that, the
# loop lives in the course package as `mnist_course.training.fit`, and later lessons
# call it instead of writing it again.

# %% [markdown]
# ## Recap
#
# - Softmax regression: one weight per pixel and digit plus one bias per digit,
#   `x.view(N, -1) @ weights + bias`, 7,850 numbers in all. Its outputs are 10 **logits**.
# - Softmax turns logits into probabilities; log-softmax takes their log safely; NLL picks
#   minus the log-probability of the true class. `F.cross_entropy` / `nn.CrossEntropyLoss`
#   does all three, so it takes **raw logits**, never probabilities.
# - A training step: loss, `loss.backward()` (gradients), a step `w -= lr * w.grad`
#   inside `torch.no_grad()`, then zero the gradients. First check that the model can fit
#   one batch, then train on all the data, epoch after epoch. Too large a learning rate
#   (here 5) makes the loss grow instead of fall.
# - `DataLoader(TensorDataset(images, labels), batch_size=64, shuffle=True)` gives
#   shuffled batches of any data held in tensors.
# - `nn.Linear` + `torch.optim.SGD` is the same model and the same training, with
#   less code. On the test set it reads about 9 digits out of 10.
# - Drawing each digit's weights as an image shows what the model looks for.

# %% [markdown]
# ## Exercises
#
# Write your answer in each cell marked "your code here" (replace the `...`) and run the
# cell. The check at its end says at once whether your answer is correct, or which
# mistake it sees. **Hint** shows one hint at a time; **Solution** shows a solution, but
# only when you click it. Running the whole notebook never replaces what you wrote.

# %% [markdown]
# **Exercise 2.1.** Write `softmax` yourself: it takes logits of shape `(N, C)` (one row per
# image) and returns probabilities of the same shape, each row summing to 1. Make it safe
# for huge logits such as 1000: softmax only cares about the *differences* between logits
# (adding 100 to each of `tiny_logits` changes no probability), so subtracting each row's
# largest logit first changes nothing, and keeps `exp` from overflowing. The check compares
# your function with `torch.softmax(logits, dim=1)` on the tiny example, on MNIST logits and
# on huge logits.

# %% tags=["exercise"]
def softmax(logits):
    ...  # your code here


check("2.1", softmax)

# %% [markdown]
# **Exercise 2.2.** Which digits does a model read best? Write `accuracy_per_digit`: given
# the predicted digits and the true labels of some images (two `(N,)` tensors), it returns
# 10 numbers, the accuracy on the images of each true digit 0..9. Then try it on the
# hand-made model: `accuracy_per_digit(hand_model(test_images).argmax(dim=1), test_labels)`
# (draw it with `plt.bar(range(10), ...)`).

# %% tags=["exercise"]
def accuracy_per_digit(predictions, labels):
    ...  # your code here


check("2.2", accuracy_per_digit)

# %% [markdown]
# **Exercise 2.3.** Write one training step of section 4 as a function: `train_step` gets
# a batch (`images`, `labels`), the hand-made model's `weights` and `bias` and the learning
# rate `lr`; it computes the loss, the gradients, takes one step downhill (changing
# `weights` and `bias` in place), leaves the gradients at zero, and returns the loss as a
# Python number.

# %% tags=["exercise"]
def train_step(images, labels, weights, bias, lr):
    ...  # your code here


check("2.3", train_step)

# %% [markdown]
# **Exercise 2.4.** The weight images of section 5 are speckled with the random starting
# weights. Make a start from zeros instead: `start_weights` of shape `(784, 10)` and
# `start_bias` of shape `(10,)`, all zeros, both ready for gradients. Then set
# `weights, bias = start_weights, start_bias`, run section 5's loop again and draw
# `show_weights(weights)`: why are the pictures so much clearer? (Starting from zeros works
# for this one-layer model; networks with hidden layers, lesson 3, need random starting
# weights, or all their hidden units would stay identical.)

# %% tags=["exercise"]
start_weights = ...  # your code here
start_bias = ...  # your code here
check("2.4", start_weights, start_bias=start_bias)
