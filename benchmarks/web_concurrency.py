"""20 concurrent ``/fast`` requests to one ``nst web`` through gradio_client: do all succeed, and how long?

Starts ``nst web`` on a free port (or uses ``--url``), then sends ``--requests``
identical ``/fast`` calls at once, each from its own ``gradio_client.Client``
(its own session, as separate users), with the same two uploaded images
(identical requests are the case where shared cache files could collide).
Every returned file must decode as a PNG of the content's size and carry nst's
metadata; the server must still answer afterwards.

    python benchmarks/web_concurrency.py [--requests 20] [--content C] [--style S] [--url URL]

Prints successes, errors, wall time, and the per-request latency (median, max).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from common import add_pair_arguments
from gradio_client import Client, handle_file
from PIL import Image
from web_common import nst_web


def one(url: str, content: Path, style: Path) -> tuple[float, tuple[int, int]]:
    client = Client(url, verbose=False)
    t0 = time.perf_counter()
    result = client.predict(handle_file(content), handle_file(style), api_name="/fast")
    seconds = time.perf_counter() - t0
    with Image.open(result[1]) as im:
        im.load()
        assert json.loads(im.text["nst"])["command"] == "fast"
        return seconds, im.size


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_pair_arguments(ap)
    ap.add_argument("--requests", type=int, default=20)
    ap.add_argument("--url", default=None, help="an nst web already running (default: start one)")
    a = ap.parse_args()
    with Image.open(a.content) as im:
        expected = im.size
    with (contextlib.nullcontext((a.url, 0.0, None)) if a.url else nst_web()) as (url, startup, proc):
        t0 = time.perf_counter()
        with ThreadPoolExecutor(a.requests) as pool:
            futures = [pool.submit(one, url, a.content, a.style) for _ in range(a.requests)]
        wall = time.perf_counter() - t0
        ok, errors, latencies = 0, [], []
        for f in futures:
            try:
                seconds, size = f.result()
                assert size == expected, f"size {size}, expected {expected}"
                ok += 1
                latencies.append(seconds)
            except Exception as e:  # noqa: BLE001 - every failure is counted and shown
                errors.append(f"{type(e).__name__}: {e}")
        with urllib.request.urlopen(url, timeout=10) as r:
            alive = r.status == 200
    print(f"{a.requests} concurrent /fast requests, content {a.content.name} {expected[0]}x{expected[1]}")
    print(f"succeeded {ok}, failed {len(errors)}, server alive afterwards: {alive}")
    if latencies:
        print(f"wall {wall:.1f} s; per request median {statistics.median(latencies):.1f} s, "
              f"max {max(latencies):.1f} s")
    for e in errors[:5]:
        print("  error:", e)
    raise SystemExit(0 if ok == a.requests and alive else 1)


if __name__ == "__main__":
    main()
