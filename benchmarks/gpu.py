"""GPU figures in one short run: the default transfer at 512 and 2048 px, autocast on and off, and nst fast.

Meant for a CUDA machine (run it whenever one is lent; a few minutes on an
H100-class GPU). Prints, for Tübingen x The Starry Night:

* ``nst.stylize`` with the defaults at 512 px: wall seconds (after a warm-up
  run at 128 px that loads the weights and the CUDA kernels), peak GPU memory,
  final loss; then the same run with autocast off (float32 loss network),
  same seed, with its time, loss and the largest pixel difference between the
  two results (bar: 512 px default under 10 s on one H100-class GPU);
* the default at 2048 px: wall seconds and peak GPU memory;
* ``nst fast`` at 1024x768 with onnxruntime's CUDA provider where the
  installed onnxruntime has it (``onnxruntime-gpu``), else on the CPU: median
  seconds per image of 5 after a warm-up.

    python benchmarks/gpu.py                 # on a CUDA machine
    python benchmarks/gpu.py --device cpu --sizes 64 96 --skip-fast   # a smoke test of the script anywhere

Autocast is switched off by replacing ``nst.criterion.amp_dtype`` (the one
place that picks the autocast dtype) for the second run.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from common import add_pair_arguments


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_pair_arguments(ap)
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--sizes", type=int, nargs=2, default=[512, 2048], metavar=("SMALL", "LARGE"))
    ap.add_argument("--skip-fast", action="store_true")
    a = ap.parse_args()

    import torch

    import nst
    import nst.criterion
    from nst.device import device_summary

    if a.device.startswith("cuda") and not torch.cuda.is_available():
        raise SystemExit("no CUDA device here (use --device cpu for a smoke test)")
    dev = torch.device(a.device)
    print(f"device: {device_summary(a.device)}; torch {torch.__version__}")

    def run(size: int) -> tuple[float, float, float, np.ndarray]:
        """Seconds, peak GPU memory (GB), best loss, output pixels of a default run at ``size``."""
        if dev.type == "cuda":
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
        result = {}
        t0 = time.perf_counter()
        img = nst.stylize(a.content, a.style, size=size, device=a.device, progress=False,
                          callback=lambda step: result.__setitem__("loss", step.losses["total"]))
        if dev.type == "cuda":
            torch.cuda.synchronize()
        seconds = time.perf_counter() - t0
        peak = torch.cuda.max_memory_allocated() / 1e9 if dev.type == "cuda" else float("nan")
        return seconds, peak, result.get("loss", float("nan")), np.asarray(img, dtype=np.int16)

    run(128)  # warm-up: weights, kernels, autotuning
    small, large = a.sizes
    s_on, m_on, l_on, img_on = run(small)
    print(f"{small} px default, autocast {'on' if nst.criterion.amp_dtype(dev) else 'off (float32 device)'}: "
          f"{s_on:.2f} s, peak GPU memory {m_on:.2f} GB, last loss {l_on:.4g}")
    original = nst.criterion.amp_dtype
    nst.criterion.amp_dtype = lambda device: None
    try:
        s_off, m_off, l_off, img_off = run(small)
    finally:
        nst.criterion.amp_dtype = original
    diff = int(np.abs(img_on - img_off).max())
    print(f"{small} px default, autocast off (float32): {s_off:.2f} s, peak GPU memory {m_off:.2f} GB, "
          f"last loss {l_off:.4g}; autocast speed-up {s_off / s_on:.2f}x, largest pixel difference {diff}/255")
    print(f"bar: {small} px default under 10 s: {s_on < 10}")
    s_l, m_l, l_l, _ = run(large)
    print(f"{large} px default: {s_l:.1f} s, peak GPU memory {m_l:.2f} GB, last loss {l_l:.4g}")

    if a.skip_fast:
        return
    import onnxruntime

    from nst.arbitrary.stylize import FastOptions, FastStylizer
    from nst.images import load_image

    ort_device = "cuda" if "CUDAExecutionProvider" in onnxruntime.get_available_providers() else "cpu"
    content, style = load_image(a.content), load_image(a.style)
    stylizer = FastStylizer(style, FastOptions(device=ort_device))
    stylizer(content)  # warm-up
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        stylizer(content)
        times.append(time.perf_counter() - t0)
    print(f"nst fast {content.width}x{content.height} on {stylizer.device} (onnxruntime "
          f"{onnxruntime.__version__}): median {statistics.median(times):.3f} s per image")


if __name__ == "__main__":
    main()
