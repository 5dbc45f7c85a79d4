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
# # Lesson 1: Inspect the dataset
#
# **Time:** about 40 minutes.
#
# Before we train anything, we look carefully at the data. MNIST is a collection of
# small grey pictures of handwritten digits (0 to 9), each with a **label** that says
# which digit it shows. In the next lessons a neural network learns to read them.
#
# **What you will learn**
#
# - two ways to load MNIST: as a PyTorch `Dataset` (one image at a time) and as two big
#   tensors (all images at once), and what each one gives you
# - the shape of one image, `[1, 28, 28]`, and the range of its pixel values
# - how to look at digits, and how many images there are of each digit
# - what the mean and standard deviation of the pixels are, and what `Normalize` does
# - how a `DataLoader` groups images into **batches** of shape `[N, 1, 28, 28]`
# - two ways to write a label: a class index (`7`) or a one-hot vector
#
# A **tensor** is PyTorch's name for an array of numbers with any number of dimensions
# (like a NumPy array): a single number, a list, a table, a stack of tables...

# %% [markdown]
# ## Setup
#
# This cell imports everything the lesson uses. Then `setup()`, from the course package,
# does the chores every lesson starts with: it seeds the random number generators (so that
# every run gives the same "random" results), sets up the figures, keeps PyTorch from
# starting more CPU threads than this computer lets us use, and picks a device (a GPU if
# there is one). It prints what it chose, which depends on your computer: the CPU threads,
# the device, and where the data is. We do not train anything in this lesson, so the
# device does not matter yet.

# %% tags=["nbval-ignore-output", "volatile"]
import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import transforms

from mnist_course.data import MNIST_MEAN, MNIST_STD, load_mnist, mnist_dataset
from mnist_course.env import setup
from mnist_course.exercises import check, compare_guess
from mnist_course.plots import plot_class_counts, show_digits

device = setup()

# %% [markdown]
# ## 1. The `Dataset` route: one image at a time
#
# `torchvision` (PyTorch's library for images) has a ready-made MNIST class,
# `torchvision.datasets.MNIST`. Online you would write
# `datasets.MNIST("data", train=True, download=True, transform=...)`; the course's helper
# `mnist_dataset` returns exactly that class, and also works on computers without
# internet (see section 3).
#
# A **transform** is applied to each image when you ask for it. MNIST stores each image
# as a picture (a PIL image); `transforms.ToTensor()` turns it into a float tensor.

# %%
train_dataset = mnist_dataset("train", transform=transforms.ToTensor())
test_dataset = mnist_dataset("test", transform=transforms.ToTensor())
print(type(train_dataset))

# %% [markdown]
# Indexing the dataset gives one **sample**: a pair `(image, label)`.
# The image has shape `[1, 28, 28]`: 1 **channel** (grey; a colour photo would have 3:
# red, green, blue), 28 rows and 28 columns of pixels. Its **dtype** (data type) is
# `float32`, numbers with a decimal point. The label is a plain Python integer, the digit
# the image shows.

# %%
image, label = train_dataset[0]
print("image shape:", image.shape)  # (1, 28, 28): channel, height, width
print("image dtype:", image.dtype)
print("label type:", type(label).__name__)

# %% [markdown]
# Which digit is it? That depends on which copy of MNIST you have (section 3):

# %% tags=["nbval-ignore-output", "volatile"]
print("label of training image 0:", label)

# %% [markdown]
# **Predict first.** In the file, each pixel is a whole number from 0 (background, no ink)
# to 255 (the darkest stroke of the pen). What is the **largest** pixel value of this image
# after `ToTensor`? Write your guess as a number in `my_guess`, then run the next cell.

# %% tags=["predict"]
my_guess = ...  # a number

# %% [markdown]
# `.item()` turns a tensor holding a single number into a plain Python number:

# %%
print("smallest pixel:", image.min().item())
print("largest pixel:", image.max().item())
compare_guess(my_guess, image.max().item(), tolerance=0.05)

# %% [markdown]
# `ToTensor` scales the pixels: 0..255 in the file become 0.0..1.0. What matters is that
# **ink is the high value**. Whether it looks light or dark is only a choice of colours
# when drawing: `cmap="gray"` (section 4) draws high values light, so the digits appear as
# light ink on black.

# %% [markdown]
# ## 2. The tensor route: all images at once
#
# The course's `load_mnist` reads a whole split (`"train"` or `"test"`) into two
# tensors, without any transform: the images exactly as they are stored in the file.
# Their dtype is `uint8` (unsigned 8-bit integers: whole numbers 0..255, one byte each),
# and the labels are `int64` integers. `load_mnist` returns three things, which we reach
# by name: `train.images`, `train.labels` and `train.source` (section 3).
#
# `train.images` has shape `(N, 28, 28)`, with N the number of images. We print
# `shape[1:]`, the shape without its first number: the size of one image.

# %%
train = load_mnist("train")
test = load_mnist("test")
print("images:", train.images.dtype, "each image", train.images.shape[1:])  # (N, 28, 28)
print("labels:", train.labels.dtype)  # (N,)
print("pixel values from", train.images.min().item(), "to", train.images.max().item())

# %% [markdown]
# Both routes hold the same pictures. `ToTensor` does nothing more than add the channel
# axis and divide by 255, so the raw image divided by 255 gives the same numbers:

# %%
same_pixels = torch.equal(train.images[0].float() / 255, image[0])
print("same pixels:", same_pixels)
print("same label:", train.labels[0].item() == label)

# %% [markdown]
# Which one to use?
#
# - The **`Dataset` route** (`torchvision.datasets.MNIST` + a transform) is what most
#   tutorials use. It handles one image at a time, so it works for datasets too big to fit
#   in memory and for random changes to every image (data augmentation). This lesson and
#   appendix A1 use it.
# - The **tensor route** (`load_mnist`) keeps all of MNIST in memory as two tensors
#   (60,000 images x 784 bytes is only 47 MB). Working on whole tensors at once is much
#   faster than going through Python one image at a time, so the later lessons use it to
#   train quickly.

# %% [markdown]
# ## 3. Where the data came from, and how big it is
#
# The full MNIST has **60,000 training images** and **10,000 test images**. The model
# learns from the training images; the test images are kept apart to measure how well
# it reads digits it has never seen.
#
# With internet, the course downloads the full set once (about 12 MB) into a `data`
# folder. On computers without internet (like the machines that test this course), the
# environment variable `MNIST_COURSE_DATA` points at an **offline copy**: the full
# official test set plus 10,000 of the 60,000 training images. With it everything in the
# course still works, with a little less training data; the numbers you get (accuracies,
# mean and std) come out slightly different from the full set. The loader tells you
# which one you have:

# %% tags=["nbval-ignore-output", "volatile"]
print(train.source)
print(test.source)
print("training images:", len(train_dataset))
print("test images:", len(test_dataset))

# %% [markdown]
# ## 4. Look at the digits
#
# `plt.imshow` draws a 2-D tensor as a picture. We pass `image[0]`, the `(28, 28)` inside
# the single channel. The colour bar shows which grey stands for which pixel value.

# %%
plt.figure(figsize=(4, 3.5))
plt.imshow(image[0], cmap="gray")
plt.colorbar(label="pixel value")
plt.title(f"Training image 0 (label {label})")
plt.xlabel("column")
plt.ylabel("row")
plt.show()

# %% [markdown]
# Now a 3x3 grid: the first six training images and the **last three**. Python's
# negative indexes count from the end: `train.images[-1]` is the last image, and
# `train.images[-3:]` the last three. `show_digits` (a course helper) titles each image
# with its label.

# %%
picks = list(range(6)) + [-3, -2, -1]
title = "First six and last three training images"
show_digits(train.images[picks], train.labels[picks], ncols=3, title=title)
plt.show()

# %% [markdown]
# ## 5. Class balance: how many images of each digit?
#
# Each digit is a **class**. If one class had far more images than the others, a model
# could score well by guessing that digit often. How many images of each digit are there?

# %%
plot_class_counts(train.labels, title="Training images per digit")
plt.show()

# %% [markdown]
# MNIST is roughly balanced: whatever your copy, each digit has about a tenth of the
# images (between 8% and 12%). The exact counts depend on your copy:

# %% tags=["nbval-ignore-output", "volatile"]
counts = torch.bincount(train.labels, minlength=10)  # (10,): images of digit 0, 1, ..., 9
print("images per digit:", counts.tolist())
shares = counts / counts.sum()
print("smallest and largest share:", round(shares.min().item(), 3), round(shares.max().item(), 3))

# %% [markdown]
# ### Exercises 1.1 and 1.2
#
# Write your answer in each cell marked "your code here" (replace the `...`) and run the
# cell. The check at its end says at once whether your answer is correct, or which
# mistake it sees. **Hint** shows one hint at a time; **Solution** shows a solution, but
# only when you click it. Running the whole notebook never replaces what you wrote.
# Your checks' verdicts are kept in your folder: in any lesson, a cell with
# `from mnist_course import progress` and `progress()` lists every exercise and which
# ones you have done.
#
# **Exercise 1.1.** Put all the training images of the digit 7 into `sevens`: a tensor of
# shape `(number of sevens, 28, 28)`. (`train.labels == 7` is a tensor of `True`/`False`
# that can select images.) Once the check says correct, `show_digits(sevens[:9], [7] * 9)`
# shows nine of them.

# %% tags=["exercise"]
sevens = ...  # your code here
check("1.1", sevens)

# %% [markdown]
# **Exercise 1.2.** Compute the "average digit" of each class: the mean of all training
# images of that digit, pixel by pixel. `averages` should have shape `(10, 28, 28)`, row
# `d` for the digit `d`. Then `show_digits(averages, list(range(10)), ncols=5)` draws them;
# keep them in mind for lesson 2.

# %% tags=["exercise"]
averages = ...  # your code here
check("1.2", averages)

# %% [markdown]
# ## 6. Mean, standard deviation and `Normalize`
#
# Neural networks train more easily when their inputs are centred around 0 with a
# spread of about 1. Two numbers describe where the pixels are and how spread out:
#
# - the **mean**: the average pixel value;
# - the **standard deviation** (std): how far pixels typically are from the mean.
#
# We compute them over all pixels of the **training** images only: the test images must
# stay unseen, even for statistics like these. (The course package has the same
# computation as a function, `mean_and_std`.) On the full 60,000 training images the
# answer is mean 0.1307 and std 0.3081: the two numbers you see in almost every MNIST
# tutorial. The offline 10,000-image subset gives nearly the same values:

# %% tags=["nbval-ignore-output", "volatile"]
pixels = train.images.float() / 255  # (N, 28, 28), values 0..1 like after ToTensor
mean = pixels.mean().item()
std = pixels.std().item()
print(f"mean {mean:.4f} (classic value {MNIST_MEAN}), std {std:.4f} (classic value {MNIST_STD})")

# %% [markdown]
# `transforms.Normalize(mean, std)` subtracts the mean from every pixel and divides by
# the std. The `Compose` below runs `ToTensor` first, then `Normalize`. We use the classic
# values (`MNIST_MEAN`, `MNIST_STD`) so that everybody's models see the same numbers,
# whatever copy of MNIST they have. (The values are written as `(MNIST_MEAN,)`: one
# number per channel, and MNIST has one channel.)
#
# To compare, we take the first 1,000 training images both ways. `torch.stack` piles
# the 1,000 tensors of shape `(1, 28, 28)` into one tensor of shape `(1000, 1, 28, 28)`.

# %%
normalize = transforms.Compose([transforms.ToTensor(), transforms.Normalize((MNIST_MEAN,), (MNIST_STD,))])
normalized_train = mnist_dataset("train", transform=normalize)
before = torch.stack([train_dataset[i][0] for i in range(1000)])  # (1000, 1, 28, 28)
after = torch.stack([normalized_train[i][0] for i in range(1000)])  # (1000, 1, 28, 28)
print(f"after Normalize, background (0) becomes {after.min().item():.4f}")
print(f"after Normalize, full ink (1) becomes {after.max().item():.4f}")

# %% [markdown]
# The histograms below count how many pixels of the first 1,000 training images have
# each value, before and after `Normalize`. Most pixels are background, so the bar at the
# far left towers over the rest; a **log scale** on the vertical axis (1, 10, 100, ...)
# lets us see the small bars too. The dashed line marks the mean.

# %%
fig, (ax_before, ax_after) = plt.subplots(1, 2, figsize=(10, 3.5))
panels = [(ax_before, before, "Before: ToTensor only"), (ax_after, after, "After: ToTensor + Normalize")]
for ax, values, title in panels:
    ax.hist(values.flatten().numpy(), bins=50, histtype="stepfilled", color="tab:blue")
    ax.axvline(values.mean().item(), color="tab:red", linestyle="--", label="mean")
    ax.set_yscale("log")
    ax.set_xlabel("pixel value")
    ax.set_ylabel("number of pixels (log scale)")
    ax.set_title(title)
    ax.legend()
plt.show()

# %% [markdown]
# The two histograms have exactly the same shape: `Normalize` does not change the picture
# at all, it only moves and stretches the axis, so that the mean becomes about 0 and the
# std about 1 (the exact values depend on your copy of MNIST):

# %% tags=["nbval-ignore-output", "volatile"]
print(f"after Normalize: mean {after.mean().item():.3f}, std {after.std().item():.3f}")

# %% [markdown]
# > **A bug we fixed: `Normalize((0.5,), (0.5,))`.** One tutorial normalises with
# > `transforms.Normalize((0.5,), (0.5,))`, a common default for other datasets. It
# > subtracts 0.5 and divides by 0.5, which maps 0..1 to -1..1. But MNIST's pixels have
# > mean 0.13 and std 0.31, not 0.5 and 0.5, so the result is not centred on 0 with
# > spread 1: its mean is about (0.13 - 0.5) / 0.5 = -0.74 and its std 0.31 / 0.5 = 0.62.
# > A network still trains on that, but the inputs are not normalised. The fix is the one
# > above: the training set's own mean and std. On the same 1,000 images:

# %% tags=["nbval-ignore-output", "volatile"]
half = transforms.Normalize((0.5,), (0.5,))(before)  # (1000, 1, 28, 28): Normalize takes batches too
print(f"with Normalize((0.5,), (0.5,)): mean {half.mean().item():.3f}, std {half.std().item():.3f}")

# %% [markdown]
# **Exercise 1.3.** What fraction of all training pixels is exactly 0 (pure background)?
# `background` should be one number between 0 and 1.

# %% tags=["exercise"]
background = ...  # your code here
check("1.3", background)

# %% [markdown]
# ## 7. Batches with a `DataLoader`
#
# Networks learn from a **batch** (a small group) of images at a time, not from one
# image and not from all of them at once. A `DataLoader` takes a `Dataset` and hands
# out batches: `batch_size=64` images at a time, in a new random order every pass
# (`shuffle=True`). Each batch stacks 64 samples into one tensor of images and one tensor
# of labels. A `for` loop over the loader goes through all the batches (lesson 3b trains
# that way); here `next(iter(...))` takes just the first one.

# %%
train_loader = DataLoader(normalized_train, batch_size=64, shuffle=True)
images, labels = next(iter(train_loader))  # the first batch
print("images:", images.shape, images.dtype)  # (N, 1, 28, 28) with N = 64
print("labels:", labels.shape, labels.dtype)  # (N,)

# %% [markdown]
# The first number of each shape, **N**, is the batch size. The images of a batch look
# the same as before: `imshow` chooses its grey levels from the smallest and largest
# value it is given, so normalised digits are drawn exactly like the originals.

# %%
show_digits(images[:9], labels[:9], title="Nine images of one shuffled batch")
plt.show()

# %% [markdown]
# How many batches make one pass over the training set? The training set usually does
# not divide evenly by 64, so the last batch is smaller (lesson 3b shows `drop_last=True`,
# which skips it). How many batches, and how many images in the last one, depends on your
# copy of MNIST:

# %% tags=["nbval-ignore-output", "volatile"]
last_batch = len(train_dataset) - 64 * (len(train_loader) - 1)
print("batches per pass:", len(train_loader))
print("images in the last batch:", last_batch)

# %% [markdown]
# **Exercise 1.4.** Make `test_loader`, a `DataLoader` over the test set, normalised like in
# section 6 (the `normalize` transform), with batches of 100 images, in order (no
# shuffling). Done when the check says correct; it also tells you how many batches it gives.

# %% tags=["exercise"]
test_loader = ...  # your code here
check("1.4", test_loader)

# %% [markdown]
# ## 8. Labels: class index or one-hot?
#
# MNIST stores each label as a **class index**: the digit itself, one integer per image.
# The first five test images (the official test set, the same for everybody) show:

# %%
first_labels = test.labels[:5]  # (5,)
print(first_labels)

# %% [markdown]
# Some libraries want labels **one-hot** instead: a vector of 10 numbers, all 0 except a
# single 1 at the position of the digit. `F.one_hot` converts class indexes to one-hot
# vectors, and `argmax` (the position of the largest value) converts them back.
# PyTorch's loss for classification, `nn.CrossEntropyLoss` (lesson 2), takes the class
# indexes directly: one integer per image is all it needs, so the course keeps labels as
# class indexes.

# %%
one_hot = F.one_hot(first_labels, num_classes=10)  # (5, 10)
print(one_hot)
print("back to class indexes:", one_hot.argmax(dim=1))

# %% [markdown]
# ## Recap
#
# - `mnist_dataset(split, transform)` is `torchvision.datasets.MNIST`: one
#   `(image, label)` sample at a time, and the transform runs on each image.
#   `load_mnist(split)` gives all images at once as a uint8 tensor `(N, 28, 28)` (values
#   0..255) and the labels as int64 `(N,)`; `.source` says where they came from.
# - One image after `ToTensor` has shape `[1, 28, 28]` (channel, height, width) and
#   values 0..1.
# - Full MNIST has 60,000 training and 10,000 test images; the offline copy has 10,000
#   of the training images and the full test set. The classes are roughly balanced.
# - The training pixels have mean about 0.1307 and std about 0.3081. `Normalize` subtracts
#   the mean and divides by the std: same picture, values centred on 0 with spread 1.
# - A `DataLoader` turns a dataset into batches: images `[N, 1, 28, 28]`, labels `[N]`.
# - Labels are class indexes; `F.one_hot` makes one-hot vectors, `argmax` turns them back.
#
# **Next:** lesson 2 builds a first model that reads these digits.
