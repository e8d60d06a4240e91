"""Pictures of the process (GIF, loss plot, contact sheet) and the metadata in outputs / ``nst info``."""

from __future__ import annotations

import json

import pytest
import torch
from conftest import nst, run_main
from PIL import Image

from nst import NSTError, TransferOptions, read_metadata
from nst.visualize import contact_sheet, loss_plot, scale_changes, write_gif


def test_gif_frames_resized_to_final_size(tmp_path):
    frames = [torch.full((1, 3, 16, 20), v) for v in (0.1, 0.3)] + [Image.new("RGB", (40, 32), (200, 10, 10))]
    write_gif(frames, tmp_path / "a.gif")
    with Image.open(tmp_path / "a.gif") as gif:
        assert gif.n_frames == 3 and gif.size == (40, 32)
        gif.seek(1)
        assert abs(gif.convert("RGB").getpixel((5, 5))[0] - 0.3 * 255) <= 2
    with pytest.raises(NSTError, match="no frames"):
        write_gif([], tmp_path / "b.gif")
    assert not (tmp_path / "b.gif").exists()


def test_loss_plot_size_and_scale_marks():
    history = [{"content": 1.0 / i, "style": 10.0 / i, "tv": 0.0, "total": 11.0 / i, "size": 32.0 if i < 6 else 48.0}
               for i in range(1, 11)]
    assert scale_changes(history) == [(1, 32), (6, 48)]
    img = loss_plot(history, size=(640, 400))
    assert img.size == (640, 400) and img.mode == "RGB"
    assert len(set(img.get_flattened_data())) > 20  # curves, text and axes were drawn
    with pytest.raises(NSTError, match="no iterations"):
        loss_plot([])


def test_contact_sheet_layout():
    a, b = Image.new("RGB", (100, 50), "red"), Image.new("RGB", (30, 60), "blue")
    sheet = contact_sheet([("content", a), ("result", b)], height=60, gap=8, label_px=12)
    assert sheet.size == (120 + 30 + 3 * 8, 60 + 2 * 8 + 18)
    assert sheet.getpixel((8 + 60, 8 + 30)) == (255, 0, 0) and sheet.getpixel((8 + 120 + 8 + 15, 30)) == (0, 0, 255)
    label_row = sheet.crop((8, 8 + 60 + 2, 8 + 120, sheet.height))
    assert min(label_row.convert("L").get_flattened_data()) < 100  # the label text is there


@pytest.mark.slow
def test_transfer_pictures_and_metadata_round_trip(images):
    d = images["dir"]
    out = d / "out.png"
    r = nst("transfer", images["content"], images["style"], "-o", out, "--size", "48", "--scales", "32", "48",
            "--iterations", "3", "--max-iterations", "4", "--seed", "7", "--style-weight", "20", "--save-every", "2",
            "--gif", d / "p.gif", "--plot", d / "l.png", "--sheet", d / "s.jpg", "-q")
    assert r.returncode == 0, r.stderr
    meta = read_metadata(out)
    n = meta["result"]["iterations"]  # 4 at 32 px (3 x (48/32)^2, capped) + 3 at 48 px
    assert n == 7
    with Image.open(d / "p.gif") as gif:  # iterations 2, 4, 6, then the result
        assert gif.n_frames == n // 2 + 1 and gif.size == (48, 48)
    assert Image.open(d / "l.png").size == (800, 480)
    with Image.open(d / "s.jpg") as sheet:
        sheet.load()
        assert sheet.height == 48 + 16 + 20 and sheet.width > 3 * 48  # panels at the result's height
    assert meta["seed"] == meta["options"]["seed"] == 7
    assert meta["options"]["style_weight"] == 20 and meta["options"]["scales"] == [32, 48]
    assert TransferOptions.from_kwargs(**meta["options"]).to_dict() == meta["options"]
    assert meta["inputs"] == {"content": str(images["content"]), "styles": [str(images["style"])]}
    assert meta["argv"][:2] == ["transfer", str(images["content"])]

    r = nst("info", out)
    assert r.returncode == 0, r.stderr
    assert "seed:     7" in r.stdout
    assert f"repeat:   cd {meta['cwd']} && nst transfer {images['content']} {images['style']} -o {out}" in r.stdout
    assert json.loads(nst("info", "--json", out).stdout) == meta


@pytest.mark.parametrize("name, message", [("content.png", "no nst metadata"), ("text.png", "not a recognised image"),
                                           ("nope.png", "no such file")])
def test_info_without_metadata_one_line_exit_2(images, name, message, capsys):
    status, out, err = run_main(["info", images["dir"] / name], capsys)
    assert status == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], err


BAD = {
    "save-every without target": (["--save-every", "2"],
                                  "--save-every: needs a folder to save into (save_dir) or a GIF to write (gif)"),
    "gif without save-every": (["--gif", "{d}/a.gif"], "--gif: needs save_every N"),
    "gif wrong extension": (["--save-every", "1", "--gif", "{d}/a.png"],
                            "--gif: {d}/a.png: the file name must end in .gif"),
    "gif missing folder": (["--save-every", "1", "--gif", "{d}/no/a.gif"], "output folder {d}/no does not exist"),
    "plot wrong extension": (["--plot", "{d}/p.jpg"], "--plot: {d}/p.jpg: the file name must end in .png"),
    "plot is the output": (["--plot", "{d}/result.png"], "--plot {d}/result.png: same file as -o"),
    "sheet missing folder": (["--sheet", "{d}/no/s.png"], "does not exist"),
    "sheet wrong extension": (["--sheet", "{d}/s.gif"], "the file name must end in .png or .jpg or .jpeg"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_picture_options_bad_input_one_line_exit_2_nothing_written(images, case, capsys):
    argv, message = BAD[case]
    d = images["dir"]
    before = set(d.iterdir())
    status, _, err = run_main(["transfer", images["content"], images["style"], "-o", d / "result.png", "--size", "32",
                               "--iterations", "2", *[a.format(d=d) for a in argv]], capsys)
    assert status == 2, (status, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and message.format(d=d) in lines[0], err
    assert set(d.iterdir()) == before
