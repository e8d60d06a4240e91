"""Coarse-to-fine schedules (Gatys et al. 2017, section 5; crowsonkb/style-transfer-pytorch).

The image is optimized at a small size first; each result, upsampled, starts
the next size. Sizes are long sides in pixels, each twice the one below
(from half the output size, within 128..256 px, up to 512 px outputs; from
128 px above), and every scale below the full size gets about the compute
of the full-size stage (iterations grow with the square of the size ratio),
up to a cap, so the run reaches full size with an image that needs few of
the costly full-size iterations. Chosen by measurement
(``benchmarks/time_to_quality.py``, ``benchmarks/balance_grid.py``; see
docs/design.md, "Coarse to fine"): at 512 px a 128 px stage, or more than 60
iterations at 256 px, left the final image no better on either side; at
256 px, halving the 120 iterations at 128 px weakened the style.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import NSTError, OptionError

SCALE_FACTOR = 2.0


@dataclass(frozen=True)
class Scale:
    """One stage of a schedule: the long side in pixels and the iterations spent there."""

    size: int
    iterations: int


def scale_sizes(size: int, min_size: int, factor: float = SCALE_FACTOR) -> list[int]:
    """Long sides from ``size`` down by ``factor`` while >= ``min_size``, ascending.

    ``scale_sizes(512, 128) == [128, 256, 512]``; a ``min_size`` at or above
    ``size`` gives the single scale ``[size]``.

    Raises:
        NSTError: non-positive sizes or a factor <= 1.
    """
    if size < 1 or min_size < 1:
        raise NSTError(f"sizes must be >= 1 (size {size}, min size {min_size})")
    if factor <= 1:
        raise NSTError(f"scale factor must be > 1, got {factor}")
    sizes = [size]
    while round(sizes[-1] / factor) >= min_size:
        sizes.append(round(sizes[-1] / factor))
    return sizes[::-1]


def default_iterations(size: int) -> int:
    """Iterations at the final scale when the user gives none.

    30 up to 512 px; above, ``30 * 512 / size`` (at least 10), so a 2048 px
    run spends 10 iterations at full size, where one costs 16x a 512 px one.
    """
    return max(10, round(30 * 512 / max(size, 512)))


def default_min_size(size: int) -> int:
    """Long side of the first scale when the user gives none.

    Up to 512 px, half of ``size`` within [128, 256] px: a 512 px run is 256
    then 512 px, a 256 px one 128 then 256 px, and at or below 128 px the
    run is single-scale. Above 512 px, 128 px, the schedule measured for
    1024 and 2048 px outputs before the 512 px default changed.
    """
    return min(256, max(128, size // 2)) if size <= 512 else 128


def default_max_iterations(size: int) -> int:
    """Cap on the iterations of each smaller scale when the user gives none.

    Up to 512 px, ``60 * 512 / size``: 120 for a 256 px output (its 128 px
    scale gets the full 4 x 30) and 60 at 512 px (the 256 px scale gets 60,
    not 120: at 512 px the 128 px stage and 120 iterations at 256 px cost
    about 40% more time and left the result no better). Above 512 px,
    ``200 * 512 / size``, falling with the size: at 2048 px the 512 px
    scale, whose iterations cost 1/16 (measured: 1/22) of a full-size one,
    would otherwise take 160 and push the run past 30 minutes on 2 cores.
    """
    return max(1, round((60 if size <= 512 else 200) * 512 / size))


def make_schedule(
    size: int,
    iterations: int | None,
    min_size: int | None,
    max_iterations: int | None,
    factor: float = SCALE_FACTOR,
    sizes: list[int] | None = None,
) -> list[Scale]:
    """The schedule: ``iterations`` at full size, the same compute at each smaller size, up to a cap.

    The final scale gets ``iterations`` (``None``: :func:`default_iterations`);
    a smaller scale of long side ``s`` gets ``iterations * (size / s) ** 2``
    (an iteration's cost is proportional to the pixel count, so every scale
    costs about as much as the full-size stage), capped at ``max_iterations``
    (``None``: :func:`default_max_iterations`) but never fewer than
    ``iterations``. By default a 512 px run is 60 / 30 iterations at
    256 / 512 px, a 256 px one 120 / 30 at 128 / 256 px, and a 2048 px one
    50 / 50 / 50 / 40 / 10 from 128 to 2048 px.

    Args:
        size: final long side. min_size: smallest long side (``None``:
            :func:`default_min_size`).
        max_iterations: cap per smaller scale (None: the default).
        sizes: explicit ascending long sides (overrides ``min_size``/``factor``);
            ``size`` is appended when missing.
    Raises:
        OptionError: bad sizes (not ascending, above ``size``) or counts.
    """
    if iterations is None:
        iterations = default_iterations(size)
    if max_iterations is None:
        max_iterations = default_max_iterations(size)
    if min_size is None:
        min_size = default_min_size(size)
    if iterations < 1 or max_iterations < 1:
        raise OptionError("iterations", "iterations per scale must be >= 1")
    if sizes:
        sizes = [int(s) for s in sizes]
        if any(s < 1 for s in sizes) or sorted(set(sizes)) != sizes or sizes[-1] > size:
            raise OptionError("scales", f"must be ascending sizes up to the size {size}, got {sizes}")
        if sizes[-1] != size:
            sizes.append(size)
    else:
        sizes = scale_sizes(size, min_size, factor)
    return [
        Scale(s, iterations if s == size else max(iterations, min(max_iterations, round(iterations * (size / s) ** 2))))
        for s in sizes
    ]
