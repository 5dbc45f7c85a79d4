"""Tests of mnist_course.data.augment on real MNIST digits: shapes, directions, repeatability, devices."""

from __future__ import annotations

import pytest
import torch

from mnist_course.data import to_float_images
from mnist_course.data.augment import (
    AUGMENTATIONS,
    BACKGROUND,
    DEFAULT_AUGMENT,
    augment_batch,
    augment_names,
    elastic_distort,
    random_thickness,
)
from mnist_course.models import MLP
from mnist_course.training import evaluate, fit

DEVICES = ["cpu", *(["cuda"] if torch.cuda.is_available() else [])]


@pytest.fixture(scope="module")
def digits(train_split):
    return to_float_images(train_split.images[:64])  # (64, 1, 28, 28), normalised


def ink_mass(images):
    return (images - BACKGROUND).clamp_min(0).sum(dim=(1, 2, 3))  # (N,)


@pytest.mark.parametrize("name", list(AUGMENTATIONS))
def test_each_augmentation_keeps_shape_dtype_and_background(name, digits):
    out = AUGMENTATIONS[name](digits, generator=torch.Generator().manual_seed(0))
    assert out.shape == digits.shape and out.dtype == digits.dtype
    assert not torch.equal(out, digits)
    corners = out[:, 0, [0, 0, -1, -1], [0, -1, 0, -1]]  # MNIST's corners are empty
    assert torch.allclose(corners, torch.full_like(corners, BACKGROUND), atol=1e-4)
    assert out.max() <= digits.max() + 1e-4 and out.min() >= BACKGROUND - 1e-4  # no new brightness range
    ratio = ink_mass(out) / ink_mass(digits)
    assert 0.4 < ratio.median() < 2.5  # the digit is still there


def test_thickness_moves_ink_mass_the_right_way(digits):
    generator = torch.Generator().manual_seed(0)
    thicker = random_thickness(digits, thinner=0.0, thicker=1.0, generator=generator)
    thinner = random_thickness(digits, thinner=1.0, thicker=0.0, generator=generator)
    assert (ink_mass(thicker) >= ink_mass(digits) - 1e-3).all()
    assert (ink_mass(thinner) <= ink_mass(digits) + 1e-3).all()
    assert ink_mass(thicker).mean() > 1.3 * ink_mass(digits).mean()  # a full dilation adds a lot
    assert ink_mass(thinner).mean() < 0.8 * ink_mass(digits).mean()
    same = random_thickness(digits, thinner=0.0, thicker=0.0, generator=generator)
    assert torch.allclose(same, digits, atol=1e-6)


def test_elastic_with_alpha_zero_is_the_identity(digits):
    out = elastic_distort(digits, alpha=0.0, generator=torch.Generator().manual_seed(0))
    assert torch.allclose(out, digits, atol=1e-5)


def test_elastic_moves_pixels_smoothly_and_by_about_alpha(digits):
    mild = elastic_distort(digits, alpha=8.0, generator=torch.Generator().manual_seed(0))
    strong = elastic_distort(digits, alpha=34.0, generator=torch.Generator().manual_seed(0))
    assert (mild - digits).abs().mean() < (strong - digits).abs().mean()


@pytest.mark.parametrize("name", list(AUGMENTATIONS))
def test_a_batch_equals_its_images_one_by_one_with_the_same_generator(name, digits):
    batched = AUGMENTATIONS[name](digits[:8], generator=torch.Generator().manual_seed(3))
    generator = torch.Generator().manual_seed(3)
    one_by_one = torch.cat([AUGMENTATIONS[name](digits[i : i + 1], generator=generator) for i in range(8)])
    assert torch.allclose(batched, one_by_one, atol=1e-5)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("names", [("thickness",), ("elastic",), ("affine",), tuple(AUGMENTATIONS)])
def test_augmentations_run_on_the_device_of_their_input_and_leave_the_global_rng(device, names, digits):
    state = torch.get_rng_state()
    out = augment_batch(digits.to(device), names, torch.Generator().manual_seed(0))
    assert out.device.type == device and out.shape == digits.shape
    assert torch.equal(torch.get_rng_state(), state)
    again = augment_batch(digits.to(device), names, torch.Generator().manual_seed(0))
    assert torch.equal(out, again)  # repeatable with the same seed


def test_augment_names_reads_every_form_and_refuses_unknown_names():
    assert augment_names(False) == () and augment_names(None) == () and augment_names("none") == ()
    assert augment_names(True) == DEFAULT_AUGMENT == ("affine",)
    assert augment_names(("affine", "elastic", "thickness")) == ("thickness", "elastic", "affine")
    assert augment_names("affine,thickness") == ("thickness", "affine")
    with pytest.raises(ValueError, match="unknown augmentation.*'blur'.*choose from"):
        augment_names(("affine", "blur"))
    with pytest.raises(ValueError, match="augment must be True, False or names"):
        augment_names(3)


def test_fit_accepts_names_records_them_and_refuses_unknown_ones(train_split):
    train = (train_split.images[:256], train_split.labels[:256])
    history = fit(MLP(hidden=(16,)), train, epochs=1, augment=["affine", "thickness"], progress=False)
    assert history.settings["augment"] == ("thickness", "affine")
    history = fit(MLP(hidden=(16,)), train, epochs=1, augment=True, progress=False)
    assert history.settings["augment"] == ("affine",)
    assert fit(MLP(hidden=(16,)), train, epochs=1, progress=False).settings["augment"] == ()
    with pytest.raises(ValueError, match="unknown augmentation"):
        fit(MLP(hidden=(16,)), train, epochs=1, augment=("rotate",), progress=False)


def test_augmented_digits_still_show_their_digit(train_split, test_split):
    """Label content survives: a model trained on augmented digits reads augmented test digits."""
    torch.manual_seed(0)
    model = MLP(hidden=(128,))
    fit(model, (train_split.images[:4000], train_split.labels[:4000]), epochs=3, optimizer="adam", lr=1e-3,
        augment=tuple(AUGMENTATIONS), progress=False)
    images, labels = to_float_images(test_split.images[:1000]), test_split.labels[:1000]
    _, plain = evaluate(model, images, labels)
    augmented = augment_batch(images, tuple(AUGMENTATIONS), torch.Generator().manual_seed(0))
    _, on_augmented = evaluate(model, augmented, labels)
    assert plain > 0.8 and on_augmented > 0.6  # chance is 0.1: the digits are still readable
