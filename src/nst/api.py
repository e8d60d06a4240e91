"""Python API: ``nst.stylize(content, style, **options) -> PIL.Image.Image``.

Accepts paths, PIL images or tensors and every option of
:class:`~nst.options.TransferOptions`; the run is
:func:`nst.coarse_to_fine.run_coarse_to_fine`.
"""

from __future__ import annotations

from collections.abc import Sequence

from PIL import Image

from .coarse_to_fine import run_coarse_to_fine
from .images import ImageLike, tensor_to_pil
from .options import TransferOptions
from .transfer import Callback


def stylize(
    content: ImageLike,
    style: ImageLike | Sequence[ImageLike],
    progress: bool = False,
    callback: Callback | None = None,
    **options,
) -> Image.Image:
    """Repaint ``content`` in the style of ``style`` (Gatys et al. 2015).

    Args:
        content: path, PIL image, tensor ``(1, 3, H, W)`` / ``(3, H, W)`` RGB in [0, 1], or numpy
            array ``(H, W, 3)`` uint8 or float in [0, 1] (:func:`nst.images.as_pil`).
        style: one such image or a list of them (blended by ``style_weights``).
        progress: show a tqdm progress bar.
        callback: called after every iteration with a :class:`nst.transfer.Step`
            (iteration, weighted losses, the current image ``(1, 3, h, w)`` at
            the scale's size); raising ``KeyboardInterrupt`` in it ends the run
            with the best image so far. For live previews (notebooks, a web page).
        **options: any field of :class:`~nst.options.TransferOptions`
            (``size=512, iterations=300, style_weight=15, init="content", ...``).

    Returns:
        8-bit RGB ``PIL.Image.Image`` whose long side is ``size``.

    Raises:
        NSTError: bad images or options (message names the culprit).
    """
    opts = TransferOptions.from_kwargs(**options)
    return tensor_to_pil(run_coarse_to_fine(content, style, opts, progress=progress, callback=callback).image)
