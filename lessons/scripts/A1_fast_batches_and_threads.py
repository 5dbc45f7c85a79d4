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
# # Appendix A1: Fast batches and CPU threads
#
# **This appendix is optional.** It follows lesson 3b, and nothing later needs it. Lesson 3b
# trains with a `DataLoader` and its own loop; `mnist_course.training.fit`, which the later
# lessons use, keeps the whole training set as one tensor (`TensorBatches`). Here we measure
# what that gains, and what the line `CPU threads: ...` that `setup()` prints at the top of
# every lesson means.
#
# **What you will learn**
#
# - what CPU threads are, what `limit_cpu_threads()` does, and why more threads than
#   usable CPUs slow training down
# - why a `DataLoader` over a torchvision `Dataset` is slow for MNIST, and how much faster
#   `TensorBatches` delivers batches
# - how much of that gain is left for *training*, and why it is less
# - how the size of a network changes the time of one training step
#
# **About 20 minutes.** Every number here is a timing, so yours will differ: the text says
# what to expect in words.

# %% [markdown]
# ## Setup
#
# Imports, seed, figure settings and the device, as in the lessons. All the timings in
# this appendix run on the CPU, even if you have a GPU: threads are a CPU setting, and the
# CPU is the computer every student has.

# %% tags=["nbval-ignore-output", "volatile"]
import os
import time

import torch
from torch import nn
from torch.utils.data import DataLoader
from torchvision import transforms

from mnist_course.data import MNIST_MEAN, MNIST_STD, load_mnist, mnist_dataset
from mnist_course.data.batches import TensorBatches
from mnist_course.env import cpu_quota, limit_cpu_threads, set_seed, setup, torch_threads
from mnist_course.models import MLP, count_parameters

device = setup()

# %% [markdown]
# ## 1. CPU threads, and what `limit_cpu_threads()` does
#
# A **thread** is one line of work a program runs. PyTorch can split one big computation,
# such as a matrix product, between several threads, so that several CPU cores work on it
# at the same time. `torch.get_num_threads()` says how many threads it uses and
# `torch.set_num_threads(n)` changes that.
#
# PyTorch starts with as many threads as it counts cores on the computer (or with
# `OMP_NUM_THREADS`, if that environment variable is set). In a container (Binder, many
# cloud machines) it can count all the cores of the big host machine, while the container
# may use only 1 or 2 of them. `cpu_quota()` (in `mnist_course/env.py`) reads how many
# CPUs this process may really use, and `limit_cpu_threads()` lowers PyTorch's thread
# count to that number if it is higher (it never raises it), and returns the count:

# %% tags=["nbval-ignore-output", "volatile"]
threads = torch.get_num_threads()  # what the setup cell left
print("CPUs the computer reports:", os.cpu_count())
print("CPUs this process may use:", cpu_quota())
print("PyTorch threads now:", threads)

# %% [markdown]
# To see it at work, we give PyTorch eight threads per usable CPU, far too many, and let
# `limit_cpu_threads()` repair it. Then we set back the number the setup cell chose:

# %%
torch.set_num_threads(8 * cpu_quota())
print("threads before, per usable CPU:", torch.get_num_threads() // cpu_quota())
print("threads after limit_cpu_threads(), per usable CPU:", limit_cpu_threads() // cpu_quota())
torch.set_num_threads(threads)

# %% [markdown]
# Why does it matter? The threads of one computation wait for each other at its end. A
# thread without a CPU of its own has to wait until another thread lets go of one, and
# everyone waits for the slowest. So threads beyond the usable CPUs add waiting, never
# speed.
#
# We measure it: how many training steps per second a fresh 784-128-256-10 network with
# dropout (lesson 3a's first MLP) takes on batches of 64 training images. `time.perf_counter()`
# reads a clock. Other programs running at the same time can slow down one measurement,
# so we measure three times and keep the best.

# %%
loss_fn = nn.CrossEntropyLoss()


def training_steps_per_second(model, batches, how_many=50, repeats=3):
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    best = 0.0
    for _ in range(repeats):
        start = time.perf_counter()
        for i, (images, labels) in enumerate(batches):
            if i == how_many:
                break
            loss = loss_fn(model(images), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        best = max(best, how_many / (time.perf_counter() - start))
    return best


# %% [markdown]
# The batches come from `TensorBatches` (section 2 explains it). `torch_threads(n)`, from
# `mnist_course.env`, is `torch.set_num_threads(n)` for the lines indented below it only:
# at the end of the block it sets the old number back. We compare one thread, one thread
# per usable CPU, and eight threads per usable CPU:

# %% tags=["nbval-ignore-output", "volatile"]
train = load_mnist("train")
tensor_batches = TensorBatches(train.images, train.labels, batch_size=64, shuffle=True, drop_last=True)
steps = {}
for count in (1, cpu_quota(), 8 * cpu_quota()):
    with torch_threads(count):
        set_seed(0)
        steps[count] = training_steps_per_second(MLP(hidden=(128, 256), dropout=0.5), tensor_batches)
    print(f"{count:3} threads: {steps[count]:5.0f} training steps per second")
too_many = steps[8 * cpu_quota()]

# %% [markdown]
# Eight threads per CPU train more slowly than the better of the other two choices: the
# extra threads only wait. Which of those two is faster depends on your computer and on
# how busy it is. For networks as small as ours, whose matrix products are small, and on a
# computer that is also running other programs, a single thread often wins; on a quiet
# computer with several CPUs, one thread per CPU can be faster.

# %% [markdown]
# **`OMP_WAIT_POLICY=PASSIVE`.** PyTorch's threads come from OpenMP, a library for
# parallel loops. After each parallel step, its idle threads keep checking for new work
# for a while ("spinning"), so that they can start again at once. On a computer whose
# CPUs are all busy (a shared Binder host, a laptop running other programs) the spinning
# threads take CPU time away from the threads doing the work, and training can become many
# times slower. `OMP_WAIT_POLICY=PASSIVE` makes idle threads sleep instead. OpenMP reads
# it only once, when PyTorch starts, so it has to be set *before* Jupyter starts: `make lab`
# sets it for you. Here it is:

# %% tags=["nbval-ignore-output", "volatile"]
print("OMP_WAIT_POLICY:", os.environ.get("OMP_WAIT_POLICY", "not set"))

# %% [markdown]
# ## 2. Delivering batches: `DataLoader` against `TensorBatches`
#
# Lesson 1 builds its batches with a `DataLoader` over a torchvision `Dataset`. For every
# image of every batch it runs Python code: it fetches the image as a PIL picture, converts
# it to a tensor (`ToTensor`), normalises it (`Normalize`), and at the end stacks the 64
# small tensors into a batch.
#
# `TensorBatches` (in `mnist_course/data/batches.py`) converts *all* the images to one
# normalised tensor once, at the start. After that, a batch is a single indexing
# operation, `images[index]` with 64 random positions, with no Python work per image.
#
# Here is lesson 1's `DataLoader` again:

# %%
normalize = transforms.Compose([transforms.ToTensor(), transforms.Normalize((MNIST_MEAN,), (MNIST_STD,))])
train_dataset = mnist_dataset("train", transform=normalize)
train_loader = DataLoader(train_dataset, batch_size=64, shuffle=True, drop_last=True)
loader_images, loader_labels = next(iter(train_loader))
tensor_images, tensor_labels = next(iter(tensor_batches))
print("DataLoader batch:   ", loader_images.shape, loader_labels.shape)  # (64, 1, 28, 28), (64,)
print("TensorBatches batch:", tensor_images.shape, tensor_labels.shape)  # (64, 1, 28, 28), (64,)

# %% [markdown]
# Both routes hold the same images, normalised the same way: the first training image as
# the `Dataset` gives it equals the first row of `TensorBatches`' big tensor.

# %%
first_image, first_label = train_dataset[0]  # (1, 28, 28), an int
print("largest difference between the two first images:",
      round((first_image - tensor_batches.images[0]).abs().max().item(), 6))
print("same label:", first_label == tensor_batches.labels[0].item())  # the digit depends on your copy

# %% [markdown]
# Converting all the images at once is a one-off cost. We time it:

# %% tags=["nbval-ignore-output", "volatile"]
start = time.perf_counter()
TensorBatches(train.images, train.labels, batch_size=64)
print(f"converting all {len(train.images):,} images once: {time.perf_counter() - start:.3f} seconds")

# %% [markdown]
# Now the race: how many images per second each route delivers over 50 batches, measured
# three times, keeping the best. We use a single thread, like the `DataLoader`, which
# prepares its batches in one thread: a fair comparison, and one that other busy programs
# disturb less.

# %%
def images_per_second(batches, how_many=50, repeats=3):
    best = 0.0
    for _ in range(repeats):
        start = time.perf_counter()
        count = 0
        for i, (images, _) in enumerate(batches):  # `_`: the labels, not needed here
            if i == how_many:
                break
            count += len(images)
        best = max(best, count / (time.perf_counter() - start))
    return best


# %% [markdown]
# The timings depend on your computer; expect `TensorBatches` to be more than ten times
# faster.

# %% tags=["nbval-ignore-output", "volatile"]
with torch_threads(1):
    loader_speed = images_per_second(train_loader)
    tensor_speed = images_per_second(tensor_batches)
delivery_gain = tensor_speed / loader_speed
print(f"DataLoader:    {loader_speed:11,.0f} images per second")
print(f"TensorBatches: {tensor_speed:11,.0f} images per second")
print(f"TensorBatches is {delivery_gain:.0f} times faster")

# %% [markdown]
# ## 3. Training: how much of that is left?
#
# Delivering batches is only part of training. We time 50 training steps of a fresh
# 784-128-256-10 network with dropout, with the function of section 1, on batches from
# each route, again in one thread:

# %% tags=["nbval-ignore-output", "volatile"]
with torch_threads(1):
    set_seed(0)
    loader_steps = training_steps_per_second(MLP(hidden=(128, 256), dropout=0.5), train_loader)
    set_seed(0)
    tensor_steps = training_steps_per_second(MLP(hidden=(128, 256), dropout=0.5), tensor_batches)
training_gain = tensor_steps / loader_steps
print(f"training steps per second: DataLoader {loader_steps:.0f}, TensorBatches {tensor_steps:.0f}")
print(f"training is {training_gain:.1f} times faster, "
      f"delivering batches was {delivery_gain:.0f} times faster")

# %% [markdown]
# Training gains much less than delivering batches, because the training steps
# themselves (the model, `backward()`, the optimizer) take the same time with either
# route. Still, it gains more than 1.5 times: for networks as small as ours, preparing
# the batches is a large part of the time with such a `DataLoader`. That is why lesson 3b
# normalises all the images once before its `DataLoader` (a `TensorDataset`), and why
# `fit` goes one step further with `TensorBatches`.

# %% [markdown]
# The `DataLoader` is still the general tool: it works for datasets too big for memory,
# reads files lazily and can prepare batches in several worker processes
# (`num_workers`). MNIST is small (10,000 images are 31 MB as floats; 60,000 are 188 MB),
# so keeping it in one tensor is the faster choice here.

# %% [markdown]
# ## 4. A smaller network, a faster step
#
# Lesson 3b trains 784-250-200-10 rather than the 784-500-256-10 of another tutorial, to
# stay quick. It has less than half as many parameters (exercise 3.1 counts them):

# %%
small_network, big_network = MLP(hidden=(250, 200)), MLP(hidden=(500, 256))
ratio = count_parameters(big_network) / count_parameters(small_network)
print(f"784-500-256-10 has {ratio:.1f} times as many parameters as 784-250-200-10")

# %% [markdown]
# Fewer parameters mean fewer multiplications in each step, so each training step should
# take less time. We measure it with the same batches and one thread (the ratio depends
# on your computer):

# %% tags=["nbval-ignore-output", "volatile"]
with torch_threads(1):
    set_seed(0)
    small_steps = training_steps_per_second(small_network, tensor_batches)
    big_steps = training_steps_per_second(big_network, tensor_batches)
print(f"training steps per second: 784-250-200-10 {small_steps:.0f}, 784-500-256-10 {big_steps:.0f}")
print(f"784-250-200-10 is {small_steps / big_steps:.1f} times faster")

# %% [markdown]
# ## Recap
#
# - PyTorch splits big computations between **threads**. More threads than the CPUs you
#   may use only add waiting: eight threads per CPU trained more slowly than the better of
#   one thread and one thread per CPU. `setup()`, in every lesson's setup cell, calls
#   `limit_cpu_threads()`, which lowers the thread count to `cpu_quota()` if it is higher.
# - Set `OMP_WAIT_POLICY=PASSIVE` before starting Jupyter (`make lab` does), so that idle
#   threads sleep instead of taking CPU time from the busy ones.
# - A `DataLoader` over a torchvision `Dataset` runs Python code for every image.
#   `TensorBatches` converts all the images once and then delivers each batch with one
#   indexing operation: more than ten times faster here.
# - Training gains less (more than 1.5 times here), because the steps themselves cost the
#   same with either route. This is what `fit` uses.
# - A network with fewer parameters takes less time per step: 784-250-200-10 trains
#   faster than 784-500-256-10.
