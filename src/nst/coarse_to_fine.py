"""The coarse-to-fine driver: a full style transfer run from images and options.

:func:`run_coarse_to_fine` runs :class:`~nst.transfer.StyleTransfer` over the
sizes of :func:`nst.schedule.make_schedule` (Gatys et al. 2017, sec. 5: each
scale starts from the previous result, upsampled), and applies the colour,
mask and fine-style controls, the initial image, the seed, the progress bar
and the intermediate images around it.

Images are ``(1, 3, H, W)`` float32 RGB tensors in [0, 1], PIL images or paths.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F
from PIL import Image
from tqdm.auto import tqdm

from .color import keep_colors, luminance_image, match_color, match_luminance
from .device import memory_budget, pick_device
from .errors import OptionError
from .images import ImageLike, as_list, as_pil, fit_long_side, pil_to_tensor, resize, save_image, tensor_to_pil
from .masks import load_masks, mask_tensor
from .schedule import make_schedule
from .transfer import Callback, Step, StyleTransfer, TransferResult
from .vgg import block_of
from .visualize import check_gif_path, write_gif

if TYPE_CHECKING:
    from .options import TransferOptions

# Starting images by name (``init``); any other value is an image path.
INIT_CHOICES = ("content", "noise", "style")


def style_side(size: int, style_scale: float) -> int:
    """Long side in pixels of the style images at a scale of long side ``size`` (``size * style_scale``, >= 1)."""
    return max(1, round(size * style_scale))


def prepare_images(
    content: ImageLike, styles: Sequence[ImageLike], size: int, style_scale: float = 1.0
) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """Decode and resize: content to long side ``size``, styles to ``size * style_scale``.

    Returns ``(content (1, 3, H, W), [style (1, 3, H_i, W_i), ...])`` in [0, 1].

    Raises:
        NSTError: an image cannot be read.
    """
    c = as_pil(content, "content image")
    c = resize(c, fit_long_side(c.size, size))
    side = style_side(size, style_scale)
    ss = []
    for i, s in enumerate(styles):
        s = as_pil(s, f"style image {i + 1}")
        ss.append(pil_to_tensor(resize(s, fit_long_side(s.size, side))))
    return pil_to_tensor(c), ss


def upsample(image: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Bicubic resize of ``(1, 3, h, w)`` to ``size`` = (H, W), clamped to [0, 1]."""
    return F.interpolate(image, size=size, mode="bicubic", align_corners=False).clamp(0, 1)


def initial_image(init: str | ImageLike, content: torch.Tensor, styles: Sequence[torch.Tensor],
                  seed: int) -> torch.Tensor:
    """The starting image ``(1, 3, H, W)`` for ``init`` = content | noise | style | an image (path or PIL).

    ``noise`` is uniform in [0, 1] drawn from a generator seeded with ``seed``;
    ``style`` and an image are resized to the content's size.

    Raises:
        NSTError: unreadable init image.
    """
    h, w = content.shape[-2:]
    if isinstance(init, str) and init == "content":
        return content.clone()
    if isinstance(init, str) and init == "noise":
        g = torch.Generator().manual_seed(seed)
        return torch.rand(content.shape, generator=g)
    if isinstance(init, str) and init == "style":
        return pil_to_tensor(resize(as_pil(styles[0]), (w, h)))
    return pil_to_tensor(resize(as_pil(init, "init image"), (w, h)))


class ProgressCallback:
    """tqdm progress bar with current losses, plus optional saving every N iterations.

    Iterations are counted across all scales of a coarse-to-fine run. Every
    ``save_every`` iterations the iterate is written to ``save_dir`` (as
    ``save_pattern.format(i=iteration)``, default ``iter_001.png``) and, with
    ``keep_frames``, kept in ``frames`` (8-bit PIL images at the scale's size)
    for an animated GIF.
    """

    def __init__(self, total: int, show: bool, save_every: int = 0, save_dir: str | None = None,
                 save_pattern: str | None = None,
                 keep_frames: bool = False, desc: str = "stylizing") -> None:
        self.bar = tqdm(total=total, desc=desc, unit="it", disable=not show, dynamic_ncols=True)
        self.save_every = save_every
        self.save_dir = Path(save_dir) if save_dir else None
        self.save_pattern = save_pattern
        self.keep_frames = keep_frames
        self.frames: list[Image.Image] = []
        self.digits = len(str(total))
        self.count = 0

    def __call__(self, step: Step) -> None:
        self.count += 1
        self.bar.update(1)
        h, w = step.image.shape[-2:]
        self.bar.set_postfix({"px": f"{w}x{h}", **{k: f"{v:.3g}" for k, v in step.losses.items()}}, refresh=False)
        if self.save_every and self.count % self.save_every == 0:
            if self.save_dir:
                name = (self.save_pattern.format(i=self.count) if self.save_pattern
                        else f"iter_{self.count:0{self.digits}d}.png")
                save_image(step.image.clamp(0, 1).cpu(), self.save_dir / name)
            if self.keep_frames:
                self.frames.append(tensor_to_pil(step.image.cpu()))

    def close(self) -> None:
        self.bar.close()


def run_coarse_to_fine(
    content: ImageLike,
    style: ImageLike | Sequence[ImageLike],
    opts: TransferOptions,
    progress: bool = True,
    callback: Callback | None = None,
    desc: str = "stylizing",
) -> TransferResult:
    """Run a full coarse-to-fine style transfer with validated options.

    For each scale of :func:`nst.schedule.make_schedule` the content and style
    images are resized from the originals, targets are recomputed, and the
    previous scale's result, upsampled (bicubic), is the starting image.
    The controls of Gatys et al. 2017 are applied here: colour
    (:func:`apply_color_mode` before, :func:`nst.color.keep_colors` after),
    masks (checked by :func:`nst.masks.load_masks` before any work, resized
    per scale) and the fine-texture style.

    ``callback`` is called with each :class:`~nst.transfer.Step` after the
    progress bar; raising ``KeyboardInterrupt`` in it ends the run like Ctrl-C.
    With ``opts.gif`` the iterates kept every ``opts.save_every`` iterations,
    then the result, are written as an animated GIF of the result's size
    (:func:`nst.visualize.write_gif`), also after Ctrl-C. ``desc`` labels the
    progress bar.

    Returns:
        :class:`TransferResult` of the final scale, with ``history`` and
        ``iterations`` summed over all scales.
    Raises:
        NSTError: bad images; OptionError: options that do not fit the images (weights or
            masks per style image).
    """
    styles = as_list(style)
    if not styles:
        raise OptionError("styles", "at least one style image is needed")
    if opts.style_weights is not None and len(opts.style_weights) != len(styles):
        raise OptionError("style_weights", f"got {len(opts.style_weights)} weights for {len(styles)} style image(s)")
    content_pil = as_pil(content, "content image")
    style_pils = [as_pil(s, f"style image {i + 1}") for i, s in enumerate(styles)]
    masks = None if opts.masks is None else load_masks(opts.masks, content_pil.size, len(styles))
    fine_pil = None if opts.style_fine is None else as_pil(opts.style_fine, "style_fine image")
    init = opts.init if opts.init in INIT_CHOICES else as_pil(opts.init, "init image")  # decoded before any work
    color_content, style_pils, fine_pil = apply_color_mode(opts.preserve_color, content_pil, style_pils, fine_pil)
    schedule = make_schedule(opts.size, opts.iterations, opts.min_size, opts.max_iterations, sizes=opts.scales)
    if opts.gif:
        check_gif_path(opts.gif)
    if opts.save_dir:
        os.makedirs(opts.save_dir, exist_ok=True)
    device = pick_device(opts.device)
    torch.manual_seed(opts.seed)
    st = StyleTransfer.from_options(opts, device)
    budget = memory_budget(device, opts.max_memory)
    check_sizes(st, content_pil.size, [s.size for s in style_pils], schedule, opts, budget)
    cb = ProgressCallback(sum(sc.iterations for sc in schedule), progress, opts.save_every, opts.save_dir,
                          opts.save_pattern, keep_frames=bool(opts.gif), desc=desc)
    luminance = opts.preserve_color == "luminance"
    x: torch.Tensor | None = None
    history: list[dict[str, float]] = []

    def each_step(step: Step) -> None:
        if luminance:  # show and save the colour result, not the luminance being optimized
            step = replace(step, image=keep_colors(step.image, original_t))
        cb(step)
        if callback is not None:
            callback(step)

    try:
        for sc in schedule:
            content_t, style_ts = prepare_images(color_content, style_pils, sc.size, opts.style_scale)
            size = (content_t.shape[-1], content_t.shape[-2])
            original_t = pil_to_tensor(resize(content_pil, size)) if luminance else content_t
            mask_ts = None if masks is None else [mask_tensor(m, size) for m in masks]
            fine_side = style_side(sc.size, opts.style_scale)
            fine_t = None if fine_pil is None else prepare_images(fine_pil, [], fine_side)[0]
            if x is None:
                x = initial_image(init, content_t, style_ts, opts.seed)
            else:
                x = upsample(x, tuple(content_t.shape[-2:]))
            st.plan_memory(*content_t.shape[-2:], budget)
            st.set_targets(content_t, style_ts, opts.style_weights, masks=mask_ts, fine_style=fine_t)
            result = st.optimize(
                x, sc.iterations, opts.optimizer, opts.lr,
                opts.content_weight, opts.style_weight, opts.tv_weight,
                callback=each_step, tol=opts.tol, window=opts.window,
                adam_betas=(opts.adam_beta1, opts.adam_beta2), adam_eps=opts.adam_eps, lbfgs_evals=opts.lbfgs_evals,
            )
            history += [{**h, "size": float(sc.size)} for h in result.history]
            x = result.image
            if result.interrupted:
                break
    finally:
        cb.close()
    result.history, result.iterations = history, len(history)
    if luminance:
        result.image = keep_colors(result.image, original_t)
    if opts.gif:
        write_gif([*cb.frames, result.image], opts.gif)
    return result


def check_sizes(st: StyleTransfer, content: tuple[int, int], styles: Sequence[tuple[int, int]],
                schedule: Sequence, opts: TransferOptions, budget: int) -> None:
    """Check, before any work, that every scale's images reach the deepest layer and the largest fits the budget.

    ``content`` and ``styles`` are ``(width, height)`` of the full images. A
    layer of VGG block ``b`` sees ``1 / 2**(b-1)`` of the image, so the short
    side must be at least ``2**(b-1)`` pixels (16 for relu5_1) at the first
    scale; the last scale's estimated peak (:meth:`StyleTransfer.peak_bytes`,
    all blocks checkpointed), and the style images' activations at that
    scale, must fit ``budget`` bytes.

    Raises:
        OptionError: a scale too small for the layers or too large for the memory budget.
    """
    need = 2 ** (max(block_of(n) for n in st.layers) - 1)
    first = schedule[0].size
    w, h = fit_long_side(content, first)
    small = [("the content image", (w, h))]
    small += [(f"style image {i + 1}", fit_long_side(s, style_side(first, opts.style_scale)))
              for i, s in enumerate(styles)]
    which, side = min(((name, min(size)) for name, size in small), key=lambda t: t[1])
    if side < need:
        field = "scales" if opts.scales else ("min_size" if len(schedule) > 1 else "size")
        raise OptionError(field, f"{first} px makes {which} {side} px on its short side; "
                                 f"the layers up to {st.layers[-1]} need at least {need} px there")
    w, h = fit_long_side(content, schedule[-1].size)
    peak = st.peak_bytes(h, w)
    if peak > budget:
        raise OptionError("size", f"{schedule[-1].size} px needs about {peak / 2**30:.1f} GiB, more than the "
                                  f"memory budget of {budget / 2**30:.1f} GiB (max_memory)")
    side = style_side(schedule[-1].size, opts.style_scale)
    for size in styles:  # a forward pass, no gradient: its activations bound its memory
        w, h = fit_long_side(size, side)
        need_bytes = st.criterion.net.activation_bytes(h, w, st.layers, 0)
        if need_bytes > budget:
            raise OptionError("style_scale", f"style images at {side} px need about "
                                             f"{need_bytes / 2**30:.1f} GiB, more than the memory budget of "
                                             f"{budget / 2**30:.1f} GiB (max_memory)")


def apply_color_mode(
    mode: str, content: Image.Image, styles: Sequence[Image.Image], fine: Image.Image | None = None
) -> tuple[Image.Image, list[Image.Image], Image.Image | None]:
    """Prepare the images for ``preserve_color`` (Gatys et al. 2017, sec. 4), at full resolution.

    ``none``: unchanged. ``luminance``: the content becomes its luminance and
    each style its luminance matched to the content's mean and variance (all
    as 3-channel grey; :func:`nst.color.keep_colors` restores the colours
    after the run). ``histogram``: each style's colours get the content's
    mean and covariance (:func:`nst.color.match_color`).

    Returns:
        ``(content, styles, fine)`` as RGB PIL images.
    """
    if mode == "none":
        return content, list(styles), fine
    c = pil_to_tensor(content)
    if mode == "luminance":
        change = lambda s: tensor_to_pil(match_luminance(pil_to_tensor(s), c))  # noqa: E731
        content = tensor_to_pil(luminance_image(c))
    else:
        change = lambda s: tensor_to_pil(match_color(pil_to_tensor(s), c))  # noqa: E731
    return content, [change(s) for s in styles], None if fine is None else change(fine)
