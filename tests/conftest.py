"""Shared fixtures: real images from ../shared/images when present, bundled scikit-image files otherwise."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "images"


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
