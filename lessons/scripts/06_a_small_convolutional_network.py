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
# # Lesson 6 (optional): A small convolutional network
#
# **Time:** about 45 minutes.
#
# Every network of lessons 2 to 5 was fully connected: it flattens a digit into 784
# numbers and gives every pixel its own weights. Lesson 5 showed where that leaves us: MNIST's
# test digits are read almost perfectly, the course's hard set less well. This optional
# lesson builds the network made for pictures, a **convolutional neural network** (CNN),
# trains it with the same `fit` as lesson 4, and compares it with lesson 4's MLP: on MNIST,
# on the course's own digits and on the hard set.
#
# **What you will learn**
#
# - what happens to an MLP when a digit moves by a few pixels
# - what a **convolution** is: one small kernel of weights slid over the whole picture
#   (`F.conv2d`), and what it computes at each position
# - what **max pooling** does
# - how a small CNN is built (`SmallCNN`: two convolutions, two poolings, one linear layer),
#   how many weights it has and how much arithmetic it does
# - where the CNN is better than the MLP, and where neither network can help

# %% [markdown]
# ## Setup
#
# The imports, then `setup()` as in every lesson: it seeds the random numbers, sets up the
# figures and the CPU threads, picks the device and prints what it chose. The CNN lives in
# `mnist_course.models` (`SmallCNN`) and its training settings in `mnist_course.recipe`
# (`CNN_RECIPE`), beside the MLP's.

# %% tags=["nbval-ignore-output", "volatile"]
from pathlib import Path

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F

from mnist_course.checkpoints import load_checkpoint, save_checkpoint
from mnist_course.data import load_mnist, load_samples
from mnist_course.data.evalsets import load_hardset
from mnist_course.env import set_seed, setup
from mnist_course.exercises import check, compare_guess
from mnist_course.handwriting.predict import predict
from mnist_course.handwriting.preprocess import to_mnist
from mnist_course.learning_curves import plot_history
from mnist_course.models import SmallCNN, count_parameters
from mnist_course.plots import show_digits
from mnist_course.recipe import CNN_RECIPE, train_final_model
from mnist_course.training import evaluate
from mnist_course.widgets.draw import DigitCanvas

device = setup()

# %% [markdown]
# ## 1. The MLP from lesson 4
#
# We load lesson 4's final model (784-500-256-10, trained with augmentation on deskewed
# digits), the one lesson 5 reads your digits with. If you have not run lesson 4, this cell
# trains the same recipe for 20 epochs instead of 40 (a few minutes): the model is then a
# little weaker.

# %% tags=["nbval-ignore-output", "volatile"]
checkpoint_path = Path("checkpoints") / "lesson4_best.pt"
train_all, test = load_mnist("train"), load_mnist("test")
if checkpoint_path.exists():
    mlp, info = load_checkpoint(checkpoint_path, device=device)
    print(f"Loaded {checkpoint_path}: {info['model_class']} {info['config']}")
else:
    print(f"No {checkpoint_path} (run lesson 4 to make one): training the recipe for 20 epochs instead.")
    mlp, _ = train_final_model(train_all, device=device, epochs=20)

# %% [markdown]
# ## 2. What an MLP sees
#
# The MLP's first layer multiplies pixel number 0, pixel number 1, ..., pixel number 783
# each by its own weights. For the MLP these are 784 separate inputs: it does not know that
# pixel 30 is the right-hand neighbour of pixel 29.
#
# What happens when we move the test digits a few pixels to the right? Here is one digit
# moved by 0 to 6 pixels (black comes in on the left), with exercise 5.3's `shift_right`
# written in one line with `F.pad`:

# %%
def shift_right(images, pixels):
    """uint8 images (N, 28, 28) moved `pixels` to the right; black comes in on the left."""
    return F.pad(images, (pixels, 0))[..., :28]  # pad on the left, cut on the right


shifts = [0, 1, 2, 3, 4, 5, 6]
one_digit = torch.cat([shift_right(test.images[:1], pixels) for pixels in shifts])  # (7, 28, 28)
show_digits(one_digit, ncols=7, title="the same 7, moved 0 to 6 pixels to the right")
plt.show()

# %% [markdown]
# **Predict first.** A person reads all seven the same. The MLP reads about 98% of the test
# digits where they are. What share of the test digits will it still read when they are
# **moved 4 pixels** to the right? Write a number between 0 and 1, then run the next cells.

# %% tags=["predict"]
my_guess = ...  # a number between 0 and 1

# %% tags=["nbval-ignore-output", "volatile"]
mlp_shifted = [evaluate(mlp, shift_right(test.images, pixels), test.labels)[1] for pixels in shifts]
for pixels, accuracy in zip(shifts, mlp_shifted, strict=True):
    print(f"moved {pixels} pixels: MLP accuracy {accuracy:.3f}")
compare_guess(my_guess, mlp_shifted[4], tolerance=0.1)

# %% [markdown]
# A move of 1 or 2 pixels costs the MLP hardly anything: lesson 4's augmentation moved the
# training digits by up to 2 pixels, so it has seen such moves. Beyond them its accuracy
# falls fast: 4 pixels cost it many points, and at 6 pixels it reads fewer than half of the
# digits. The ink lands on pixels whose weights were trained for other parts of other
# digits: what the MLP learned about a stroke in one place, it has to learn again for every
# other place.

# %% [markdown]
# ## 3. A convolution by hand
#
# A convolutional layer does not give every pixel its own weights. It has a small
# **kernel**, here 3x3 = 9 weights, and slides it over the whole image: at every position
# it multiplies the 9 pixels under the kernel by the 9 weights and adds them up (a layer
# then adds one bias per kernel). The result is a new image, a **feature map**, that is
# bright wherever the image looks like the kernel.
#
# Here is a kernel that finds **vertical edges** (dark on the left, bright on the right),
# and the same kernel turned by 90 degrees, which finds horizontal edges. `F.conv2d` wants a
# batch of images `(N, channels, H, W)` and a stack of kernels `(out_channels, in_channels,
# k, k)`; `image[None, None]` adds two axes of size 1 in front: a batch of one image with
# one channel.

# %%
vertical = torch.tensor([[-1.0, 0.0, 1.0],
                         [-2.0, 0.0, 2.0],
                         [-1.0, 0.0, 1.0]])  # (3, 3): right minus left
horizontal = vertical.T  # (3, 3): below minus above
kernels = torch.stack([vertical, horizontal]).unsqueeze(1)  # (2, 1, 3, 3): 2 kernels for 1 input channel
image = test.images[0].float() / 255  # (28, 28), a 7
feature_maps = F.conv2d(image[None, None], kernels)  # (1, 1, 28, 28) in, (1, 2, 26, 26) out
print("image:", tuple(image.shape), " kernels:", tuple(kernels.shape), " feature maps:",
      tuple(feature_maps.shape))

# %% [markdown]
# The output is 26x26, not 28x28: a 3x3 kernel fits 26 times along each side. Two settings
# change that size. **Padding** adds rows and columns of zeros around the image first, so
# the kernel may also sit on the border. **Stride** moves the kernel more than one pixel at
# a time, so fewer positions are computed:

# %%
digit = image[None, None]  # (1, 1, 28, 28)
for padding, stride in [(0, 1), (1, 1), (2, 1), (0, 2), (1, 2)]:
    layer = torch.nn.Conv2d(1, 1, kernel_size=3, padding=padding, stride=stride)
    print(f"padding {padding}, stride {stride}: 28x28 -> {tuple(layer(digit).shape[-2:])}")

# %% [markdown]
# **Exercise 6.1.** Write your answer in the cell marked "your code here" (replace the `...`)
# and run it: the check says at once whether it is correct, or which mistake it sees.
# **Hint** shows one hint at a time, **Solution** a solution, only when you click it.
#
# Write `output_size(size, kernel_size, padding=0, stride=1)`: the width of the output of
# `nn.Conv2d(..., kernel_size, padding=padding, stride=stride)` for an input `size` pixels
# wide. (`nn.MaxPool2d(2)` follows the same rule with `kernel_size=2, stride=2`.)

# %% tags=["exercise"]
def output_size(size, kernel_size, padding=0, stride=1):
    ...  # your code here


check("6.1", output_size)

# %% [markdown]
# Now the two feature maps. Red means a large positive sum, blue a large negative one,
# white zero:

# %%
fig, axes = plt.subplots(1, 3, figsize=(9, 3.2))
axes[0].imshow(image, cmap="gray")
axes[0].set_title("the digit")
for ax, feature_map, name in zip(axes[1:], feature_maps[0], ["vertical edges", "horizontal edges"],
                                 strict=True):
    limit = feature_map.abs().max()
    shown = ax.imshow(feature_map, cmap="bwr", vmin=-limit, vmax=limit)
    ax.set_title(name)
    fig.colorbar(shown, ax=ax, shrink=0.8)
for ax in axes:
    ax.set_xticks([])
    ax.set_yticks([])
plt.show()

# %% [markdown]
# The first kernel lights up on the left and right sides of the 7's slanted stroke (red
# where the ink starts, blue where it ends), the second on the top and bottom edges of its
# bar. Each output pixel is only a sum of products. Here is the brightest one of the
# vertical-edge map, by hand:

# %%
flat_index = feature_maps[0, 0].argmax().item()  # where the vertical-edge map is largest, counted row by row
row, col = divmod(flat_index, 26)  # the map is 26 wide: row = index // 26, column = index % 26
by_hand = (image[row : row + 3, col : col + 3] * vertical).sum()  # 9 products, added up
print(f"row {row}, column {col}: by hand {by_hand:.4f}   F.conv2d {feature_maps[0, 0, row, col]:.4f}")

# %% [markdown]
# (Strictly, `F.conv2d` computes a *cross-correlation*: a textbook convolution flips the
# kernel first. Deep learning calls it a convolution anyway; learned kernels need no flip.)
#
# **Exercise 6.2.** Write `convolve(image, kernel)` by hand, with loops (no `F.conv2d`):
# for a float image `(H, W)` and a square kernel `(k, k)` it returns the `(H - k + 1,
# W - k + 1)` feature map that `F.conv2d(image[None, None], kernel[None, None])[0, 0]`
# gives. Try it on `image` and `vertical`.

# %% tags=["exercise"]
def convolve(image, kernel):
    ...  # your code here


check("6.2", convolve)

# %% [markdown]
# The key property: the same 9 weights are used at every position. So a digit that is
# moved gives a feature map that is moved by the same amount, as long as the digit stays
# inside the picture (a convolution is *shift-equivariant*). We compare the columns from 3
# on of the moved digit's maps with all but the last 3 columns of the original maps:

# %%
moved = shift_right(test.images[:1], 3)[0].float() / 255  # the 7, 3 pixels to the right
moved_maps = F.conv2d(moved[None, None], kernels)  # (1, 2, 26, 26)
print("feature maps of the moved digit = moved feature maps:",
      torch.allclose(moved_maps[..., 3:], feature_maps[..., :-3]))

# %% [markdown]
# ## 4. Pooling
#
# In a CNN we do not design the kernels: they start random, and training sets them like
# every other weight. After a convolution (and a ReLU), a CNN usually **pools**:
# `F.max_pool2d(x, 2)` keeps the largest value of every 2x2 block. The feature map becomes
# half as wide and half as high; it still says *whether* an edge is there, and cares less
# about *exactly where*: an edge moved by one pixel often stays in the same 2x2 block.

# %%
edges = F.relu(feature_maps)  # (1, 2, 26, 26): keep the positive responses
pooled = F.max_pool2d(edges, 2)  # (1, 2, 13, 13)
print("after ReLU:", tuple(edges.shape), " after max pooling:", tuple(pooled.shape))
fig, axes = plt.subplots(1, 2, figsize=(6, 3.2))
for ax, picture, name in zip(axes, [edges[0, 0], pooled[0, 0]], ["vertical edges, 26x26", "pooled, 13x13"],
                             strict=True):
    ax.imshow(picture, cmap="gray")
    ax.set_title(name)
    ax.axis("off")
plt.show()

# %% [markdown]
# **Exercise 6.3.** Write `max_pool(feature_map)` by hand (no `F.max_pool2d`, no
# `nn.MaxPool2d`): for a float map `(H, W)` it returns what `F.max_pool2d(x, 2)` gives, the
# largest value of every 2x2 block, as an `(H // 2, W // 2)` tensor. Try it on `edges[0, 0]`.

# %% tags=["exercise"]
def max_pool(feature_map):
    ...  # your code here


check("6.3", max_pool)

# %% [markdown]
# ## 5. The small CNN
#
# `SmallCNN` (in `mnist_course.models`) stacks two blocks of convolution, ReLU and max
# pooling (no padding, stride 1), then one linear layer:
#
# | layer | output shape | what it does |
# |---|---|---|
# | `Conv2d(1, 32, 5)` + ReLU | (N, 32, 24, 24) | 32 kernels of 5x5 over the digit |
# | `MaxPool2d(2)` | (N, 32, 12, 12) | halve the size |
# | `Conv2d(32, 64, 5)` + ReLU | (N, 64, 8, 8) | 64 kernels over the 32 maps |
# | `MaxPool2d(2)` | (N, 64, 4, 4) | halve the size |
# | `Flatten`, `Dropout(0.25)`, `Linear(1024, 10)` | (N, 10) | the logits, as in every lesson |
#
# A kernel of the second convolution looks at all 32 maps of the first at once. The shapes,
# with a batch of two digits (only the shapes matter here, so we skip the normalisation):

# %%
set_seed(0)
cnn = SmallCNN()
batch = test.images[:2].float().unsqueeze(1)  # (2, 1, 28, 28)
for layer in [*cnn.features, *cnn.classifier]:
    batch = layer(batch)
    print(f"{type(layer).__name__:10s} -> {tuple(batch.shape)}")

# %% [markdown]
# **Exercise 6.4.** How many parameters (weights and biases) does `SmallCNN`'s second
# convolution, `nn.Conv2d(32, 64, 5)`, have? Work it out from the layer's shape and write it
# as a formula with numbers (like `3 * 4 + 5`); the check tells you whether it is right.

# %% tags=["exercise"]
conv_parameters = ...  # your code here
check("6.4", conv_parameters)

# %% [markdown]
# ### Fewer weights, more arithmetic
#
# The MLP's first layer alone has 784 x 500 weights; the CNN's kernels are shared by every
# position. But each shared weight is used at many positions. Counting the multiplications
# per image: a linear layer does one per weight, a convolution one per weight *and per
# output position* (24x24 positions for the first, 8x8 for the second):

# %%
mlp_parameters, cnn_parameters = count_parameters(mlp), count_parameters(cnn)
print(f"parameters: MLP {mlp_parameters:,}   CNN {cnn_parameters:,}"
      f"   ({mlp_parameters / cnn_parameters:.0f} times fewer)")
linear_layers = [layer for layer in mlp.modules() if isinstance(layer, torch.nn.Linear)]
mlp_multiplications = sum(layer.weight.numel() for layer in linear_layers)
conv1, conv2 = cnn.features[0], cnn.features[3]
cnn_multiplications = (conv1.weight.numel() * 24 * 24 + conv2.weight.numel() * 8 * 8
                       + cnn.classifier[2].weight.numel())
print(f"multiplications per image: MLP {mlp_multiplications:,}   CNN {cnn_multiplications:,}"
      f"   ({cnn_multiplications / mlp_multiplications:.1f} times more)")

# %% [markdown]
# So the CNN has 8 times fewer weights but does about 7 times the arithmetic.
#
# ## 6. Train it with the same `fit`
#
# The CNN's settings are `CNN_RECIPE`, beside lesson 4's `FINAL_RECIPE`: the same optimizer
# (Adam, `lr=1e-3`), batch size, augmentation (small random shifts, rotations and zooms) and
# deskewing as the MLP, and dropout before the last layer (`mnist_course/recipe.py` says how
# it was chosen). `train_final_model(..., model="cnn")` builds a `SmallCNN` and trains it
# with `fit`, exactly like lesson 4's final model, on lesson 4's split: the same training
# images, and the same 1,000 for validation. Its 15 epochs take about five seconds each
# for every 10,000 training images on a laptop's CPU: the slowest cell of the lesson, silent until
# it ends.

# %% tags=["nbval-ignore-output", "volatile"]
print(CNN_RECIPE)
order = torch.randperm(len(train_all.labels), generator=torch.Generator().manual_seed(0))  # as lesson 4
train = (train_all.images[order[:-1000]], train_all.labels[order[:-1000]])
validation = (train_all.images[order[-1000:]], train_all.labels[order[-1000:]])
cnn, history = train_final_model(train, validation, device=device, progress=False, model="cnn")
print(f"last epoch: train accuracy {history.train_accuracy[-1]:.3f}, "
      f"validation accuracy {history.test_accuracy[-1]:.3f}")

# %%
axes = plot_history(history, names=["small CNN"], test_label="validation")
axes[0].figure.suptitle("The small CNN (solid: train, dashed: validation)")
plt.show()

# %% [markdown]
# The training accuracy stays below the validation accuracy, as in lesson 4: the training
# digits are randomly moved, turned and zoomed, and dropout is on while it trains, so
# training is the harder test.
#
# What did the first convolution learn? Its 32 kernels, 5x5 weights each (red positive,
# blue negative). Look for kernels that are red on one side and blue on the other: edge
# finders like section 3's, found by training alone.

# %%
first_kernels = cnn.features[0].weight.detach().cpu()[:, 0]  # (32, 5, 5)
fig, axes = plt.subplots(4, 8, figsize=(8, 4.4))
for ax, kernel in zip(axes.flat, first_kernels, strict=True):
    limit = kernel.abs().max()
    ax.imshow(kernel, cmap="bwr", vmin=-limit, vmax=limit)
    ax.set_xticks([])
    ax.set_yticks([])
fig.suptitle("the 32 kernels of the first convolution, after training")
plt.show()

# %% [markdown]
# What does 7 times the arithmetic cost? Time per epoch, against one epoch of the MLP's
# recipe on the same images. On a CPU the CNN takes longer per epoch; a GPU does this
# arithmetic so fast that the difference may vanish.

# %% tags=["nbval-ignore-output", "volatile"]
_, mlp_history = train_final_model(train, validation, device=device, progress=False, epochs=1)
# history.seconds counts the time since training started, so the last one is the total
cnn_epoch, mlp_epoch = history.seconds[-1] / len(history), mlp_history.seconds[-1]
print(f"seconds per epoch: CNN {cnn_epoch:.1f}, MLP {mlp_epoch:.1f} ({cnn_epoch / mlp_epoch:.1f} times)")

# %% [markdown]
# ## 7. MLP vs CNN on MNIST
#
# The test set once, then the moved digits of section 2:

# %% tags=["nbval-ignore-output", "volatile"]
_, mlp_test = evaluate(mlp, test.images, test.labels)
_, cnn_test = evaluate(cnn, test.images, test.labels)
print(f"test accuracy: MLP {mlp_test:.4f} ({(1 - mlp_test) * 10_000:.0f} mistakes), "
      f"CNN {cnn_test:.4f} ({(1 - cnn_test) * 10_000:.0f} mistakes)")
cnn_shifted = [evaluate(cnn, shift_right(test.images, pixels), test.labels)[1] for pixels in shifts]
fig, ax = plt.subplots(figsize=(5, 3.5))
ax.set_title("test digits moved to the right")
ax.plot(shifts, mlp_shifted, "-o", label="MLP")
ax.plot(shifts, cnn_shifted, "-o", label="CNN")
ax.set_xlabel("pixels moved to the right")
ax.set_ylabel("test accuracy")
ax.set_xticks(shifts)
ax.legend()
plt.show()

# %% [markdown]
# The CNN makes fewer mistakes on the test set. For small moves (up to 3 pixels) both read
# more than nine digits in ten and stay close; from 4 pixels on the CNN pulls clearly ahead.
# Its kernels find a stroke wherever it is, and pooling forgives small moves; only its last
# layer still cares about positions, on a 4x4 grid instead of 28x28. It is not immune
# either: moved far enough, its accuracy falls too, because its last layer has only seen
# features where the training digits had them.
#
# Your own pictures are centred by lesson 5's `to_mnist`, so a whole digit moved is rarely
# their problem; what is left is the variation *inside* a digit, and lines or smudges next
# to it. Does the CNN's way of seeing help with that?
#
# ## 8. Your own digits and the hard set
#
# First the course's own pictures, prepared as lesson 5 does (`to_mnist` with the model's
# recipe: both models want deskewed digits, so they get the same images); `predict`
# normalises them with each model's recipe.

# %% tags=["nbval-ignore-output", "volatile"]
def accuracy_on(model, images, labels):
    """The share of `images` (float (N, 1, 28, 28) in 0..1) that `model` reads as `labels`."""
    guesses = torch.tensor([top[0][0] for top in predict(model, images, k=1)])  # (N,)
    return (guesses == labels).float().mean().item(), guesses


paths, labels = load_samples()  # image files, true digits (N,)
samples = torch.stack([to_mnist(path, **cnn.recipe["preprocess"]) for path in paths])  # (N, 1, 28, 28)
mlp_samples, _ = accuracy_on(mlp, samples, labels)
cnn_samples, _ = accuracy_on(cnn, samples, labels)
print(f"own digits: MLP {mlp_samples:.0%}   CNN {cnn_samples:.0%}   of {len(labels)}")

# %% [markdown]
# Both read nearly all of them: on these easy pictures there is little to gain. Now lesson
# 5's hard set: 300 **synthetic** pictures, made by a program from handwriting fonts and
# generated pen strokes, with simulated photos, lined and squared paper, thick marker, thin
# pen, slant, European 1s and 7s, open and closed 4s and 9s, tiny digits, mouse and finger
# drawings. They are not real students' photos, but they have the same troubles. Preparing
# them takes some seconds.

# %% tags=["nbval-ignore-output", "volatile"]
hard_paths, hard_labels, hard_kinds = load_hardset()  # files, true digits, kinds
hard_labels = torch.tensor(hard_labels)  # (300,)
hard_images = torch.stack([to_mnist(path, **cnn.recipe["preprocess"]) for path in hard_paths])
_, mlp_guesses = accuracy_on(mlp, hard_images, hard_labels)
_, cnn_guesses = accuracy_on(cnn, hard_images, hard_labels)
mlp_right, cnn_right = mlp_guesses == hard_labels, cnn_guesses == hard_labels  # (300,) each
mlp_kind, cnn_kind = {}, {}  # kind -> accuracy
print(f"{'kind':12} pictures   MLP   CNN")
for kind in [*sorted(set(hard_kinds)), "all"]:
    of_kind = torch.tensor([kind in ("all", k) for k in hard_kinds])  # (300,): True for this kind
    mlp_kind[kind] = mlp_right[of_kind].float().mean().item()
    cnn_kind[kind] = cnn_right[of_kind].float().mean().item()
    print(f"{kind:12} {of_kind.sum().item():8}  {mlp_kind[kind]:4.0%}  {cnn_kind[kind]:4.0%}")

# %% [markdown]
# What this table says:
#
# - On the hard set the CNN reads more pictures than the MLP, though both read fewer of
#   them than of MNIST's test digits. Kind by kind the differences are a few pictures, and
#   most go the CNN's way.
# - Tiny digits in a big photo are the hardest kind for both. Lesson 5 showed why: a tiny
#   digit is a few dozen pixels of a big picture, and the cleaning that takes away the
#   paper's rules and specks can cut its strokes. A network only gets what the cleaning
#   leaves: that is a preprocessing problem, not a model problem.
# - Sharing kernels across positions does nothing for a digit that is *turned* or drawn at
#   another *size*. For both networks that is the job of the preprocessing (deskewing, and
#   fitting the digit in 20x20) and of the augmentation.
#
# ## 9. What each one gets wrong
#
# Do the two models make the same mistakes? We count the hard-set pictures that only one of
# them reads correctly and those that both get wrong, and show the first 16 that both get
# wrong (titled with the true digit and the CNN's guess):

# %% tags=["nbval-ignore-output", "volatile"]
only_cnn_right = (cnn_right & ~mlp_right).nonzero().flatten()  # the CNN is right, the MLP wrong
only_mlp_right = (mlp_right & ~cnn_right).nonzero().flatten()  # the other way round
both_wrong = (~mlp_right & ~cnn_right).nonzero().flatten()
print(f"CNN right, MLP wrong: {len(only_cnn_right)}   MLP right, CNN wrong: {len(only_mlp_right)}   "
      f"both wrong: {len(both_wrong)}")
first = both_wrong[:16]  # at most 16 of them
show_digits(hard_images[first], hard_labels[first], cnn_guesses[first], ncols=8,
            title="both are wrong (titles: the CNN's guess)")
plt.show()

# %% [markdown]
# Of the pictures that only one model reads, the CNN reads most. Some are wrong for both,
# and the gallery shows what both networks were given. Where the cleaning keeps a piece of a rule or
# of the sheet's edge, or cuts a stroke, no network can read the digit; a clean digit that
# both get wrong is written in a way neither network learned.
#
# ## 10. Your turn: draw for the CNN
#
# We save the CNN beside lesson 4's model, with its recipe, as lesson 4 did:

# %%
cnn_path = save_checkpoint(Path("checkpoints") / "lesson6_cnn.pt", cnn, metrics={"test_accuracy": cnn_test})
print("saved", cnn_path)

# %% [markdown]
# In a terminal at the top of the course, `python -m mnist_course predict my_digit.png
# --checkpoint work/checkpoints/lesson6_cnn.pt` reads your photos with it
# (`python -m mnist_course train --model cnn` trains the same recipe and writes that file
# too, from all the training images). And here is lesson 5's canvas, now asking the CNN: draw a digit,
# press **Predict**, and compare with what lesson 5's canvas says for the MLP. Try the
# shapes lesson 5 found hard: a 1 with a flag and a foot, a crossed 7, a closed 4.

# %%
DigitCanvas(cnn)

# %% [markdown]
# ## Recap
#
# - An MLP gives every pixel its own weights, so a stroke learned in one place must be
#   learned again everywhere else; a digit moved by 4 pixels or more confuses it.
# - A **convolution** slides one small kernel over the whole picture (`F.conv2d`): every
#   output pixel is the sum of the products of the kernel with the pixels under it. The
#   same weights at every position: a moved digit gives a moved feature map.
# - **Max pooling** keeps the strongest response in each 2x2 block: smaller maps, less
#   sensitivity to exact positions.
# - `SmallCNN` has far fewer weights than lesson 4's MLP but does more arithmetic per
#   image, so on a CPU it trains more slowly per epoch. It trains with the same `fit`
#   (`CNN_RECIPE`, `python -m mnist_course train --model cnn`).
# - It makes fewer mistakes on MNIST's test set, copes better with digits moved by 4
#   pixels or more, and reads more of the synthetic hard set than the MLP. On the course's
#   easy pictures there is little to gain, and tiny digits stay the hardest for both. What
#   the cleaning cuts or leaves out, no network can read: better preprocessing, not another
#   network, is the next step there.
