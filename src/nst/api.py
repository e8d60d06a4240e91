"""Python API: ``nst.stylize(content, style, **options) -> PIL.Image.Image``.

Accepts paths, PIL images or tensors; handles resizing, initialization,
seeding, progress and intermediate saves around :class:`~nst.transfer.StyleTransfer`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import torch
from PIL import Image
from tqdm.auto import tqdm

from .device import pick_device
from .errors import NSTError
from .images import ImageLike, as_pil, fit_long_side, pil_to_tensor, resize, save_image, tensor_to_pil
from .options import INIT_CHOICES, TransferOptions
from .transfer import Step, StyleTransfer, TransferResult


def _as_list(style: ImageLike | Sequence[ImageLike]) -> list[ImageLike]:
    if isinstance(style, (list, tuple)):
        return list(style)
    return [style]


def prepare_images(
    content: ImageLike, styles: Sequence[ImageLike], opts: TransferOptions
) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """Decode and resize: content to long side ``size``, styles to ``size * style_scale``.

    Returns ``(content (1, 3, H, W), [style (1, 3, H_i, W_i), ...])`` in [0, 1].

    Raises:
        NSTError: an image cannot be read.
    """
    c = as_pil(content, "content image")
    c = resize(c, fit_long_side(c.size, opts.size))
    style_side = max(1, round(opts.size * opts.style_scale))
    ss = []
    for i, s in enumerate(styles):
        s = as_pil(s, f"style image {i + 1}")
        ss.append(pil_to_tensor(resize(s, fit_long_side(s.size, style_side))))
    return pil_to_tensor(c), ss


def initial_image(init: str, content: torch.Tensor, styles: Sequence[torch.Tensor], seed: int) -> torch.Tensor:
    """The starting image ``(1, 3, H, W)`` for ``init`` = content | noise | style | path.

    ``noise`` is uniform in [0, 1] drawn from a generator seeded with ``seed``;
    ``style`` and a path are resized to the content's size.

    Raises:
        NSTError: unreadable init image.
    """
    h, w = content.shape[-2:]
    if init == "content":
        return content.clone()
    if init == "noise":
        g = torch.Generator().manual_seed(seed)
        return torch.rand(content.shape, generator=g)
    if init == "style":
        return pil_to_tensor(resize(as_pil(styles[0]), (w, h)))
    return pil_to_tensor(resize(as_pil(init, "init image"), (w, h)))


def check_init(init: str) -> None:
    """Raise NSTError if ``init`` is neither a known mode nor an existing file."""
    if init not in INIT_CHOICES and not Path(init).is_file():
        raise NSTError(f"--init {init!r}: not one of {', '.join(INIT_CHOICES)} and no such file")


class ProgressCallback:
    """tqdm progress bar with current losses, plus optional saving every N iterations."""

    def __init__(self, total: int, show: bool, save_every: int = 0, save_dir: str | None = None) -> None:
        self.bar = tqdm(total=total, desc="stylizing", unit="it", disable=not show, dynamic_ncols=True)
        self.save_every = save_every
        self.save_dir = Path(save_dir) if save_dir else None
        self.digits = len(str(total))

    def __call__(self, step: Step) -> None:
        self.bar.update(1)
        self.bar.set_postfix({k: f"{v:.3g}" for k, v in step.losses.items()}, refresh=False)
        if self.save_every and step.iteration % self.save_every == 0 and self.save_dir:
            save_image(step.image.clamp(0, 1).cpu(), self.save_dir / f"iter_{step.iteration:0{self.digits}d}.png")

    def close(self) -> None:
        self.bar.close()


def run_transfer(
    content: ImageLike,
    style: ImageLike | Sequence[ImageLike],
    opts: TransferOptions,
    progress: bool = True,
) -> TransferResult:
    """Run a full style transfer with validated options; returns the :class:`TransferResult`.

    Raises:
        NSTError: bad images or options.
    """
    styles = _as_list(style)
    if not styles:
        raise NSTError("at least one style image is needed")
    if opts.style_weights is not None and len(opts.style_weights) != len(styles):
        raise NSTError(f"--style-weights: got {len(opts.style_weights)} weights for {len(styles)} style image(s)")
    check_init(opts.init)
    if opts.save_dir:
        os.makedirs(opts.save_dir, exist_ok=True)
    device = pick_device(opts.device)
    torch.manual_seed(opts.seed)
    content_t, style_ts = prepare_images(content, styles, opts)
    init = initial_image(opts.init, content_t, style_ts, opts.seed)
    st = StyleTransfer(opts.model, opts.weights, opts.pooling, opts.content_layers, opts.style_layers, device)
    st.set_targets(content_t, style_ts, opts.style_weights)
    cb = ProgressCallback(opts.iterations, progress, opts.save_every, opts.save_dir)
    try:
        return st.optimize(
            init, opts.iterations, opts.optimizer, opts.lr,
            opts.content_weight, opts.style_weight, opts.tv_weight, callback=cb,
        )
    finally:
        cb.close()


def stylize(
    content: ImageLike,
    style: ImageLike | Sequence[ImageLike],
    progress: bool = False,
    **options,
) -> Image.Image:
    """Repaint ``content`` in the style of ``style`` (Gatys et al. 2015).

    Args:
        content: path, PIL image, or tensor ``(1, 3, H, W)`` / ``(3, H, W)`` RGB in [0, 1].
        style: one such image or a list of them (blended by ``style_weights``).
        progress: show a tqdm progress bar.
        **options: any field of :class:`~nst.options.TransferOptions`
            (``size=512, iterations=300, style_weight=10, init="content", ...``).

    Returns:
        8-bit RGB ``PIL.Image.Image`` whose long side is ``size``.

    Raises:
        NSTError: bad images or options (message names the culprit).
    """
    opts = TransferOptions.from_kwargs(**options)
    return tensor_to_pil(run_transfer(content, style, opts, progress=progress).image)
