"""Pictures of the process: an animated GIF of the iterates, loss curves, a contact sheet.

Pure functions: they take PIL images, tensors or a loss history
(:attr:`nst.transfer.TransferResult.history`) and return PIL images, or write
a file atomically (:func:`nst.images.atomic_write`). Plots use matplotlib's
Agg backend through a bare :class:`matplotlib.figure.Figure` (no pyplot state;
the ``plots`` extra); sheet labels use the scalable font bundled with Pillow,
so they look the same on every machine.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .errors import NSTError
from .extras import require
from .images import ImageLike, as_pil, atomic_write, check_output_path, resize

LOSS_TERMS = ("content", "style", "tv", "total")
GIF_FRAME_MS = 80
GIF_LAST_FRAME_MS = 1500


def check_gif_path(path: str | os.PathLike, inputs: Sequence[str | os.PathLike] = ()) -> Path:
    """Validate a ``--gif`` target before any work: ``.gif`` extension, existing folder.

    Raises:
        NSTError: wrong extension, missing folder, a directory, or an input file.
    """
    return check_output_path(path, inputs, extensions=(".gif",), option="gif")


def write_gif(frames: Sequence[ImageLike], path: str | os.PathLike, size: tuple[int, int] | None = None,
              frame_ms: int = GIF_FRAME_MS, last_frame_ms: int = GIF_LAST_FRAME_MS) -> None:
    """Write ``frames`` as a looping animated GIF, atomically.

    Args:
        frames: PIL images or ``(1, 3, H, W)`` tensors in [0, 1]; sizes may differ
            (coarse-to-fine scales): every frame is resized (Lanczos) to ``size``.
        size: ``(width, height)`` of the GIF; default the last frame's size.
        frame_ms, last_frame_ms: display time per frame and of the last frame, in ms.
    Raises:
        NSTError: no frames.
    """
    if not frames:
        raise NSTError(f"{path}: no frames for the GIF")
    pils = [as_pil(f, "GIF frame") for f in frames]
    size = tuple(size or pils[-1].size)
    pils = [resize(f, size) for f in pils]
    durations = [frame_ms] * (len(pils) - 1) + [last_frame_ms]
    atomic_write(path, lambda tmp: pils[0].save(
        tmp, format="GIF", save_all=True, append_images=pils[1:], duration=durations, loop=0, optimize=True,
        disposal=1))


def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """Pillow's bundled scalable font at ``size`` pixels (no font file or other package needed)."""
    return ImageFont.load_default(size=size)


def fit_label(draw: ImageDraw.ImageDraw, text: str, width: int, label_px: int,
              min_px: int = 8) -> tuple[str, ImageFont.FreeTypeFont | ImageFont.ImageFont]:
    """``(text, font)`` so the label fits ``width`` pixels: a smaller font first (down to ``min_px``), then "..."."""
    px = label_px
    f = font(px)
    while px > min_px and draw.textlength(text, font=f) > width:
        px -= 1
        f = font(px)
    while len(text) > 4 and draw.textlength(text, font=f) > width:
        text = text[:-4] + "..."
    return text, f


def contact_sheet(panels: Sequence[tuple[str, ImageLike]], height: int = 256, gap: int = 8,
                  label_px: int = 14) -> Image.Image:
    """Side-by-side panels scaled to a common ``height``, each with its label underneath.

    Args:
        panels: ``(label, image)`` pairs in order, e.g. content | style(s) | result;
            images are paths, PIL images or ``(1, 3, H, W)`` tensors in [0, 1].
        height: panel height in pixels; widths keep each image's aspect ratio.
        gap: white margin between and around panels, in pixels.
        label_px: label font size in pixels; a label wider than its panel gets a smaller font
            (:func:`fit_label`), and is shortened with "..." only below 8 px.
    Returns:
        8-bit RGB image of height ``height + 2 * gap + label line``.
    """
    if not panels:
        raise NSTError("contact sheet: no images")
    line = label_px + 6
    imgs = []
    for _, im in panels:
        im = as_pil(im, "sheet image")
        imgs.append(resize(im, (max(1, round(im.width * height / im.height)), height)))
    width = sum(im.width for im in imgs) + gap * (len(imgs) + 1)
    sheet = Image.new("RGB", (width, height + 2 * gap + line), "white")
    draw = ImageDraw.Draw(sheet)
    x = gap
    for (label, _), im in zip(panels, imgs):
        sheet.paste(im, (x, gap))
        text, f = fit_label(draw, label, im.width, label_px)
        tw = draw.textlength(text, font=f)
        draw.text((x + (im.width - tw) / 2, gap + height + 3), text, fill="black", font=f)
        x += im.width + gap
    return sheet


def contact_grid(panels: Sequence[tuple[str, ImageLike]], columns: int, height: int = 192, gap: int = 8,
                 label_px: int = 14) -> Image.Image:
    """Labelled panels in rows of ``columns`` (:func:`contact_sheet` rows, stacked; the last row padded white).

    Returns:
        8-bit RGB image as wide as the widest row.
    Raises:
        NSTError: no panels, or ``columns < 1``.
    """
    if not panels or columns < 1:
        raise NSTError("contact grid: no images, or fewer than one column")
    rows = [contact_sheet(panels[i:i + columns], height, gap, label_px) for i in range(0, len(panels), columns)]
    grid = Image.new("RGB", (max(r.width for r in rows), sum(r.height for r in rows)), "white")
    y = 0
    for r in rows:
        grid.paste(r, (0, y))
        y += r.height
    return grid


def scale_changes(history: Sequence[Mapping[str, float]]) -> list[tuple[int, int]]:
    """``(iteration, size)`` where each scale of a coarse-to-fine run starts (1-based iterations).

    ``history`` entries carry the long side under ``"size"`` (:func:`nst.coarse_to_fine.run_coarse_to_fine`);
    entries without it count as one scale.
    """
    out: list[tuple[int, int]] = []
    last = None
    for i, h in enumerate(history, 1):
        s = h.get("size")
        if s is not None and s != last:
            out.append((i, int(s)))
            last = s
    return out


def loss_plot(history: Sequence[Mapping[str, float]], size: tuple[int, int] = (800, 480),
              title: str = "losses") -> Image.Image:
    """Loss curves (content, style, TV, total) against the iteration, log y scale.

    Iterations are counted across the scales of a coarse-to-fine run; a dashed
    line marks where each scale starts, labelled with its long side in pixels.
    Terms that are zero throughout (e.g. a weight of 0) are left out; zeros
    elsewhere are not drawn (log scale).

    Args:
        history: per-iteration dicts with ``content``, ``style``, ``tv``, ``total``
            (weighted losses) and optionally ``size``.
        size: ``(width, height)`` of the picture in pixels.
    Returns:
        8-bit RGB image of exactly ``size``.
    Raises:
        NSTError: empty history, or matplotlib missing (the ``plots`` extra).
    """
    FigureCanvasAgg = require("matplotlib.backends.backend_agg", "plots", "the loss plot").FigureCanvasAgg
    Figure = require("matplotlib.figure", "plots", "the loss plot").Figure

    if not history:
        raise NSTError("loss plot: the run has no iterations")
    dpi = 100
    fig = Figure(figsize=(size[0] / dpi, size[1] / dpi), dpi=dpi)
    canvas = FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    it = np.arange(1, len(history) + 1)
    for term in LOSS_TERMS:
        v = np.array([h.get(term, 0.0) for h in history], dtype=float)
        if not np.any(v > 0):
            continue
        v[v <= 0] = np.nan
        ax.plot(it, v, label=term, lw=2.0 if term == "total" else 1.2, color="black" if term == "total" else None)
    ax.set_yscale("log")
    changes = scale_changes(history)
    for i, s in changes:
        if i > 1:
            ax.axvline(i - 0.5, color="grey", ls="--", lw=0.8)
        if len(changes) > 1:
            ax.annotate(f"{s} px", (i, 1.0), xycoords=("data", "axes fraction"), xytext=(2, -12),
                        textcoords="offset points", fontsize=8, color="grey")
    ax.set_xlim(0.5, len(history) + 0.5)
    ax.set_xlabel("iteration (all scales)")
    ax.set_ylabel("weighted loss")
    ax.set_title(title)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0, fontsize=8)  # beside the data
    fig.tight_layout()
    canvas.draw()
    return Image.fromarray(np.asarray(canvas.buffer_rgba())).convert("RGB")
