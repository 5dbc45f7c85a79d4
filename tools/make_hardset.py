"""Regenerate mnist_course/hardset/: the course's own harder evaluation set (issue 11).

About 300 labelled pictures that look like what students really feed the model: phone
photos of paper with shadows, uneven light, a table around the sheet and JPEG
artefacts; lined and squared paper; thick marker and thin pen; digits slanted both
ways; European 1s (flag, foot) and crossed 7s; open and closed 4s and 9s; tiny digits in
a big photo; mouse and finger drawings. Each picture is either a digit in a handwriting
font (Debian font packages, rendered with PIL) or a digit drawn programmatically from a
stroke skeleton with jitter, a random width and slant. Labels are correct by
construction. ``labels.csv`` says, for each file, its digit, its kind, and which font or
stroke variant drew it; ``README.md`` gets a table of kinds and counts.

This is a developer tool: CI uses the committed pictures and never runs it. It is
deterministic (each picture has its own fixed seed) for a given set of fonts, Pillow
and numpy. The fonts come from Debian packages (see ``FONTS``):

    apt-get install fonts-dkg-handwriting fonts-breip fonts-rufscript fonts-humor-sans \\
        fonts-comic-neue fonts-kaushanscript fonts-dancingscript fonts-sjfonts fonts-bwht \\
        fonts-klee fonts-kristi fonts-yusei-magic fonts-tomsontalks fonts-leckerli-one \\
        fonts-tlwg-purisa-otf fonts-seto fonts-kiloji fonts-yozvox-yozfont-edu

Run from the repository root:  .venv/bin/python tools/make_hardset.py
"""

from __future__ import annotations

import argparse
import csv
import io
import math
import random
import sys
from collections import Counter
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tools.fonts import require_fonts  # noqa: E402

HARDSET = ROOT / "mnist_course" / "hardset"
SEED = 11

T, OT = "/usr/share/fonts/truetype", "/usr/share/fonts/opentype"
#: short name -> (Debian package, font file). Only handwriting-like fonts (no printed ones).
FONTS = {
    "dkg": ("fonts-dkg-handwriting", f"{T}/fifthhorseman/dkg.ttf"),
    "dkg-bolditalic": ("fonts-dkg-handwriting", f"{T}/fifthhorseman/dkgBI.ttf"),
    "breip": ("fonts-breip", f"{T}/breip/breipfont.ttf"),
    "rufscript": ("fonts-rufscript", f"{T}/rufscript/Rufscript010.ttf"),
    "humor-sans": ("fonts-humor-sans", f"{T}/humor-sans/Humor-Sans.ttf"),
    "comic-light": ("fonts-comic-neue", f"{OT}/comic-neue/ComicNeue-Light.otf"),
    "comic-bolditalic": ("fonts-comic-neue", f"{OT}/comic-neue/ComicNeue-BoldItalic.otf"),
    "kaushan": ("fonts-kaushanscript", f"{OT}/kaushanscript/KaushanScript-Regular.otf"),
    "dancing": ("fonts-dancingscript", f"{OT}/dancingscript/DancingScript-Regular.otf"),
    "delphine": ("fonts-sjfonts", f"{T}/sjfonts/Delphine.ttf"),
    "stevehand": ("fonts-sjfonts", f"{T}/sjfonts/SteveHand.ttf"),
    "bw-build": ("fonts-bwht", f"{OT}/bwht/BecauseWeBuild-Regular.otf"),
    "bw-connect": ("fonts-bwht", f"{OT}/bwht/BecauseWeConnect-Regular.otf"),
    "bw-create": ("fonts-bwht", f"{OT}/bwht/BecauseWeCreate-Regular.otf"),
    "bw-learn": ("fonts-bwht", f"{OT}/bwht/BecauseWeLearn-Regular.otf"),
    "bw-mentor": ("fonts-bwht", f"{OT}/bwht/BecauseWeMentor-Regular.otf"),
    "bw-organize": ("fonts-bwht", f"{OT}/bwht/BecauseWeOrganize-Regular.otf"),
    "klee": ("fonts-klee", f"{T}/klee/KleeOne-Regular.ttf"),
    "kristi": ("fonts-kristi", f"{T}/kristi/Kristi.ttf"),
    "yusei-magic": ("fonts-yusei-magic", f"{T}/yusei-magic/YuseiMagic-Regular.ttf"),
    "tomsontalks": ("fonts-tomsontalks", f"{T}/tomsontalks/TomsonTalks.ttf"),
    "leckerli": ("fonts-leckerli-one", f"{T}/leckerli-one/LeckerliOne-Regular.ttf"),
    "purisa": ("fonts-tlwg-purisa-otf", f"{OT}/tlwg/Purisa.otf"),
    "purisa-oblique": ("fonts-tlwg-purisa-otf", f"{OT}/tlwg/Purisa-Oblique.otf"),
    "seto": ("fonts-seto", f"{T}/seto/setofont.ttf"),
    "kiloji": ("fonts-kiloji", f"{T}/kiloji/kiloji.ttf"),
    "yozfont-edu": ("fonts-yozvox-yozfont-edu", f"{T}/yozvox-yozfont/YOzBEF.ttf"),
}
THIN_FONTS = ["breip", "comic-light", "delphine", "klee", "kiloji", "purisa", "purisa-oblique"]
BOLD_FONTS = [
    "humor-sans",
    "comic-bolditalic",
    "bw-learn",
    "leckerli",
    "yusei-magic",
    "seto",
    "rufscript",
    "kaushan",
    "dkg-bolditalic",
    "bw-connect",
    "yozfont-edu",
]
#: Medium-weight fonts that a marker thickens into something still legible.
MARKER_FONTS = [
    "dkg",
    "breip",
    "humor-sans",
    "kaushan",
    "stevehand",
    "bw-connect",
    "bw-create",
    "bw-organize",
    "klee",
    "purisa",
    "kiloji",
    "tomsontalks",
    "rufscript",
]
#: Glyphs a person would not read as their digit (left out).
ILLEGIBLE = {(6, "bw-learn"), (6, "bw-mentor"), (0, "breip")}
#: Fonts whose glyph shows the feature the "european" and "open_closed" kinds are about.
FEATURE_FONTS = {
    (1, "flag"): [
        "dkg-bolditalic",
        "kaushan",
        "dancing",
        "leckerli",
        "tomsontalks",
        "comic-bolditalic",
        "seto",
    ],
    (7, "crossed"): [
        "dkg",
        "dkg-bolditalic",
        "kaushan",
        "dancing",
        "bw-create",
        "bw-learn",
        "bw-mentor",
        "tomsontalks",
        "leckerli",
    ],
    (4, "open"): ["dkg", "kaushan", "stevehand", "bw-build", "bw-create", "kristi"],
    (4, "closed"): ["comic-light", "humor-sans", "yusei-magic", "seto", "klee", "bw-connect", "yozfont-edu"],
    (9, "closed"): ["breip", "comic-light", "humor-sans", "seto", "klee", "bw-organize", "yozfont-edu"],
}


# ----------------------------------------------------------------------------- stroke skeletons


def arc(cx: float, cy: float, rx: float, ry: float, t0: float, t1: float) -> list[tuple[float, float]]:
    """Points on an ellipse from angle t0 to t1 (degrees; 0 = right, 90 = down)."""
    n = max(8, int(abs(t1 - t0) / 6))
    return [
        (cx + rx * math.cos(math.radians(t)), cy + ry * math.sin(math.radians(t)))
        for t in np.linspace(t0, t1, n)
    ]


def bez(*p: tuple[float, float]) -> list[tuple[float, float]]:
    """Points on a cubic Bezier curve with control points p[0..3]."""
    s = np.linspace(0, 1, 24)[:, None]
    a, b, c, d = (np.array(q) for q in p)
    pts = (1 - s) ** 3 * a + 3 * (1 - s) ** 2 * s * b + 3 * (1 - s) * s**2 * c + s**3 * d
    return [tuple(q) for q in pts]


def eight(top: float, bottom: float, cross: float) -> list[tuple[float, float]]:
    """One-stroke figure of eight from the top: loops of half-widths top/bottom crossing at ``cross``."""
    pts = []
    for s in np.linspace(0.0, 1.03, 100):
        q, quarter = (s % 1) * 4, int((s % 1) * 4)
        u = (1 - math.cos(math.pi * (q - quarter))) / 2  # 0 -> 1 within the quarter
        y = [cross * u, cross + (1 - cross) * u, 1 - (1 - cross) * u, cross * (1 - u)][quarter]
        amp = top if quarter in (0, 3) else bottom
        pts.append((0.5 + amp * math.sin(4 * math.pi * s), y))
    return pts


#: digit -> variant name -> strokes (lists of (x, y) in the unit square, y down).
SKELETONS = {
    0: {
        "oval": [arc(0.5, 0.5, 0.45, 0.5, -100, 265)],
        "overlap": [arc(0.5, 0.5, 0.42, 0.5, -60, 320)],
        "narrow": [arc(0.5, 0.5, 0.3, 0.5, -80, 285)],
    },
    1: {
        "plain": [[(0.52, 0.0), (0.47, 1.0)]],
        "flag": [[(0.15, 0.3), (0.6, 0.0), (0.55, 1.0)]],
        "flag_foot": [[(0.15, 0.3), (0.6, 0.0), (0.55, 1.0)], [(0.15, 1.0), (0.95, 1.0)]],
    },
    2: {
        "plain": [arc(0.5, 0.3, 0.4, 0.3, 195, 380) + [(0.05, 0.98), (0.95, 0.98)]],
        "curly": [
            arc(0.5, 0.28, 0.38, 0.28, 190, 385)
            + bez((0.85, 0.4), (0.5, 0.7), (0.05, 0.98), (0.05, 0.98))
            + bez((0.05, 0.98), (0.4, 0.88), (0.7, 1.04), (0.98, 0.94))
        ],
    },
    3: {
        "round": [arc(0.48, 0.26, 0.36, 0.25, 200, 450) + arc(0.48, 0.74, 0.42, 0.26, -95, 160)],
        "flat_top": [[(0.1, 0.02), (0.85, 0.02), (0.42, 0.4)] + arc(0.48, 0.7, 0.42, 0.3, -100, 155)],
    },
    4: {
        "closed": [[(0.68, 1.0), (0.68, 0.0), (0.02, 0.68), (0.98, 0.68)]],
        "open": [[(0.28, 0.0), (0.08, 0.62), (0.98, 0.62)], [(0.72, 0.22), (0.72, 1.0)]],
        "open_tall": [[(0.35, 0.0), (0.12, 0.55), (0.95, 0.58)], [(0.7, 0.0), (0.68, 1.0)]],
    },
    5: {
        "one_stroke": [[(0.85, 0.02), (0.22, 0.02), (0.16, 0.45)] + arc(0.48, 0.68, 0.4, 0.32, -150, 150)],
        "two_strokes": [
            [(0.22, 0.02), (0.16, 0.45)] + arc(0.48, 0.68, 0.4, 0.32, -150, 150),
            [(0.22, 0.02), (0.88, 0.0)],
        ],
    },
    6: {
        "loop": [
            bez((0.8, 0.04), (0.35, -0.02), (0.08, 0.45), (0.12, 0.72))
            + arc(0.5, 0.72, 0.38, 0.27, 180, -170)
        ],
        "small_loop": [
            bez((0.85, 0.0), (0.4, 0.1), (0.2, 0.5), (0.25, 0.8)) + arc(0.55, 0.8, 0.3, 0.2, 180, -170)
        ],
        "straight": [[(0.7, 0.0), (0.14, 0.72)] + arc(0.5, 0.74, 0.36, 0.25, 180, -170)],
    },
    7: {
        "plain": [[(0.05, 0.02), (0.95, 0.02), (0.4, 1.0)]],
        "crossed": [[(0.05, 0.02), (0.95, 0.02), (0.4, 1.0)], [(0.38, 0.52), (0.9, 0.5)]],
        "hook": [[(0.05, 0.2), (0.08, 0.02), (0.95, 0.04), (0.5, 1.0)]],
        "curved": [[(0.05, 0.02)] + bez((0.95, 0.02), (0.7, 0.35), (0.5, 0.6), (0.45, 1.0))],
    },
    8: {
        "crossing": [eight(0.3, 0.42, 0.46)],
        "two_loops": [arc(0.5, 0.24, 0.3, 0.24, 90, 450), arc(0.5, 0.74, 0.42, 0.26, -90, 270)],
        "small_top": [eight(0.22, 0.45, 0.38)],
    },
    9: {
        "closed": [arc(0.48, 0.28, 0.4, 0.28, 0, -360) + [(0.8, 1.0)]],
        "open": [arc(0.46, 0.3, 0.38, 0.27, -60, -330), [(0.86, 0.0), (0.84, 0.4), (0.78, 1.0)]],
        "curved": [
            arc(0.48, 0.28, 0.4, 0.28, 0, -360) + bez((0.88, 0.28), (0.9, 0.7), (0.7, 1.0), (0.35, 0.95))
        ],
    },
}


def _densify(stroke: list, step: float = 0.01) -> np.ndarray:
    """Resample a polyline so that consecutive points are at most ``step`` apart."""
    out = [np.array(stroke[0], float)]
    for a, b in zip(stroke[:-1], stroke[1:], strict=True):
        a, b = np.array(a, float), np.array(b, float)
        n = max(1, int(np.linalg.norm(b - a) / step))
        out.extend(a + (b - a) * k / n for k in range(1, n + 1))
    return np.array(out)


def stroke_mask(
    strokes: list,
    height: int,
    width_frac: float,
    rng: random.Random,
    *,
    aspect: float = 0.7,
    slant: float = 0.0,
    angle: float = 0.0,
    wobble: float = 0.02,
    tremor: float = 0.0,
    step: float = 0.01,
) -> Image.Image:
    """Draw a skeleton as a grayscale ink mask (255 = ink), ``height`` pixels tall.

    ``wobble`` bends the strokes smoothly (fraction of the height), ``tremor`` adds
    point-to-point jitter (a shaky mouse), ``slant`` shears (degrees, + leans right).
    """
    field = [
        (rng.uniform(0.4, 1.3), rng.uniform(0.4, 1.3), rng.uniform(0, 6.3), rng.uniform(0, 6.3))
        for _ in range(3)
    ]
    sx, sy, ca, sa = (
        math.tan(math.radians(slant)),
        0,
        math.cos(math.radians(angle)),
        math.sin(math.radians(angle)),
    )
    paths = []
    for stroke in strokes:
        p = _densify(stroke, step)
        dx = sum(np.sin(fx * p[:, 1] * 6.3 + px) * wobble / 3 for fx, _, px, _ in field)
        dy = sum(np.sin(fy * p[:, 0] * 6.3 + py) * wobble / 3 for _, fy, _, py in field)
        p = p + np.stack([dx, dy], 1) + np.array([[rng.gauss(0, tremor), rng.gauss(0, tremor)] for _ in p])
        x, y = (p[:, 0] - 0.5) * aspect, p[:, 1] - 0.5
        x = x - y * sx
        x, y = x * ca - y * sa, x * sa + y * ca
        paths.append(np.stack([x, y + sy], 1))
    allp = np.concatenate(paths)
    lo, hi = allp.min(0), allp.max(0)
    scale = 4 * height / max(hi[1] - lo[1], 1e-6)
    pen = max(1.0, 4 * height * width_frac)
    pad = pen
    size = (int((hi[0] - lo[0]) * scale + 2 * pad) + 2, int(4 * height + 2 * pad) + 2)
    layer = Image.new("L", size, 0)
    draw = ImageDraw.Draw(layer)
    for path in paths:
        pts = [(float((x - lo[0]) * scale + pad), float((y - lo[1]) * scale + pad)) for x, y in path]
        draw.line(pts, fill=255, width=max(1, round(pen)), joint="curve")
        for x, y in pts:  # round pen: also fills the slivers between wide segments
            draw.ellipse([x - pen / 2, y - pen / 2, x + pen / 2, y + pen / 2], fill=255)
    out = (max(1, round(size[0] / 4)), max(1, round(size[1] / 4)))
    return layer.resize(out, Image.Resampling.LANCZOS)


def font_mask(
    digit: int,
    font: str,
    height: int,
    *,
    thickness: float = 0.0,
    slant: float = 0.0,
    angle: float = 0.0,
    aspect: float = 1.0,
) -> Image.Image:
    """Render one digit in a font as a grayscale mask (255 = ink), cropped, ``height`` tall."""
    big = 200
    face = ImageFont.truetype(FONTS[font][1], size=big)
    layer = Image.new("L", (3 * big, 3 * big), 0)
    stroke = round(thickness * big)
    ImageDraw.Draw(layer).text(
        (1.5 * big, 1.5 * big),
        str(digit),
        font=face,
        fill=255,
        anchor="mm",
        stroke_width=stroke,
        stroke_fill=255,
    )
    shear = math.tan(math.radians(slant))
    layer = layer.transform(
        layer.size,
        Image.Transform.AFFINE,
        (1, shear, -shear * 1.5 * big, 0, 1, 0),
        resample=Image.Resampling.BICUBIC,
    )
    layer = layer.rotate(angle, resample=Image.Resampling.BICUBIC)
    layer = layer.crop(layer.getbbox())
    scale = height / layer.height
    return layer.resize((max(1, round(layer.width * scale * aspect)), height), Image.Resampling.LANCZOS)


# ----------------------------------------------------------------------------- paper, light, camera

PAPERS = [(250, 250, 248), (248, 244, 230), (238, 238, 234), (244, 246, 250), (252, 250, 240)]
INKS = {"black": (25, 25, 30), "blue": (30, 50, 150), "pencil": (95, 95, 100), "darkblue": (20, 30, 90)}
MARKERS = [(15, 15, 15), (20, 40, 160), (170, 20, 30), (20, 110, 50)]
TABLES = [(120, 84, 55), (90, 70, 55), (70, 70, 75), (150, 120, 90), (45, 45, 50)]


def _smooth_noise(shape: tuple[int, int], nrng: np.random.Generator, cell: int) -> np.ndarray:
    """Low-frequency noise in -1..1 (upsampled random grid)."""
    h, w = shape
    grid = nrng.uniform(-1, 1, (h // cell + 2, w // cell + 2)).astype(np.float32)
    img = Image.fromarray(grid, mode="F").resize((w + 2 * cell, h + 2 * cell), Image.Resampling.BICUBIC)
    return np.asarray(img)[cell : cell + h, cell : cell + w]


def sheet(
    size: tuple[int, int],
    rng: random.Random,
    nrng: np.random.Generator,
    *,
    ruling: str | None = None,
    spacing: float = 20.0,
    texture: bool = True,
    color=None,
) -> np.ndarray:
    """A sheet of paper (float HxWx3), optionally lined or squared, with fibre texture."""
    w, h = size
    arr = np.ones((h, w, 3), np.float32) * np.array(color or rng.choice(PAPERS), np.float32)
    if texture:
        arr += (_smooth_noise((h, w), nrng, 3) * 4 + nrng.normal(0, 2, (h, w)))[..., None]
    if ruling:
        lines = Image.new("L", size, 0)
        draw = ImageDraw.Draw(lines)
        width = 1 if spacing < 25 or rng.random() < 0.6 else 2
        y0 = rng.uniform(0, spacing)
        for y in np.arange(y0, h, spacing):
            draw.line([(0, y), (w, y + rng.uniform(-1, 1))], fill=255, width=width)
        if ruling == "grid":
            for x in np.arange(rng.uniform(0, spacing), w, spacing):
                draw.line([(x, 0), (x + rng.uniform(-1, 1), h)], fill=255, width=width)
        line_color = np.array(
            rng.choice([(120, 160, 220), (150, 170, 200), (140, 140, 150), (110, 150, 210)])
        )
        a = np.asarray(lines, np.float32)[..., None] / 255 * rng.uniform(0.45, 0.9)
        arr = arr * (1 - a) + line_color * a
        if ruling == "lined" and rng.random() < 0.5 and w > 150:
            x = rng.uniform(0.06, 0.16) * w
            margin = Image.new("L", size, 0)
            ImageDraw.Draw(margin).line([(x, 0), (x, h)], fill=255, width=2)
            a = np.asarray(margin, np.float32)[..., None] / 255 * 0.7
            arr = arr * (1 - a) + np.array([220, 80, 90]) * a
    return arr


def put_ink(
    arr: np.ndarray,
    mask: Image.Image,
    xy: tuple[int, int],
    color,
    nrng: np.random.Generator,
    opacity: float = 1.0,
    pressure: float = 0.15,
) -> np.ndarray:
    """Lay ink (mask 255 = full ink) onto the paper at ``xy``, with uneven pen pressure."""
    full = Image.new("L", (arr.shape[1], arr.shape[0]), 0)
    full.paste(mask, xy)
    a = np.asarray(full, np.float32) / 255 * opacity
    if pressure:
        a = a * np.clip(1 - pressure + pressure * _smooth_noise(a.shape, nrng, 24), 0, 1)
    a = a[..., None]
    return arr * (1 - a) + np.array(color, np.float32) * a


def light_and_camera(
    arr: np.ndarray, rng: random.Random, nrng: np.random.Generator, strength: float = 1.0
) -> np.ndarray:
    """Uneven light, a soft shadow, vignetting, colour cast, blur and sensor noise."""
    h, w = arr.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    theta = rng.uniform(0, 2 * math.pi)
    ramp = ((xx / w - 0.5) * math.cos(theta) + (yy / h - 0.5) * math.sin(theta)) + 0.5
    light = 1 - strength * rng.uniform(0.08, 0.3) * ramp
    if rng.random() < 0.75:  # a hand or phone shadow: a soft-edged half-plane
        phi = rng.uniform(0, 2 * math.pi)
        d = (xx - w * rng.uniform(0.2, 0.8)) * math.cos(phi) + (yy - h * rng.uniform(0.2, 0.8)) * math.sin(
            phi
        )
        soft = max(4.0, rng.uniform(0.05, 0.2) * min(w, h))
        light = light * (1 - strength * rng.uniform(0.18, 0.42) / (1 + np.exp(-d / soft)))
    r2 = ((xx / w - 0.5) ** 2 + (yy / h - 0.5) ** 2) / 0.5
    light = light * (1 - strength * rng.uniform(0.05, 0.3) * r2)
    cast = np.array(rng.choice([(1, 0.98, 0.9), (0.95, 0.98, 1.0), (1, 1, 1), (1, 0.95, 0.85)]), np.float32)
    arr = arr * light[..., None] * cast
    img = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
    img = img.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.1) * max(0.5, strength)))
    arr = np.asarray(img, np.float32) + nrng.normal(0, rng.uniform(1.5, 4.5), (h, w, 1))
    return np.clip(arr, 0, 255)


def on_table(
    paper: np.ndarray, frame: tuple[int, int], rng: random.Random, nrng: np.random.Generator,
    angle: float | None = None,
) -> np.ndarray:
    """Lay the sheet, slightly turned (or by ``angle`` degrees), on a darker table showing at some edges."""
    w, h = frame
    base = np.array(rng.choice(TABLES), np.float32)
    grain = _smooth_noise((h, w), nrng, 2)[..., None] * 0 + np.sin(np.linspace(0, rng.uniform(20, 60), h))[
        :, None, None
    ] * rng.uniform(3, 9)
    table = np.ones((h, w, 3), np.float32) * base + grain + nrng.normal(0, 3, (h, w, 1))
    sheet_img = Image.fromarray(np.clip(paper, 0, 255).astype(np.uint8))
    alpha = Image.new("L", sheet_img.size, 255)
    angle = rng.uniform(-6, 6) if angle is None else angle
    sheet_img = sheet_img.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True)
    alpha = alpha.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True)
    out = Image.fromarray(np.clip(table, 0, 255).astype(np.uint8))
    x = (w - sheet_img.width) // 2 + rng.randint(-w // 10, w // 10)
    y = (h - sheet_img.height) // 2 + rng.randint(-h // 10, h // 10)
    out.paste(sheet_img, (x, y), alpha)
    return np.asarray(out, np.float32)


def jpeg(arr: np.ndarray, rng: random.Random) -> Image.Image:
    """Encode and decode as a phone would (JPEG artefacts), returning the decoded image."""
    buf = io.BytesIO()
    Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8)).save(buf, "JPEG", quality=rng.randint(55, 85))
    return Image.open(io.BytesIO(buf.getvalue()))


# ----------------------------------------------------------------------------- one picture per kind


def glyph(
    digit: int,
    rng: random.Random,
    height: int,
    *,
    source: str | None = None,
    fonts: list | None = None,
    variants: list | None = None,
    width: tuple[float, float] = (0.05, 0.09),
    slant: float | None = None,
    thickness: float | None = None,
    wobble: float = 0.025,
    tremor: float = 0.0,
    step: float = 0.01,
):
    """A digit's ink mask from a font or a stroke skeleton; returns (mask, source, style)."""
    source = source or rng.choice(["font", "strokes"])
    slant = rng.uniform(-8, 8) if slant is None else slant
    if source == "font":
        font = rng.choice([f for f in fonts or sorted(FONTS) if (digit, f) not in ILLEGIBLE])
        thick = rng.choice([0.0, 0.0, 0.01, 0.02]) if thickness is None else thickness
        thick = min(thick, 0.005) if font in BOLD_FONTS else thick  # do not fill the loops of bold fonts
        mask = font_mask(
            digit,
            font,
            height,
            thickness=thick,
            slant=slant,
            angle=rng.uniform(-5, 5),
            aspect=rng.uniform(0.85, 1.15),
        )
        return mask, "font", font
    variant = rng.choice(variants or sorted(SKELETONS[digit]))
    aspect = rng.uniform(0.35, 0.5) if digit == 1 else rng.uniform(0.6, 0.85)
    mask = stroke_mask(
        SKELETONS[digit][variant],
        height,
        rng.uniform(*width),
        rng,
        aspect=aspect,
        slant=slant,
        angle=rng.uniform(-5, 5),
        wobble=wobble,
        tremor=tremor,
        step=step,
    )
    return mask, "strokes", variant


def _place(
    size: tuple[int, int], mask: Image.Image, rng: random.Random, spread: float = 0.15
) -> tuple[int, int]:
    """Top-left corner for the mask, near the centre of a ``size`` sheet, inside it."""
    w, h = size
    x = (w - mask.width) / 2 + rng.uniform(-spread, spread) * w
    y = (h - mask.height) / 2 + rng.uniform(-spread, spread) * h
    m = max(2, round(0.04 * min(w, h)))
    return (int(min(max(m, x), max(m, w - mask.width - m))), int(min(max(m, y), max(m, h - mask.height - m))))


def _frame(rng: random.Random, lo: int, hi: int) -> tuple[int, int]:
    """A random picture size, longest side lo..hi, landscape or portrait 4:3 or square."""
    long = rng.randint(lo, hi)
    short = round(long * rng.choice([0.75, 0.75, 1.0]))
    return (long, short) if rng.random() < 0.5 else (short, long)


def paper_picture(
    digit: int,
    rng: random.Random,
    nrng: np.random.Generator,
    *,
    frame: tuple[int, int],
    height: int,
    photo: bool,
    ruling: str | None = None,
    spacing: float = 20.0,
    ink=None,
    opacity: float = 1.0,
    table: bool | None = None,
    **glyph_args,
):
    """A digit on a sheet: a flat scan (PNG) or a phone photo (JPEG); returns (image, ext, source, style)."""
    mask, source, style = glyph(digit, rng, height, **glyph_args)
    table = photo and rng.random() < 0.5 if table is None else table
    size = (
        (round(frame[0] * rng.uniform(0.9, 1.05)), round(frame[1] * rng.uniform(0.9, 1.05)))
        if table
        else frame
    )
    arr = sheet(size, rng, nrng, ruling=ruling, spacing=spacing, texture=photo)
    xy = _place(size, mask, rng, 0.12)
    if ruling == "lined":  # sit the digit on a line, as people write
        y0 = xy[1] + mask.height
        xy = (
            xy[0],
            int(max(2, min(size[1] - mask.height - 2, xy[1] + (round(y0 / spacing) * spacing - y0)))),
        )
    ink = ink or INKS[rng.choice(["black", "blue", "black", "pencil", "darkblue"])]
    arr = put_ink(arr, mask, xy, ink, nrng, opacity=opacity, pressure=0.12 if photo else 0.08)
    if not photo:
        return Image.fromarray(np.clip(arr, 0, 255).round().astype(np.uint8)), "png", source, style
    if table:
        arr = on_table(arr, frame, rng, nrng)
    return jpeg(light_and_camera(arr, rng, nrng), rng), "jpg", source, style


def make_photo(d, i, rng, nrng):
    frame = _frame(rng, 280, 400)
    return paper_picture(
        d, rng, nrng, frame=frame, height=round(min(frame) * rng.uniform(0.3, 0.5)), photo=True
    )


def _ruled(d, rng, nrng, ruling):
    frame = _frame(rng, 160, 320)
    height = round(min(frame) * rng.uniform(0.3, 0.55))
    spacing = height * rng.uniform(0.75, 1.05) if ruling == "lined" else height / rng.uniform(1.3, 2.5)
    return paper_picture(
        d, rng, nrng, frame=frame, height=height, photo=rng.random() < 0.5, ruling=ruling, spacing=spacing
    )


def make_lined(d, i, rng, nrng):
    return _ruled(d, rng, nrng, "lined")


def make_grid(d, i, rng, nrng):
    return _ruled(d, rng, nrng, "grid")


def make_marker(d, i, rng, nrng):
    frame = _frame(rng, 140, 300)
    return paper_picture(
        d,
        rng,
        nrng,
        frame=frame,
        height=round(min(frame) * rng.uniform(0.5, 0.75)),
        photo=rng.random() < 0.4,
        ink=rng.choice(MARKERS),
        fonts=MARKER_FONTS,
        width=(0.13, 0.2),
        thickness=rng.uniform(0.02, 0.04),
    )


def make_thinpen(d, i, rng, nrng):
    frame = _frame(rng, 140, 300)
    height = round(min(frame) * rng.uniform(0.45, 0.7))
    px = rng.uniform(1.0, 2.5)
    return paper_picture(
        d,
        rng,
        nrng,
        frame=frame,
        height=height,
        photo=rng.random() < 0.4,
        ink=INKS[rng.choice(["blue", "black", "pencil"])],
        opacity=rng.uniform(0.65, 0.95),
        source="font" if rng.random() < 0.35 else "strokes",
        fonts=THIN_FONTS,
        thickness=0.0,
        width=(px / height, px / height),
    )


def make_slant(d, i, rng, nrng):
    frame = _frame(rng, 160, 300)
    slant = rng.uniform(15, 30) if (i // 10) % 2 == 0 else -rng.uniform(12, 22)
    return paper_picture(
        d,
        rng,
        nrng,
        frame=frame,
        height=round(min(frame) * rng.uniform(0.4, 0.65)),
        photo=rng.random() < 0.5,
        slant=slant,
    )


def _featured(d, rng, nrng, font_key, variants):
    frame = _frame(rng, 160, 340)
    scene = rng.choice(["scan", "photo", "lined", "grid"])
    height = round(min(frame) * rng.uniform(0.35, 0.6))
    source = "font" if rng.random() < 0.35 else "strokes"
    image, ext, source, style = paper_picture(
        d,
        rng,
        nrng,
        frame=frame,
        height=height,
        photo=scene != "scan" and rng.random() < 0.7,
        ruling=scene if scene in ("lined", "grid") else None,
        spacing=height * 0.9 if scene == "lined" else height / 2,
        source=source,
        fonts=FEATURE_FONTS[font_key],
        variants=variants,
    )
    return image, ext, source, f"{style}/{font_key[1]}" if source == "font" else style


def make_european(d, i, rng, nrng):
    if d == 1:
        return _featured(1, rng, nrng, (1, "flag"), ["flag", "flag_foot"])
    return _featured(7, rng, nrng, (7, "crossed"), ["crossed"])


def make_open_closed(d, i, rng, nrng):
    closed = (i // 2) % 2 == 0
    if d == 4:
        return _featured(
            4, rng, nrng, (4, "closed" if closed else "open"), ["closed"] if closed else ["open", "open_tall"]
        )
    return _featured(9, rng, nrng, (9, "closed"), ["closed", "curved"] if closed else ["open"])


def make_tiny(d, i, rng, nrng):
    frame = (400, 300) if rng.random() < 0.5 else (300, 400)
    height = rng.randint(14, 28)
    ruling = rng.choice([None, None, "lined", "grid"])
    return paper_picture(
        d,
        rng,
        nrng,
        frame=frame,
        height=height,
        photo=True,
        ruling=ruling,
        spacing=height * (0.9 if ruling == "lined" else 0.5),
        table=rng.random() < 0.7,
        width=(0.07, 0.12),
    )


def _canvas(mask: Image.Image, size: tuple[int, int], rng: random.Random, style: str, color=(255, 255, 255)):
    """Put a stroke mask on a drawing-app canvas: "dark" (white on black), "light" or "rgba"."""
    xy = _place(size, mask, rng, 0.2)
    alpha = Image.new("L", size, 0)
    alpha.paste(mask, xy)
    if style == "rgba":
        out = Image.new("RGBA", size, (0, 0, 0, 0))
        out.paste(Image.new("RGBA", size, color + (255,)), (0, 0), alpha)
        return out
    back, ink = ((0, 0, 0), color) if style == "dark" else ((255, 255, 255), color)
    out = Image.new("RGB", size, back)
    out.paste(Image.new("RGB", size, ink), (0, 0), alpha)
    return out.convert("L") if len(set(back + ink)) <= 2 else out


def make_mouse(d, i, rng, nrng):
    height = rng.randint(110, 220)
    mask, _, variant = glyph(
        d,
        rng,
        height,
        source="strokes",
        width=(10 / height, 22 / height),
        wobble=rng.uniform(0.02, 0.045),
        tremor=rng.uniform(0.003, 0.01),
        step=rng.uniform(0.03, 0.06),
        slant=rng.uniform(-12, 12),
    )
    style = rng.choice(["dark", "dark", "light", "rgba"])
    color = (255, 255, 255) if style == "dark" else rng.choice([(0, 0, 0), (30, 30, 120)])
    return _canvas(mask, (280, 280), rng, style, color), "png", "strokes", variant


def make_finger(d, i, rng, nrng):
    size = rng.choice([(300, 400), (360, 360), (400, 300)])
    height = round(min(size) * rng.uniform(0.45, 0.8))
    mask, _, variant = glyph(
        d,
        rng,
        height,
        source="strokes",
        width=(24 / height, 44 / height),
        wobble=rng.uniform(0.04, 0.07),
        tremor=0.002,
        slant=rng.uniform(-15, 15),
    )
    style = rng.choice(["light", "light", "dark", "rgba"])
    color = (255, 255, 255) if style == "dark" else rng.choice([(0, 0, 0), (200, 30, 40), (20, 90, 200)])
    return _canvas(mask, size, rng, style, color), "png", "strokes", variant


#: kind -> (how many, digits cycled through, maker, how it is made: the README's words).
def sheet_photo(digit, rng, nrng, *, frame, sheet_size, height, angle=None, dim=1.0):
    """A phone photo of a ``sheet_size`` sheet with one digit ``height`` tall on a table filling
    ``frame``, the sheet turned by ``angle`` degrees (default: a few) and the light scaled by ``dim``."""
    mask, source, style = glyph(digit, rng, height)
    arr = sheet(sheet_size, rng, nrng)
    ink = INKS[rng.choice(["black", "blue", "black", "pencil", "darkblue"])]
    arr = put_ink(arr, mask, _place(sheet_size, mask, rng, 0.06), ink, nrng, pressure=0.12)
    arr = light_and_camera(on_table(arr, frame, rng, nrng, angle=angle), rng, nrng)
    if dim < 1:  # low light: darker, and the sensor's noise grows
        arr = arr * dim + nrng.normal(0, rng.uniform(3, 8), (*arr.shape[:2], 1))
    return jpeg(arr, rng), "jpg", source, style


def make_portrait(d, i, rng, nrng):
    """A portrait sheet (A4's 1:1.41) in a landscape photo: it covers only 35-50% of the width."""
    w = rng.randint(320, 480)
    h = round(w * 0.75)
    tall = round(h * rng.uniform(0.8, 0.92))
    return sheet_photo(d, rng, nrng, frame=(w, h), sheet_size=(round(tall / 1.41), tall),
                       height=round(tall / 1.41 * rng.uniform(0.3, 0.45)))


def make_angled(d, i, rng, nrng):
    """A sheet turned 15-40 degrees either way, the table in every corner."""
    frame = _frame(rng, 320, 440)
    side = round(min(frame) * rng.uniform(0.55, 0.68))
    angle = rng.uniform(15, 40) * rng.choice([-1, 1])
    return sheet_photo(d, rng, nrng, frame=frame, sheet_size=(side, round(side * 1.2)), angle=angle,
                       height=round(side * rng.uniform(0.3, 0.45)))


def make_margin(d, i, rng, nrng):
    """A digit with two digits' worth of empty paper on every side (a fifth of the sheet's short side)."""
    frame = _frame(rng, 320, 440)
    size = (round(frame[0] * rng.uniform(0.75, 0.88)), round(frame[1] * rng.uniform(0.75, 0.88)))
    return sheet_photo(d, rng, nrng, frame=frame, sheet_size=size, height=round(min(size) / 5))


def make_lowlight(d, i, rng, nrng):
    """A photo in low light: the whole picture 30-55% as bright, with more sensor noise."""
    frame = _frame(rng, 280, 400)
    size = (round(frame[0] * rng.uniform(0.8, 0.95)), round(frame[1] * rng.uniform(0.8, 0.95)))
    height = round(min(size) * rng.uniform(0.3, 0.45))
    return sheet_photo(d, rng, nrng, frame=frame, sheet_size=size, height=height, dim=rng.uniform(0.3, 0.55))


#: Kinds for new dev sets only (issue 20): the shipped hard set keeps :data:`KINDS`.
DEV_KINDS = {
    "portrait": (30, range(10), make_portrait, "a portrait sheet in a landscape photo (35-50% of its width)"),
    "angled": (30, range(10), make_angled, "a sheet turned 15-40 degrees, the table in every corner"),
    "margin": (30, range(10), make_margin, "a digit a fifth of the sheet's short side: two digits' margin"),
    "lowlight": (30, range(10), make_lowlight, "a photo in low light: 30-55% as bright, more sensor noise"),
}

KINDS = {
    "photo": (
        40,
        range(10),
        make_photo,
        "phone photo of a sheet on a darker table: uneven light, a soft "
        "shadow, vignetting, paper texture, colour cast, blur, sensor noise, JPEG",
    ),
    "lined": (
        30,
        range(10),
        make_lined,
        "lined paper (blue rules, sometimes a red margin), the digit on a "
        "rule; half flat scans (PNG), half phone photos (JPEG)",
    ),
    "grid": (
        30,
        range(10),
        make_grid,
        "squared paper, the digit 1.3-2.5 squares tall; half scans, half photos",
    ),
    "marker": (
        30,
        range(10),
        make_marker,
        "thick marker (stroke 13-20% of the height, or a font "
        "thickened), black, blue, red or green; some photos",
    ),
    "thinpen": (
        30,
        range(10),
        make_thinpen,
        "thin ballpoint or pencil, 1-2.5 px strokes or light fonts, faint ink",
    ),
    "slant": (
        30,
        range(10),
        make_slant,
        "slanted: 15-30 degrees to the right (first 10, last 10) or 12-22 to the left (middle 10)",
    ),
    "european": (20, (1, 7), make_european, "1 with a flag (and a foot), 7 with a crossbar"),
    "open_closed": (
        20,
        (4, 9),
        make_open_closed,
        "4 open or closed at the top, 9 with a closed, open or curved-stem loop",
    ),
    "tiny": (30, range(10), make_tiny, "a 14-28 px digit somewhere in a 400x300 phone photo"),
    "mouse": (
        20,
        range(10),
        make_mouse,
        "drawn with a mouse on a 280x280 canvas: 10-22 px round strokes, "
        "shaky, angular (sparse mouse events); white on black, black on white or transparent",
    ),
    "finger": (
        20,
        range(10),
        make_finger,
        "drawn with a finger on a phone: 24-44 px wobbly strokes, black, white or coloured",
    ),
}


def make_hardset(out: Path = HARDSET, seed: int = SEED, kinds: list[str] | None = None) -> list[dict]:
    """Write every picture, labels.csv and README.md into ``out``; return the label rows.

    ``seed`` other than :data:`SEED` makes a different set of the same kinds (a dev set to tune on);
    ``kinds`` picks kinds of :data:`KINDS` and :data:`DEV_KINDS` (default: :data:`KINDS`, the shipped set's).
    """
    chosen = {kind: {**KINDS, **DEV_KINDS}[kind] for kind in (kinds or KINDS)}
    if out.resolve() == HARDSET.resolve() and (seed != SEED or list(chosen) != list(KINDS)):
        raise SystemExit(f"{HARDSET} is the shipped hard set: write other seeds or kinds to another --out")
    require_fonts(FONTS.values())
    out.mkdir(parents=True, exist_ok=True)
    for old in [*out.glob("*.png"), *out.glob("*.jpg")]:
        old.unlink()
    rows = []
    for kind, (count, digits, maker, _) in chosen.items():
        digits = list(digits)
        for i in range(count):
            digit = digits[i % len(digits)]
            rng = random.Random(f"{seed}/{kind}/{i}")
            nrng = np.random.default_rng(rng.randrange(2**32))
            image, ext, source, style = maker(digit, i, rng, nrng)
            name = f"{kind}_{i:02d}_{digit}.{ext}"
            if ext == "jpg":
                image.convert("RGB").save(out / name, quality=rng.randint(70, 88))
            else:
                image.save(out / name, optimize=True)
            rows.append({"file": name, "label": digit, "kind": kind, "source": source, "style": style})
    with open(out / "labels.csv", "w", newline="") as f:
        writer = csv.DictWriter(
            f, fieldnames=["file", "label", "kind", "source", "style"], lineterminator="\n"
        )
        writer.writeheader()
        writer.writerows(rows)
    (out / "README.md").write_text(readme(rows, chosen))
    return rows


def readme(rows: list[dict], chosen: dict | None = None) -> str:
    """The folder's README: what the set is, a table of kinds and counts, the fonts used."""
    kinds, digits = Counter(r["kind"] for r in rows), Counter(r["label"] for r in rows)
    fonts = Counter(r["style"].split("/")[0] for r in rows if r["source"] == "font")
    lines = [
        "# The course's hard set: pictures like students' own",
        "",
        f"{len(rows)} labelled pictures of single digits, made by `tools/make_hardset.py` (seeded: running "
        "it again rewrites this folder identically). No one drew them by hand and none comes from MNIST or "
        "scikit-learn's digits. Each is a digit in a handwriting font (Debian packages, rendered with PIL) "
        "or drawn programmatically from a stroke skeleton (polylines and arcs, with a smooth random "
        "wobble, a random pen width, slant and rotation), then laid on paper, a photo or a drawing canvas. "
        "Labels are correct by construction.",
        "",
        "`labels.csv` has one row per picture: `file`, `label` (0-9), `kind` (below), `source` (`font` or "
        "`strokes`) and `style`: the font's short name (with the glyph's feature in the `european` and "
        "`open_closed` kinds, e.g. `kaushan/crossed`), or the stroke variant (e.g. `crossed` for a 7, "
        "`flag_foot` for a 1, `open` for a 4 or 9). Photos are JPEG, scans and drawings PNG, 140-400 "
        "pixels on a side. Load the set with `mnist_course.data.evalsets.load_hardset()`.",
        "",
        "| kind | pictures | digits | how it was made |",
        "| --- | --- | --- | --- |",
    ]
    for kind, (_, ds, _, how) in (chosen or KINDS).items():
        shown = "0-9" if list(ds) == list(range(10)) else ", ".join(map(str, ds))
        lines.append(f"| {kind} | {kinds[kind]} | {shown} | {how} |")
    lines += [
        f"| **all** | **{len(rows)}** | | {', '.join(f'{d}: {digits[d]}' for d in range(10))} |",
        "",
        "Stroke variants per digit (chosen at random where the kind does not fix them): "
        + "; ".join(f"{d}: {', '.join(sorted(v))}" for d, v in SKELETONS.items())
        + ".",
        "",
        "Fonts (Debian package: short names, pictures). CI needs none of them: the pictures are shipped and "
        "the tool is only for regenerating them (`apt-get install` the packages first).",
        "",
    ]
    by_package: dict[str, list[str]] = {}
    for name, (package, _) in FONTS.items():
        by_package.setdefault(package, []).append(f"{name} ({fonts[name]})")
    lines += [f"- `{package}`: {', '.join(names)}" for package, names in sorted(by_package.items())]
    return "\n".join(lines) + "\n"


def main() -> None:
    """Command line: regenerate the hard set (optionally into another folder)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HARDSET, help="folder to write (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=SEED,
                        help="another seed makes a dev set to tune on, e.g. --seed 12 --out /tmp/dev "
                        "(default: %(default)s, the shipped set)")
    parser.add_argument("--kinds", type=lambda text: text.split(","), default=None,
                        help="comma-separated kinds, from the shipped set's "
                        f"({', '.join(KINDS)}) and the dev-only {', '.join(DEV_KINDS)}, e.g. --kinds "
                        "portrait,angled,margin,lowlight,photo --seed 2029 --out /tmp/dev-paper "
                        "(default: the shipped set's kinds)")
    args = parser.parse_args()
    unknown = sorted(set(args.kinds or []) - set(KINDS) - set(DEV_KINDS))
    if unknown:
        parser.error(f"unknown kinds {unknown}; choose from {[*KINDS, *DEV_KINDS]}")
    rows = make_hardset(args.out, args.seed, args.kinds)
    total = sum(p.stat().st_size for p in args.out.iterdir())
    print(f"wrote {len(rows)} pictures + labels.csv + README.md to {args.out} ({total / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
