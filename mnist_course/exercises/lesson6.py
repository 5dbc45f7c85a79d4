"""Lesson 6's exercises: a convolution's output size, its parameter count, a convolution and max
pooling by hand (their shared helpers: :mod:`.by_hand`)."""

from __future__ import annotations

import numbers

import torch
import torch.nn.functional as F
from torch import nn

from . import Stop, as_float, call, correct, exercise, mistake, mnist, need
from .by_hand import call_spying, pooled, row_groups


def _namespace() -> dict:
    return {"torch": torch, "nn": nn, "F": F, "test": mnist("test")}


def _reference_size(size: int, kernel_size: int, padding: int, stride: int) -> int:
    """What ``nn.Conv2d`` really gives, measured on a blank image."""
    conv = nn.Conv2d(1, 1, kernel_size, stride=stride, padding=padding)
    with torch.no_grad():
        return conv(torch.zeros(1, 1, size, size)).shape[-1]


@exercise("6.1", "the output size of a convolution", answer="output_size", kind="function",
          namespace=_namespace, hints=(
    "Without padding, a k x k kernel fits in `size - k + 1` positions along each side.",
    "Padding adds `padding` pixels on *both* sides: the image becomes `size + 2 * padding` wide.",
    "With a stride, the kernel jumps `stride` pixels: after its first position, how many whole jumps "
    "fit in what is left of the padded width? (Try size 7, kernel 3, stride 2 on paper.)",
), solution="""
def output_size(size, kernel_size, padding=0, stride=1):
    return (size + 2 * padding - kernel_size) // stride + 1
""")
def check_output_size(answer) -> object:
    cases = [(28, 5, 0, 1), (12, 5, 0, 1), (28, 3, 1, 1), (28, 5, 2, 1), (28, 2, 0, 2), (24, 2, 0, 2),
             (27, 3, 0, 2), (14, 3, 1, 2)]
    for size, kernel, padding, stride in cases:
        out = call(answer, size, kernel, padding, stride, name="output_size")
        want = _reference_size(size, kernel, padding, stride)
        if torch.is_tensor(out) and out.numel() == 1:
            out = out.item()  # a size computed with tensors is still a size
        whole = isinstance(out, float) and out.is_integer()
        if whole or (isinstance(out, numbers.Integral) and not isinstance(out, bool)):
            out = int(out)  # 24.0, or numpy's int64
        call_text = f"output_size({size}, {kernel}, {padding}, {stride})"
        need(isinstance(out, int) and not isinstance(out, bool), f"{call_text} returned {out!r}",
             "a size is a whole number of pixels: use `//`, which rounds down like PyTorch")
        if out == want:
            continue
        need(padding == 0 or out != size + padding - kernel + 1,
             f"{call_text} gave {out}: padding counted once",
             "padding is added on both sides: size + 2 * padding")
        need(stride > 1 or out != size + 2 * padding - kernel, f"{call_text} gave {out}, one too few",
             "a kernel of width k fits size - k + 1 times: count the first position too")
        need(stride == 1 or out != size + 2 * padding - kernel + 1,
             f"{call_text} gave {out}: the stride is ignored",
             "with stride s only every s-th position is used: divide by the stride (//)")
        raise Stop(mistake(f"{call_text} gave {out}, but nn.Conv2d gives {want}",
                           "draw this case on paper: the padded width, the first position, then the jumps"))
    return correct("28 -> 24 -> pool 12 -> 8 -> pool 4: SmallCNN's last layer sees 64 x 4 x 4 = 1024 numbers")


@exercise("6.4", "the parameter count of a convolution, by hand", answer="conv_parameters",
          namespace=_namespace, hints=(
    "Each output channel has one kernel per *input* channel: in_channels x 5 x 5 weights.",
    "And one bias per output channel.",
    "`nn.Conv2d(32, 64, 5)` reads as (in_channels, out_channels, kernel_size): count one output channel, "
    "then all of them.",
), solution="""
conv_parameters = 64 * 32 * 5 * 5 + 64
""")
def check_conv_parameters(answer) -> object:
    value = as_float(answer, "conv_parameters")
    want = 64 * 32 * 5 * 5 + 64
    if value == want:
        return correct(f"{want:,}, the same for a 28x28 image or a 1000x1000 one: the kernel is shared "
                       "by every position")
    need(value != 64 * 32 * 5 * 5, "the biases are missing", "each output channel also has one bias")
    need(value != 64 * 5 * 5 + 64, "that forgets the 32 input channels",
         "each output channel has a 5x5 kernel for every input channel")
    need(value != 64 * 32 * 5 + 64, "a 5x5 kernel has 5 * 5 weights, not 5", "square the kernel size")
    need(value not in (64 * 32 * 5 * 5 * 8 * 8 + 64, 64 * 32 * 5 * 5 * 12 * 12 + 64),
         "that counts a weight for every position", "the same kernel slides over every position: "
         "the image size does not appear")
    need(value != 32 * 5 * 5 + 32, "that is the first convolution", "this one is nn.Conv2d(32, 64, 5)")
    return mistake("not the parameter count of nn.Conv2d(32, 64, 5)",
                   "count one output channel (a kernel for each input channel, and a bias), then all of them")


def _asymmetric_kernel() -> torch.Tensor:
    return torch.tensor([[1.0, 2.0, 0.0], [0.0, 1.0, -1.0], [-2.0, 0.0, 0.5]])


@exercise("6.2", "a convolution by hand", answer="convolve", kind="function", namespace=_namespace, hints=(
    "Output pixel (r, c) is a sum of products: the k x k patch of the image whose top-left corner is "
    "(r, c), times the kernel, summed.",
    "Without padding the output is (H - k + 1) x (W - k + 1): loop over those positions.",
    "PyTorch's conv2d does not flip the kernel (it is a cross-correlation): neither should you.",
), solution="""
def convolve(image, kernel):
    k = kernel.shape[0]
    rows, cols = image.shape[0] - k + 1, image.shape[1] - k + 1
    out = torch.zeros(rows, cols)
    for r in range(rows):
        for c in range(cols):
            out[r, c] = (image[r : r + k, c : c + k] * kernel).sum()
    return out
""")
def check_convolve(answer) -> object:
    kernel = _asymmetric_kernel()
    small = torch.rand(6, 7, generator=torch.Generator().manual_seed(0))  # not square, no symmetry
    for image in (small, mnist("test").images[0].float() / 255):
        want = F.conv2d(image[None, None], kernel[None, None])[0, 0]
        out, used_conv2d = call_spying(answer, image.clone(), kernel.clone(), name="convolve",
                                        function="conv2d")
        need(torch.is_tensor(out), f"convolve returned a {type(out).__name__}", "return a tensor")
        out = out.float().squeeze()
        size = tuple(image.shape)
        need(out.shape != image.shape, f"the output has the image's size {size}: padded",
             "without padding a 3x3 kernel fits H - 2 times: no output at the border")
        need(out.shape == want.shape, f"the output is {tuple(out.shape)}, not {tuple(want.shape)}",
             "(H - k + 1, W - k + 1)")
        if torch.allclose(out, want, atol=1e-4):
            need(not used_conv2d, "the right numbers, but convolve calls conv2d itself",
                 "write the two loops over the output positions, with a sum of products at each")
            continue
        flipped = F.conv2d(image[None, None], kernel.flip(0, 1)[None, None])[0, 0]
        need(not torch.allclose(out, flipped, atol=1e-4), "the kernel is flipped (a textbook convolution)",
             "PyTorch's conv2d, and every CNN, slides the kernel as it is: do not flip it")
        transposed = F.conv2d(image[None, None], kernel.T[None, None])[0, 0]
        need(not torch.allclose(out, transposed, atol=1e-4), "the kernel is transposed",
             "kernel[i, j] multiplies image[r + i, c + j]: rows with rows")
        raise Stop(mistake("not the sum of products under the kernel",
                           "at each output position, multiply the patch under the kernel by the kernel, "
                           "then add everything up"))
    return correct("the same numbers as F.conv2d: a convolution is one small dot product at every position")


# Exercise 6.3 (issue 18): max pooling by hand, after section 4.

def _check_one_map(answer, feature_map: torch.Tensor) -> None:
    """Stop the check unless ``answer`` pools ``feature_map`` like ``F.max_pool2d(x, 2)``."""
    want, size = pooled(feature_map), tuple(feature_map.shape)
    out, used_pool = call_spying(answer, feature_map.clone(), name="max_pool", function="max_pool2d")
    need(torch.is_tensor(out), f"max_pool returned a {type(out).__name__}", "return a tensor")
    out = out.float().squeeze()
    if out.shape == pooled(feature_map, stride=1).shape:
        raise Stop(mistake(f"a {size} map gave {tuple(out.shape)}: the blocks overlap",
                           "the blocks sit side by side: each pixel belongs to one block only"))
    need(out.shape == want.shape, f"a {size} map gave {tuple(out.shape)}, not {tuple(want.shape)}",
         "one output value per 2x2 block, and a half-block at an odd edge is left out")
    if torch.allclose(out, want, atol=1e-5):
        need(not used_pool, "the right numbers, but max_pool calls PyTorch's max pooling",
             "write it yourself: loops over the blocks, or slicing")
        return
    need(not torch.allclose(out, pooled(feature_map, F.avg_pool2d), atol=1e-5),
         "that is the mean of each block (average pooling)", "max pooling keeps the largest value")
    grouped = row_groups(feature_map)
    need(grouped is None or not torch.allclose(out, grouped, atol=1e-5),
         "each value comes from 4 neighbours in one row, not from a 2x2 block",
         "a block spans two rows and two columns")
    raise Stop(mistake("not the largest value of each 2x2 block",
                       "compare your output with a small map you can pool by eye"))


@exercise("6.3", "max pooling by hand", answer="max_pool", kind="function", namespace=_namespace, hints=(
    "The output has one value per 2x2 block: block (r, c) covers rows 2r and 2r + 1 and columns 2c "
    "and 2c + 1.",
    "Two loops over the output positions work, as in exercise 6.2; `.max()` gives a tensor's largest value.",
    "Try your function on `torch.arange(16.0).reshape(4, 4)`: which four numbers should each output "
    "value come from, and which is the largest?",
), solution="""
def max_pool(feature_map):
    rows, cols = feature_map.shape[0] // 2, feature_map.shape[1] // 2
    out = torch.zeros(rows, cols)
    for r in range(rows):
        for c in range(cols):
            out[r, c] = feature_map[2 * r : 2 * r + 2, 2 * c : 2 * c + 2].max()
    return out
""")
def check_max_pool(answer) -> object:
    generator = torch.Generator().manual_seed(0)
    even = torch.randn(6, 8, generator=generator)  # not square: rows and columns must not mix
    digit = mnist("test").images[0].float() / 255  # (28, 28)
    _check_one_map(answer, even)
    _check_one_map(answer, digit)
    odd = torch.randn(7, 9, generator=generator)
    try:
        _check_one_map(answer, odd)
    except Stop as stop:
        if "raised" not in stop.verdict.message:
            raise
        error = stop.verdict.message.split(";")[0]
        raise Stop(mistake(f"max_pool works on even sizes but fails on a (7, 9) map ({error})",
                           "F.max_pool2d leaves out the last row or column when a side is odd")) from None
    return correct("the same numbers as F.max_pool2d(x, 2): each block keeps its strongest response, and the "
                   "map is a quarter of its size")
