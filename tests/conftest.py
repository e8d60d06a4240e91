"""Shared fixtures: real images from ../shared/images when present, bundled scikit-image files otherwise."""

from __future__ import annotations

import os
import signal
import struct
import subprocess
import sys
import time
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "images"


NST = [sys.executable, "-m", "nst"]


def nst(*args, cwd: Path | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run the ``nst`` command with ``args``; stdout and stderr captured as text."""
    return subprocess.run([*NST, *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=timeout)


def interrupt_nst(args, ready: Callable[[], bool], stderr: Path, timeout: float = 120,
                  sig: int = signal.SIGINT) -> tuple[int, str]:
    """Start ``nst ARGS``, press Ctrl-C (``sig``: SIGINT) once ``ready()`` holds; return (exit status, stderr).

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
    proc.send_signal(sig)
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


def run_main(argv, capsys) -> tuple[int, str, str]:
    """``nst ARGV`` in this process (fast: no interpreter start): (status, stdout, stderr)."""
    from nst.cli import main

    try:
        status = main([str(a) for a in argv])
    except SystemExit as e:  # argparse usage errors
        status = e.code
    out = capsys.readouterr()
    return status, out.out, out.err


@pytest.fixture()
def images(tmp_path: Path) -> dict[str, Path]:
    """Small real images copied from the scikit-image bundle, plus broken files."""
    content = tmp_path / "content.png"
    Image.open(bundled("astronaut.png")).resize((64, 64)).save(content)
    style = tmp_path / "style.jpg"
    Image.open(bundled("ihc.png")).convert("RGB").resize((64, 64)).save(style)
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "text.png").write_text("this is not an image\n")
    full = style.read_bytes()
    (tmp_path / "truncated.jpg").write_bytes(full[: len(full) // 2])
    (tmp_path / "folder.png").mkdir()
    (tmp_path / "bomb.png").write_bytes(_png_header(40000, 40000))
    Image.new("L", (64, 64), 255).save(tmp_path / "mask.png")
    Image.new("L", (64, 32), 255).save(tmp_path / "wide_mask.png")
    Image.new("L", (64, 64), 0).save(tmp_path / "black_mask.png")
    return {"content": content, "style": style, "dir": tmp_path}


def _png_header(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height (1.6 G pixels) with no real data."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 16)) + chunk(b"IEND", b"")
