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
# **Time:** about 50 minutes.
#
# Our first model that reads handwritten digits has a single layer: each of the 784
# pixels votes for or against each digit. It is called **softmax regression**. We build it
# by hand from plain tensors, so that nothing is hidden, then replace one piece at a time
# with the PyTorch tool that does the same job, as in the PyTorch tutorial "What is
# `torch.nn` really?".
#
# **What you will learn**
#
# - a model as plain tensors: `x.view(N, -1) @ weights + bias`
# - softmax, log-softmax, the negative log-likelihood (NLL), and why `F.cross_entropy`
#   takes raw scores ("logits")
# - a training loop by hand, on one batch of 64 images, then on the whole training set
# - the same model as `nn.Linear`, trained with `torch.optim.SGD`
# - test accuracy, and what the model has learned

# %% [markdown]
# ## Setup
#
# The imports, then `setup()` as in lesson 1. The device it picks is where the
# computations run: a GPU (`cuda` or Apple's `mps`) if there is one, else the CPU. This
# model trains in seconds on a CPU.

# %% tags=["nbval-ignore-output", "volatile"]
import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from mnist_course.data import load_mnist, to_float_images
from mnist_course.env import set_seed, setup
from mnist_course.exercises import check, compare_guess
from mnist_course.models import SoftmaxRegression, count_parameters
from mnist_course.plots import show_digits, show_weights

device = setup()

# %% [markdown]
# ## 1. The data, ready for a model
#
# We load both splits as tensors (lesson 1) and prepare all images at once with
# `to_float_images`: divide by 255, subtract the mean 0.1307, divide by the std 0.3081,
# as `ToTensor` + `Normalize` did in lesson 1. `.to(device)` moves the tensors to the device.

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
# The weights are a `(784, 10)` tensor (one column per digit), the biases a `(10,)`
# tensor. The weights start random: `torch.randn` draws numbers around 0 with spread 1. A
# sum of 784 such terms has a spread of about sqrt(784) = 28, so we divide the weights
# by 28 to keep the first scores at a sensible size (**LeCun initialisation**). The
# biases start at 0.
#
# `requires_grad_()` asks PyTorch to record every computation done with these tensors,
# so that it can work out how to change them (the **gradient**, section 4). We call it
# after the division, so that `weights` is the starting point of the computations.

# %%
weights = torch.randn(784, 10, device=device) / 784**0.5  # (784, 10): one column per digit
weights.requires_grad_()
bias = torch.zeros(10, device=device, requires_grad=True)  # (10,): one bias per digit
print("weights:", weights.shape, " bias:", bias.shape)

# %% [markdown]
# The model is one line. `x.view(N, -1)` lays each image out as one row of 784 numbers
# (`-1`: "as many as needed"). The matrix product `@` then computes all ten scores for
# all N images at once: for each image (a row) and digit (a column of `weights`) it
# multiplies pixel by weight and adds up, the formula above. `+ bias` adds each digit's bias.
#
# We try it on the first 64 training images, one **batch** (lesson 1): 10 logits per image.

# %%
def hand_model(x):
    N = len(x)  # number of images
    return x.view(N, -1) @ weights + bias  # (N, 784) @ (784, 10) + (10,) -> (N, 10)


images = train_images[:64]  # (64, 1, 28, 28)
labels = train_labels[:64]  # (64,)
logits = hand_model(images)  # (64, 10)
print("logits:", logits.shape)

# %% [markdown]
# ## 3. From logits to a loss: softmax, log-softmax and NLL
#
# To learn, the model needs a **loss**: one number, small when its answers are good and
# large when they are bad. For classification it is **cross-entropy**, built in three
# steps, which we follow on a tiny example: 3 classes, one image of class 0.
#
# **Step 1, softmax**: turn the scores into probabilities. Take `exp` of each score
# (always positive, and larger scores stay larger), then divide by their sum (so they
# add up to 1). **Step 2, log-softmax**: take the logarithm of the probabilities. A
# probability close to 1 gives a log close to 0; a small one a large negative number.

# %%
tiny_logits = torch.tensor([2.0, 1.0, 0.1])  # scores for class 0, 1, 2
tiny_label = 0  # the true class
probabilities = tiny_logits.exp() / tiny_logits.exp().sum()
print("probabilities:", probabilities, f" sum: {probabilities.sum().item():.4f}")
print("same as torch.softmax:", torch.allclose(probabilities, torch.softmax(tiny_logits, dim=0)))
log_probabilities = torch.log_softmax(tiny_logits, dim=0)
print("log-probabilities:", log_probabilities)

# %% [markdown]
# **Step 3, negative log-likelihood (NLL)**: pick the log-probability of the true class
# and flip its sign. Here the model gives the true class 0 a probability of 0.659, so the
# loss is -log(0.659) = 0.417. Had the true class been 2 (probability 0.099), the loss
# would be 2.317: the less probable the model finds the right answer, the larger the loss.
#
# `F.cross_entropy` does all three steps: it takes the **raw logits** and the class
# index. It expects a batch, so `unsqueeze(0)` makes a batch of one image. PyTorch's
# two-step version is `F.log_softmax`, then `F.nll_loss`.

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
# So the model outputs raw logits, and the loss does softmax, log and NLL together.
# Giving `F.cross_entropy` probabilities would apply softmax twice (lesson 3a shows it).
#
# No magic: we write log-softmax and NLL ourselves for our batch of 64 images.
# `logsumexp` computes log(sum(exp(...))) safely. `log_probabilities[range(N), labels]`
# picks, in row i, the column `labels[i]`: the log-probability of each true digit.

# %%
def log_softmax(logits):
    return logits - logits.logsumexp(dim=1, keepdim=True)  # (N, 10)


def nll(log_probabilities, labels):
    N = len(labels)
    return -log_probabilities[range(N), labels].mean()  # average over the batch


loss = nll(log_softmax(logits), labels)
print("same as F.cross_entropy:", torch.allclose(loss, F.cross_entropy(logits, labels)))

# %% [markdown]
# **Exercise 2.1.** (As in lesson 1: replace the `...` and run the cell.) Write `softmax`
# yourself: it takes logits of shape `(N, C)` (one row per image) and returns
# probabilities of the same shape, each row summing to 1. Make it safe for huge logits
# such as 1000: softmax only cares about the *differences* between logits (adding 100 to
# each of `tiny_logits` changes no probability), so subtracting each row's largest logit
# first changes nothing, and keeps `exp` from overflowing. The check compares your
# function with `torch.softmax(logits, dim=1)` on the tiny example, on MNIST logits and on
# huge logits.

# %% tags=["exercise"]
def softmax(logits):
    ...  # your code here


check("2.1", softmax)

# %% [markdown]
# ## 4. Training by hand, on one batch
#
# One more measure: **accuracy**, the fraction of images whose highest logit is the right
# digit. `argmax(dim=1)` gives the position of the largest of the 10 logits of each image.
#
# **Predict first.** Our model has not learned anything yet: its weights are random.
# What fraction of the 64 images will it read right? Write a number between 0 and 1 in
# `my_guess`, then run the cell after it.

# %% tags=["predict"]
my_guess = ...  # a number between 0 and 1

# %% tags=["nbval-ignore-output", "volatile"]
def accuracy(logits, labels):
    predictions = logits.argmax(dim=1)  # (N,): the digit with the highest score
    correct = (predictions == labels).float()  # (N,): 1.0 where right, 0.0 where wrong
    return correct.mean().item()  # the fraction of right answers


print(f"loss {loss.item():.3f}, accuracy {accuracy(logits, labels):.3f}")
compare_guess(my_guess, accuracy(logits, labels), tolerance=0.05)

# %% [markdown]
# The untrained model is guessing: guessing evenly among 10 digits gives about 10% right
# and a loss of -log(1/10) = 2.30, near what we get.
#
# > **A bug we fixed: unscaled `torch.randn` weights.** One tutorial starts from
# > `weights = torch.randn(784, 10)`, without the division by sqrt(784). Its scores then
# > have a spread of about 28: the untrained model is extremely sure of random answers,
# > and its first loss is many times larger than 2.3, which training must undo first.
# > The same 64 images with unscaled weights:

# %% tags=["nbval-ignore-output", "volatile"]
unscaled_logits = images.view(64, -1) @ torch.randn(784, 10, device=device)  # (64, 10)
unscaled_loss = F.cross_entropy(unscaled_logits, labels).item()
print(f"first loss: {unscaled_loss:.1f} unscaled, {loss.item():.1f} scaled")

# %% [markdown]
# Training changes the weights a little, many times, so that the loss goes down:
#
# 1. `loss.backward()` computes the **gradient**: for every weight and bias, how much
#    the loss would go up if that number went up a little (in `weights.grad`, `bias.grad`).
# 2. A small step the other way: `weights -= lr * weights.grad`, where the **learning
#    rate** `lr` sets the size of the step. This is **gradient descent**: walking downhill
#    on the loss. The step is not part of the model, so it runs inside
#    `with torch.no_grad():` and PyTorch does not record it.
# 3. `.zero_()` resets the gradients: `backward()` *adds* to `.grad`.
#
# First, 50 steps on the same 64 images: a model that cannot even fit 64 images has a
# bug. The plot shows the loss after every step.

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
plt.plot(losses)
plt.title("Training on one batch of 64 images")
plt.xlabel("step")
plt.ylabel("loss (cross-entropy)")
plt.show()

# %% [markdown]
# The loss falls to a small fraction of where it started. But the model has only learned
# *these* 64 images. On the 10,000 test images, which it has never seen, it does much
# worse: 64 examples are not enough to learn what makes a digit a 3 or a 7.

# %% tags=["nbval-ignore-output", "volatile"]
with torch.no_grad():
    batch_accuracy = accuracy(hand_model(images), labels)
    unseen_accuracy = accuracy(hand_model(test_images), test_labels)
print(f"accuracy on the 64 training images: {batch_accuracy:.3f}")
print(f"accuracy on the test images:        {unseen_accuracy:.3f}")

# %% [markdown]
# **Exercise 2.2.** Write one training step of this section as a function: `train_step` gets
# a batch (`images`, `labels`), the hand-made model's `weights` and `bias` and the learning
# rate `lr`; it computes the loss, the gradients, takes one step downhill (changing
# `weights` and `bias` in place), leaves the gradients at zero, and returns the loss as a
# Python number.

# %% tags=["exercise"]
def train_step(images, labels, weights, bias, lr):
    ...  # your code here


check("2.2", train_step)

# %% [markdown]
# ## 5. Training by hand, on the whole training set
#
# Now the real training, from fresh random weights, through the training set in batches
# of 64 by slicing: images `0:64`, then `64:128`, and so on. One pass over all the
# training images is an **epoch**; we train 3 epochs and measure the test accuracy after
# each. (The order is the same every epoch; MNIST's files are already mixed.)

# %%
set_seed(0)
weights = torch.randn(784, 10, device=device) / 784**0.5  # (784, 10)
weights.requires_grad_()
bias = torch.zeros(10, device=device, requires_grad=True)  # (10,)

# %% [markdown]
# The last slice is shorter when the number of images is not a multiple of 64;
# `hand_model` uses `len(x)` for N, so that works.
#
# > **A bug we fixed: `imgs.reshape(64, -1)`.** One tutorial writes the batch size in:
# > `reshape(imgs, (64, -1))`. On a last batch of 16 images, `-1` then makes rows of
# > 16 x 784 / 64 = 196 numbers, a quarter of an image each, and the next layer fails
# > with a shape error. The fix: `len(x)` for N, or `nn.Flatten()`.

# %%
last_batch = torch.zeros(16, 1, 28, 28)  # a smaller last batch
print("reshape(64, -1) of 16 images:", tuple(last_batch.reshape(64, -1).shape))
print("view(len(x), -1) of 16 images:", tuple(last_batch.view(len(last_batch), -1).shape))

# %% [markdown]
# The loop of section 4, inside a loop over epochs. An epoch has 157 batches with the
# offline copy (10,000 images), 938 with the full 60,000.

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
# The test accuracy after each epoch (it depends on your data and device):

# %% tags=["nbval-ignore-output", "volatile"]
print("test accuracy after each epoch:", [round(a, 4) for a in test_accuracies])

# %% [markdown]
# About 9 test digits out of 10 are right, with one layer and a few seconds of training.
#
# What has the model learned? Each column of `weights` holds one number per pixel: we
# draw it as a 28x28 image. Red is evidence *for* the digit, blue *against*. You can
# often see the digit's shape in red (a ring for 0) and blue where it has no ink.
#
# The speckles are left over from the random starting weights. Pixels near the border
# are background in every image: after normalising always -0.42, so all the border
# weights of a digit get the same gradient and move together, like a second bias. Their
# random differences stay, and the shared shift tints the border of each picture.

# %%
show_weights(weights)
plt.show()

# %% [markdown]
# **Exercise 2.3.** Make a start without speckles, from zeros: `start_weights` of shape
# `(784, 10)` and `start_bias` of shape `(10,)`, all zeros, both ready for gradients.
# Once the check says correct, train from them, on the device of the images (mixing
# devices is an error on a GPU):
#
# ```python
# weights = start_weights.detach().to(device).requires_grad_()
# bias = start_bias.detach().to(device).requires_grad_()
# ```
#
# run this section's training loop again and draw `show_weights(weights)`: why are the
# pictures so much clearer? (Starting from zeros works for this one-layer model; networks
# with hidden layers, lesson 3a, need random starting weights, or all their hidden units
# would stay identical.)

# %% tags=["exercise"]
start_weights = ...  # your code here
start_bias = ...  # your code here
check("2.3", start_weights, start_bias=start_bias)

# %% [markdown]
# ### A learning rate that is too large
#
# We train one epoch from the same random weights with `lr = 0.05` and with a 100 times
# larger `lr = 5`, recording the loss of every batch (the loop above, with its own `w`, `b`).

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
# Both curves (log scale), then the mean loss of the last 20 batches and the test
# accuracy (they depend on your data and device):

# %% tags=["nbval-ignore-output", "volatile"]
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(small_losses, label="lr = 0.05")
ax.plot(big_losses, label="lr = 5")
ax.set_yscale("log")
ax.set(xlabel="batch", ylabel="loss (log scale)", title="One epoch with two learning rates")
ax.legend(loc="upper left", bbox_to_anchor=(1, 1))
plt.show()
late_small, late_big = sum(small_losses[-20:]) / 20, sum(big_losses[-20:]) / 20
print(f"lr = 0.05: loss {late_small:.2f}, test accuracy {small_accuracy:.3f}")
print(f"lr = 5:    loss {late_big:.2f}, test accuracy {big_accuracy:.3f}")

# %% [markdown]
# With `lr = 5` the loss does not fall. In the first steps it **jumps up** to many times
# where it started: each step goes so far past the bottom that it lands higher up on the
# other side. Then it drops back somewhat and bounces around to the end of the epoch,
# on average far above `lr = 0.05`'s loss and above the 2.3 of even guessing.
#
# Surprisingly, `lr = 5` still reads most test digits right, only fewer than
# `lr = 0.05`: its scores are huge, so the highest is often still the right digit, but
# every mistake is made with enormous confidence and costs a huge loss.

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
# `mnist_course/models.py`. Its code, in short:
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
# An `nn.Module` keeps its weights, and `forward` says what to compute: `model(images)`
# calls it. `nn.Linear(784, 10)` computes `x @ weight.T + bias`, its weight stored as
# `(10, 784)`: our `weights` transposed (`.T`). Copied into it, our trained `weights`
# and `bias` give the same logits as `hand_model`, up to rounding.

# %%
model = SoftmaxRegression().to(device)
print(model)
print("weight:", model.linear.weight.shape, " bias:", model.linear.bias.shape)
print("numbers to learn:", count_parameters(model))  # 784 * 10 weights + 10 biases
with torch.no_grad():
    model.linear.weight.copy_(weights.T)  # (10, 784)
    model.linear.bias.copy_(bias)  # (10,)
    same = torch.allclose(model(test_images), hand_model(test_images), atol=1e-3)
print("same logits as hand_model:", same)

# %% [markdown]
# Now we train it from scratch the PyTorch way:
#
# - a fresh `SoftmaxRegression` (`nn.Linear` draws its own random weights);
# - `loss_fn`: cross-entropy as an object, the usual PyTorch style;
# - `optimizer`: stochastic gradient descent (**SGD**: each step uses a random batch)
#   over `model.parameters()`, with the same learning rate;
# - `train_loader`: `TensorDataset` pairs image i with label i, and lesson 1's
#   `DataLoader` does our slicing: batches of 64, shuffled every epoch.
#
# `optimizer.step()` does `parameter -= lr * parameter.grad` for every parameter, and
# `optimizer.zero_grad()` resets the gradients, so the loop becomes short.

# %%
set_seed(0)
model = SoftmaxRegression().to(device)
loss_fn = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=lr)
train_loader = DataLoader(TensorDataset(train_images, train_labels), batch_size=64, shuffle=True)
for _ in range(epochs):
    for images, labels in train_loader:  # (64, 1, 28, 28), (64,)
        loss = loss_fn(model(images), labels)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()

# %% [markdown]
# ## 7. Accuracy on the test set
#
# On the test images, which the model never trained on, inside `torch.no_grad()` (we
# only measure). The number depends on your data and device: about 9 digits out of 10,
# like the hand-made model.

# %% tags=["nbval-ignore-output", "volatile"]
with torch.no_grad():
    test_accuracy = accuracy(model(test_images), test_labels)
print(f"test accuracy: {test_accuracy:.4f}")

# %% [markdown]
# The model's answers for the first nine test images:

# %%
with torch.no_grad():
    predictions = model(test_images[:9]).argmax(dim=1)  # (9,)
show_digits(test.images[:9], test.labels[:9], predictions, title="First nine test images")
plt.show()

# %% [markdown]
# **Exercise 2.4.** Which digits does a model read best? Write `accuracy_per_digit`: given
# the predicted digits and the true labels of some images (two `(N,)` tensors), it returns
# 10 numbers (a list or a `(10,)` tensor), the accuracy on the images of each true digit
# 0..9. Then try it on the hand-made model:
# `accuracy_per_digit(hand_model(test_images).argmax(dim=1), test_labels)`
# (draw it with `plt.bar(range(10), ...)`).

# %% tags=["exercise"]
def accuracy_per_digit(predictions, labels):
    ...  # your code here


check("2.4", accuracy_per_digit)

# %% [markdown]
# ## Recap
#
# - Softmax regression: `x.view(N, -1) @ weights + bias`, 7,850 numbers; 10 **logits** out.
# - Softmax gives probabilities, log-softmax their log (safely), NLL minus the
#   log-probability of the true class. `F.cross_entropy` / `nn.CrossEntropyLoss` does
#   all three, so it takes **raw logits**.
# - A training step: loss, `loss.backward()`, `w -= lr * w.grad` inside
#   `torch.no_grad()`, zero the gradients. Fit one batch first, then all the data, epoch
#   after epoch. Too large a learning rate (5) makes the loss jump up and stay high.
# - `nn.Linear` + `torch.optim.SGD` + `DataLoader(TensorDataset(...))`: the same model
#   and training, with less code; about 9 test digits out of 10.
# - Each digit's weights, drawn as an image, show what the model looks for.
#
# **Next:** lesson 3a builds bigger models (hidden layers, dropout); lesson 3b writes the
# loop once more, with SGD with momentum, then moves it into the package as
# `mnist_course.training.fit`.
