"""Lesson 5's exercises: MNIST's recipe by hand (fit in 20x20, centre of mass) and shifted digits."""

from __future__ import annotations

import torch

from . import Stop, call, correct, exercise, mistake, mnist, need


def _namespace() -> dict:
    return {"torch": torch, "test": mnist("test")}


def _ink_boxes(count: int = 20) -> list[tuple[int, int]]:
    """The (height, width) of the ink of the first ``count`` test digits."""
    boxes = []
    for image in mnist("test").images[:count]:
        rows, cols = image.any(dim=1).nonzero(), image.any(dim=0).nonzero()
        boxes.append((int(rows.max() - rows.min() + 1), int(cols.max() - cols.min() + 1)))
    return boxes


@exercise("5.1", "the size of a digit scaled to fit 20x20", answer="fit_in_20", kind="function",
          namespace=_namespace, hints=(
    "The longest side becomes 20: which factor turns the longest side into 20?",
    "Multiply both sides by that same factor, so the proportions stay; round to whole pixels.",
    "A very thin digit (a 1 drawn as a line) must keep at least 1 pixel of width.",
), solution="""
def fit_in_20(height, width):
    scale = 20 / max(height, width)
    return max(1, round(height * scale)), max(1, round(width * scale))
""")
def check_fit_in_20(answer) -> object:
    cases = [(40, 20), (30, 45), (10, 10), *_ink_boxes(), (200, 3)]
    for height, width in cases:
        out = call(answer, height, width, name="fit_in_20")
        need(isinstance(out, (tuple, list)) and len(out) == 2, f"for ({height}, {width}) it returned {out!r}",
             "return two numbers: (new_height, new_width)")
        need(all(float(v).is_integer() for v in out), f"for ({height}, {width}) it returned {tuple(out)}",
             "pixels are whole numbers: `round()` them")
        new_h, new_w = (int(v) for v in out)
        scale = 20 / max(height, width)
        exact = (height * scale, width * scale)
        need(not (height != width and (new_h, new_w) == (20, 20)),
             f"({height}, {width}) became 20x20: squashed",
             "that is the naive `Resize` mistake; keep the proportions")
        need(max(new_h, new_w) <= 20 or min(new_h, new_w) != 20, f"({height}, {width}) became "
             f"({new_h}, {new_w}): the shortest side is 20", "the *longest* side must become 20")
        need(not (height != width and (new_w, new_h) == tuple(round(v) for v in exact)),
             f"({height}, {width}) became ({new_h}, {new_w}): height and width are swapped",
             "return (new_height, new_width)")
        need(min(new_h, new_w) >= 1, f"({height}, {width}) became ({new_h}, {new_w}): the digit vanished",
             "never let a side round down to 0 pixels")
        need(all(abs(new - want) < 1 or new == 1 for new, want in zip((new_h, new_w), exact, strict=True)),
             f"({height}, {width}) became ({new_h}, {new_w}), not about ({exact[0]:.1f}, {exact[1]:.1f})",
             "multiply both sides by the one factor that makes the longest side 20")
    return correct("the longest side is 20 and the shape is kept: MNIST's step 2, "
                   "which Resize((28, 28)) skips")


def _reference_centre(image: torch.Tensor) -> tuple[float, float]:
    rows, cols = torch.meshgrid(torch.arange(28.0), torch.arange(28.0), indexing="ij")
    return float((rows * image).sum() / image.sum()), float((cols * image).sum() / image.sum())


@exercise("5.2", "the centre of mass of a digit", answer="centre_of_mass", kind="function",
          namespace=_namespace, hints=(
    "The centre of mass is the average position of the ink, each pixel weighted by its brightness.",
    "You need each pixel's row number and column number as (28, 28) tensors: `torch.meshgrid` spreads "
    "a range of numbers over a grid (ask for `indexing=\"ij\"`: rows first).",
    "A weighted average: add up each pixel's row times its brightness, and divide by the total "
    "brightness. Then the same for the columns.",
), solution="""
def centre_of_mass(image):
    rows, cols = torch.meshgrid(torch.arange(28.0), torch.arange(28.0), indexing="ij")  # (28, 28) each
    total = image.sum()
    return ((rows * image).sum() / total).item(), ((cols * image).sum() / total).item()
""")
def check_centre_of_mass(answer) -> object:
    dot = torch.zeros(28, 28)
    dot[3, 20] = 1.0
    out = call(answer, dot.clone(), name="centre_of_mass")
    need(isinstance(out, (tuple, list)) and len(out) == 2, f"it returned {out!r}", "return (row, column)")
    out = tuple(float(v) for v in out)
    need(out != (20.0, 3.0), "for one pixel at row 3, column 20 it says (20, 3): swapped",
         "return the row first, then the column")
    need(max(abs(out[0] - 3), abs(out[1] - 20)) < 1e-4, f"for one pixel at row 3, column 20 it says "
         f"({out[0]:g}, {out[1]:g})", "rows are the first axis of the image, columns the second")
    two = torch.zeros(28, 28)
    two[0, 0], two[0, 10] = 1.0, 0.25
    out = tuple(float(v) for v in call(answer, two, name="centre_of_mass"))
    need(abs(out[1] - 5.0) > 1e-3, "every ink pixel counts the same",
         "weight each position by its brightness")
    need(abs(out[1]) > 1e-3, "that is the brightest pixel, not the centre of mass", "average over all pixels")
    for image in mnist("test").images[:20].float() / 255:
        out = tuple(float(v) for v in call(answer, image.clone(), name="centre_of_mass"))
        want = _reference_centre(image)
        need(max(abs(a - b) for a, b in zip(out, want, strict=True)) < 1e-3, f"on an MNIST digit it says "
             f"({out[0]:.2f}, {out[1]:.2f}), not ({want[0]:.2f}, {want[1]:.2f})",
             "weight each pixel's row and column by its brightness, and divide by the total brightness")
    return correct("MNIST's digits have their centre of mass in the middle: to_mnist puts yours there too")


@exercise("5.3", "digits moved to the right", answer="shift_right", kind="function", namespace=_namespace,
          hints=(
    "Start from an all-black tensor with the shape and dtype of `images` (`torch.zeros_like`).",
    "Copy the columns: the new column `c + pixels` gets the old column `c` (slices on the last axis).",
    "Careful with `pixels=0`: the slice `[..., :-0]` is empty. Count the end of the slice from the left.",
), solution="""
def shift_right(images, pixels):
    moved = torch.zeros_like(images)  # (N, 28, 28), black
    moved[:, :, pixels:] = images[:, :, : 28 - pixels]
    return moved
""")
def check_shift_right(answer) -> object:
    images = mnist("test").images[:100]
    for pixels in (5, 2):
        out = call(answer, images.clone(), pixels, name="shift_right")
        need(torch.is_tensor(out) and out.shape == images.shape, "the result should have the images' shape "
             f"(100, 28, 28), not {tuple(out.shape) if torch.is_tensor(out) else type(out).__name__}",
             "crop what moves out on the right, so each image stays 28x28")
        need(out.dtype == images.dtype, f"the dtype changed to {out.dtype}", "keep uint8: `torch.zeros_like`")
        expected = torch.zeros_like(images)
        expected[:, :, pixels:] = images[:, :, : 28 - pixels]
        if torch.equal(out, expected):
            continue
        need(not torch.equal(out, torch.roll(images, pixels, dims=2)), "the right edge came back on the left",
             "`torch.roll` wraps around; fill the new columns with black (0)")
        need(not torch.equal(out[:, :, : 28 - pixels], images[:, :, pixels:]), "moved to the left",
             "the new column `c + pixels` gets the old column `c`")
        need(not torch.equal(out[:, pixels:], images[:, : 28 - pixels]), "moved down",
             "columns are the last axis of (N, 28, 28)")
        raise Stop(mistake(f"not the images moved {pixels} pixels to the right", "use the `pixels` argument"))
    try:
        out = call(answer, images.clone(), 0, name="shift_right")
    except Stop:
        out = None  # `[..., :-0]` is empty, and copying it fails
    need(torch.is_tensor(out) and torch.equal(out, images), "with pixels=0 the images are not unchanged",
         "the slice `[..., :-0]` is empty: count the end of the slice from the left instead")
    return correct("a few pixels of shift move the ink onto pixels whose weights mean something else")


# Exercise 5.4 (lesson 5's top-3 section): a self-contained block, added for issue 18.

def _some_logits() -> list[torch.Tensor]:
    """A few rows of ten scores, like a model's logits for one image (no ties)."""
    generator = torch.Generator().manual_seed(5)
    sure = torch.tensor([0.5, -1.0, 9.0, 0.0, 1.5, -2.0, 2.5, 3.0, -0.5, 1.0])  # a confident "2"
    return [sure, *(3 * torch.randn(10, generator=generator) for _ in range(3))]


def _as_pairs(out: object, k: int) -> list[tuple[int, float]]:
    """The student's answer as (digit, probability) pairs of Python numbers, or stop the check."""
    need(isinstance(out, (list, tuple)), f"it returned a {type(out).__name__}",
         "return a list of (digit, probability) pairs, like `predict` gives for one image")
    need(all(isinstance(pair, (list, tuple)) and len(pair) == 2 for pair in out),
         "its items are not (digit, probability) pairs",
         "build a list with one pair (digit, probability) per guess")
    need(len(out) == k, f"with k={k} it returned {len(out)} pairs", "keep only the k most likely digits")
    try:
        return [(int(digit), float(p)) for digit, p in out]
    except (TypeError, ValueError, RuntimeError) as error:
        raise Stop(mistake(f"a pair holds something that is not a number: {error}",
                           "a digit is an int, a probability a float")) from error


@exercise("5.4", "the top guesses for one image's logits", answer="top_guesses", kind="function",
          namespace=lambda: {"torch": torch}, hints=(
    "Softmax (lesson 2) turns the ten scores into ten probabilities that add up to 1.",
    "A tensor method finds the k largest values and where they are; a position in the ten scores "
    "is the digit.",
    "Look at what you return: the most likely digit first, each digit a whole number, each "
    "probability a number between 0 and 1?",
), solution="""
def top_guesses(logits, k):
    probabilities = torch.softmax(logits, dim=0)  # (10,), they add up to 1
    values, digits = probabilities.topk(k)
    return [(int(digit), float(p)) for digit, p in zip(digits, values)]
""")
def check_top_guesses(answer) -> object:
    for logits in _some_logits():
        probabilities = torch.softmax(logits, dim=0)  # (10,)
        for k in (3, 1, 10):
            pairs = _as_pairs(call(answer, logits.clone(), k, name="top_guesses"), k)
            digits, values = [d for d, _ in pairs], [p for _, p in pairs]
            need(min(values) >= 0, f"a probability is negative: {min(values):.2f}",
                 "these are scores or log-probabilities; turn the scores into probabilities first")
            need(max(values) <= 1, f"a probability is above 1: {max(values):.2f}",
                 "these are the raw scores (logits); turn them into probabilities first")
            want = probabilities.topk(k)
            need(not (k > 1 and values == sorted(values) and values != sorted(values, reverse=True)),
                 "the least likely comes first", "the most likely digit comes first")
            need(digits == [int(d) for d in want.indices], f"with k={k} the digits {digits} are not the {k} "
                 "most likely, most likely first", "a digit is its position among the ten scores; take the "
                 "largest probabilities, not the first ones")
            need(all(abs(p - float(w)) < 1e-4 for p, w in zip(values, want.values, strict=True)),
                 f"the digits are right, but {values[0]:.3f} is not the probability of digit {digits[0]}",
                 "the ten probabilities must add up to 1: which function of lesson 2 does that?")
    return correct("these are the top guesses `predict` prints; probabilities, not proof: "
                   "a model can be sure and wrong")
