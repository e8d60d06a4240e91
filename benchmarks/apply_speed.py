"""Speed of ``nst apply`` on a 1024x768 photo: PyTorch vs ONNX Runtime, against the bars (0.4 s, 0.35 s).

Builds a randomly initialized network of the default architecture (timing does
not depend on the weights; ``--config`` JSON picks another), writes it as a
model file, exports it to ONNX, and times :func:`nst.feedforward.stylize.stylize_image`
(decode excluded, model already loaded) on a 1024x768 image, with the given
number of threads for both runtimes. Prints, per runtime, the median wall time
per image, the median process CPU time divided by the thread count (a
stand-in for uncontended wall time when the machine is shared), their ratio
to its bar (issue 19: 0.4 s PyTorch, 0.35 s ONNX), and the ONNX-vs-PyTorch mean absolute difference in 8-bit
levels (bar: < 1).

    python benchmarks/apply_speed.py [--repeat 7] [--threads 2] [--config '{"noise": true, ...}']
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from common import SHARED

from nst.feedforward.export import export_onnx
from nst.feedforward.modelfile import ModelInfo, save_model
from nst.feedforward.network import NetConfig, TransformerNet, flops
from nst.feedforward.stylize import load_runner, stylize_image
from nst.images import load_image, resize

BAR_S = {"torch": 0.4, "onnx": 0.35}
PHOTO = SHARED / "content"


def photo() -> "Image.Image":  # noqa: F821
    """A real 1024x768 photo when the shared images are present, else scikit-image's astronaut."""
    files = sorted(PHOTO.glob("*.jpg")) if PHOTO.is_dir() else []
    if files:
        img = load_image(files[0])
    else:
        import os

        import skimage

        img = load_image(Path(os.path.dirname(skimage.__file__)) / "data" / "astronaut.png")
    return resize(img, (1024, 768))


def time_it(fn, repeat: int, threads: int) -> tuple[float, float]:
    """Median wall seconds and median CPU seconds / threads of ``fn()`` after one warm-up call."""
    fn()
    walls, cpus = [], []
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - t)
        cpus.append((time.process_time() - c) / threads)
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--config", default=None,
                    help="NetConfig fields as JSON, over the default architecture (e.g. '{\"noise\": true}')")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    config = NetConfig.from_dict({**NetConfig().to_dict(), **json.loads(args.config)}) if args.config else NetConfig()
    torch.manual_seed(0)
    net = TransformerNet(config)
    info = ModelInfo(config, style="random-init")
    img = photo()
    print(f"architecture {config.to_dict()}: {flops(config, 768, 1024) / 1e9:.1f} GFLOP at 1024x768, "
          f"{sum(p.numel() for p in net.parameters()):,} parameters; {args.threads} threads")
    with tempfile.TemporaryDirectory() as d:
        model, onnx_path = Path(d) / "m.safetensors", Path(d) / "m.onnx"
        save_model(model, net, info)
        export_onnx(net, info, onnx_path)
        outs = {}
        for name, path in (("torch", model), ("onnx", onnx_path)):
            stylizer, factor = load_runner(path, threads=args.threads)
            outs[name] = np.asarray(stylize_image(stylizer, factor, img), dtype=np.float64)
            wall, cpu = time_it(lambda: stylize_image(stylizer, factor, img), args.repeat, args.threads)
            bar = BAR_S[name]
            print(f"{name:5s}: median {wall:.3f} s/image wall ({wall / bar:.2f}x the {bar} s bar), "
                  f"{cpu:.3f} s CPU/thread ({cpu / bar:.2f}x the bar)")
    mad = np.abs(outs["onnx"] - outs["torch"]).mean()
    print(f"ONNX vs PyTorch mean absolute difference: {mad:.4f} / 255 (bar: < 1 / 255)")
    try:
        import os

        print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    except OSError:
        pass


if __name__ == "__main__":
    main()
