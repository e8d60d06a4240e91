"""Reconstructions from noise: feature inversion and texture synthesis, library and CLI."""

from __future__ import annotations

import pytest
import torch
from conftest import nst, run_main
from PIL import Image

from nst import NSTError, StyleTransfer, reconstruct_content, synthesize_texture
from nst.coarse_to_fine import initial_image
from nst.images import fit_long_side, load_image, pil_to_tensor, resize
from nst.metadata import read_metadata
from nst.reconstruct import content_options, texture_options


def psnr(a: torch.Tensor, b: torch.Tensor) -> float:
    return float(-10 * torch.log10(((a - b) ** 2).mean()))


def test_content_options_truncate_network_at_the_layer():
    opts = content_options("relu2_2", size=64)
    assert opts.content_layers == opts.style_layers == {"relu2_2": 1.0}
    assert (opts.style_weight, opts.init) == (0.0, "noise")
    assert StyleTransfer(content_layers=opts.content_layers, style_layers=opts.style_layers).layers == ["relu2_2"]
    with pytest.raises(NSTError, match="unknown layer 'relu9_1'"):
        content_options("relu9_1")


def test_relu2_2_reconstruction_from_noise_comes_close(astronaut):
    img = load_image(astronaut)
    result = reconstruct_content(img, "relu2_2", size=64, iterations=60)
    content = pil_to_tensor(resize(img, fit_long_side(img.size, 64)))
    noise = initial_image("noise", content, [], 0)
    assert result.image.shape == content.shape == (1, 3, 64, 64)
    # Measured: PSNR 7.5 dB for the noise start, 25.9 dB for the result;
    # mean absolute difference 0.345 -> 0.035.
    assert psnr(noise, content) < 9
    assert psnr(result.image, content) > 22, psnr(result.image, content)
    assert (result.image - content).abs().mean() < 0.2 * (noise - content).abs().mean()


@pytest.mark.slow
def test_texture_synthesis_lowers_style_loss_10x_at_requested_size(ihc):
    result = synthesize_texture(load_image(ihc), (72, 48), style_size=64, iterations=30)
    assert result.image.shape == (1, 3, 48, 72)
    start = result.history[0]["style"]  # the noise start, evaluated before the first step
    assert result.best_loss < start / 10, (start, result.best_loss)  # measured 21x on The Starry Night
    assert all(h["content"] == 0 for h in result.history)


def test_texture_options_reject_bad_sizes():
    with pytest.raises(NSTError, match="size: must be from 1 to 8192 pixels"):
        texture_options((0, 10))
    with pytest.raises(NSTError, match="unknown layer"):
        texture_options((10, 10), ["relu1_1", "relu6_1"])
    opts = texture_options((100, 50), ["relu1_1", "relu3_1"], style_size=64)
    assert opts.content_layers == {"relu3_1": 1.0} and opts.content_weight == 0
    assert round(opts.size * opts.style_scale) == 64


@pytest.mark.slow
def test_cli_reconstruct_content_with_pictures_and_metadata(images):
    d = images["dir"]
    out = d / "inv.png"
    r = nst("reconstruct", "content", images["content"], "-o", out, "--layer", "relu1_2", "--size", "40",
            "--iterations", "5", "--tol", "0", "--seed", "3", "--save-every", "2", "--gif", d / "inv.gif",
            "--sheet", d / "inv_sheet.png", "-q")
    assert r.returncode == 0, r.stderr
    assert Image.open(out).size == (40, 40)
    meta = read_metadata(out)
    assert (meta["command"], meta["mode"], meta["layer"], meta["seed"]) == ("reconstruct", "content", "relu1_2", 3)
    assert meta["options"]["content_layers"] == {"relu1_2": 1.0} and meta["options"]["style_weight"] == 0
    with Image.open(d / "inv.gif") as gif:
        assert gif.size == (40, 40) and gif.n_frames == 5 // 2 + 1
    assert Image.open(d / "inv_sheet.png").height > 40


@pytest.mark.slow
def test_cli_texture_has_requested_size(images):
    d = images["dir"]
    r = nst("reconstruct", "style", images["style"], "-o", d / "tex.jpg", "--size", "56", "32",
            "--style-size", "48", "--iterations", "3", "-q")
    assert r.returncode == 0, r.stderr
    assert Image.open(d / "tex.jpg").size == (56, 32)
    assert read_metadata(d / "tex.jpg")["options"]["size"] == 56  # JPEG: metadata in the comment


BAD = {
    "unknown mode": (["texture", "{content}"], "invalid choice: 'texture'"),
    "unknown layer": (["content", "{content}", "--layer", "relu9_1"], "unknown layer 'relu9_1'"),
    "unknown style layer": (["style", "{style}", "--layers", "relu1_1", "pool9"], "unknown layer 'pool9'"),
    "texture size zero": (["style", "{style}", "--size", "0", "32"], "--size: must be from 1 to 8192 pixels, got 0"),
    "missing image": (["content", "{d}/nope.png"], "nope.png: no such file"),
    "gif wrong extension": (["content", "{content}", "--save-every", "1", "--gif", "{d}/a.png"],
                            "--gif: {d}/a.png: the file name must end in .gif"),
    "plot in missing folder": (["content", "{content}", "--plot", "{d}/no/p.png"], "does not exist"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_reconstruct_bad_input_one_line_exit_2_nothing_written(images, case, capsys):
    argv, message = BAD[case]
    d = images["dir"]
    fmt = {"d": d, "content": images["content"], "style": images["style"]}
    before = set(d.iterdir())
    status, _, err = run_main(["reconstruct", *[a.format(**fmt) for a in argv], "-o", d / "result.png",
                               "--iterations", "2"], capsys)
    assert status == 2, (status, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and message.format(**fmt) in lines[0], err
    assert set(d.iterdir()) == before
