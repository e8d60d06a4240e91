"""nst web's pieces without a server: upload checks, result files, command lines, controls (fast tier)."""

from __future__ import annotations

import json
import os
import threading
import time

import pytest
from PIL import Image

from nst.arbitrary import FastOptions
from nst.errors import NSTError, OptionError
from nst.options import TransferOptions
from nst.web import jobs
from nst.web.options import WebOptions


def test_check_upload_decodes_and_refuses_with_the_upload_name_only(images):
    d = images["dir"]
    limits = WebOptions()
    im = jobs.check_upload(images["content"], "content image", limits)
    assert im.mode == "RGB" and im.size == (64, 64)
    cases = {"text.png": "content image text.png: not an image file",
             "bomb.png": "content image bomb.png: larger than Pillow's decompression-bomb limit",
             "empty.png": "content image empty.png: ",
             "truncated.jpg": "content image truncated.jpg: "}
    for name, start in cases.items():
        with pytest.raises(NSTError) as e:
            jobs.check_upload(d / name, "content image", limits)
        assert str(e.value).startswith(start), str(e.value)
        assert str(d) not in str(e.value)  # never the server's folder
    with pytest.raises(NSTError, match="64x64 pixels, more than the 0.004 megapixels"):
        jobs.check_upload(images["content"], "content image", WebOptions(max_pixels=4000))
    with pytest.raises(NSTError, match=r"MB, more than the 1e-05 MB"):
        jobs.check_upload(images["content"], "content image", WebOptions(max_upload_mb=0.00001))
    with pytest.raises(NSTError, match="upload a style image"):
        jobs.check_upload(None, "style image", limits)


def test_command_line_spells_the_changed_options_as_flags():
    opts = FastOptions(strength=0.5, preserve_color=True)
    argv = jobs.command_line("fast", ["a.jpg", "b.jpg"], [opts], ["strength", "preserve_color", "size"])
    assert argv == ["fast", "a.jpg", "b.jpg", "--strength", "0.5", "--preserve-color"]
    t = TransferOptions(size=64, style_layers=["relu1_1", "relu2_1:2"], style_loss="mean-cov")
    argv = jobs.command_line("transfer", ["a.jpg", "b.jpg"], [t], ["size", "style_layers", "style_loss", "tol"])
    assert argv[3:] == ["--size", "64", "--style-layers", "relu1_1:0.5", "relu2_1:2", "--style-loss", "mean-cov"]
    assert jobs.shell(["fast", "my photo.jpg"]) == "nst fast 'my photo.jpg'"


def test_results_are_unique_files_and_the_share_folder_never_overwrites(tmp_path):
    ws = jobs.Workspace(tmp_path / "root", share_folder=tmp_path / "share")
    names = {jobs.result_name("photo.jpg", "starry.jpg") for _ in range(50)}
    assert len(names) == 50 and all(n.startswith("photo_starry_") and n.endswith(".png") for n in names)
    a, b = ws.new_folder(), ws.new_folder()
    assert a != b
    meta = {"tool": "nst", "command": "fast"}
    for folder, colour in ((a, "red"), (b, "blue")):
        jobs.save_result(Image.new("RGB", (8, 4), colour), folder, "same.png", meta, ws)
    kept = sorted(p.name for p in (tmp_path / "share").iterdir())
    assert kept == ["same.png", "same_2.png"]
    with Image.open(a / "same.png") as im:
        assert json.loads(im.text["nst"])["command"] == "fast"
    old = time.time() - jobs.KEEP_RESULTS_S - 10
    os.utime(a, (old, old))
    ws.sweep()
    assert not a.exists() and b.exists()


def test_models_are_picked_by_name_from_the_shipped_ones_and_the_folder_only(tmp_path):
    from nst.catalogue import models

    (tmp_path / "a.safetensors").write_bytes(b"")
    (tmp_path / "b.onnx").write_bytes(b"")
    (tmp_path / "notes.txt").write_text("x")
    shipped = list(models())
    assert "starry-night" in shipped
    assert jobs.list_models(tmp_path) == [*shipped, "a.safetensors", "b.onnx"]
    assert jobs.list_models(None) == shipped
    assert jobs.model_path(tmp_path, "b.onnx") == tmp_path / "b.onnx"
    assert jobs.model_path(None, "starry-night") == models()["starry-night"].path
    for bad in ("../a.safetensors", "notes.txt", "", None):
        with pytest.raises(NSTError, match="pick a shipped model or a model file"):
            jobs.model_path(tmp_path, bad)
    with pytest.raises(NSTError, match="--models DIR"):
        jobs.model_path(None, "a.safetensors")


def test_apply_writes_a_png_with_metadata(tmp_path, images):
    import torch

    from nst.feedforward.modelfile import ModelInfo, save_model
    from nst.feedforward.network import NetConfig, TransformerNet
    from nst.feedforward.stylize import ApplyOptions

    cfg = NetConfig((8, 16), 1, "conv", 3, 2)
    torch.manual_seed(0)
    save_model(tmp_path / "tiny.safetensors", TransformerNet(cfg), ModelInfo(cfg, style="ihc"))
    ws = jobs.Workspace(tmp_path / "root")
    r = jobs.run_apply(tmp_path / "tiny.safetensors", str(images["content"]), ApplyOptions(size=48), WebOptions(), ws)
    with Image.open(r.path) as im:
        assert im.size == (48, 48)
        meta = json.loads(im.text["nst"])
    assert meta["command"] == "apply" and meta["inputs"]["model"] == "tiny.safetensors"
    assert r.command.startswith("nst apply tiny.safetensors content.png --size 48 -o content_tiny_")


@pytest.mark.slow
def test_stop_ends_an_optimize_run_with_the_best_image_so_far(tmp_path, images):
    stop = threading.Event()
    opts = TransferOptions(size=32, iterations=500, min_size=32, tol=0)
    ws = jobs.Workspace(tmp_path / "root")
    updates = []
    for item in jobs.run_transfer(str(images["content"]), str(images["style"]), opts, WebOptions(preview_every=1),
                                  ws, stop, ["size", "iterations"]):
        updates.append(item)
        if isinstance(item, jobs.Progress) and len(updates) == 3:
            stop.set()
    progress, result = updates[:-1], updates[-1]
    assert len(progress) >= 3 and all(p.preview.is_file() for p in progress)
    assert "iteration 1/500" in progress[0].status and "style" in progress[0].status
    assert isinstance(result, jobs.Result) and result.status.startswith("stopped: 32x32")
    with Image.open(result.path) as im:
        meta = json.loads(im.text["nst"])
    assert meta["result"]["interrupted"] is True and meta["result"]["iterations"] < 500


def test_optimize_refuses_sizes_over_the_server_limit(images, tmp_path):
    with pytest.raises(NSTError, match="up to 64 px"):
        next(jobs.run_transfer(str(images["content"]), str(images["style"]), TransferOptions(size=128),
                               WebOptions(max_transfer_size=64), jobs.Workspace(tmp_path), threading.Event(), []))


@pytest.mark.slow  # importing Gradio takes seconds
def test_controls_build_the_options_back():
    controls = pytest.importorskip("nst.web.controls", reason="needs the extra nst[web] (gradio)")
    names = ["size", "style_weight", "iterations", "style_layers", "scales"]
    opts = controls.build_options(TransferOptions, names, [0, 20.0, 12.0, "relu1_1 relu2_1:3", ""])
    assert opts.size == 512 and opts.style_weight == 20 and opts.iterations == 12  # 0: an empty box
    assert opts.style_layers == {"relu1_1": 0.5, "relu2_1": 3.0}  # no weight: 1/count and opts.scales is None
    with pytest.raises(OptionError) as e:
        controls.build_options(FastOptions, ["strength"], [3])
    assert e.value.field == "strength"
    with pytest.raises(OptionError, match="expected numbers"):
        controls.build_options(TransferOptions, ["scales"], ["64 big"])


@pytest.mark.slow  # starts an interpreter
def test_the_web_command_does_not_import_gradio():
    import subprocess
    import sys

    code = ("import sys, nst.cli.web, nst.web.options; "
            "print(sorted(m for m in ('torch', 'gradio', 'numpy', 'PIL') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "gradio" not in out, out  # Gradio is imported by nst web's run() only


@pytest.mark.slow  # importing Gradio takes seconds
def test_the_page_sends_no_analytics_and_names_its_endpoints(tmp_path):
    pytest.importorskip("gradio", reason="needs the extra nst[web] (gradio)")
    from nst.web.app import build_app

    demo = build_app(WebOptions(), jobs.Workspace(tmp_path))
    assert demo.analytics_enabled is False and os.environ["GRADIO_ANALYTICS_ENABLED"] == "False"
    names = {fn.api_name for fn in demo.fns.values()}
    assert {"fast", "transfer", "apply", "stop"} <= names
