"""What the benchmarks share: where the test images are, and the arguments of the timing runs.

The images live in ``../shared/images`` beside the checkout (never copied into
the repository). Scripts in this folder import this module as ``common``
(Python puts the script's folder on ``sys.path``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared" / "images"
CONTENT = SHARED / "content" / "tubingen.jpg"
STYLE = SHARED / "style" / "vangogh_starry_night.jpg"


def add_pair_arguments(ap: argparse.ArgumentParser) -> None:
    """``--content`` and ``--style`` image paths, default Tübingen x The Starry Night."""
    ap.add_argument("--content", type=Path, default=CONTENT)
    ap.add_argument("--style", type=Path, default=STYLE)


def add_timing_arguments(ap: argparse.ArgumentParser) -> None:
    """The pair, plus ``--size`` (long side, px), ``--iterations`` timed and ``--warmup`` untimed."""
    add_pair_arguments(ap)
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--iterations", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=2)
