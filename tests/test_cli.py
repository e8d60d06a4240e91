"""The ``nst`` command through a subprocess: happy path, --help, every bad input."""

from __future__ import annotations

import signal

import pytest
from conftest import interrupt_nst, nst, run_main
from PIL import Image


@pytest.mark.slow
def test_transfer_writes_png_and_jpeg(images):
    d = images["dir"]
    r = nst("transfer", images["content"], images["style"], "-o", d / "out.png", "--size", "48", "--iterations", "3",
            "-q")
    assert r.returncode == 0, r.stderr
    with Image.open(d / "out.png") as im:
        assert im.size == (48, 48) and im.mode == "RGB"
    r = nst("transfer", images["content"], images["style"], images["content"], "-o", d / "out.jpg", "--size", "40",
            "--iterations", "2", "--style-weights", "2", "1", "--style-layers", "relu1_1:1", "relu3_1:0.5",
            "--optimizer", "adam", "--save-every", "1", "--save-dir", d / "steps", "-q")
    assert r.returncode == 0, r.stderr
    assert Image.open(d / "out.jpg").format == "JPEG"
    assert sorted(p.name for p in (d / "steps").iterdir()) == ["iter_1.png", "iter_2.png"]


@pytest.mark.slow
def test_transfer_controls(images):
    d = images["dir"]
    top = Image.new("L", (64, 64), 0)
    top.paste(255, (0, 0, 64, 32))
    top.save(d / "top.png")
    Image.eval(top, lambda v: 255 - v).save(d / "bottom.png")
    r = nst("transfer", images["content"], images["style"], images["content"], "-o", d / "out.png", "--size", "32",
            "--iterations", "2", "--mask", d / "top.png", d / "bottom.png", "--preserve-color", "luminance",
            "--style-loss", "mean-cov", "--style-fine", images["content"], "-q")
    assert r.returncode == 0, r.stderr
    with Image.open(d / "out.png") as im:
        assert im.size == (32, 32)


@pytest.mark.slow
def test_help_lists_every_option_with_default():
    r = nst("transfer", "--help")
    assert r.returncode == 0
    text = " ".join(r.stdout.split())
    for opt in ["--size", "--style-scale", "--iterations", "--optimizer", "--lr", "--init", "--seed",
                "--content-weight", "--style-weight", "--tv-weight", "--style-weights", "--content-layers",
                "--style-layers", "--pooling", "--model", "--weights", "--device", "--save-every",
                "--save-dir", "--quiet", "--preserve-color", "--mask", "--style-fine", "--style-loss"]:
        assert opt in text, opt
    assert "(default: 512, or the last of the scales)" in text and "(default: lbfgs)" in text


BAD = {
    "missing file": (["{d}/nope.png", "{style}"], "nope.png: no such file"),
    "directory": (["{d}/folder.png", "{style}"], "is a directory"),
    "zero-byte": (["{d}/empty.png", "{style}"], "file is empty"),
    "truncated jpeg": (["{content}", "{d}/truncated.jpg"], "truncated.jpg: could not decode image"),
    "text as png": (["{d}/text.png", "{style}"], "text.png: not a recognised image file"),
    "decompression bomb": (["{content}", "{d}/bomb.png"], "decompression-bomb limit"),
    "size zero": (["{content}", "{style}", "--size", "0"], "--size: must be > 0"),
    "size negative": (["{content}", "{style}", "--size", "-5"], "--size: must be > 0"),
    "iterations negative": (["{content}", "{style}", "--iterations", "-1"], "--iterations: must be > 0"),
    "tv weight negative": (["{content}", "{style}", "--tv-weight", "-1"], "--tv-weight: must be >= 0"),
    "unknown layer": (["{content}", "{style}", "--style-layers", "relu9_1"], "--style-layers: unknown layer 'relu9_1'"),
    "missing output folder": (["{content}", "{style}", "-o", "{d}/no/such/dir/out.png"], "does not exist"),
    "output is input": (["{content}", "{style}", "-o", "{content}"], "would overwrite the input file"),
    "style weight count": (["{content}", "{style}", "--style-weights", "1", "2"],
                           "--style-weights: got 2 weights for 1 style"),
    "save-every without dir": (["{content}", "{style}", "--save-every", "2"],
                               "--save-every: needs a folder to save into"),
    "unknown optimizer": (["{content}", "{style}", "--optimizer", "sgd"], "invalid choice: 'sgd'"),
    "bad weights file": (["{content}", "{style}", "--weights", "{d}/text.png"], "not a readable torch weights file"),
    "mask count": (["{content}", "{style}", "--mask", "{d}/mask.png", "{d}/mask.png"],
                   "--mask: got 2 mask(s) for 1 style"),
    "mask aspect ratio": (["{content}", "{style}", "--mask", "{d}/wide_mask.png"], "aspect ratio 64x32 differs"),
    "mask all black": (["{content}", "{style}", "--mask", "{d}/black_mask.png"], "black_mask.png: mask is all black"),
    "mask not an image": (["{content}", "{style}", "--mask", "{d}/text.png"], "text.png: not a recognised image"),
    "style-fine missing": (["{content}", "{style}", "--style-fine", "{d}/nope.jpg"], "nope.jpg: no such file"),
    "output is mask": (["{content}", "{style}", "--mask", "{d}/mask.png", "-o", "{d}/mask.png"], "overwrite the input"),
    "unknown color mode": (["{content}", "{style}", "--preserve-color", "yuv"], "invalid choice: 'yuv'"),
    "unknown style loss": (["{content}", "{style}", "--style-loss", "kl"], "invalid choice: 'kl'"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_one_line_exit_2_nothing_written(images, case, capsys):
    argv, message = BAD[case]
    d = images["dir"]
    fmt = {"d": d, "content": images["content"], "style": images["style"]}
    argv = [a.format(**fmt) for a in argv]
    out = d / "result.png"
    if "-o" not in argv:
        argv += ["-o", str(out)]
    before = images["content"].read_bytes()
    for opt, value in (("--iterations", "2"), ("--size", "32")):
        if opt not in argv:
            argv += [opt, value]
    code, _, err = run_main(["transfer", *argv], capsys)
    assert code == 2, (code, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert message in lines[0], lines[0]
    assert not out.exists()
    assert images["content"].read_bytes() == before
    assert not [p for p in d.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.slow
@pytest.mark.parametrize("sig, status", [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["ctrl-c", "sigterm"])
def test_ctrl_c_and_sigterm_write_best_image_so_far(images, sig, status):
    d = images["dir"]
    out = d / "interrupted.png"
    steps = d / "steps"
    code, err = interrupt_nst(
        ["transfer", images["content"], images["style"], "-o", out, "--size", "48",
         "--iterations", "100000", "--tol", "0", "--save-every", "1", "--save-dir", steps],
        ready=lambda: steps.is_dir() and any(steps.iterdir()), stderr=d / "stderr.txt", sig=sig)
    assert code == status, err
    assert "Traceback" not in err
    assert "wrote the best image so far" in err
    with Image.open(out) as im:
        assert im.size == (48, 48)


@pytest.mark.slow
def test_output_never_overwrites_existing_on_failure(images):
    d = images["dir"]
    out = d / "keep.png"
    out.write_bytes(b"user's file")
    r = nst("transfer", images["content"], d / "text.png", "-o", out)
    assert r.returncode == 2
    assert out.read_bytes() == b"user's file"


def test_output_name_derived_when_left_out_and_never_replaced(images, capsys, monkeypatch):
    d = images["dir"]
    monkeypatch.chdir(d)
    run = ["transfer", images["content"], images["style"], "--size", "16", "--iterations", "1", "-q"]
    code, _, err = run_main(run, capsys)
    assert code == 0 and (d / "content_style.png").is_file(), err
    before = (d / "content_style.png").read_bytes()
    code, _, err = run_main(run, capsys)
    assert code == 2 and "content_style.png exists: give -o OUT.png, or --overwrite" in err
    assert (d / "content_style.png").read_bytes() == before
    assert run_main([*run, "--overwrite"], capsys)[0] == 0
    code, _, err = run_main(["transfer", "--from", d / "content_style.png", "-o", d / "again.png", "-q",
                             "--iterations", "1"], capsys)
    assert code == 0, err


def test_a_framed_style_image_gets_one_warning_line(images, capsys):
    d = images["dir"]
    style = Image.open(images["style"])
    frame = Image.new("RGB", (style.width + 6, style.height + 6), (0, 0, 0))
    frame.paste(style, (3, 3))
    frame.save(d / "framed.png")
    run = ["transfer", images["content"], "STYLE", "--size", "16", "--iterations", "1", "-q"]
    code, _, err = run_main([a if a != "STYLE" else d / "framed.png" for a in run] + ["-o", d / "a.png"], capsys)
    assert code == 0 and (d / "a.png").is_file()
    assert err.count("\n") == 1 and err.startswith(f"nst transfer: warning: {d / 'framed.png'}: a band of one colour "
                                                   "runs along every edge (3/3/3/3 px left/top/right/bottom: a frame?)")
    code, _, err = run_main([a if a != "STYLE" else images["style"] for a in run] + ["-o", d / "b.png"], capsys)
    assert code == 0 and err == ""
