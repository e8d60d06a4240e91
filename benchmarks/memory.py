"""Peak RSS of style transfer at high resolution, one process per setting.

    python benchmarks/memory.py --size 2048 --iterations 2 [--max-memory 6]

Runs ``--iterations`` L-BFGS iterations single-scale at ``--size`` on
Tübingen x The Starry Night (the content upscaled to 2048x1536) and prints the
wall time, the checkpointed VGG blocks and the process's peak resident memory
(``ru_maxrss``). For the full default coarse-to-fine run use
``/usr/bin/time -v nst transfer ... --size 2048`` instead.
"""

from __future__ import annotations

import argparse
import resource
import time

from common import CONTENT, STYLE

from nst.coarse_to_fine import run_coarse_to_fine
from nst.options import TransferOptions


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=int, default=2048)
    ap.add_argument("--iterations", type=int, default=2)
    ap.add_argument("--max-memory", type=float, default=None)
    a = ap.parse_args()
    opts = TransferOptions(size=a.size, scales=[a.size], iterations=a.iterations, max_iterations=a.iterations,
                           tol=0.0, max_memory=a.max_memory)
    import nst.transfer as T

    planned = []
    real = T.StyleTransfer.plan_memory
    T.StyleTransfer.plan_memory = lambda self, *args: planned.append(real(self, *args)) or planned[-1]
    t0 = time.perf_counter()
    run_coarse_to_fine(CONTENT, [STYLE], opts, progress=False)
    dt = time.perf_counter() - t0
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (1 << 20)
    print(f"size {a.size}, {a.iterations} iterations, max_memory {a.max_memory}, checkpointed blocks {planned}: "
          f"{dt:.0f} s, peak RSS {peak_gb:.2f} GB")


if __name__ == "__main__":
    main()
