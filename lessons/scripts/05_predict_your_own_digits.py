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
# **Time:** about 45 minutes.
#
# Your network reads MNIST's test digits almost perfectly. Now digits that do not come
# from MNIST: we load lesson 4's model, feed it pictures the way several tutorials do and
# the way MNIST itself was made, and then you draw and upload your own.
#
# **What you will learn**
#
# - how to load a saved model safely (`weights_only=True`), with the *recipe* its inputs need
# - what the tutorials' `convert('L')` + `Resize((28, 28))` gives the model
# - how MNIST's digits were made, and how to make yours the same way: light ink on black,
#   cropped to the ink, scaled to fit 20x20, centred by centre of mass in 28x28, and
#   straightened (deskewed)
# - how to read the model's top-3 guesses and their probabilities
# - why a model can be wrong and sure of itself: **distribution shift**

# %% [markdown]
# ## Setup
#
# The lesson's imports, then `setup()`: it seeds the random numbers, sets up the figures,
# limits the CPU threads and picks the device, and prints what it chose. The functions of
# this lesson live in `mnist_course.handwriting` (preparing and reading pictures) and
# `mnist_course.widgets` (the drawing and upload widgets).

# %% tags=["nbval-ignore-output", "volatile"]
import io
from collections import Counter
from pathlib import Path

import matplotlib.pyplot as plt
import torch
from PIL import Image
from torchvision import transforms

from mnist_course.checkpoints import load_checkpoint
from mnist_course.data import SAMPLES_DIR, load_mnist, load_samples
from mnist_course.data.deskew import deskew_batch
from mnist_course.data.evalsets import HARDSET_DIR, load_hardset
from mnist_course.env import setup
from mnist_course.exercises import check, compare_guess
from mnist_course.handwriting.guard import check_digit
from mnist_course.handwriting.predict import all_probabilities, format_guesses, predict
from mnist_course.handwriting.preprocess import preprocess_steps, to_mnist
from mnist_course.handwriting.reading import format_result, predict_uploads
from mnist_course.plots import show_digits, show_pictures, show_steps
from mnist_course.recipe import train_final_model
from mnist_course.training import evaluate
from mnist_course.widgets.draw import DigitCanvas, DigitUpload
from mnist_course.widgets.strokes import EXAMPLE_STROKES, predict_strokes, scale_strokes, strokes_to_image

device = setup()

# %% [markdown]
# ## 1. Load the model from lesson 4, safely
#
# Lesson 4 saved its final model in `checkpoints/lesson4_best.pt`: the weights (the
# `state_dict`), the model's class and sizes, its test accuracy, and its **recipe**: how
# its input images must be prepared.
#
# `load_checkpoint` reads it with `torch.load(path, weights_only=True)`. This matters: a
# `.pt` file is a Python *pickle*, and unpickling a file can run any code hidden inside it.
# With `weights_only=True` PyTorch only accepts tensors and plain data, so a checkpoint
# from somewhere else cannot take over your computer. Never load a model file without it.
#
# Without lesson 4's checkpoint, we train the same recipe for 20 epochs instead of 40.

# %% tags=["nbval-ignore-output", "volatile"]
checkpoint_path = Path("checkpoints") / "lesson4_best.pt"
if checkpoint_path.exists():
    model, info = load_checkpoint(checkpoint_path, device=device)
    print(f"Loaded {checkpoint_path}: {info['model_class']} {info['config']}")
    print("metrics saved with it:", info["metrics"])
else:
    print(f"No {checkpoint_path} (run lesson 4 to make one): training the recipe for 20 epochs instead.")
    model, _ = train_final_model(load_mnist("train"), device=device, epochs=20)

# %% [markdown]
# The recipe travelled in the checkpoint, as `model.recipe`: the mean and standard
# deviation to normalise with, and the options of the preprocessing. Our model was trained
# on **deskewed** digits (section 4 shows what that means), so every picture it reads must
# be deskewed too. `predict` and `evaluate` read the recipe and do it themselves.

# %%
recipe = model.recipe
print("recipe:", recipe)

# %% [markdown]
# First we check that it still reads MNIST's test set well. `evaluate` prepares the uint8
# test images as the recipe says (deskewed, then normalised) before the model sees them.

# %% tags=["nbval-ignore-output", "volatile"]
test = load_mnist("test")
test_loss, test_accuracy = evaluate(model, test.images, test.labels)
print(f"MNIST test accuracy: {test_accuracy:.3f}")

# %% [markdown]
# ## 2. Digits that are not from MNIST
#
# The course ships a few dozen pictures of digits that we made ourselves: handwriting-like
# fonts on paper, off-centre, big and small, tilted, in thick marker, with a transparent
# background, in chalk, or drawn with the mouse. Here are 16 of them, each at its own size:

# %%
paths, labels = load_samples()  # image files, and the true digits (N,)
shown = list(range(0, len(paths), 3))[:16]  # the pictures we look at
print(len(paths), "pictures of the digits", sorted(set(labels.tolist())))
show_pictures([paths[i] for i in shown], titles=[paths[i].stem for i in shown])
plt.show()

# %% [markdown]
# ## 3. The tutorials' way: `convert('L')` + `Resize((28, 28))`
#
# Several tutorials end by reading a picture like this: open it, turn it to grayscale
# with `convert('L')`, squash it to 28x28 with `Resize((28, 28))`, and turn it into a
# tensor with `ToTensor()`. That gives a tensor of the right shape, `(1, 28, 28)`, so the
# model happily makes a prediction.
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
# `predict(model, images, k=1)` runs the model in eval mode without tracking gradients,
# after preparing the images with the model's recipe, and returns for each image a list of
# `(digit, probability)` pairs, most likely first. Here are the inputs, titled with the
# true digit and the model's guess:

# %%
naive_guesses = predict(model, naive_images, k=1)
naive_predictions = torch.tensor([guesses[0][0] for guesses in naive_guesses])  # (N,)
show_digits(naive_images[shown], labels[shown], naive_predictions[shown], ncols=8)
plt.show()

# %% [markdown]
# Look at what the model was given. The pictures on paper became dark digits on a white
# background (in MNIST the ink is the *high* value and the background 0, drawn here as
# light on black). The transparent pictures became a faint grey digit on black, because
# `convert('L')` throws the transparency away. Only the canvas drawings look a little like
# MNIST, and even they are small and off-centre, or squashed when the picture was not
# square. The model has never seen anything like that, and it reads few of them. How did
# your guess do? (Within 0.1 counts as close.)

# %% tags=["nbval-ignore-output", "volatile"]
naive_accuracy = (naive_predictions == labels).float().mean().item()
print(f"naive pipeline: {naive_accuracy:.0%} correct on {len(labels)} pictures")
compare_guess(my_guess, naive_accuracy, tolerance=0.1)

# %% [markdown]
# ## 4. How MNIST's digits were made
#
# MNIST's creators started from scanned forms filled in by American Census Bureau
# employees and high-school students. Each digit was:
#
# 1. cut out from the form, with its ink as the high value on a zero background;
# 2. scaled, **keeping its proportions**, so that its longest side is **20 pixels**, with
#    antialiasing (which makes the gray edge pixels);
# 3. placed in a **28x28** image so that its **centre of mass** (the average position of
#    its ink, weighted by brightness) is at the centre, pixel (14, 14).
#
# `mnist_course.handwriting.preprocess` does the same, one small function per step, after
# cleaning up the paper the way a photo needs:
#
# | step | function | what it does |
# |---|---|---|
# | loaded | `load_image` | reads a file, bytes, a PIL image or an array |
# | grayscale | `to_grayscale` | one brightness per pixel; a transparent background becomes paper |
# | paper found | `mask_outside_paper` | the table takes the paper's colour; a turned sheet is set upright |
# | inverted | `invert_if_light_background` | dark ink on lighter paper (dim too) becomes light on dark |
# | background removed | `remove_background` | shadows and uneven light are estimated and taken away |
# | lines removed | `remove_lines` | ruled or squared paper lines go, even when the sheet is a little turned |
# | stretched | `stretch_contrast` | the background becomes exactly 0 and the ink 1 |
# | specks removed | `keep_main_ink` | specks and marks far from the digit are dropped |
# | cropped | `crop_to_ink` | cut away everything around the ink |
# | thickened | `thicken_strokes` | a thin pen line is made as thick as MNIST's pen |
# | 20x20 | `fit_in_20x20` | longest side to 20 pixels, keeping the proportions |
# | 28x28 | `center_by_mass` | paste into 28x28 with the centre of mass at (14, 14) |
# | deskewed | `deskew` | straighten a slanted digit (only when the model's recipe says so) |
#
# `preprocess_steps` returns every intermediate picture. Here are a photo of a 4 on lined
# paper, and a digit drawn with a thin 3-pixel pen, which `thicken_strokes` widens:

# %%
steps = preprocess_steps(HARDSET_DIR / "lined_04_4.jpg", **recipe["preprocess"])
print(list(steps))
show_steps(steps)
show_steps(preprocess_steps(SAMPLES_DIR / "2_mouse_thinpen.png", **recipe["preprocess"]))
plt.show()

# %% [markdown]
# ### Deskewing, on both sides
#
# People slant their digits, each by their own amount. **Deskewing** straightens them:
# it measures how far the ink moves sideways, on average, per row down (the covariance of
# the ink's row and column positions), which is how much the digit leans, and shears it
# upright. A model then does not have to learn every slant. It only helps if the model saw
# deskewed digits while training, so lesson 4's recipe deskews every training image
# (`deskew_batch`), and its checkpoint tells `to_mnist` to deskew every picture too.
# Training digits as stored (top row) and deskewed (bottom row):

# %%
train_digits = load_mnist("train").images[:8]  # (8, 28, 28) uint8
show_digits(torch.cat([train_digits, deskew_batch(train_digits)]), ncols=8)
plt.show()

# %% [markdown]
# ### Exercises 5.1 and 5.2
#
# Replace the `...` in each cell marked "your code here" and run the cell: the check says
# at once whether your answer is correct, or which mistake it sees. **Hint** shows one hint
# at a time, **Solution** a solution when you click it.
#
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
# ## 5. The tutorials' way vs `to_mnist`
#
# `to_mnist` runs all these steps and returns the `(1, 28, 28)` tensor in 0..1, ready for
# `predict`; we pass it the recipe's preprocessing options. The same shipped pictures:

# %%
mnist_images = torch.stack([to_mnist(path, **recipe["preprocess"]) for path in paths])  # (N, 1, 28, 28)
mnist_guesses = predict(model, mnist_images, k=3)
mnist_predictions = torch.tensor([guesses[0][0] for guesses in mnist_guesses])  # (N,)
show_digits(mnist_images[shown], labels[shown], mnist_predictions[shown], ncols=8)
plt.show()

# %% [markdown]
# Now they look like MNIST digits, and the model reads nearly all of them, far more than
# the tutorials' way:

# %% tags=["nbval-ignore-output", "volatile"]
mnist_accuracy = (mnist_predictions == labels).float().mean().item()
print(f"naive pipeline:       {naive_accuracy:.0%} correct")
print(f"MNIST-style pipeline: {mnist_accuracy:.0%} correct")

# %% [markdown]
# **Exercise 5.3.** Why does centring matter so much? Write `shift_right(images, pixels)`:
# for uint8 images `(N, 28, 28)` it returns them moved `pixels` to the right, with black (0)
# filling the columns on the left, the same shape and dtype. Once the check says correct,
# measure the model on 1,000 moved test digits, then on the same digits centred again:
#
# ```python
# moved = shift_right(test.images[:1000], 5)  # uint8: evaluate prepares them
# print(evaluate(model, moved, test.labels[:1000]))  # (loss, accuracy)
# recentred = torch.stack([to_mnist(image.numpy(), **recipe["preprocess"]) for image in moved])
# guesses = predict(model, recentred, k=1)  # to_mnist's floats in 0..1 go to predict
# ```
#
# and count the guesses that match `test.labels[:1000]`. What happens?

# %% tags=["exercise"]
def shift_right(images, pixels):
    ...  # your code here


check("5.3", shift_right)

# %% [markdown]
# ## 6. Top-3 guesses, with probabilities
#
# The model's last layer gives ten scores (logits); softmax turns them into ten
# probabilities that add up to 1 (lesson 2). `predict(..., k=3)` keeps the three largest.
# A confident answer has one probability near 100%; a hesitant one spreads it out.

# %% tags=["nbval-ignore-output", "volatile"]
for path, guesses in list(zip(paths, mnist_guesses, strict=True))[::6]:
    print(f"{path.name}: {format_guesses(guesses)}")

# %% [markdown]
# The whole probability distribution for four pictures (the last one is the picture the
# model is least sure about), under what the model saw:

# %%
fig, axes = plt.subplots(2, 4, figsize=(10, 4.5))
hesitant = min(range(len(paths)), key=lambda i: mnist_guesses[i][0][1])  # the least sure answer
for column, index in enumerate([3, 14, 27, hesitant]):
    axes[0, column].imshow(mnist_images[index, 0], cmap="gray")
    axes[0, column].set_title(f"true {labels[index].item()}")
    axes[0, column].axis("off")
    axes[1, column].bar(range(10), all_probabilities(model, mnist_images[index]))
    axes[1, column].set_xticks(range(10))
    axes[1, column].set_ylim(0, 1)
axes[1, 0].set_ylabel("probability")
for ax in axes[1]:
    ax.set_xlabel("digit")
plt.show()

# %% [markdown]
# **Exercise 5.4.** Write `top_guesses(logits, k)`: for one image's ten scores (a tensor of
# shape `(10,)`) it returns the `k` most likely digits with their probabilities, as a list
# of `(digit, probability)` pairs, most likely first: what `predict` returns for one image.
# The check feeds it scores like a model's.

# %% tags=["exercise"]
def top_guesses(logits, k):
    ...  # your code here


check("5.4", top_guesses)

# %% [markdown]
# ## 7. A harder test: the course's synthetic hard set
#
# The course also has a **hard set** of 300 pictures, in `mnist_course/hardset/` (its
# `README.md` says how each was made). They are **synthetic**, made by a program: each
# digit is a handwriting font or generated strokes with a random wobble, pen width and
# slant, laid on simulated paper, canvases and phone photos (shadows, uneven light, blur,
# lined and squared paper, thick marker, thin pen, tiny digits in a big photo). No person
# wrote them: they test the cleaning in many situations, but they are not real
# handwriting, and your own digits may be read better or worse. Two of each kind:

# %%
hard_paths, hard_labels, hard_kinds = load_hardset()  # files, true digits, kinds
hard_labels = torch.tensor(hard_labels)  # (300,)
kinds = sorted(set(hard_kinds))
print(len(hard_paths), "pictures;", dict(sorted(Counter(hard_kinds).items())))
two_of_each = [i for kind in kinds for i in [j for j, k in enumerate(hard_kinds) if k == kind][:2]]
show_pictures([hard_paths[i] for i in two_of_each], titles=[hard_kinds[i] for i in two_of_each], ncols=8)
plt.show()

# %% [markdown]
# We read all 300 both ways. `check_digit` runs `to_mnist` (with the recipe's options) and
# also lists what makes a cleaned picture look unlike one digit (section 10 says more).
# This takes some seconds. Then the share read correctly, per kind of picture:

# %% tags=["nbval-ignore-output", "volatile"]
hard_naive = torch.stack([naive_pipeline(path) for path in hard_paths])  # (300, 1, 28, 28)
checked = [check_digit(path, **recipe["preprocess"]) for path in hard_paths]
hard_images = torch.stack([image for image, _ in checked])  # (300, 1, 28, 28)
hard_problems = [problems for _, problems in checked]  # why a picture does not look like a digit
hard_guesses = predict(model, hard_images, k=3)
hard_predictions = torch.tensor([guesses[0][0] for guesses in hard_guesses])  # (300,)
right = hard_predictions == hard_labels  # (300,) True where to_mnist + the model is right
naive_right = torch.tensor([g[0][0] for g in predict(model, hard_naive, k=1)]) == hard_labels
per_kind = {}
print(f"{'kind':12} pictures  naive  to_mnist")
for kind in [*kinds, "all"]:
    rows = torch.tensor([kind in ("all", k) for k in hard_kinds])
    per_kind[kind] = right[rows].float().mean().item()
    print(f"{kind:12} {rows.sum().item():8}  {naive_right[rows].float().mean():5.0%}  {per_kind[kind]:8.0%}")

# %% tags=["nbval-ignore-output", "volatile"]
flagged = torch.tensor([bool(problems) for problems in hard_problems])  # (300,) the guard's verdicts
print(f"the guard refuses {flagged[right].sum()} of the {right.sum()} pictures the model reads correctly,")
print(f"and {flagged[~right].sum()} of the {(~right).sum()} it misreads")

# %% [markdown]
# Four things to see in this table and these counts:
#
# - `to_mnist` reads far more of the hard set than the tutorials' way.
# - Mouse and finger drawings, like the canvas below, are read well, and so are most
#   photos of a sheet on a table and of lined and squared paper.
# - Tiny digits in a big photo are still the hardest kind. A digit 14 to 28 pixels tall
#   in a 400x300 photo leaves the cleaning little to work with: a stroke lying along a
#   ruled line must not go with the line, nor a small digit with the specks.
# - The not-a-digit guard (section 10) refuses almost none of these pictures, right or
#   wrong: a misread digit looks like one digit, only the wrong one.

# %% [markdown]
# ## 8. What the model gets wrong, and why
#
# Here are the first two hard-set pictures of each kind that the model reads wrongly, with
# its three best guesses, then as the model sees them (titled with the true digit and the
# guess). Which pictures appear depends on the trained model, so yours may differ.

# %% tags=["nbval-ignore-output", "volatile"]
wrong = (~right).nonzero().flatten().tolist()  # indices of the misread pictures
gallery = [i for kind in kinds for i in [j for j in wrong if hard_kinds[j] == kind][:2]]
for index in gallery:
    print(f"{hard_kinds[index]:12} true {hard_labels[index].item()}: {format_guesses(hard_guesses[index])}")
print("mistakes per kind:", dict(Counter(hard_kinds[i] for i in wrong).most_common()))
show_digits(hard_images[gallery], hard_labels[gallery], hard_predictions[gallery], ncols=8)
plt.show()

# %% [markdown]
# Mistakes like these come in two sorts. Some are cleaning failures: a bit of a rule, of
# the sheet's edge or of a shadow left beside the digit, or a digit broken into pieces.
# Others are shapes MNIST's writers rarely made, or made differently, such as a digit
# slanted far or an open 4.
#
# ### Sure, and wrong
#
# How confident is the model on the pictures it gets right, and on those it gets wrong?

# %% tags=["nbval-ignore-output", "volatile"]
confidence = torch.tensor([guesses[0][1] for guesses in hard_guesses])  # (300,) top probability
sure_and_wrong = ((confidence > 0.7) & ~right).sum().item()
print(f"average top probability when right: {confidence[right].mean():.0%}")
print(f"average top probability when wrong: {confidence[~right].mean():.0%}")
print(f"mistakes made with more than 70% probability: {sure_and_wrong} of {len(wrong)}")

# %% [markdown]
# On average it is less sure when it is wrong, yet some of its mistakes come with a
# probability above 70%. This is **distribution shift**: the model learned the digits of
# one population of writers, scanned one way, and these pictures come from elsewhere. The
# probabilities only rank the ten digits *given what it learned*; they know nothing of
# what it has never seen.
#
# Lesson 4's recipe already works against it: deskewing, and batches shifted, rotated and
# zoomed at random (`mnist_course.data.augment` can also thicken and bend the pen). The optional
# lesson 6 builds a *convolutional* network, which recognises a stroke wherever it is: it
# makes fewer mistakes on MNIST's test set, and reads more pictures like these than this
# MLP; lesson 6 shows where.

# %% [markdown]
# ## 9. Draw your own digits
#
# Draw a digit in the black square below with the mouse (or a finger), then press
# **Predict**: you see the 28x28 image the model gets (after `to_mnist`) and the
# probability of each digit. **Clear** starts again. Draw large, and use the whole square:
# your drawing is cropped and centred anyway. Nothing runs until you press a button.

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

# %% tags=["nbval-ignore-output", "volatile"]
print(f"example 7: {format_guesses(guesses)}")

# %% [markdown]
# ## 10. Upload photos or scans
#
# Upload photos of digits written on paper (thick dark pen, plain light background, one
# digit per picture), several at once if you like. They are read in memory, never saved,
# and not stored in the notebook.
#
# A model trained on MNIST answers *something* for any input, even a blank page. So first
# the **not-a-digit guard** (`check_digit`) looks at the cleaned picture for what does not
# look like one digit: ink over most of the picture or along its edge, speckles, several
# separate shapes. It judges the digit up close, so a small digit in a big photo is not
# taken for specks. Then the answer is "this does not look like a single digit".

# %%
DigitUpload(model)

# %% [markdown]
# The upload button calls `predict_uploads` with the files' names and bytes. Here is the
# same on two of the shipped pictures, and on a picture of two MNIST test digits side by
# side, read as bytes the way an upload arrives:

# %% tags=["nbval-ignore-output", "volatile"]
files = [{"name": path.name, "content": path.read_bytes()} for path in paths[:2]]
two_digits = Image.fromarray(255 - torch.cat([test.images[0], test.images[1]], dim=1).numpy())  # (28, 56)
png = io.BytesIO()  # a file in memory
two_digits.save(png, format="PNG")
files.append({"name": "two_digits.png", "content": png.getvalue()})
for result in predict_uploads(model, files):
    print(format_result(result))

# %% [markdown]
# ## Recap
#
# - Load models with `load_checkpoint` (`torch.load(..., weights_only=True)`): a
#   checkpoint is data, and loading it must never run code.
# - A model only works on inputs like its training data. `convert('L')` +
#   `Resize((28, 28))` gives the right *shape*, not MNIST's look: few pictures are read.
# - MNIST-style preprocessing (`to_mnist`): clean the paper away, ink as the high value on
#   black, crop to the ink, fit the longest side in 20 pixels keeping the proportions,
#   centre the centre of mass in 28x28, and deskew when the recipe (saved in the
#   checkpoint) says so; `predict` and `evaluate` apply the recipe.
# - On the course's synthetic hard set (generated pictures, not real handwriting),
#   drawings and most photos of paper are read well, tiny digits worst: the cleaning has
#   little to work with.
# - `predict(model, images, k=3)` gives the top guesses with probabilities. High
#   probability is not correctness: under distribution shift a model can be sure and wrong.
# - The canvas and the upload button call plain functions (`predict_strokes`,
#   `predict_uploads`); the guard refuses pictures that do not look like one digit.
#
# **Next:** the optional lesson 6 builds a small convolutional network and compares it with
# this one.
