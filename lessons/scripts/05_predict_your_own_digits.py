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
# # Lesson 5: Predict your own digits
#
# Your network reads MNIST's test digits almost perfectly. Now the real test: digits it
# has never seen the like of, written by you. We load the model saved in lesson 4, show
# why the obvious way of feeding it a picture fails, then prepare pictures the way MNIST
# itself was made, and finally let you draw digits with the mouse (or a finger) and
# upload photos.
#
# **What you will learn**
#
# - how to load a saved model safely (`weights_only=True`)
# - why the tutorials' `convert('L')` + `Resize((28, 28))` fails on real pictures
# - how MNIST's digits were made, and how to make yours the same way: light ink on black,
#   cropped to the ink, scaled to fit 20x20, centred by centre of mass in 28x28
# - how to read the model's top-3 guesses and their probabilities
# - why a model can be wrong and sure of itself: **distribution shift**

# %% [markdown]
# ## Setup
#
# Imports, seed, figure settings and the device, as in every lesson. The preprocessing
# and prediction functions of this lesson live in `mnist_course.preprocess` and
# `mnist_course.predict`; the drawing widgets in `mnist_course.draw`.

# %%
# NBVAL_IGNORE_OUTPUT
from pathlib import Path

import matplotlib.pyplot as plt
import torch
from PIL import Image
from torchvision import transforms

from mnist_course.checkpoints import load_checkpoint
from mnist_course.data import SAMPLES_DIR, data_source, load_mnist, load_samples
from mnist_course.draw import DigitCanvas, DigitUpload
from mnist_course.env import describe_device, get_device, limit_cpu_threads, set_seed, setup_figures
from mnist_course.exercises import check, compare_guess
from mnist_course.models import MLP
from mnist_course.pictures import show_pictures, show_steps
from mnist_course.plots import show_digits
from mnist_course.predict import (
    DEFAULT_RECIPE,
    all_probabilities,
    format_prediction,
    predict,
    predict_uploads,
)
from mnist_course.preprocess import preprocess_steps, to_mnist
from mnist_course.strokes import EXAMPLE_STROKES, predict_strokes, scale_strokes, strokes_to_image
from mnist_course.training import evaluate, fit

set_seed(0)
setup_figures()
device = get_device()
print("CPU threads:", limit_cpu_threads())  # at most the CPUs this machine lets us use
print("device:", describe_device(device))
print("data:", data_source())

# %% [markdown]
# ## 1. Load the model from lesson 4, safely
#
# Lesson 4 saved its best model in `checkpoints/lesson4_best.pt` with `save_checkpoint`.
# That file holds only numbers and plain settings: the weights (the model's
# `state_dict`), the model's class and sizes, its test accuracy, and the mean and std it
# was trained with.
#
# `load_checkpoint` reads it with `torch.load(path, weights_only=True)`. This matters:
# by default a `.pt` file is a Python *pickle*, and unpickling a file can run any code
# hidden inside it. With `weights_only=True` PyTorch only accepts tensors and plain data,
# so a checkpoint downloaded from somewhere cannot take over your computer. Never load a
# model file you did not make without it.
#
# If you have not run lesson 4, there is no checkpoint: we then train a quick MLP for a
# few seconds instead (on 10,000 images, two epochs), which is good enough for this lesson.

# %%
checkpoint_path = Path("checkpoints") / "lesson4_best.pt"

# %%
# NBVAL_IGNORE_OUTPUT
if checkpoint_path.exists():
    model, info = load_checkpoint(checkpoint_path, device=device)
    print(f"Loaded {checkpoint_path}: {info['model_class']} {info['config']}")
    print("metrics saved with it:", info["metrics"])
else:
    print(f"No {checkpoint_path} (run lesson 4 to make one): training a quick MLP instead.")
    model = MLP(hidden=(128,)).to(device)
    fit(model, load_mnist("train"), epochs=2, optimizer="adam", lr=1e-3, subset=10_000, progress=False)
recipe = getattr(model, "recipe", DEFAULT_RECIPE)  # how its inputs are prepared and normalised
mean, std = recipe["mean"], recipe["std"]
print("normalisation: mean", mean, "std", std)

# %% [markdown]
# Before trusting it with our own digits, we check that it still reads MNIST's test set
# well. `evaluate` normalises the images with the same `mean` and `std` the model was
# trained with; a model fed differently normalised inputs would do much worse.

# %%
# NBVAL_IGNORE_OUTPUT
test = load_mnist("test")
test_loss, test_accuracy = evaluate(model, test.images, test.labels, mean=mean, std=std)
print(f"MNIST test accuracy: {test_accuracy:.3f}")
assert test_accuracy > 0.9

# %% [markdown]
# ## 2. Digits that are not from MNIST
#
# The course ships a few dozen pictures of digits that we made ourselves: digits written
# in handwriting-like fonts on white, cream and gray paper, off-centre, big and small,
# some tilted or in thick marker, some with a transparent background, two in chalk on a
# board, and some drawn with the mouse. The true digit of each is in `labels.json`.
# Here are 16 of them (every third one), each shown at its own size:

# %%
paths, labels = load_samples()  # image files, and the true digits (N,)
shown = list(range(0, len(paths), 3))[:16]  # the pictures we look at
print(len(paths), "pictures of the digits", sorted(set(labels.tolist())))

# %%
show_pictures([paths[i] for i in shown], titles=[paths[i].stem for i in shown])
plt.show()

# %% [markdown]
# ## 3. The naive way: `convert('L')` + `Resize((28, 28))`
#
# Several tutorials end by reading a picture like this: open it, turn it to grayscale
# with `convert('L')`, squash it to 28x28 with `Resize((28, 28))`, and turn it into a
# tensor with `ToTensor()`. That gives a tensor of the right shape, `(1, 28, 28)`, so the
# model happily makes a prediction. Let us try it on all our pictures.
#
# **Predict first.** What fraction of our pictures will the model read correctly this way?
# Write a number between 0 and 1 before you run the next cells.

# %% tags=["predict"]
my_guess = ...  # a number between 0 and 1

# %%
naive = transforms.Compose([transforms.Resize((28, 28)), transforms.ToTensor()])


def naive_pipeline(path):
    with Image.open(path) as picture:
        return naive(picture.convert("L"))  # (1, 28, 28)


naive_images = torch.stack([naive_pipeline(path) for path in paths])  # (N, 1, 28, 28)
print("naive inputs:", naive_images.shape)

# %% [markdown]
# `predict(model, images)` runs the model in eval mode without tracking gradients, after
# normalising with the model's recipe (`model.recipe`: its `mean` and `std`), and returns
# for each image a list of
# `(digit, probability)` pairs, most likely first (with `k=1`, just the best guess).

# %%
naive_guesses = predict(model, naive_images, k=1)
naive_predictions = torch.tensor([guesses[0][0] for guesses in naive_guesses])  # (N,)
show_digits(naive_images[shown], labels[shown], naive_predictions[shown], ncols=8)
plt.show()

# %% [markdown]
# Look at what the model was given: dark digits on a white background (MNIST's are white
# on black), small and off-centre (MNIST's fill the middle), squashed when the picture
# was not square, and the transparent pictures turned into a dark smudge on black,
# because `convert('L')` throws the transparency away. The model has never seen anything
# like that, and its answers are barely better than guessing:

# %%
# NBVAL_IGNORE_OUTPUT
naive_accuracy = (naive_predictions == labels).float().mean().item()
print(f"naive pipeline: {naive_accuracy:.0%} correct on {len(labels)} pictures")

# %% [markdown]
# How did your guess do? (Within 0.1 counts as close.)

# %%
compare_guess(my_guess, naive_accuracy, tolerance=0.1)

# %% [markdown]
# ## 4. How MNIST's digits were made
#
# MNIST's creators (LeCun, Cortes and Burges) started from scanned forms filled in by
# American Census Bureau employees and high-school students. Each digit was:
#
# 1. cut out from the form and turned into **light ink on a black background**;
# 2. scaled, **keeping its proportions**, so that its longest side is **20 pixels**, with
#    antialiasing (which makes the gray edge pixels);
# 3. placed in a **28x28** image so that its **centre of mass** (the average position of
#    its ink, weighted by brightness) is at the centre, pixel (14, 14).
#
# `mnist_course.preprocess` does the same, one small function per step:
#
# | step | function | what it does |
# |---|---|---|
# | loaded | `load_image` | reads a file, bytes, a PIL image or an array |
# | grayscale | `to_grayscale` | one brightness per pixel; a transparent background becomes paper |
# | inverted | `invert_if_light_background` | if the border is light, dark-on-light becomes light-on-dark |
# | background removed | `remove_background` | shadows and uneven light are estimated and taken away |
# | lines removed | `remove_lines` | ruled or squared paper lines across the picture go |
# | stretched | `stretch_contrast` | the background becomes exactly 0 and the ink 1 |
# | cropped | `crop_to_ink` | cut away everything around the ink |
# | thickened | `thicken_strokes` | a thin pen line is made as thick as MNIST's pen |
# | 20x20 | `fit_in_20x20` | longest side to 20 pixels, keeping the proportions |
# | 28x28 | `center_by_mass` | paste into 28x28 with the centre of mass at (14, 14) |
#
# `preprocess_steps` returns every intermediate picture, so we can watch them:

# %%
steps = preprocess_steps(SAMPLES_DIR / "5_dancing_rgba.png")  # a transparent background
print(list(steps))
show_steps(steps)
plt.show()

# %% [markdown]
# A pen line that is thin compared to the digit (drawn with a 3-pixel pen here) would
# shrink to a faint trace in 20x20, so `thicken_strokes` widens it first. MNIST's own
# digits are already thick enough, and this step leaves them alone:

# %%
show_steps(preprocess_steps(SAMPLES_DIR / "2_mouse_thinpen.png"))
plt.show()

# %% [markdown]
# ## 5. The naive pipeline vs `to_mnist`
#
# `to_mnist` runs all these steps and returns the `(1, 28, 28)` tensor in 0..1, ready for
# `predict`. Applied to an MNIST digit, it changes next to nothing (the unit tests check
# that a trained model's predictions on MNIST do not change). On our pictures:

# %%
mnist_images = torch.stack([to_mnist(path) for path in paths])  # (N, 1, 28, 28)
mnist_guesses = predict(model, mnist_images, k=3)
mnist_predictions = torch.tensor([guesses[0][0] for guesses in mnist_guesses])  # (N,)
show_digits(mnist_images[shown], labels[shown], mnist_predictions[shown], ncols=8)
plt.show()

# %% [markdown]
# The same pictures, now looking like MNIST digits. The accuracy of both pipelines on all
# the shipped pictures:

# %%
# NBVAL_IGNORE_OUTPUT
mnist_accuracy = (mnist_predictions == labels).float().mean().item()
print(f"naive pipeline:       {naive_accuracy:.0%} correct")
print(f"MNIST-style pipeline: {mnist_accuracy:.0%} correct")
assert mnist_accuracy >= naive_accuracy + 0.2

# %%
print("MNIST-style is clearly better than naive:", mnist_accuracy >= naive_accuracy + 0.2)

# %% [markdown]
# ## 6. Top-3 guesses, with probabilities
#
# The model's last layer gives ten scores (logits); softmax turns them into ten
# probabilities that add up to 1 (lesson 2). `predict(..., k=3)` keeps the three largest.
# A confident answer has one probability near 100%; a hesitant one spreads it out.

# %%
# NBVAL_IGNORE_OUTPUT
for path, guesses in list(zip(paths, mnist_guesses, strict=True))[::6]:
    print(format_prediction(path.name, guesses))

# %% [markdown]
# The whole probability distribution for four pictures, next to what the model saw:

# %%
fig, axes = plt.subplots(2, 4, figsize=(10, 4.5))
for column, index in enumerate([3, 14, 27, 40]):
    axes[0, column].imshow(mnist_images[index, 0], cmap="gray")
    axes[0, column].set_title(f"true {labels[index].item()}")
    axes[0, column].axis("off")
    axes[1, column].bar(range(10), all_probabilities(model, mnist_images[index]))
    axes[1, column].set_xticks(range(10))
    axes[1, column].set_ylim(0, 1)
axes[1, 0].set_ylabel("probability")
plt.show()

# %% [markdown]
# ## 7. What the model gets wrong, and why
#
# Here are the pictures the model reads wrongly, as the model sees them, with its
# three best guesses:

# %%
# NBVAL_IGNORE_OUTPUT
wrong = (mnist_predictions != labels).nonzero().flatten().tolist()
print(len(wrong), "of", len(labels), "wrong")
for index in wrong:
    print(f"true {labels[index].item()}:", format_prediction(paths[index].name, mnist_guesses[index]))

# %%
# NBVAL_IGNORE_OUTPUT
if wrong:
    show_digits(mnist_images[wrong], labels[wrong], mnist_predictions[wrong], ncols=6)
    plt.show()

# %% [markdown]
# Some of these mistakes are understandable; some come with a high probability: the
# model can be wrong *and sure of itself*. This is **distribution shift**: the model
# learned the digits of one particular population of writers, in one particular style,
# and our pictures come from elsewhere:
#
# - **printed and calligraphic fonts**: serifs on a 1, a closed 4, curly 2s and 9s;
#   MNIST's writers rarely wrote like that;
# - **a 7 with a bar through it**, as much of Europe writes it, is rare in MNIST;
# - **pen thickness and shape**: fonts have sharp corners and even strokes, MNIST's pens
#   were round and blotchy.
#
# The probabilities only say how the model ranks the ten digits *given what it learned*;
# they do not know what the model has never seen. An MLP also sees pixels, not shapes:
# it has no idea that a shifted or slightly rotated digit is still the same digit, which
# is why centring matters so much. Two remedies: train on more varied data (lesson 4's
# `augment=True` adds small random shifts, rotations and scalings to the training
# digits), or use a network built for images (a *convolutional* network, the next step
# after this course).
#
# How confident is the model on the pictures it gets right, and on those it gets wrong?
# On average it is less sure when it is wrong, but the average hides single mistakes
# made with great confidence, as in the list above.

# %%
# NBVAL_IGNORE_OUTPUT
confidence = torch.tensor([guesses[0][1] for guesses in mnist_guesses])  # (N,) top probability
right = mnist_predictions == labels
print(f"average top probability when right: {confidence[right].mean():.0%}")
if (~right).any():
    print(f"average top probability when wrong: {confidence[~right].mean():.0%}")

# %% [markdown]
# ### Does data augmentation help with your own digits?
#
# Lesson 4 trained its final model with `augment=True`: during training every digit is
# shifted, rotated and scaled a little, at random. That made the *MNIST* test accuracy
# better. Does it also help with digits that are *not* from MNIST? To find out, we train
# two small networks that differ only in augmentation (same seed, data, epochs and
# optimizer) and let both read our pictures. Each trains for 4 epochs, a few seconds.

# %%
# NBVAL_IGNORE_OUTPUT
train, test = load_mnist("train"), load_mnist("test")
own_digit_accuracy = {}
for augment in (False, True):
    set_seed(0)
    small_model = MLP(hidden=(256, 128), dropout=0.2)
    history = fit(small_model, train, test, epochs=4, optimizer="adam", lr=1e-3, batch_size=128,
                  augment=augment, device=device, progress=False)
    guesses = predict(small_model, mnist_images, k=1)
    predictions = torch.tensor([g[0][0] for g in guesses])  # (N,)
    own_digit_accuracy[augment] = (predictions == labels).float().mean().item()
    print(f"augment={augment!s:5}: MNIST test accuracy {history.test_accuracy[-1]:.3f}, "
          f"own pictures {own_digit_accuracy[augment]:.0%} correct")
assert own_digit_accuracy[True] >= own_digit_accuracy[False]

# %%
augmentation_helps = own_digit_accuracy[True] >= own_digit_accuracy[False]
print("augmentation reads at least as many of our pictures:", augmentation_helps)

# %% [markdown]
# On the offline data the augmented network reads a few more of our pictures (about 6
# percentage points more, on two different seeds). That is the point of augmentation:
# it shows the network variations of the digits it already knows (a little off-centre,
# a little tilted, a little bigger), so it depends less on the exact position and size of
# MNIST's digits. It does not fix everything: a printed 1 with serifs or a crossed 7 is
# a *different shape*, not a shifted one, and no amount of shifting teaches that.

# %% [markdown]
# ## 8. Draw your own digits
#
# Draw a digit in the black square below with the mouse (or a finger), then press
# **Predict**: you see the 28x28 image the model gets (after `to_mnist`) and the
# probability of each digit. **Clear** starts again. Draw large, and use the whole
# square: your drawing is cropped and centred anyway.
#
# The canvas only records your strokes; nothing runs until you press a button. (When this
# notebook runs without a browser, as in the course's automatic tests, the canvas just
# sits there.)

# %%
DigitCanvas(model)

# %% [markdown]
# The Predict button renders your strokes as thick round lines and calls
# `predict_strokes`. We can call it ourselves with strokes given as lists of `(x, y)`
# points; here is the course's example 7, drawn on a 280x280 canvas:

# %%
strokes = scale_strokes(EXAMPLE_STROKES[7])  # lists of (x, y) points, in canvas pixels
drawing = strokes_to_image(strokes)  # what the canvas shows: white pen on black
seen, guesses = predict_strokes(model, strokes)
print("drawing:", drawing.size, " model input:", tuple(seen.shape))

# %%
# NBVAL_IGNORE_OUTPUT
print(format_prediction("example 7", guesses))

# %% [markdown]
# ## 9. Upload photos or scans
#
# Take a photo of a digit written on paper (thick dark pen, plain light background, one
# digit per picture, cropped roughly around it) and upload it here; you can pick several
# files at once. Each is read in memory with `to_mnist`, never saved to disk, and the
# upload button forgets the files afterwards, so your photos are not stored in the
# notebook when you save it.

# %%
DigitUpload(model)

# %% [markdown]
# The upload button calls `predict_uploads` with the files' names and bytes. Here is the
# same on two of the shipped pictures, read as bytes the way an upload arrives:

# %%
# NBVAL_IGNORE_OUTPUT
files = [{"name": path.name, "content": path.read_bytes()} for path in paths[:2]]
for result in predict_uploads(model, files):
    print(format_prediction(result["name"], result["guesses"]))

# %% [markdown]
# ## Recap
#
# - Load models with `load_checkpoint`, which uses `torch.load(..., weights_only=True)`:
#   a checkpoint is data, and loading it must never run code.
# - A model only works on inputs like the ones it was trained on. `convert('L')` +
#   `Resize((28, 28))` gives the right *shape*, but not MNIST's look: the naive pipeline
#   is right on only a few of our pictures.
# - MNIST-style preprocessing (`to_mnist`): light ink on black, crop to the ink, fit the
#   longest side in 20 pixels keeping the proportions, centre the centre of mass in 28x28.
#   On the same pictures, it gets most digits right.
# - `predict(model, images, k=3)` gives each image's top guesses with probabilities.
#   High probability is not correctness: on data unlike its training data (distribution
#   shift), a model can be confidently wrong.
# - Training with augmentation (`fit(..., augment=True)`) makes a network read more of
#   our own pictures, not only more of MNIST's test digits.
# - The canvas and the upload button call the same plain functions (`predict_strokes`,
#   `predict_uploads`) that you can run yourself.

# %% [markdown]
# ## Exercises
#
# Write your answer in each cell marked "your code here" (replace the `...`) and run the
# cell. The check at its end says at once whether your answer is correct, or which
# mistake it sees. **Hint** shows one hint at a time; **Solution** shows a solution, but
# only when you click it. Running the whole notebook never replaces what you wrote.

# %% [markdown]
# **Exercise 5.1.** MNIST's step 2 by hand: write `fit_in_20(height, width)`, which returns
# the size `(new_height, new_width)`, in whole pixels, of a digit of that size scaled so
# that its longest side is 20 pixels, keeping its proportions. The check tries it on the
# ink of real MNIST digits, and on a very thin stroke.

# %% tags=["exercise"]
def fit_in_20(height, width):
    ...  # your code here


check("5.1", fit_in_20)

# %% [markdown]
# **Exercise 5.2.** MNIST's step 3: write `centre_of_mass(image)` for a `(28, 28)` float
# image (ink is the high value). It returns `(row, column)`: the average position of the
# ink, each pixel weighted by its brightness.

# %% tags=["exercise"]
def centre_of_mass(image):
    ...  # your code here


check("5.2", centre_of_mass)

# %% [markdown]
# **Exercise 5.3.** Write `shift_right(images, pixels)`: for uint8 images `(N, 28, 28)` it
# returns them moved `pixels` to the right, with black (0) filling the columns on the left,
# the same shape and dtype. Then measure the model on 1,000 moved test digits,
# `shift_right(test.images[:1000], 5)`, with `evaluate`, and once more after `to_mnist`:
# what happens to the accuracy?

# %% tags=["exercise"]
def shift_right(images, pixels):
    ...  # your code here


check("5.3", shift_right)
