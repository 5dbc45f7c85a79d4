"""Photo-like test pictures built in code: paper on a table, lined paper, shadows, noise."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

SIZE = 400


def _paper(size: int = SIZE, level: int = 235) -> Image.Image:
    return Image.new("L", (size, size), level)


def draw_seven(image: Image.Image, box=(0.35, 0.3, 0.65, 0.75), width: int = 14, ink: int = 30):
    """Draw a thick 7 (a bar and a slanted stroke) inside ``box`` (fractions of the picture)."""
    w, h = image.size
    left, top, right, bottom = box[0] * w, box[1] * h, box[2] * w, box[3] * h
    pen = ImageDraw.Draw(image)
    pen.line([(left, top), (right, top), (left + 0.35 * (right - left), bottom)], fill=ink, width=width,
             joint="curve")
    return image


def paper_on_table(digit: bool = False) -> Image.Image:
    """White paper in the middle of a dark table."""
    image = Image.new("L", (SIZE, SIZE), 45)
    ImageDraw.Draw(image).polygon([(90, 70), (330, 95), (310, 340), (70, 320)], fill=240)
    return draw_seven(image, (0.4, 0.4, 0.6, 0.65), width=8) if digit else image


def lined_paper(digit: bool = False, spacing: int = 36, line: int = 4) -> Image.Image:
    """Paper ruled with strong gray lines."""
    image = _paper()
    pen = ImageDraw.Draw(image)
    for y in range(spacing // 2, SIZE, spacing):
        pen.rectangle((0, y, SIZE, y + line - 1), fill=110)
    return draw_seven(image) if digit else image


def corner_shadow(digit: bool = False) -> Image.Image:
    """Paper with a soft dark shadow over one corner (a hand or a phone)."""
    image = _paper()
    shadow = Image.new("L", (SIZE, SIZE), 0)
    ImageDraw.Draw(shadow).ellipse((-250, -250, 180, 200), fill=150)
    shadow = shadow.filter(ImageFilter.GaussianBlur(25))
    darker = np.asarray(image, np.float32) - np.asarray(shadow, np.float32)
    image = Image.fromarray(darker.clip(0, 255).astype(np.uint8))
    return draw_seven(image) if digit else image


def noise(seed: int = 0) -> Image.Image:
    """Pure colour noise."""
    return Image.fromarray(np.random.default_rng(seed).integers(0, 256, (SIZE, SIZE, 3), dtype=np.uint8))


def clean_seven() -> Image.Image:
    """The same 7 on plain paper, for comparison."""
    return draw_seven(_paper())


def paper_on_table_with_digit() -> Image.Image:
    """White paper with a 7 on it, in the middle of a dark table."""
    return paper_on_table(digit=True)


def two_digits() -> Image.Image:
    """Two digits side by side on paper."""
    image = draw_seven(_paper(), (0.1, 0.3, 0.35, 0.7))
    return draw_seven(image, (0.6, 0.3, 0.85, 0.7))


def tilted_lined_sheet(digit: bool = False, angle: float = 4.0) -> Image.Image:
    """Lined paper turned a few degrees, on a dark table that shows around it (the sheet is smaller)."""
    sheet = lined_paper(digit=digit)
    table = Image.new("L", (int(SIZE * 1.2), int(SIZE * 1.2)), 60)
    turned = sheet.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True)
    alpha = Image.new("L", sheet.size, 255).rotate(angle, resample=Image.Resampling.BICUBIC, expand=True)
    table.paste(turned, ((table.width - turned.width) // 2, (table.height - turned.height) // 2), alpha)
    return table


def tiny_seven_with_specks(seed: int = 0) -> Image.Image:
    """A 24-pixel 7 in a 400x300 photo of paper with dark specks (dust, noise) far from it."""
    image = Image.new("L", (400, 300), 235)
    draw_seven(image, (0.62, 0.3, 0.68, 0.38), width=3)
    rng = np.random.default_rng(seed)
    pen = ImageDraw.Draw(image)
    for x, y in rng.integers(10, 290, (12, 2)):  # dots on the left of the page, away from the 7
        pen.ellipse((x * 0.7, y, x * 0.7 + 2, y + 2), fill=90)
    return image


def white_on_black_zero() -> Image.Image:
    """A thick white 0 drawn on a black canvas (a drawing, not paper on a table)."""
    image = Image.new("L", (280, 280), 0)
    ImageDraw.Draw(image).ellipse((60, 30, 220, 250), outline=255, width=30)
    return image


def vignetted_paper(digit: bool = False) -> Image.Image:
    """Paper in dim light: bright in the middle, darker than mid-gray along the whole border."""
    yy, xx = np.mgrid[0:SIZE, 0:SIZE] / SIZE - 0.5
    light = 1 - 2.4 * (xx**2 + yy**2)  # 1 in the middle, 0.4 at the edges' middles, less in the corners
    image = Image.fromarray((235 * light).clip(0, 255).astype(np.uint8))
    return draw_seven(image) if digit else image
