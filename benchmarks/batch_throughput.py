"""Throughput of ``nst fast`` over a folder of photos: the in-process loop against one process per photo,
``--workers 2`` and ``--ray`` on a local two-node cluster, in one run.

    python benchmarks/batch_throughput.py [--count 100] [--size 512] [--per-process 20]
        [--modes loop per-process workers ray]

Every mode runs the ``nst`` command as a user would (wall clock, start-up
included) on the first ``--count`` photos of ../shared/datasets/photos
(the per-process baseline, a shell loop of one ``nst fast PHOTO STYLE -o OUT``
per photo, on the first ``--per-process`` of them), each into a fresh folder:

* loop: ``nst fast DIR STYLE -o OUT`` (one process, the network loaded once);
* per-process: ``for f in DIR/*; do nst fast $f STYLE -o OUT/$f.png; done``;
* workers: ``nst fast DIR STYLE -o OUT --workers 2``;
* ray: ``nst fast DIR STYLE -o OUT --ray ADDRESS`` on a cluster of two nodes
  of one CPU each started on this machine (``ray start --head`` and
  ``ray start --address``; stopped at the end, whatever happens).

Prints images per second of each mode, the ratio loop / per-process (bar:
>= 3), the median seconds of one item's work from the manifests, and the
overhead of Ray per item against the loop. Needs nst[fast] (and nst[ray] for
the ray mode). Measurements on a shared machine are noisy: rerun on an idle one.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PHOTOS = ROOT.parent / "shared" / "datasets" / "photos"
STYLE = ROOT.parent / "shared" / "images" / "style" / "vangogh_starry_night.jpg"
NST = [sys.executable, "-m", "nst"]


def timed(cmd: list[str], env: dict | None = None) -> float:
    t0 = time.perf_counter()
    r = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - t0
    if r.returncode != 0:
        raise SystemExit(f"{' '.join(map(str, cmd))} failed ({r.returncode}):\n{r.stderr[-2000:]}")
    return seconds


def item_seconds(out: Path) -> tuple[list[float], list[float]]:
    """Each item's own seconds (manifest), and the gaps between consecutive items of one worker beyond them.

    A gap is ``finish[i+1] - finish[i] - seconds[i+1]``: the time a worker spent on anything but its item
    (dispatch, result transfer, manifest): the per-item overhead in the steady state.
    """
    from datetime import datetime

    with (out / "manifest.jsonl").open() as f:
        recs = [json.loads(line) for line in f]
    assert all(r["status"] == "done" for r in recs), "an item failed"
    by_worker: dict[str, list[dict]] = {}
    for r in recs:
        by_worker.setdefault(r["worker"], []).append(r)
    gaps = []
    for rs in by_worker.values():
        ts = [(datetime.fromisoformat(r["time"].rstrip("Z")).timestamp(), r["seconds"]) for r in rs]
        ts.sort()
        gaps += [b[0] - a[0] - b[1] for a, b in zip(ts, ts[1:])]
    return [r["seconds"] for r in recs], gaps


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalCluster:
    """Two Ray nodes of one CPU each on this machine (``ray start --block``), stopped by their process ids."""

    def __init__(self, env: dict) -> None:
        self.env, self.procs, self.temp = env, [], tempfile.mkdtemp(prefix="nst-ray-")
        self.address = f"127.0.0.1:{free_port()}"

    def _start(self, extra: list[str]) -> None:
        common = ["--node-ip-address", "127.0.0.1", "--num-cpus", "1", "--num-gpus", "0",
                  "--object-store-memory", str(80 * 1024 * 1024), "--disable-usage-stats", "--block",
                  "--node-manager-port", str(free_port()), "--object-manager-port", str(free_port()),
                  "--min-worker-port", "0", "--max-worker-port", "0"]
        self.procs.append(subprocess.Popen([str(Path(sys.executable).parent / "ray"), "start", *extra, *common],
                                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=self.env,
                                           start_new_session=True))

    def _nodes(self) -> int:
        code = f"import ray; ray.init(address='{self.address}', logging_level='ERROR'); " \
               "print(sum(n['Alive'] for n in ray.nodes()))"
        r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=self.env)
        return int(r.stdout.strip() or 0) if r.returncode == 0 else 0

    def __enter__(self) -> LocalCluster:
        port = self.address.rsplit(":", 1)[1]
        self._start(["--head", "--port", port, "--temp-dir", self.temp, "--include-dashboard", "false",
                     "--ray-client-server-port", str(free_port())])
        deadline = time.time() + 180
        while self._nodes() < 1:
            if time.time() > deadline:
                raise SystemExit("the Ray head node did not start")
            time.sleep(2)
        self._start(["--address", self.address])
        while self._nodes() < 2:
            if time.time() > deadline:
                raise SystemExit("the second Ray node did not join")
            time.sleep(2)
        return self

    def __exit__(self, *exc) -> None:
        import psutil

        procs = []
        for p in self.procs:
            try:
                procs += [psutil.Process(p.pid), *psutil.Process(p.pid).children(recursive=True)]
            except psutil.NoSuchProcess:
                pass
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
        for proc in psutil.wait_procs(procs, timeout=10)[1]:
            proc.kill()
        shutil.rmtree(self.temp, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--photos", type=Path, default=PHOTOS)
    ap.add_argument("--style", type=Path, default=STYLE)
    ap.add_argument("--count", type=int, default=100, help="photos in the batch")
    ap.add_argument("--per-process", type=int, default=20, help="photos of the one-process-per-photo baseline")
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--modes", nargs="+", default=["loop", "per-process", "workers", "ray"])
    args = ap.parse_args()
    photos = sorted(p for p in args.photos.iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png"))[:args.count]
    if not photos:
        raise SystemExit(f"no photos in {args.photos}")
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": "disabled"}
    env.pop("RAY_ADDRESS", None)
    work = Path(tempfile.mkdtemp(prefix="nst-batch-bench-"))
    rate, per_item, gaps = {}, {}, {}
    try:
        src = work / "photos"
        src.mkdir()
        for p in photos:
            (src / p.name).symlink_to(p.resolve())
        common = [args.style, "--size", str(args.size), "-q"]
        print(f"{len(photos)} photos at {args.size} px, style {args.style.name}, {os.cpu_count()} CPUs", flush=True)
        if "loop" in args.modes:
            t = timed([*NST, "fast", src, *common, "-o", work / "loop"], env)
            rate["loop"] = len(photos) / t
            per_item["loop"], gaps["loop"] = item_seconds(work / "loop")
        if "per-process" in args.modes:
            few = photos[:args.per_process]
            (work / "single").mkdir()
            t0 = time.perf_counter()
            for p in few:
                timed([*NST, "fast", src / p.name, *common, "-o", work / "single" / f"{p.stem}.png"], env)
            rate["per-process"] = len(few) / (time.perf_counter() - t0)
        if "workers" in args.modes:
            t = timed([*NST, "fast", src, *common, "-o", work / "workers", "--workers", "2"], env)
            rate["workers 2"] = len(photos) / t
            per_item["workers 2"], gaps["workers 2"] = item_seconds(work / "workers")
        if "ray" in args.modes:
            with LocalCluster(env) as cluster:
                t = timed([*NST, "fast", src, *common, "-o", work / "ray", "--ray", cluster.address], env)
            rate["ray 2 nodes"] = len(photos) / t
            per_item["ray 2 nodes"], gaps["ray 2 nodes"] = item_seconds(work / "ray")
        for mode, r in rate.items():
            extra = ""
            if mode in per_item:
                extra = (f", median item {statistics.median(per_item[mode]):.3f} s, median gap between a worker's "
                         f"items {statistics.median(gaps[mode]) * 1000:.1f} ms")
            print(f"{mode:12s} {r:6.2f} images/s ({1 / r:.3f} s per image, wall clock{extra})")
        if "loop" in rate and "per-process" in rate:
            print(f"loop / per-process: {rate['loop'] / rate['per-process']:.1f}x (bar: >= 3x)")
        if "loop" in gaps and "ray 2 nodes" in gaps:
            startup = len(photos) / rate["ray 2 nodes"] - sum(per_item["ray 2 nodes"]) / 2
            print(f"ray overhead per item against the loop (steady state, median gap): "
                  f"{(statistics.median(gaps['ray 2 nodes']) - statistics.median(gaps['loop'])) * 1000:+.1f} ms; "
                  f"start-up (connect, actors, network load): {startup:.1f} s "
                  f"beyond the items' own time on 2 slots")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
