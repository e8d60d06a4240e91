"""Shared fixtures: real images from ../shared/images when present, bundled scikit-image files otherwise."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "images"


NST = [sys.executable, "-m", "nst"]


def nst(*args, cwd: Path | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run the ``nst`` command with ``args``; stdout and stderr captured as text."""
    return subprocess.run([*NST, *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=timeout)


def interrupt_nst(args, ready: Callable[[], bool], stderr: Path, timeout: float = 120) -> tuple[int, str]:
    """Start ``nst ARGS``, press Ctrl-C (SIGINT) once ``ready()`` holds; return (exit status, stderr).

    Fails the test when the command exits or ``timeout`` seconds pass before it is ready.
    """
    proc = subprocess.Popen(
        [*NST, *map(str, args)],
        stdout=subprocess.DEVNULL, stderr=stderr.open("w"),  # a file: a full pipe cannot stall the child
        # A shell's background job inherits SIGINT ignored; give the child the default back.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.time() + timeout
    while not ready():
        assert time.time() < deadline and proc.poll() is None, "the command never got ready to interrupt"
        time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=timeout)
    return proc.returncode, stderr.read_text()


def shared_image(rel: str) -> Path:
    """A file under ../shared/images, or skip the test with the reason."""
    p = SHARED / rel
    if not p.is_file():
        pytest.skip(f"{p} not present (the shared test images live beside the project checkout)")
    return p


def bundled(name: str) -> Path:
    import skimage

    return Path(os.path.dirname(skimage.__file__)) / "data" / name


@pytest.fixture(scope="session")
def astronaut() -> Path:
    return bundled("astronaut.png")


@pytest.fixture(scope="session")
def ihc() -> Path:
    return bundled("ihc.png")


@pytest.fixture(scope="session")
def vgg19():
    """The default VGG-19 up to relu5_1 (shared; it is frozen and never modified)."""
    from nst import load_vgg

    return load_vgg("vgg19", last_layer="relu5_1")
