"""Regenerate mnist_course/samples/: the own-digit test images of lesson 5.

The shipped images imitate what students feed the model: digits written in
handwriting-like fonts on paper (dark ink on white, cream or gray paper, off-centre,
various sizes, slightly rotated, some thick, some with transparent backgrounds, two in
chalk on a dark board), and digits "drawn with the mouse" as thick round strokes, the
way lesson 5's canvas draws them. Labels go to samples/labels.json.

This is a developer tool: CI uses the committed images and never runs it. It is
deterministic (fixed seeds) for a given set of fonts and Pillow version. The fonts come
from Debian packages:

    apt-get install fonts-dkg-handwriting fonts-breip fonts-rufscript fonts-humor-sans \\
        fonts-comic-neue fonts-kaushanscript fonts-dancingscript fonts-sjfonts fonts-urw-base35

Run from the repository root:  .venv/bin/python tools/make_samples.py
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mnist_course.widgets.strokes import EXAMPLE_STROKES, strokes_to_image  # noqa: E402
from tools.fonts import require_fonts  # noqa: E402

SAMPLES = ROOT / "mnist_course" / "samples"

#: (short name, Debian package, font file) of the handwriting-like fonts used.
FONTS = [
    ("dkg", "fonts-dkg-handwriting", "/usr/share/fonts/truetype/fifthhorseman/dkg.ttf"),
    ("dkgbold", "fonts-dkg-handwriting", "/usr/share/fonts/truetype/fifthhorseman/dkgBd.ttf"),
    ("breip", "fonts-breip", "/usr/share/fonts/truetype/breip/breipfont.ttf"),
    ("rufscript", "fonts-rufscript", "/usr/share/fonts/truetype/rufscript/Rufscript010.ttf"),
    ("humor", "fonts-humor-sans", "/usr/share/fonts/truetype/humor-sans/Humor-Sans.ttf"),
    ("comic", "fonts-comic-neue", "/usr/share/fonts/opentype/comic-neue/ComicNeue-Regular.otf"),
    ("kaushan", "fonts-kaushanscript", "/usr/share/fonts/opentype/kaushanscript/KaushanScript-Regular.otf"),
    ("dancing", "fonts-dancingscript", "/usr/share/fonts/opentype/dancingscript/DancingScript-Bold.otf"),
    ("stevehand", "fonts-sjfonts", "/usr/share/fonts/truetype/sjfonts/SteveHand.ttf"),
    ("chancery", "fonts-urw-base35", "/usr/share/fonts/opentype/urw-base35/Z003-MediumItalic.otf"),
]
#: A printed (not handwritten) font, for a few digits styled unlike MNIST's.
PRINTED = ("printed", "fonts-dejavu-core", "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf")
#: A seven with a bar through it, as it is written in much of Europe (rare in MNIST).
CROSSED_SEVEN = [[(0.18, 0.08), (0.82, 0.08), (0.55, 0.5), (0.4, 0.95)], [(0.35, 0.5), (0.78, 0.5)]]

PAPERS = [(255, 255, 255), (250, 245, 228), (228, 228, 226), (236, 241, 250)]
INKS = [(20, 20, 25), (28, 42, 140), (85, 85, 92), (10, 10, 10)]


def glyph_mask(digit: int, font_path: str, height: int, thickness: int, angle: float) -> Image.Image:
    """Render one digit as a grayscale mask (255 = ink), cropped to the ink and rotated."""
    font = ImageFont.truetype(font_path, size=2 * height)
    layer = Image.new("L", (5 * height, 5 * height), 0)
    ImageDraw.Draw(layer).text(
        (2.5 * height, 2.5 * height), str(digit), font=font, fill=255, anchor="mm",
        stroke_width=thickness, stroke_fill=255,
    )
    layer = layer.rotate(angle, resample=Image.Resampling.BICUBIC, expand=False)
    layer = layer.crop(layer.getbbox())
    scale = height / layer.height
    return layer.resize((max(1, round(layer.width * scale)), height), Image.Resampling.LANCZOS)


def paper(size: tuple[int, int], color: tuple[int, int, int], rng: random.Random, shade: bool) -> Image.Image:
    """Make a sheet of paper, optionally with uneven lighting (a shadow) and a little grain."""
    if not shade:
        return Image.new("RGB", size, color)
    width, height = size
    noise = np.random.default_rng(rng.randrange(2**32))
    ramp = np.linspace(0, 1, width)[None, :] * np.ones((height, 1))
    if rng.random() < 0.5:
        ramp = ramp[:, ::-1]
    shadow = 30 * ramp[..., None] + noise.normal(0, 2.5, (height, width, 1))
    sheet = np.clip(np.array(color, dtype=float)[None, None, :] - shadow, 0, 255)
    return Image.fromarray(sheet.round().astype(np.uint8))


def font_sample(digit: int, font_path: str, rng: random.Random, kind: str) -> Image.Image:
    """A digit in a handwriting font on paper ("paper"), transparent ("rgba") or a board ("chalk")."""
    width, height = rng.randint(70, 220), rng.randint(70, 220)
    glyph_height = round(min(width, height) * rng.uniform(0.35, 0.75))
    thickness = rng.choice([0, 0, 1, max(1, glyph_height // 25), max(2, glyph_height // 14)])
    mask = glyph_mask(digit, font_path, glyph_height, thickness, rng.uniform(-12, 12))
    left = rng.randint(2, max(2, width - mask.width - 2))
    top = rng.randint(2, max(2, height - mask.height - 2))
    width, height = max(width, mask.width + 4), max(height, mask.height + 4)
    if kind == "rgba":
        image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
        ink = Image.new("RGBA", mask.size, rng.choice(INKS) + (255,))
        image.paste(ink, (left, top), mask)
        return image
    if kind == "chalk":
        image = Image.new("RGB", (width, height), rng.choice([(38, 60, 48), (40, 40, 44)]))
        chalk = Image.new("RGB", mask.size, (235, 235, 225))
        image.paste(chalk, (left, top), mask.filter(ImageFilter.GaussianBlur(0.6)))
        return image
    image = paper((width, height), rng.choice(PAPERS), rng, shade=rng.random() < 0.3)
    ink = Image.new("RGB", mask.size, rng.choice(INKS))
    opacity = rng.uniform(0.8, 1.0)
    image.paste(ink, (left, top), mask.point(lambda v: round(v * opacity)))
    return image


def mouse_sample(
    digit: int, rng: random.Random, kind: str, strokes: list | None = None, line_width: float | None = None
) -> Image.Image:
    """A digit drawn "with the mouse": thick round strokes, jittered, off-centre.

    ``kind``: "canvas" (white on black, like lesson 5's canvas), "paper" (black on
    white) or "rgba" (dark strokes on a transparent background, like a web drawing app).
    ``strokes`` (unit square) default to ``EXAMPLE_STROKES[digit]``; ``line_width`` to random.
    """
    size = 280
    scale = rng.uniform(0.45, 0.75) * size
    x0, y0 = rng.uniform(5, size - scale * 0.9 - 5), rng.uniform(5, size - scale - 5)
    strokes = [
        [(x0 + (x + rng.gauss(0, 0.015)) * scale * 0.9, y0 + (y + rng.gauss(0, 0.015)) * scale)
         for x, y in stroke]
        for stroke in (strokes or EXAMPLE_STROKES[digit])
    ]
    line_width = line_width or rng.uniform(10, 24)
    if kind == "canvas":
        return strokes_to_image(strokes, size, line_width)
    drawn = strokes_to_image(strokes, size, line_width, ink=255, background=0)
    if kind == "paper":
        return Image.eval(drawn, lambda v: 255 - v)
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    image.paste(Image.new("RGBA", (size, size), (30, 30, 120, 255)), (0, 0), drawn)
    return image


def make_samples(out: Path = SAMPLES) -> dict[str, int]:
    """Write every sample image and labels.json into ``out``; return the labels."""
    require_fonts((package, path) for _, package, path in [*FONTS, PRINTED])
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.png"):
        old.unlink()
    rng = random.Random(2024)
    images: dict[str, Image.Image] = {}
    labels: dict[str, int] = {}
    for digit in range(10):
        for copy in range(3):
            name, _, path = FONTS[(3 * digit + copy) % len(FONTS)]
            kind = "rgba" if (3 * digit + copy) % 5 == 2 else "paper"
            images[f"{digit}_{name}_{kind}.png"] = font_sample(digit, path, rng, kind)
    for digit, font in ((4, 3), (8, 4)):
        name, _, path = FONTS[font]
        images[f"{digit}_{name}_chalk.png"] = font_sample(digit, path, rng, "chalk")
    for digit in range(10):
        kind = ("canvas", "paper", "rgba")[digit % 3]
        images[f"{digit}_mouse_{kind}.png"] = mouse_sample(digit, rng, kind)
    for digit in (1, 4, 7):
        images[f"{digit}_printed_paper.png"] = font_sample(digit, PRINTED[2], rng, "paper")
    images["7_mouse_crossed.png"] = mouse_sample(7, rng, "canvas", strokes=CROSSED_SEVEN)
    images["2_mouse_thinpen.png"] = mouse_sample(2, rng, "paper", line_width=3)
    for name, image in sorted(images.items()):
        image.save(out / name, optimize=True)
        labels[name] = int(name.split("_")[0])
    (out / "labels.json").write_text(json.dumps(labels, indent=1, sort_keys=True) + "\n")
    return labels


def main() -> None:
    """Command line: regenerate the samples (optionally into another folder)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=SAMPLES, help="folder to write (default: %(default)s)")
    args = parser.parse_args()
    labels = make_samples(args.out)
    total = sum(p.stat().st_size for p in args.out.iterdir())
    print(f"wrote {len(labels)} images + labels.json to {args.out} ({total / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
