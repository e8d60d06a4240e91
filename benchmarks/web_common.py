"""Starting ``nst web`` for the web benchmarks: a free port, wait until it serves, stop it afterwards."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def nst_web(*args: str, timeout: float = 120) -> Iterator[tuple[str, float, subprocess.Popen]]:
    """Run ``nst web --port FREE ARGS``; yields (url, seconds from start until the page answered, process)."""
    port = free_port()
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "nst", "web", "--port", str(port), *args],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    try:
        while True:
            if proc.poll() is not None or time.perf_counter() - t0 > timeout:
                raise SystemExit(f"nst web did not serve {url}")
            try:
                with urllib.request.urlopen(url, timeout=2):
                    break
            except OSError:
                time.sleep(0.1)
        yield url, time.perf_counter() - t0, proc
    finally:
        proc.terminate()
        proc.wait(timeout=30)
