"""Image I/O with Pillow: robust decoding, resizing, tensors, padding, atomic writes.

Tensors are ``(1, 3, H, W)`` float32 RGB in [0, 1]; PIL images are 8-bit RGB.
Every decoding problem becomes an :class:`~nst.errors.NSTError` naming the file.
"""

from __future__ import annotations

import errno
import os
import sys
import tempfile
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Union

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from .catalogue import is_style_name, resolve_style
from .errors import NSTError, OptionError

if TYPE_CHECKING:
    import torch

# torch is imported by the functions that take tensors, not here: the one-pass path
# (nst fast) and the command line start without it.
ImageLike = Union[str, os.PathLike, Image.Image, "torch.Tensor", np.ndarray]


def is_tensor(x: object) -> bool:
    """Whether ``x`` is a torch tensor (without importing torch: a tensor exists only if torch is loaded)."""
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(x, torch.Tensor)

# Output formats chosen by extension.
OUTPUT_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP", ".bmp": "BMP", ".tif": "TIFF",
                  ".tiff": "TIFF"}


def to_rgb(img: Image.Image) -> Image.Image:
    """Convert any Pillow mode to 8-bit RGB.

    Alpha is composited over white; palettes expand; 16-bit and float
    grayscale are rescaled from their value range (``I;16``: 0..65535) to 0..255;
    CMYK and YCbCr use Pillow's conversion.
    """
    if img.mode == "RGB":
        return img
    if img.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        a = np.asarray(img, dtype=np.float64)
        hi = 65535.0 if img.mode.startswith("I;16") or a.max() > 255 else 255.0
        if img.mode == "F" and a.max() <= 1.0:
            hi = 1.0
        a = np.clip(a / hi * 255.0 + 0.5, 0, 255).astype(np.uint8)
        return Image.fromarray(a, "L").convert("RGB")
    if img.mode == "P" and "transparency" in img.info:
        img = img.convert("RGBA")
    if img.mode in ("RGBA", "LA", "PA", "La", "RGBa"):
        img = img.convert("RGBA")
        background = Image.new("RGBA", img.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, img).convert("RGB")
    return img.convert("RGB")


def load_image(path: str | os.PathLike) -> Image.Image:
    """Open, fully decode and orient an image file as 8-bit RGB.

    EXIF orientation is applied; see :func:`to_rgb` for mode handling. A name
    of the built-in catalogue (``starry-night``; ``nst styles``) that is not a
    file on disk opens that painting (:mod:`nst.catalogue`).

    Raises:
        NSTError: missing file, a directory, empty file, not an image,
            truncated data, or over Pillow's decompression-bomb limit.
    """
    p = Path(resolve_style(path))
    if not p.exists():
        hint = ""
        if is_style_name(path):
            hint = (" (presets are styles of nst fast's network, not images)" if str(path).startswith("preset-")
                    else " (nor a built-in style: see nst styles)")
        raise NSTError(f"{p}: no such file{hint}")
    if p.is_dir():
        raise NSTError(f"{p}: is a directory, expected an image file")
    if p.stat().st_size == 0:
        raise NSTError(f"{p}: file is empty (0 bytes)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(p) as im:
                im.load()
                im = ImageOps.exif_transpose(im)
                return to_rgb(im)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise NSTError(
            f"{p}: image is larger than Pillow's decompression-bomb limit ({Image.MAX_IMAGE_PIXELS} pixels)"
        ) from None
    except UnidentifiedImageError:
        raise NSTError(f"{p}: not a recognised image file") from None
    except (OSError, SyntaxError, ValueError) as e:
        raise NSTError(f"{p}: could not decode image ({e})") from None


def fit_long_side(size: tuple[int, int], long_side: int) -> tuple[int, int]:
    """Scale ``(width, height)`` so its long side is ``long_side``; each side >= 1."""
    w, h = size
    s = long_side / max(w, h)
    return max(1, round(w * s)), max(1, round(h * s))


def fit_short_side(size: tuple[int, int], short_side: int) -> tuple[int, int]:
    """Scale ``(width, height)`` so its short side is ``short_side``; no side below it."""
    w, h = size
    s = short_side / min(w, h)
    return max(short_side, round(w * s)), max(short_side, round(h * s))


def uniform_border(img: Image.Image, tolerance: int = 24, share: float = 0.98) -> tuple[int, int, int, int]:
    """Widths in px of the band of one colour along each edge: ``(left, top, right, bottom)``.

    The colour is the median of the four corner pixels; a row or column belongs to the band
    while ``share`` of its pixels have every channel within ``tolerance`` (0..255) of it,
    which lets JPEG noise and dust through. A scan's frame or mount, or letterbox bars, show
    up here: a style image's statistics include them, and the style loss paints them back
    as lines along the output's borders. A painted edge gives zeros; an image of one colour
    gives its full width and height on every side.
    """
    a = np.asarray(to_rgb(img), dtype=np.int16)  # (H, W, 3)
    corners = np.stack([a[0, 0], a[0, -1], a[-1, 0], a[-1, -1]])
    near = (np.abs(a - np.median(corners, axis=0)) <= tolerance).all(axis=2)  # (H, W)

    def run(fractions: np.ndarray) -> int:
        """How many leading entries of ``fractions`` reach ``share``."""
        below = np.flatnonzero(fractions < share)
        return int(below[0]) if below.size else len(fractions)

    rows, cols = near.mean(axis=1), near.mean(axis=0)
    return run(cols), run(rows), run(cols[::-1]), run(rows[::-1])


def frame_widths(img: Image.Image, thinnest: int = 2, widest: float = 0.05) -> tuple[int, int, int, int] | None:
    """:func:`uniform_border`'s widths where they look like a frame, else None.

    A frame (or mount, or scanner margin) runs along all four edges and is thin: every
    band at least ``thinnest`` px and none wider than ``widest`` of the image's short side.
    A band on one or two sides only (a dark background, a sky) or a wide one (an object on
    a plain background) is the picture's own.
    """
    widths = uniform_border(img)
    return widths if min(widths) >= thinnest and max(widths) < widest * min(img.size) else None


def resize(img: Image.Image, size: tuple[int, int]) -> Image.Image:
    """Resize to ``(width, height)`` with Lanczos (antialiased) resampling."""
    if img.size == tuple(size):
        return img
    return img.resize(tuple(size), Image.Resampling.LANCZOS)


def pil_to_array(img: Image.Image) -> np.ndarray:
    """RGB PIL image -> numpy ``(1, 3, H, W)`` float32 in [0, 1] (the layout of tensors, without torch)."""
    a = np.asarray(to_rgb(img), dtype=np.float32) / 255.0
    return np.ascontiguousarray(a.transpose(2, 0, 1)[None])


def array_to_pil(a: np.ndarray) -> Image.Image:
    """Numpy ``(1, 3, H, W)`` float in [0, 1] -> 8-bit RGB PIL image (clipped, rounded)."""
    return as_pil(a[0].transpose(1, 2, 0))


def pil_to_tensor(img: Image.Image) -> torch.Tensor:
    """RGB PIL image -> ``(1, 3, H, W)`` float32 in [0, 1]."""
    import torch

    return torch.from_numpy(pil_to_array(img))


def tensor_to_pil(x: torch.Tensor) -> Image.Image:
    """``(1, 3, H, W)`` or ``(3, H, W)`` float in [0, 1] -> 8-bit RGB PIL image (clamped, rounded)."""
    import torch

    if x.ndim == 4:
        if x.shape[0] != 1:
            raise ValueError(f"expected one image, got batch of {x.shape[0]}")
        x = x[0]
    a = (x.detach().float().clamp(0, 1) * 255.0 + 0.5).to(torch.uint8).permute(1, 2, 0).cpu().numpy()
    return Image.fromarray(a, "RGB")


def as_pil(image: ImageLike, what: str = "image") -> Image.Image:
    """Accept a path, PIL image, tensor or numpy array and return an RGB PIL image.

    Tensors are ``(1|3, H, W)`` / ``(1, 3, H, W)`` in [0, 1]. Numpy arrays are
    ``(H, W, 3)``, ``(H, W, 4)`` or ``(H, W)``, the layout of Pillow, OpenCV
    (after its BGR-to-RGB conversion), matplotlib and Gradio: ``uint8`` in
    0..255 or floating point in [0, 1] (values outside are clipped).

    Raises:
        NSTError: an unreadable file, or a tensor or array of another shape or type.
    """
    if isinstance(image, Image.Image):
        return to_rgb(image)
    if isinstance(image, np.ndarray):
        a = image
        if a.ndim == 2:
            a = np.repeat(a[:, :, None], 3, axis=2)
        if a.ndim != 3 or a.shape[2] not in (3, 4) or min(a.shape[:2]) < 1:
            raise NSTError(f"{what}: expected an array of shape (H, W, 3), (H, W, 4) or (H, W), got {a.shape}")
        if a.dtype == np.uint8:
            return Image.fromarray(np.ascontiguousarray(a[:, :, :3]), "RGB")
        if np.issubdtype(a.dtype, np.floating):
            if not np.isfinite(a).all():
                raise NSTError(f"{what}: the array has NaN or infinite values")
            return Image.fromarray((np.clip(a[:, :, :3], 0, 1) * 255 + 0.5).astype(np.uint8), "RGB")
        raise NSTError(f"{what}: expected a uint8 or float array, got {a.dtype}")
    if is_tensor(image):
        if image.ndim == 3:
            image = image.unsqueeze(0)
        if image.ndim != 4 or image.shape[0] != 1 or image.shape[1] not in (1, 3):
            raise NSTError(f"{what}: expected a tensor of shape (1, 3, H, W) or (3, H, W), got {tuple(image.shape)}")
        if image.shape[1] == 1:
            image = image.expand(-1, 3, -1, -1)
        return tensor_to_pil(image)
    if isinstance(image, (str, os.PathLike)):
        return load_image(image)
    raise NSTError(f"{what}: expected a path, PIL image, tensor or numpy array, got {type(image).__name__}")


def output_format(path: str | os.PathLike) -> str:
    """Pillow format name for an output path, from its extension.

    Raises:
        NSTError: unsupported extension.
    """
    ext = Path(path).suffix.lower()
    if ext not in OUTPUT_FORMATS:
        raise NSTError(f"{path}: unsupported output extension {ext or '(none)'}; "
                       f"use one of {', '.join(OUTPUT_FORMATS)}")
    return OUTPUT_FORMATS[ext]


# Why a write failed, in words, by errno (anything else: the OS's own message).
WRITE_ERRORS = {errno.EACCES: "permission denied", errno.EPERM: "permission denied",
                errno.EROFS: "read-only file system", errno.ENOSPC: "no space left on the device",
                errno.EDQUOT: "disk quota exceeded", errno.ENAMETOOLONG: "file name too long"}


def os_error_reason(e: OSError) -> str:
    """Why an OS call on a file failed, in words (:data:`WRITE_ERRORS`, else the OS's own message)."""
    return WRITE_ERRORS.get(e.errno, e.strerror or type(e).__name__)


def check_output_path(
    path: str | os.PathLike,
    inputs: Iterable[str | os.PathLike] = (),
    extensions: Iterable[str] | None = None,
    option: str | None = None,
) -> Path:
    """Validate an output file path before any work is done.

    ``extensions`` (e.g. ``(".gif",)``) replaces the image formats of
    :func:`output_format` as the allowed suffixes; ``option`` (the field
    name, e.g. ``"gif"``) makes that error an :class:`OptionError` naming it.

    Raises:
        NSTError: unsupported extension, missing parent folder, the path is a
            directory, or it names one of ``inputs``.
    """
    p = Path(path)
    if extensions is None:
        output_format(p)
    elif p.suffix.lower() not in tuple(extensions):
        problem = f"{p}: the file name must end in {' or '.join(extensions)}"
        raise OptionError(option, problem) if option else NSTError(problem)
    try:
        parent = p.parent if str(p.parent) else Path(".")
        if not parent.is_dir():
            raise NSTError(f"{p}: output folder {parent} does not exist")
        if p.is_dir():
            raise NSTError(f"{p}: is a directory, expected an output file name")
        check_not_an_input(p, inputs)
    except OSError as e:  # a name the file system refuses (too long, ...)
        raise NSTError(f"{p}: not a usable output name ({os_error_reason(e)})") from None
    return p


def check_not_an_input(path: str | os.PathLike, inputs: Iterable[str | os.PathLike]) -> None:
    """Raise :class:`NSTError` if the output ``path`` is any of ``inputs`` (same resolved path or same file).

    The one rule every command applies to every output, batches included:
    a run never writes over one of its own inputs.
    """
    p = Path(path)
    for inp in inputs:
        q = Path(inp)
        try:
            same = q.exists() and p.exists() and os.path.samefile(p, q) or p.resolve() == q.resolve()
        except OSError:  # an input the file system cannot look up: reported when it is read
            continue
        if same:
            raise NSTError(f"{p}: output would overwrite the input file {q}")


def atomic_write(path: str | os.PathLike, write) -> None:
    """Call ``write(tmp_path)`` on a temporary file beside ``path``, then rename it over ``path``.

    The temporary name is short (``.nst-XXXXXXXX.tmp``), so any legal output
    name works; the result gets the usual permissions (``0666 & ~umask``). A
    failure leaves any existing ``path`` untouched and removes the temporary file.

    Raises:
        NSTError: the file could not be written (naming it and why: permission
            denied, read-only file system, no space left, name too long, ...).
    """
    p = Path(path)
    umask = os.umask(0)
    os.umask(umask)
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=".nst-", suffix=".tmp", dir=p.parent if str(p.parent) else ".")
        os.close(fd)
        write(tmp)
        os.chmod(tmp, 0o666 & ~umask)  # after write: writers that replace the file would undo it
        os.replace(tmp, p)
    except OSError as e:
        raise NSTError(f"{p}: could not write the file ({os_error_reason(e)})") from None
    finally:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)


# zlib level of PNG outputs. Measured on five images (256 to 1024 px, photos and stylized outputs):
# level 4 files are within 0.5% of Pillow's default level 6 in size, and written in 35-60% of the time
# (0.12 s instead of 0.35 s for a 1024x768 output).
PNG_COMPRESS_LEVEL = 4


def save_image(img: Image.Image | torch.Tensor, path: str | os.PathLike, pnginfo=None, quality: int = 95,
               comment: str | None = None) -> None:
    """Save an image atomically; format from the extension (PNG, JPEG, ...).

    Args:
        img: PIL image or ``(1, 3, H, W)`` tensor in [0, 1].
        pnginfo: optional ``PIL.PngImagePlugin.PngInfo`` text chunks (PNG only).
        comment: optional JPEG comment (COM segment; JPEG only).
    Raises:
        NSTError: unsupported extension.
    """
    fmt = output_format(path)
    if is_tensor(img):
        img = tensor_to_pil(img)
    kwargs = {}
    if fmt == "PNG":
        kwargs["compress_level"] = PNG_COMPRESS_LEVEL
        if pnginfo is not None:
            kwargs["pnginfo"] = pnginfo
    if fmt in ("JPEG", "WEBP"):
        kwargs["quality"] = quality
    if fmt == "JPEG" and comment is not None:
        kwargs["comment"] = comment
    atomic_write(path, lambda tmp: img.save(tmp, format=fmt, **kwargs))


def as_list(style: ImageLike | Sequence[ImageLike]) -> list[ImageLike]:
    """One image or a list/tuple of images, as a list."""
    if isinstance(style, (list, tuple)):
        return list(style)
    return [style]


def pad_to_multiple(x: torch.Tensor | np.ndarray, factor: int) -> tuple[torch.Tensor | np.ndarray, tuple[int, int]]:
    """Pad ``(N, C, H, W)`` on the bottom and right so H and W are multiples of ``factor``.

    Sides are also brought to at least ``2 * factor`` so every reflection pad
    inside the network has room. Reflection padding, or replicate padding where
    a side is too short to reflect. ``x`` is a torch tensor or a numpy array
    (the result is of the same kind). Returns the padded array and the
    original ``(H, W)``, for :func:`crop_to`.
    """
    h, w = x.shape[-2:]
    ph = max(-h % factor, 2 * factor - h)
    pw = max(-w % factor, 2 * factor - w)
    if ph or pw:
        reflect = ph < h and pw < w
        if isinstance(x, np.ndarray):
            x = np.pad(x, ((0, 0), (0, 0), (0, ph), (0, pw)), mode="reflect" if reflect else "edge")
        else:
            import torch.nn.functional as F

            x = F.pad(x, (0, pw, 0, ph), mode="reflect" if reflect else "replicate")
    return x, (h, w)


def crop_to(x: torch.Tensor | np.ndarray, size: tuple[int, int]) -> torch.Tensor | np.ndarray:
    """Crop ``(N, C, H', W')`` (tensor or array) to its top-left ``size`` = (H, W)."""
    return x[..., : size[0], : size[1]]


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    import hashlib

    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
