"""Training photos: find them in a folder, decode once, draw random crops.

Any folder of images works; it is searched recursively for files with an
image extension (:data:`EXTENSIONS`, case-insensitive; hidden files skipped).
Every file is decoded once at start and kept in memory as 8-bit RGB with its
short side resized to the training size (425 photos at 256 px: about 110 MB),
so unreadable files are found before training starts and steps never wait for
the disk. Batches are random square crops with random horizontal flips.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from ..batching.items import EXTENSIONS, image_files
from ..errors import NSTError
from ..images import fit_short_side, load_image, resize


def find_images(folder: str | os.PathLike) -> list[Path]:
    """Image files under ``folder`` (recursive, sorted, hidden files and folders skipped).

    Raises:
        NSTError: ``folder`` is not a directory, or it holds no image files.
    """
    root = Path(folder)
    if not root.is_dir():
        raise NSTError(f"{root}: not a folder" if root.exists() else f"{root}: no such folder")
    files = image_files(root)
    if not files:
        raise NSTError(f"{root}: no image files ({', '.join(EXTENSIONS)}) in the folder or below")
    return files


def decode_photo(path: str | os.PathLike, size: int) -> torch.Tensor:
    """One image file as a uint8 ``(3, H, W)`` tensor with short side ``size`` (px).

    Raises:
        NSTError: the file cannot be read as an image (naming it).
    """
    img = load_image(path)
    img = resize(img, fit_short_side(img.size, size))
    return torch.from_numpy(np.asarray(img).copy()).permute(2, 0, 1).contiguous()


def load_photos(
    files: list[Path], size: int, progress: Callable[[int], None] | None = None
) -> tuple[list[torch.Tensor], list[Path]]:
    """Decode ``files`` to uint8 ``(3, H, W)`` tensors with short side ``size``.

    Returns ``(images, unreadable files)``; ``progress(1)`` is called per file.

    Raises:
        NSTError: not one file could be decoded.
    """
    images, bad = [], []
    for f in files:
        try:
            images.append(decode_photo(f, size))
        except NSTError:
            bad.append(f)
        if progress is not None:
            progress(1)
    if not images:
        raise NSTError(f"none of the {len(files)} image files could be read (first: {bad[0]})")
    return images, bad


def center_crop(image: torch.Tensor, size: int) -> torch.Tensor:
    """The centred ``size`` x ``size`` crop of a uint8 ``(3, H, W)`` image (``H, W >= size``).

    Returns a ``(1, 3, size, size)`` float32 batch in [0, 1], as :func:`random_batch` makes them.
    """
    h, w = image.shape[-2:]
    y, x = (h - size) // 2, (w - size) // 2
    return (image[:, y:y + size, x:x + size].float() / 255.0).unsqueeze(0)


def random_batch(images: list[torch.Tensor], batch_size: int, size: int, generator: torch.Generator) -> torch.Tensor:
    """A ``(batch_size, 3, size, size)`` float32 batch in [0, 1] of random crops and flips.

    Images are drawn uniformly with replacement; each crop position and the
    flip come from ``generator``, so a seeded generator gives the same batch.
    """
    out = torch.empty(batch_size, 3, size, size)
    idx = torch.randint(len(images), (batch_size,), generator=generator)
    for b, i in enumerate(idx.tolist()):
        img = images[i]
        h, w = img.shape[-2:]
        y = int(torch.randint(h - size + 1, (1,), generator=generator))
        x = int(torch.randint(w - size + 1, (1,), generator=generator))
        crop = img[:, y:y + size, x:x + size]
        if torch.rand((), generator=generator) < 0.5:
            crop = crop.flip(-1)
        out[b] = crop.float() / 255.0
    return out
