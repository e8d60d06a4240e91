"""No traceback and no lost file: bounds checked before work, write failures, untrusted files, terminal safety."""

from __future__ import annotations

import json
import subprocess

import pytest
import torch
from conftest import run_main
from PIL import Image, PngImagePlugin
from safetensors.torch import save_file

import nst
from nst.feedforward.modelfile import ModelInfo, save_model
from nst.feedforward.network import NetConfig, TransformerNet

SMALL = NetConfig((8, 16), 1, "conv", 3, 2)


def bad(argv, capsys, d, message):
    """The run exits 2 with one stderr line holding ``message``, and writes nothing into ``d``."""
    before = {p: p.stat().st_mtime_ns for p in d.rglob("*")}
    code, _, err = run_main(argv, capsys)
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and message in lines[0], err
    assert {p: p.stat().st_mtime_ns for p in d.rglob("*")} == before
    return lines[0]


@pytest.mark.parametrize("extra, message", [
    (["--size", "4"], "--size: 4 px makes the content image 4 px on its short side; the layers up to relu4_2"),
    (["--size", "64", "--min-size", "4"], "--min-size: 4 px makes the content image"),
    (["--size", "8", "--style-layers", "relu5_1"], "--size: 8 px makes the content image 8 px on its short side; "
                                                  "the layers up to relu5_1"),
    (["--size", "100000"], "more than the memory budget"),
    (["--size", "64", "--max-memory", "0.001"], "--size: 64 px needs about"),
])
def test_sizes_are_bounded_before_any_work(extra, message, images, capsys):
    d = images["dir"]
    bad(["transfer", images["content"], images["style"], "-o", d / "o.png", *extra], capsys, d, message)


def test_a_thin_strip_is_refused_not_crashed(images, capsys):
    d = images["dir"]
    Image.new("RGB", (1000, 8)).save(d / "strip.png")
    bad(["transfer", d / "strip.png", images["style"], "-o", d / "o.png", "--size", "256"], capsys, d,
        "128 px makes the content image 1 px on its short side")


def test_unwritable_output_is_one_line(images, capsys):
    d = images["dir"]
    name = d / ("n" * 300 + ".png")  # longer than any file system allows
    line = bad(["transfer", images["content"], images["style"], "-o", name, "--size", "16", "--iterations", "1",
                "-q"], capsys, d, "not a usable output name (file name too long)")
    assert not [p for p in d.iterdir() if p.name.startswith(".nst-")]
    assert len(line) < 600


def test_save_dir_that_is_a_file_and_unreadable_init(images, capsys):
    d = images["dir"]
    (d / "steps").write_text("a file")
    bad(["transfer", images["content"], images["style"], "-o", d / "o.png", "--save-every", "1", "--save-dir",
         d / "steps"], capsys, d, "--save-dir: ")
    bad(["transfer", images["content"], images["style"], "-o", d / "o.png", "--init", d / "text.png", "--size", "16"],
        capsys, d, "text.png: not a recognised image file")


def test_model_file_with_an_absurd_config_is_refused_before_allocating(tmp_path, capsys, images):
    good = tmp_path / "good.safetensors"
    save_model(good, TransformerNet(SMALL), ModelInfo(SMALL))
    from safetensors import safe_open

    with safe_open(str(good), framework="pt") as f:
        header, tensors = json.loads(f.metadata()["nst"]), {k: f.get_tensor(k) for k in f.keys()}
    for field, value, message in [("residual_blocks", 10**8, "residual_blocks: must be at most 64"),
                                  ("channels", [10**6, 16], "channels: must be 1 to 6 widths from 1 to 1024")]:
        header["config"] = {**SMALL.to_dict(), field: value}
        path = tmp_path / f"{field}.safetensors"
        save_file(tensors, str(path), metadata={"nst": json.dumps(header)})
        bad(["apply", path, images["content"], "-o", tmp_path / "o.png"], capsys, tmp_path, message)
    header["config"], header["steps"] = SMALL.to_dict(), 2.5
    save_file(tensors, str(tmp_path / "steps.safetensors"), metadata={"nst": json.dumps(header)})
    bad(["apply", tmp_path / "steps.safetensors", images["content"], "-o", tmp_path / "o.png"], capsys, tmp_path,
        "bad header (steps 2.5")


def test_info_escapes_control_characters(tmp_path, capsys):
    info = PngImagePlugin.PngInfo()
    info.add_itxt("nst", json.dumps({"tool": "nst", "inputs": ["not", "a", "dict"], "result": 5,
                                     "argv": "rm -rf", "options": {"title": "\x1b]0;pwned\x07"}}))
    Image.new("RGB", (8, 8)).save(tmp_path / "crafted\x1b[2J.png", pnginfo=info)
    code, out, err = run_main(["info", tmp_path / "crafted\x1b[2J.png"], capsys)
    assert code == 0, err
    assert "\x1b" not in out and "\x07" not in out and "crafted\\x1b[2J.png" in out
    assert "repeat:   (not recorded)" in out


@pytest.mark.parametrize("level", ["minimal", "none"])
def test_metadata_levels(level, images, capsys, tmp_path):
    out = tmp_path / "o.png"
    code, _, err = run_main(["transfer", images["content"], images["style"], "-o", out, "--size", "16",
                             "--iterations", "1", "--metadata", level, "-q"], capsys)
    assert code == 0, err
    if level == "none":
        with pytest.raises(nst.NSTError, match="no nst metadata"):
            nst.read_metadata(out)
        return
    meta = nst.read_metadata(out)
    assert "cwd" not in meta and "argv" not in meta
    assert meta["inputs"] == {"content": "content.png", "styles": ["style.jpg"]}
    assert str(tmp_path) not in json.dumps(meta) and str(images["dir"]) not in json.dumps(meta)


def test_undecodable_file_name_survives_into_the_metadata(images, capsys):
    d = images["dir"]
    odd = d / "lat\udce9.png"  # a Latin-1 byte in a UTF-8 file system
    odd.write_bytes(images["content"].read_bytes())
    out = d / "o.png"
    code, _, err = run_main(["transfer", odd, images["style"], "-o", out, "--size", "16", "--iterations", "1", "-q"],
                            capsys)
    assert code == 0, err
    assert nst.read_metadata(out)["inputs"]["content"].endswith("lat\\xe9.png")


def test_written_files_get_the_usual_permissions(tmp_path):
    import os
    import stat

    umask = os.umask(0o022)
    try:
        save_model(tmp_path / "m.safetensors", TransformerNet(SMALL), ModelInfo(SMALL))
        nst.images.save_image(torch.rand(1, 3, 8, 8), tmp_path / "i.png")
    finally:
        os.umask(umask)
    for name in ("m.safetensors", "i.png"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o644, name


@pytest.fixture()
def small_disk(tmp_path):
    """A 48 KiB tmpfs (root only; skipped elsewhere): a disk that fills up."""
    mnt = tmp_path / "disk"
    mnt.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=48k", "tmpfs", str(mnt)], capture_output=True, text=True)
    if r.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.strip()}")
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], check=False)


def test_full_and_read_only_disks_are_one_line_and_keep_existing_files(small_disk, images, capsys):
    existing = small_disk / "o.png"
    existing.write_bytes(b"the user's own file")
    base = ["transfer", images["content"], images["style"], "--size", "160", "--iterations", "1", "--init", "noise",
            "--min-size", "160", "-q"]
    bad([*base, "-o", existing], capsys, small_disk, "o.png: could not write the file (no space left on the device)")
    assert existing.read_bytes() == b"the user's own file"
    big = NetConfig((64, 128), 2, "conv", 9, 1)  # a model file larger than the disk
    with pytest.raises(nst.NSTError, match="no space left on the device"):
        save_model(small_disk / "m.safetensors", TransformerNet(big), ModelInfo(big))
    assert sorted(p.name for p in small_disk.iterdir()) == ["o.png"]  # no temporary file left behind
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    bad([*base, "-o", small_disk / "new.png"], capsys, small_disk, "could not write the file (read-only file system)")
