"""Lesson 1's exercises: selecting, averaging and counting MNIST images, and a test DataLoader."""

from __future__ import annotations

import torch

from . import as_float, correct, exercise, mistake, mnist, need


def _splits() -> dict:
    return {"train": mnist("train"), "test": mnist("test"), "torch": torch}


def _images_like(answer, what: str) -> None:
    need(torch.is_tensor(answer), f"{what} should be a tensor, not a {type(answer).__name__}",
         "index `train.images` with a True/False tensor")
    need(answer.dtype != torch.bool, f"{what} is the True/False mask itself (one True/False per image), "
         "not the images it picks", "use the mask to index the tensor that holds the pictures")
    need(answer.ndim != 1, f"{what} has one number per image: these look like labels, not images",
         "select from `train.images`, not from `train.labels`")


@exercise("1.1", "select the training images of the digit 7", answer="sevens", namespace=_splits, hints=(
    "Compare the training labels with 7: you get one True/False per training image.",
    "A True/False tensor can index another tensor of the same length: it keeps the rows where it is "
    "True. Which tensor holds the pictures?",
), solution="""
sevens = train.images[train.labels == 7]  # (number of sevens, 28, 28)
""")
def check_sevens(answer) -> object:
    train, test = mnist("train"), mnist("test")
    _images_like(answer, "sevens")
    expected = train.images[train.labels == 7]
    if answer.shape == expected.shape and torch.equal(answer.to(expected.dtype), expected):
        return correct(f"all {len(expected):,} sevens; a True/False mask selects any group of images at once")
    need(not torch.equal(answer, train.images), "that is every training image",
         "keep only the images whose label is 7")
    test_sevens = test.images[test.labels == 7]
    need(not (answer.shape == test_sevens.shape and torch.equal(answer, test_sevens)),
         "these are the sevens of the test set", "take them from `train`, the training split")
    for digit in range(10):
        chosen = train.images[train.labels == digit]
        need(not (answer.shape == chosen.shape and torch.equal(answer, chosen)),
             f"these are the images of the digit {digit}", "compare the labels with 7")
    need(not (len(answer) < len(expected) and torch.equal(answer, expected[: len(answer)])),
         f"only the first {len(answer)} sevens", "keep all of them: `sevens[:9]` shows nine later")
    return mistake("these are not the training sevens",
                   "keep the training images whose label is 7, and nothing else")


@exercise("1.2", "the average image of each digit", answer="averages", namespace=_splits, hints=(
    "Start with one digit: its images (as in 1.1), as floats, averaged over the images, the first axis.",
    "Repeat for each digit 0..9; `torch.stack` piles a list of ten (28, 28) tensors into one.",
), solution="""
averages = torch.stack([train.images[train.labels == digit].float().mean(dim=0) for digit in range(10)])
""")
def check_averages(answer) -> object:
    train, test = mnist("train"), mnist("test")
    need(torch.is_tensor(answer), f"averages should be a tensor, not a {type(answer).__name__}",
         "pile the ten averages up with `torch.stack`")
    need(answer.shape != (28, 28), "one average of all the digits together",
         "make one average per digit: shape (10, 28, 28)")
    need(answer.shape != (10, 784), "the averages are flattened to (10, 784)",
         "average over the images only (`dim=0` of one digit's images), keeping 28x28")
    need(tuple(answer.shape) == (10, 28, 28), f"wrong shape {tuple(answer.shape)}",
         "one (28, 28) average per digit: (10, 28, 28)")
    need(answer.is_floating_point(), f"whole numbers ({answer.dtype})",
         "averages have decimals: call `.float()` before `.mean()`")

    def averages_of(split):
        return torch.stack([split.images[split.labels == d].float().mean(dim=0) for d in range(10)])

    expected, answer = averages_of(train), answer.detach().float().cpu()
    for scale, unit in ((1.0, "0..255"), (1 / 255, "0..1")):
        if torch.allclose(answer, expected * scale, atol=1e-3 * scale * 255):
            return correct(f"each average (in {unit}) shows the typical shape of a digit: "
                           "keep them in mind for lesson 2's weights")
    counts = torch.bincount(train.labels, minlength=10).float().view(10, 1, 1)
    need(not torch.allclose(answer, expected * counts, rtol=1e-3), "these are sums, not averages",
         "divide by the number of images of each digit, or use `.mean(dim=0)`")
    need(not torch.allclose(answer, averages_of(test), atol=1e-2), "these are the averages of the test set",
         "use the training images")
    rows = [next((d for d in range(10) if torch.allclose(answer[i], expected[d], atol=0.3)), None)
            for i in range(10)]
    need(None in rows or rows == list(range(10)), "the averages are not in digit order",
         "row d should be the average of the digit d")
    return mistake("these are not the per-digit averages of the training images",
                   "select the images of one digit, then average over dim=0")


@exercise("1.3", "the fraction of training pixels that are exactly 0", answer="background",
          namespace=_splits, hints=(
    "`train.images == 0` is True where a pixel is pure background.",
    "The mean of a True/False tensor (as float) is the fraction of True values.",
), solution="""
background = (train.images == 0).float().mean().item()
""")
def check_background(answer) -> object:
    train, test = mnist("train"), mnist("test")
    value = as_float(answer, "background")
    expected = (train.images == 0).float().mean().item()
    if abs(value - expected) < 5e-4:
        return correct(f"about {expected:.0%} of the pixels are background: most inputs of a model are zeros")
    need(not abs(value - 100 * expected) < 0.05, "that looks like a percentage",
         "give a fraction between 0 and 1")
    need(value <= 1, "that is a count of pixels, not a fraction",
         "divide by the number of pixels, or use `.mean()`")
    need(not abs(value - (1 - expected)) < 5e-4, "that is the fraction of pixels with some ink",
         "count the pixels that are exactly 0")
    test_value = (test.images == 0).float().mean().item()
    need(not abs(value - test_value) < 5e-5, "that is the fraction in the test images", "use `train.images`")
    return mistake("not the fraction of pixels that are exactly 0",
                   "compare the uint8 images with 0 (not with a threshold), then average")


def _loader_namespace() -> dict:
    from torch.utils.data import DataLoader
    from torchvision import transforms

    from ..data import MNIST_MEAN, MNIST_STD, mnist_dataset

    normalize = transforms.Compose([transforms.ToTensor(), transforms.Normalize((MNIST_MEAN,), (MNIST_STD,))])
    return {**_splits(), "DataLoader": DataLoader, "mnist_dataset": mnist_dataset, "normalize": normalize}


@exercise("1.4", "a test DataLoader: batches of 100, in order, normalised", answer="test_loader",
          namespace=_loader_namespace, hints=(
    "The lesson built a normalised training set with `mnist_dataset` and `normalize`: "
    "build the test set the same way.",
    "A `DataLoader` takes the dataset, a batch size and whether to shuffle: the test set needs no shuffling.",
), solution="""
test_loader = DataLoader(mnist_dataset("test", transform=normalize), batch_size=100, shuffle=False)
""")
def check_test_loader(answer) -> object:
    from torch.utils.data import DataLoader, SequentialSampler

    from ..data import MNIST_MEAN, MNIST_STD

    train, test = mnist("train"), mnist("test")
    need(isinstance(answer, DataLoader), f"test_loader should be a DataLoader, not a {type(answer).__name__}",
         "wrap a dataset in `DataLoader(...)`")
    need(answer.batch_size == 100, f"batches of {answer.batch_size} images", "ask for `batch_size=100`")
    need(isinstance(answer.sampler, SequentialSampler), "the batches are shuffled",
         "measuring needs no random order: `shuffle=False` (the default)")
    images, labels = next(iter(answer))
    need(not torch.equal(labels, train.labels[:100]), "these are training images",
         "use the test split: `mnist_dataset(\"test\", ...)`")
    need(torch.equal(labels, test.labels[:100]), "the first batch is not the first 100 test images",
         "use the test split, in order")
    need(tuple(images.shape) == (100, 1, 28, 28), f"a batch of images has shape {tuple(images.shape)}",
         "give the dataset a transform that makes tensors: `normalize`")
    need(images.min() < -0.3, "the images are not normalised (their values are 0..1)",
         "use the lesson's `normalize` transform, not ToTensor alone")
    pixels = test.images[:100].float().unsqueeze(1) / 255  # (100, 1, 28, 28) in 0..1, as ToTensor gives
    shift = images[pixels == 0].mean()  # what the background became: -mean / std
    scale = (images.max() - shift) / pixels.max()  # 1 / std
    need(torch.allclose(images, scale * pixels + shift, atol=1e-4), "these are not the test images, "
         "normalised", "use the lesson's `normalize` transform on the test split")
    mean, std = float(-shift / scale), float(1 / scale)
    need(abs(mean - MNIST_MEAN) < 0.01 and abs(std - MNIST_STD) < 0.01, f"normalised with mean {mean:.3g} "
         f"and std {std:.3g}, not MNIST's own", "use the lesson's `normalize` transform, made from MNIST's "
         "measured mean and std")
    return correct(f"{len(answer)} batches of (100, 1, 28, 28): the whole test set, each image once")
