"""Feed-forward style networks: training lowers the loss, files round-trip, ONNX matches, apply and bad input."""

from __future__ import annotations

import json
import math
import shlex
import shutil
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import bundled, interrupt_nst, nst, run_main
from PIL import Image

import nst.feedforward.train as training
from nst.criterion import Criterion
from nst.device import cpu_has_native_bf16, training_amp_dtype
from nst.errors import NSTError, OptionError
from nst.feedforward.data import decode_photo
from nst.feedforward.export import export_onnx
from nst.feedforward.modelfile import (
    ModelInfo,
    describe_model,
    load_checkpoint,
    load_model,
    save_checkpoint,
    save_model,
)
from nst.feedforward.network import NetConfig, TransformerNet
from nst.feedforward.stylize import load_runner, stylize_image, stylize_tensor
from nst.feedforward.train import MAX_RECOVERIES, RECORD_DEFAULTS, TrainOptions, checkpoint_path, train
from nst.images import pil_to_tensor
from nst.metadata import read_metadata
from nst.transfer import StyleTransfer

PHOTOS = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "photos"
SMALL = NetConfig((8, 16), 1, "conv", 3, 2)  # tiny network for fast tests


@pytest.fixture(scope="module")
def photos(tmp_path_factory) -> Path:
    """Six photos: from ../shared/datasets/photos when present, else scikit-image's bundled ones."""
    d = tmp_path_factory.mktemp("photos")
    src = sorted(PHOTOS.glob("*.jpg"))[:6] if PHOTOS.is_dir() else []
    if not src:
        from conftest import bundled

        src = [bundled(n) for n in ("astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg")]
    (d / "sub").mkdir()
    for i, f in enumerate(src):
        Image.open(f).convert("RGB").resize((96, 80)).save((d / "sub" if i % 2 else d) / f"p{i}.png")
    return d


@pytest.fixture(scope="module")
def style(tmp_path_factory, ihc) -> Path:
    p = tmp_path_factory.mktemp("style") / "ihc.png"
    Image.open(ihc).convert("RGB").resize((64, 64)).save(p)
    return p


@pytest.fixture(scope="module")
def trained(tmp_path_factory, photos, style):
    """A tiny model trained for 40 steps at 64 px: (model path, TrainResult)."""
    out = tmp_path_factory.mktemp("model") / "m.safetensors"
    opts = TrainOptions(size=64, batch_size=2, steps=40, lr=1e-2, checkpoint_every=0)
    return out, train(style, photos, out, opts, SMALL)


@pytest.mark.slow
def test_training_lowers_the_loss(trained):
    out, result = trained
    h = [r["total"] for r in result.history]
    first, last = np.mean(h[:5]), np.mean(h[-5:])
    assert result.steps == 40 and not result.interrupted
    assert last < first / 1.5, (first, last)
    assert out.is_file() and checkpoint_path(out).is_file()


def test_model_file_round_trips_bit_exactly(tmp_path):
    torch.manual_seed(1)
    for cfg in (SMALL, NetConfig((8, 16, 32), 2, "separable", 5, 1, skips=False)):  # SMALL has skips (default)
        net = TransformerNet(cfg)
        info = ModelInfo(cfg, style="starry", steps=7, training={"size": 64, "lr": 0.001})
        save_model(tmp_path / "a.safetensors", net, info)
        net2, info2 = load_model(tmp_path / "a.safetensors")
        assert info2 == info
        for (k, v), (k2, v2) in zip(net.state_dict().items(), net2.state_dict().items()):
            assert k == k2 and torch.equal(v, v2)
    from safetensors import safe_open

    with safe_open(str(tmp_path / "a.safetensors"), "pt") as f:
        meta = json.loads(f.metadata()["nst"])
    assert meta["format"] == "nst-feedforward" and meta["version"] == 1 and meta["config"]["channels"] == [8, 16, 32]


def test_info_prints_a_models_training_record(tmp_path, capsys):
    info = ModelInfo(SMALL, style="starry", steps=1200, training={"size": 128, "lr": 0.001},
                     evaluation={"step": 1000, "style": 0.0812, "content": 1.25, "score": 2.06, "photo": "p/a.jpg"},
                     recoveries=[{"step": 707, "loss": "nan", "restored": 700, "lr": 0.0005}])
    save_model(tmp_path / "m.safetensors", TransformerNet(SMALL), info)
    code, out, err = run_main(["info", tmp_path / "m.safetensors"], capsys)
    assert code == 0, err
    assert "style:      starry" in out and "trained:    1200 steps" in out
    assert "held out:   step 1000, style 0.0812, content 1.25, score 2.06 (photo p/a.jpg)" in out
    assert "step 707 loss nan -> restored step 700, lr 0.0005" in out and "  size = 128" in out
    code, out, _ = run_main(["info", tmp_path / "m.safetensors", "--json"], capsys)
    assert code == 0 and json.loads(out)["evaluation"]["step"] == 1000
    (tmp_path / "bad.safetensors").write_bytes(b"not a model")
    code, _, err = run_main(["info", tmp_path / "bad.safetensors"], capsys)
    assert code == 2 and "bad.safetensors: not a readable safetensors file" in err and "Traceback" not in err


def test_checkpoint_round_trips_optimizer_state(tmp_path):
    net = TransformerNet(SMALL)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    net(torch.rand(1, 3, 16, 16)).mean().backward()
    opt.step()
    save_checkpoint(tmp_path / "c.safetensors", net, opt, ModelInfo(SMALL, steps=1))
    net2, state, info, _ = load_checkpoint(tmp_path / "c.safetensors")
    opt2 = torch.optim.Adam(net2.parameters(), lr=1e-3)
    opt2.load_state_dict(state)
    assert info.steps == 1
    a, b = opt.state_dict(), opt2.state_dict()
    for i in a["state"]:
        for k in a["state"][i]:
            assert torch.equal(torch.as_tensor(a["state"][i][k]), torch.as_tensor(b["state"][i][k]))


def test_resume_continues_step_count(tmp_path, photos, style):
    out = tmp_path / "r.safetensors"
    # eval_every=0: the model file holds the latest weights (with a held-out score it holds the best-scoring ones)
    opts = TrainOptions(size=32, batch_size=1, steps=3, checkpoint_every=0, eval_every=0)
    train(style, photos, out, opts, SMALL)
    opts.steps = 5
    result = train(style, photos, out, opts, resume=True)
    assert result.steps == 5 and len(result.history) == 2
    assert load_model(out)[1].steps == 5


@pytest.mark.slow
def test_onnx_matches_pytorch(tmp_path, trained):
    model, _ = trained
    r = nst("export", model, "-o", tmp_path / "m.onnx")
    assert r.returncode == 0, r.stderr
    net, factor = load_runner(model)
    runner, f2 = load_runner(tmp_path / "m.onnx", threads=1)
    assert factor == f2
    x = torch.rand(1, 3, 45, 70)
    a, b = stylize_tensor(net, x, factor), stylize_tensor(runner, x, f2)
    assert a.shape == b.shape == x.shape
    assert (a - b).abs().mean() < 1 / 255


def test_skips_network_exports_to_onnx_and_old_configs_load_without_skips(tmp_path):
    torch.manual_seed(2)
    cfg = NetConfig((8, 16, 32), 1, "conv", 3, 2, skips=True)
    net = TransformerNet(cfg).eval()
    export_onnx(net, ModelInfo(cfg), tmp_path / "s.onnx")
    runner, factor = load_runner(tmp_path / "s.onnx", threads=1)
    assert factor == 8 and runner.config == cfg
    x = torch.rand(1, 3, 40, 56)
    assert (stylize_tensor(net, x, factor) - stylize_tensor(runner, x, factor)).abs().mean() < 1 / 255
    old = {k: v for k, v in NetConfig().to_dict().items() if k != "skips"}  # a model file from before the field
    assert NetConfig.from_dict(old) == NetConfig(skips=False)
    with pytest.raises(NSTError, match="skips must be true or false"):
        NetConfig.from_dict({**old, "skips": "yes"})


def test_bilinear_network_exports_to_onnx_and_old_files_load_with_nearest_upsampling(tmp_path):
    torch.manual_seed(4)
    cfg = NetConfig((8, 16, 32), 1, "conv", 3, 2, identity=False, upsample="bilinear")
    net = TransformerNet(cfg).eval()
    export_onnx(net, ModelInfo(cfg), tmp_path / "b.onnx")
    runner, factor = load_runner(tmp_path / "b.onnx", threads=1)
    assert runner.config == cfg and "bilinear upsampling" in describe_model(ModelInfo(cfg))
    x = torch.rand(1, 3, 40, 56)
    assert (stylize_tensor(net, x, factor) - stylize_tensor(runner, x, factor)).abs().mean() < 1 / 255
    nearest = TransformerNet(NetConfig((8, 16, 32), 1, "conv", 3, 2, identity=False))
    nearest.load_state_dict(net.state_dict())  # same weights, other resize: a different function
    assert (nearest.eval()(x) - net(x)).abs().mean() > 1e-3
    old = {k: v for k, v in NetConfig().to_dict().items() if k != "upsample"}
    assert NetConfig.from_dict(old).upsample == "nearest"
    with pytest.raises(NSTError, match="upsample"):
        NetConfig.from_dict({**old, "upsample": "bicubic"})


def test_noise_input_is_fixed_in_eval_fresh_in_training_and_exports_to_onnx(tmp_path):
    torch.manual_seed(5)
    cfg = NetConfig((8, 16, 32), 1, "conv", 3, 2, noise=True)
    net = TransformerNet(cfg)
    for p in net.output.parameters():  # the identity start ignores its inputs; give the network a say
        torch.nn.init.normal_(p, std=0.1)
    x = torch.rand(2, 3, 40, 280)  # wider than the noise tile: it repeats
    z = net.eval().noise(x)
    assert z.shape == (2, 1, 40, 280) and torch.equal(z[0], z[1])
    assert torch.equal(z[..., 256:], z[..., :24]) and 0.9 < float(z.std()) < 1.1
    assert torch.equal(net(x), net(x))  # applying a model is deterministic
    flat = torch.full((1, 3, 40, 56), 0.5)  # no photo detail: the output's detail comes from the noise
    assert float(net(flat).detach().std()) > 1e-3
    net.train()
    assert not torch.equal(net(x), net(x))  # fresh noise at every training step
    net.eval()
    save_model(tmp_path / "n.safetensors", net, ModelInfo(cfg))
    loaded, info = load_model(tmp_path / "n.safetensors")
    assert info.config.noise and torch.equal(loaded(x), net(x)) and "a noise input" in describe_model(info)
    export_onnx(loaded, info, tmp_path / "n.onnx")
    runner, factor = load_runner(tmp_path / "n.onnx", threads=1)
    assert (stylize_tensor(net, x, factor) - stylize_tensor(runner, x, factor)).abs().max() < 1e-4
    old = {k: v for k, v in NetConfig().to_dict().items() if k != "noise"}  # a model file from before the field
    assert NetConfig.from_dict(old) == NetConfig(noise=False)
    assert "noise_tile" not in TransformerNet(NetConfig(noise=False)).state_dict()
    assert NetConfig().noise  # the training recipe's default


def test_untrained_identity_network_returns_the_photos_luminance_and_old_files_load_without_it():
    torch.manual_seed(3)
    x = torch.rand(2, 3, 32, 48)
    grey = (0.299 * x[:, 0] + 0.587 * x[:, 1] + 0.114 * x[:, 2]).unsqueeze(1).expand_as(x)
    for cfg in (SMALL, NetConfig()):
        assert cfg.identity
        assert torch.allclose(TransformerNet(cfg).eval()(x), grey, atol=1e-6)  # Y(x) + 0
    plain = TransformerNet(NetConfig(identity=False)).eval()
    assert (plain(x) - x).abs().mean() > 0.05  # a network without it starts far from the photo
    old = {k: v for k, v in NetConfig().to_dict().items() if k != "identity"}
    assert NetConfig.from_dict(old) == NetConfig(identity=False)
    with pytest.raises(NSTError, match="identity must be true or false"):
        NetConfig.from_dict({**old, "identity": 1})


def test_learning_rate_warms_up_linearly_then_decays_on_a_cosine():
    lr = training.learning_rate
    assert [lr(s, 1000, 1.0, "cosine", 100) for s in (0, 49, 99)] == pytest.approx([1 / 101, 50 / 101, 100 / 101])
    assert lr(100, 1000, 1.0, "cosine", 100) == 1.0
    assert lr(550, 1000, 1.0, "cosine", 100) == pytest.approx(0.5)  # half way through the decay
    assert lr(999, 1000, 1.0, "cosine", 100) == pytest.approx(0.0, abs=1e-4)
    assert lr(550, 1000, 2.0, "constant", 100) == 2.0
    # The warm-up is at most a fifth of the run: here 8 steps.
    assert [lr(s, 40, 1.0, "constant", 100) for s in (3, 8)] == pytest.approx([4 / 9, 1.0])


def test_odd_sizes_come_back_at_the_same_size(trained):
    net, factor = load_runner(trained[0])
    for w, h in ((37, 53), (1, 1), (5, 130)):
        img = Image.fromarray(np.random.default_rng(0).integers(0, 255, (h, w, 3), dtype=np.uint8))
        assert stylize_image(net, factor, img).size == (w, h)


@pytest.mark.slow
def test_apply_folder_one_output_per_readable_input(tmp_path, trained, photos):
    src, out = tmp_path / "in", tmp_path / "out"
    shutil.copytree(photos, src)
    (src / "broken.jpg").write_text("not an image")
    r = nst("apply", trained[0], src, "-o", out, "-q")
    assert r.returncode == 1, r.stderr  # the readable ones are done; the exit status says one failed
    readable = sorted(p.relative_to(src) for p in src.rglob("p*.png"))
    assert sorted(p.relative_to(out) for p in out.rglob("*.png")) == readable  # out/sub/p1.png for in/sub/p1.png
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 2 and "broken.jpg: not a recognised image file" in lines[0], r.stderr
    assert f"done {len(readable)}, failed 1, skipped 0" in lines[1]
    for rel in readable:
        with Image.open(out / rel) as im, Image.open(src / rel) as orig:
            assert im.size == orig.size


@pytest.mark.slow
def test_apply_single_file_with_onnx_and_size(tmp_path, trained, photos):
    assert nst("export", trained[0], "-o", tmp_path / "m.onnx").returncode == 0
    r = nst("apply", tmp_path / "m.onnx", photos / "p0.png", "-o", tmp_path / "o.jpg", "--size", "50")
    assert r.returncode == 0, r.stderr
    with Image.open(tmp_path / "o.jpg") as im:
        assert im.format == "JPEG" and im.size == (50, 42)


@pytest.mark.slow
def test_train_warns_once_about_unreadable_photos(tmp_path, photos, style):
    data = tmp_path / "data"
    shutil.copytree(photos, data)
    (data / "bad1.jpg").write_text("x")
    (data / "sub" / "bad2.png").write_bytes(b"")
    r = nst("train", style, "--data", data, "-o", tmp_path / "m.safetensors", "--size", "32", "--steps", "2",
            "--batch-size", "1", "--channels", "8", "16", "--residual-blocks", "1", "-q")
    assert r.returncode == 0, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "skipped 2 unreadable" in lines[0], r.stderr
    assert load_model(tmp_path / "m.safetensors")[1].steps == 2


def _bad_files(d: Path, trained_model: Path) -> dict[str, Path]:
    (d / "empty").mkdir()
    (d / "junk").mkdir()
    (d / "junk" / "a.jpg").write_text("no")
    (d / "junk" / "b.png").write_bytes(b"")
    (d / "one").mkdir()
    Image.new("RGB", (40, 40), (20, 90, 200)).save(d / "one" / "a.png")
    (d / "photos").mkdir()  # b.jpg's output would be b.png, another input
    for name in ("b.jpg", "b.png"):
        Image.new("RGB", (16, 16), (200, 50, 50)).save(d / "photos" / name)
    (d / "corrupt.safetensors").write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00{}garbage")
    (d / "text.safetensors").write_text("hello")
    # Right format, wrong architecture: a bigger network's tensors under the small config's metadata.
    net = TransformerNet(NetConfig((8, 16, 32), 1, "conv", 3, 2))
    save_model(d / "wrongarch.safetensors", net, ModelInfo(SMALL))
    import onnx
    from onnx import TensorProto, helper

    g = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "g",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 10])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 10])])
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)], ir_version=8), d / "other.onnx")
    return {"d": d}


BAD = {
    "corrupt model": (["apply", "{d}/corrupt.safetensors", "{photo}", "-o", "{d}/out.png"],
                      "not a readable safetensors"),
    "text model": (["apply", "{d}/text.safetensors", "{photo}", "-o", "{d}/out.png"], "not a readable safetensors"),
    "wrong architecture": (["apply", "{d}/wrongarch.safetensors", "{photo}", "-o", "{d}/out.png"],
                           "do not match the architecture"),
    "foreign onnx": (["apply", "{d}/other.onnx", "{photo}", "-o", "{d}/out.png"], "expected one float (N, 3, H, W)"),
    "export corrupt": (["export", "{d}/corrupt.safetensors", "-o", "{d}/out.onnx"], "not a readable safetensors"),
    "export bad name": (["export", "{model}", "-o", "{d}/out.txt"], "must end in .onnx"),
    "apply missing input": (["apply", "{model}", "{d}/nope.png", "-o", "{d}/out.png"], "no such file or folder"),
    "apply output folder missing": (["apply", "{model}", "{photo}", "{photo}", "-o", "{d}/no/dir"], "does not exist"),
    "apply into its input folder": (["apply", "{model}", "{d}/photos", "-o", "{d}/photos"],
                                    "output would overwrite the input file"),
    "train empty data": (["train", "{style}", "--data", "{d}/empty", "-o", "{d}/m.safetensors"], "no image files"),
    "train unreadable data": (["train", "{style}", "--data", "{d}/junk", "-o", "{d}/m.safetensors"],
                              "none of the 2 image files could be read"),
    "train resume without checkpoint": (["train", "{style}", "--data", "{photos}", "-o", "{d}/m.safetensors",
                                         "--resume"], "--resume: no checkpoint"),
    "train bad output name": (["train", "{style}", "--data", "{photos}", "-o", "{d}/m.pt"], "must end in .safetensors"),
    "train missing output folder": (["train", "{style}", "--data", "{photos}", "-o", "{d}/no/m.safetensors"],
                                    "does not exist"),
    "train bad style": (["train", "{d}/junk/a.jpg", "--data", "{photos}", "-o", "{d}/m.safetensors"],
                        "not a recognised image file"),
    "train one photo, none to hold out": (["train", "{style}", "--data", "{d}/one", "-o", "{d}/m.safetensors"],
                                          "--eval-photo: {d}/one has only one readable photo"),
    "train unreadable eval photo": (["train", "{style}", "--data", "{photos}", "-o", "{d}/m.safetensors",
                                     "--eval-photo", "{d}/junk/a.jpg"], "--eval-photo: "),
    "train held-out folder unreadable": (["train", "{style}", "--data", "{photos}", "-o", "{d}/m.safetensors",
                                          "--eval-photo", "{d}/junk"], "--eval-photo: "),
    "train held-out folder empty": (["train", "{style}", "--data", "{photos}", "-o", "{d}/m.safetensors",
                                     "--eval-photo", "{d}/empty"], "--eval-photo: {d}/empty: no image files"),
    "train held-out folder is all the data": (["train", "{style}", "--data", "{d}/photos", "-o", "{d}/m.safetensors",
                                               "--eval-photo", "{d}/photos"],
                                              "--eval-photo: {d}/photos holds every photo under the data folder"),
    "train zero steps": (["train", "{style}", "--data", "{photos}", "-o", "{d}/m.safetensors", "--steps", "0"],
                         "--steps: must be > 0"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_one_line_exit_2_nothing_written(tmp_path, trained, photos, style, case, capsys):
    _bad_files(tmp_path, trained[0])
    argv, message = BAD[case]
    fmt = {"d": tmp_path, "model": trained[0], "photo": photos / "p0.png", "photos": photos, "style": style}
    before = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*")}
    code, _, err = run_main([a.format(**fmt) for a in argv], capsys)
    assert code == 2, (code, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and message.format(**fmt) in lines[0], err
    after = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*")}
    assert after == before  # nothing written, nothing changed


@pytest.mark.slow
def test_ctrl_c_leaves_usable_model_and_checkpoint(tmp_path, photos, style):
    out = tmp_path / "m.safetensors"
    code, err = interrupt_nst(
        ["train", style, "--data", photos, "-o", out, "--size", "32", "--batch-size", "1",
         "--steps", "100000", "--checkpoint-every", "1", "--channels", "8", "16", "--residual-blocks", "1"],
        ready=checkpoint_path(out).is_file, stderr=tmp_path / "stderr.txt", timeout=300)
    assert code == 130, err
    assert "Traceback" not in err and "continue with --resume" in err
    steps = load_model(out)[1].steps
    assert steps >= 1 and load_checkpoint(checkpoint_path(out))[2].steps == steps


@pytest.mark.parametrize("statistic", ["wasserstein", "mean-cov"])
def test_train_takes_every_style_statistic(tmp_path, photos, style, statistic, capsys):
    out = tmp_path / "m.safetensors"
    code, _, err = run_main(["train", style, "--data", photos, "-o", out, "--size", "32", "--batch-size", "2",
                             "--steps", "3", "--style-loss", statistic, "--channels", "8", "16",
                             "--residual-blocks", "1", "--outer-kernel", "3", "-q"], capsys)
    assert code == 0, err
    net, info = load_model(out)
    assert info.training["style_loss"] == statistic and info.steps == 3
    assert info.config == NetConfig((8, 16), 1, "conv", 3, 2)


def test_apply_outputs_record_how_they_were_made(trained, photos, tmp_path, capsys):
    out = tmp_path / "o.jpg"
    code, _, err = run_main(["apply", trained[0], photos / "p0.png", "-o", out, "--size", "40", "-q"], capsys)
    assert code == 0, err
    meta = read_metadata(out)
    assert meta["command"] == "apply" and meta["inputs"] == {"model": str(trained[0]), "input": str(photos / "p0.png")}
    assert meta["options"]["size"] == 40 and meta["result"]["width"] == 40


def _tiny_opts(**kw) -> TrainOptions:
    return TrainOptions(**{"size": 32, "batch_size": 1, "checkpoint_every": 0, **kw})


def test_held_out_photo_is_scored_every_n_steps_and_never_trained_on(tmp_path, photos, style, monkeypatch, capsys):
    batches_from = []
    real_batch = training.random_batch

    def spy(images, *args):
        batches_from.append(list(images))
        return real_batch(images, *args)

    monkeypatch.setattr(training, "random_batch", spy)
    lines = []
    out = tmp_path / "m.safetensors"
    result = train(style, photos, out, _tiny_opts(steps=3, eval_every=2), SMALL,
                   log=lambda kind, line: lines.append((kind, line)))
    assert result.held_out == photos / "p0.png"  # the first photo in sorted order
    assert [e["step"] for e in result.evaluations] == [2, 3]  # every 2 steps and at the last
    for e in result.evaluations:
        assert all(math.isfinite(e[k]) and e[k] > 0 for k in ("style", "content", "score")), e
        assert e["score"] == pytest.approx(1.0 * e["content"] + 5.0 * e["style"])  # the default weights
    assert [k for k, _ in lines] == ["eval"] * 2
    assert all("held-out p0.png: style " in line and ", content " in line for _, line in lines), lines
    held = decode_photo(result.held_out, 32)
    n_photos = len(list(photos.rglob("*.png")))
    assert len(batches_from) == 3 and all(len(imgs) == n_photos - 1 for imgs in batches_from)
    assert not any(torch.equal(img, held) for img in batches_from[0] if img.shape == held.shape)

    # An explicit held-out photo under --data is left out too; the CLI prints its scores and the model's step.
    batches_from.clear()
    chosen = photos / "sub" / "p1.png"
    code, _, err = run_main(["train", style, "--data", photos, "-o", tmp_path / "c.safetensors", "--size", "32",
                             "--batch-size", "1", "--steps", "2", "--eval-every", "1", "--eval-photo", chosen,
                             "--channels", "8", "16", "--residual-blocks", "1", "--outer-kernel", "3"], capsys)
    assert code == 0, err
    assert "step 1: held-out p1.png: style " in err and "step 2: held-out p1.png: style " in err, err
    assert "c.safetensors holds step " in err and "best held-out score" in err, err
    held = decode_photo(chosen, 32)
    assert len(batches_from[0]) == n_photos - 1
    assert not any(torch.equal(img, held) for img in batches_from[0] if img.shape == held.shape)
    assert load_model(tmp_path / "c.safetensors")[1].evaluation["photo"] == str(chosen)


def test_a_held_out_folder_is_scored_by_the_mean_of_its_photos_and_never_trained_on(tmp_path, photos, style,
                                                                                     monkeypatch):
    batches_from, calls, lines = [], [], []
    real_batch, real_score = training.random_batch, training.held_out_score

    def spy(images, *args):
        batches_from.append(list(images))
        return real_batch(images, *args)

    def scored(net, criterion, photo):
        calls.append(real_score(net, criterion, photo))
        return calls[-1]

    monkeypatch.setattr(training, "random_batch", spy)
    monkeypatch.setattr(training, "held_out_score", scored)
    out, folder = tmp_path / "m.safetensors", photos / "sub"
    result = train(style, photos, out, _tiny_opts(steps=2, eval_every=2, eval_photo=str(folder)), SMALL,
                   log=lambda kind, line: lines.append(line))
    held = sorted(folder.glob("*.png"))
    assert len(held) >= 2 and len(calls) == len(held)  # one evaluation (step 2), every photo of the folder once
    assert len({c["content"] for c in calls}) == len(held)  # each photo scored on its own
    (e,) = result.evaluations
    for k in ("style", "content", "score"):
        assert e[k] == pytest.approx(sum(c[k] for c in calls) / len(calls)), k
    n_photos = len(list(photos.rglob("*.png")))
    assert len(batches_from) == 2 and all(len(imgs) == n_photos - len(held) for imgs in batches_from)
    for f in held:
        image = decode_photo(f, 32)
        assert not any(torch.equal(img, image) for img in batches_from[0] if img.shape == image.shape)
    assert lines == [line for line in lines if f"held-out sub/ ({len(held)} photos, mean): style " in line] != []
    assert result.held_out == folder and load_model(out)[1].evaluation["photo"] == str(folder)


def test_model_file_holds_the_best_scoring_state_and_the_checkpoint_the_latest(tmp_path, photos, style,
                                                                               monkeypatch):
    real_score = training.held_out_score
    scores = [5.0, 1.0, 3.0, 2.0, 4.0, 4.5]  # by call: step 2 is the best, later ones worse (4.5: the --ema resume)
    states = []

    def scored(net, criterion, photo):
        s = real_score(net, criterion, photo)
        states.append({k: v.clone() for k, v in net.state_dict().items()})
        return {**s, "score": scores[len(states) - 1]}

    monkeypatch.setattr(training, "held_out_score", scored)
    out = tmp_path / "m.safetensors"
    opts = _tiny_opts(steps=4, eval_every=1, checkpoint_every=3)
    result = train(style, photos, out, opts, SMALL)
    assert [e["step"] for e in result.evaluations] == [1, 2, 3, 4]
    assert result.best == result.evaluations[1] and result.best["step"] == 2
    net, info = load_model(out)
    assert info.steps == 2 and info.evaluation == result.evaluations[1]
    assert info.evaluation["style"] > 0 and info.evaluation["content"] > 0
    for k, v in net.state_dict().items():
        assert torch.equal(v, states[1][k]), k
    assert not all(torch.equal(v, states[3][k]) for k, v in net.state_dict().items())
    ckpt_net, _, ckpt_info, _ = load_checkpoint(checkpoint_path(out))
    assert ckpt_info.steps == 4 and ckpt_info.evaluation == info.evaluation
    for k, v in ckpt_net.state_dict().items():
        assert torch.equal(v, states[3][k]), k  # the latest weights (scored at step 4)

    # --resume continues from the latest state and keeps the recorded best (same photo, same loss options).
    opts.steps = 5
    resumed = train(style, photos, out, opts, resume=True)
    assert resumed.steps == 5 and len(resumed.history) == 1 and resumed.evaluations[-1]["score"] == 4.0
    assert load_model(out)[1].steps == 2 and load_checkpoint(checkpoint_path(out))[2].steps == 5
    # With weight averaging the score is the average's: a new score, so the worse 4.5 is the new best.
    opts.steps, opts.ema = 6, 0.5
    train(style, photos, out, opts, resume=True)
    assert load_model(out)[1].evaluation["score"] == 4.5 and load_model(out)[1].steps == 6


def test_ema_model_file_holds_the_moving_average_and_a_resumed_run_continues_it(tmp_path, photos, style):
    out = tmp_path / "m.safetensors"
    opts = _tiny_opts(steps=1, eval_every=0, ema=0.25)
    train(style, photos, out, opts, SMALL)
    w1 = load_checkpoint(checkpoint_path(out))[0].state_dict()
    assert all(torch.equal(v, w1[k]) for k, v in load_model(out)[0].state_dict().items())  # first: a copy
    opts.steps = 2
    train(style, photos, out, opts, resume=True)
    w2 = load_checkpoint(checkpoint_path(out))[0].state_dict()
    averaged = load_model(out)[0].state_dict()
    moved = 0
    for k, v in averaged.items():  # decay 0.25: a quarter of the old average, three quarters of the new weights
        assert torch.allclose(v, 0.25 * w1[k] + 0.75 * w2[k], atol=1e-6), k
        moved += not torch.equal(w1[k], w2[k])
    assert moved > 0
    assert int(load_checkpoint(checkpoint_path(out)).average["n_averaged"]) == 2
    with pytest.raises(OptionError, match="ema"):
        TrainOptions(ema=1.0)


def _nan_from(monkeypatch, first: int, last: float = math.inf) -> list[float]:
    """Make training losses (Criterion.forward) NaN on calls first..last (1-based); returns every call's total."""
    real = Criterion.forward
    totals: list[float] = []

    def forward(self, image, content=None):
        terms = real(self, image, content)
        totals.append(float(terms["total"].detach()))
        if first <= len(totals) <= last:
            terms = {k: v * float("nan") for k, v in terms.items()}
        return terms

    monkeypatch.setattr(Criterion, "forward", forward)
    return totals


def test_nan_loss_restores_the_last_good_state_at_half_the_learning_rate(tmp_path, photos, style, monkeypatch):
    totals = _nan_from(monkeypatch, 3, 3)  # the loss of step 3 is NaN once
    lines = []
    out = tmp_path / "m.safetensors"
    opts = _tiny_opts(steps=4, eval_every=0, lr_schedule="constant", warmup=0)
    result = train(style, photos, out, opts, SMALL, log=lambda kind, line: lines.append((kind, line)))
    assert result.steps == 4 and len(result.history) == 4 and len(totals) == 3 + 4
    assert totals[3] == totals[0]  # back at step 0's weights (same batch): the first state copy
    assert lines == [("recovery", "step 3: loss blew up (nan); restored step 0, learning rate now 0.0005")]
    expected = [{"step": 3, "loss": "nan", "restored": 0, "lr": opts.lr / 2}]
    assert result.recoveries == expected
    net, info = load_model(out)
    assert info.recoveries == expected and info.steps == 4
    assert all(torch.isfinite(v).all() for v in net.state_dict().values())
    _, optim_state, _, _ = load_checkpoint(checkpoint_path(out))
    assert optim_state["param_groups"][0]["lr"] == opts.lr / 2


def test_a_blow_up_restores_the_weight_average_with_the_weights(tmp_path, photos, style, monkeypatch):
    _nan_from(monkeypatch, 3, 3)  # steps 1 and 2 update the average, step 3 blows up and goes back to step 0
    out = tmp_path / "m.safetensors"
    train(style, photos, out, _tiny_opts(steps=4, eval_every=0, lr_schedule="constant", warmup=0, ema=0.5), SMALL)
    average = load_checkpoint(checkpoint_path(out)).average
    assert int(average["n_averaged"]) == 4  # the re-run steps 1..4 only; 6 if the average kept steps 1 and 2
    assert all(torch.isfinite(v).all() for v in load_model(out)[0].state_dict().values())


def test_loss_that_stays_nan_gives_up_after_the_recovery_limit(tmp_path, photos, style, monkeypatch):
    _nan_from(monkeypatch, 2)
    lines = []
    with pytest.raises(OptionError, match="training diverged at step 1 .* after 5 recoveries in a row") as e:
        train(style, photos, tmp_path / "m.safetensors",
              _tiny_opts(steps=4, eval_every=0, lr_schedule="constant", warmup=0), SMALL,
              log=lambda kind, line: lines.append(line))
    assert e.value.field == "lr"
    assert len(lines) == MAX_RECOVERIES == 5
    assert lines[0] == "step 2: loss blew up (nan); restored step 0, learning rate now 0.0005"
    assert lines[-1].endswith(f"restored step 0, learning rate now {1e-3 / 2 ** 5:.3g}")


def test_each_shipped_models_command_rebuilds_the_options_its_file_records():
    """models.toml's ``command``, parsed by today's ``nst train``, gives the options the model was trained with.

    A default changed after a model was trained must be spelled out in its command, or the command no longer
    reproduces the model. Records from before ``amp`` existed were trained in float32, and before ``ema``
    without weight averaging.
    """
    from nst.catalogue import models
    from nst.cli import build_parser
    from nst.cli.options import options_from_args
    for m in models().values():
        args = build_parser("train").parse_args(shlex.split(m.command)[1:])
        opts, config = options_from_args(args, [TrainOptions, NetConfig])
        info = load_model(m.name)[1]
        assert config == info.config, m.name
        wanted = {**RECORD_DEFAULTS, **info.training}
        got = {k: v for k, v in asdict(opts).items() if k != "device"}
        assert got == wanted, (m.name, {k: (got.get(k), wanted.get(k)) for k in got | wanted
                                        if got.get(k) != wanted.get(k)})


def test_shipped_models_apply_by_name_keep_the_subject_and_carry_their_record(tmp_path, capsys):
    from nst.catalogue import models, paintings

    shipped = models()
    assert "starry-night" in shipped
    for m in shipped.values():
        assert m.painting in paintings() and m.path.stat().st_size < 5_000_000
        assert m.command.startswith(f"nst train {m.painting} ") and m.data and m.scores
        info = load_model(m.name)[1]
        assert info.style == m.painting and info.steps == m.steps and info.evaluation
        assert "/" not in info.training["eval_photo"] + info.evaluation["photo"]  # no machine paths ship
    photo = tmp_path / "chelsea.png"
    Image.open(bundled("chelsea.png")).convert("RGB").resize((192, 128)).save(photo)
    code, out, err = run_main(["apply", "starry-night", str(photo), "-o", str(tmp_path / "o.png")], capsys)
    assert code == 0, err
    out = Image.open(tmp_path / "o.png").convert("RGB")
    assert out.size == (192, 128)
    assert np.abs(np.asarray(out, dtype=float) - np.asarray(Image.open(photo), dtype=float)).mean() > 20  # painted
    # The subject is kept: in the content features (relu4_2) the cat's output is much nearer the cat than the
    # model's output for another photo is (1.17 against 2.18 when written).
    astronaut = Image.open(bundled("astronaut.png")).convert("RGB").resize((192, 128))
    runner, factor = load_runner("starry-night")
    st = StyleTransfer()
    st.set_targets(pil_to_tensor(Image.open(photo)), [pil_to_tensor(out)])
    distance = {name: float(st.loss_terms(pil_to_tensor(o), 1.0, 0.0, 0.0)["content"])
                for name, o in (("cat", out), ("astronaut", stylize_image(runner, factor, astronaut)))}
    assert distance["cat"] < 0.75 * distance["astronaut"], distance
    code, out, _ = run_main(["info", "starry-night"], capsys)
    assert code == 0 and f"trained:    {shipped['starry-night'].steps} steps" in out
    assert f"held-out scores: {shipped['starry-night'].scores}" in out
    code, _, err = run_main(["apply", "starry-nite", str(photo), "-o", str(tmp_path / "p.png")], capsys)
    assert code == 2 and "starry-nite: no such file (nor a shipped model: see nst styles)" in err
    assert not (tmp_path / "p.png").exists()


def test_training_precision_is_printed_recorded_and_no_amp_gives_float32(tmp_path, photos, style, capsys):
    small = ["--size", "32", "--batch-size", "2", "--steps", "2", "--channels", "8", "16",
             "--residual-blocks", "1", "--outer-kernel", "3", "--eval-every", "0"]
    expected = {True: "bfloat16 autocast" if cpu_has_native_bf16() else "float32", False: "float32"}
    for amp, flag in ((True, []), (False, ["--no-amp"])):
        out = tmp_path / f"m{amp}.safetensors"
        code, _, err = run_main(["train", style, "--data", photos, "-o", out, *small, *flag], capsys)
        assert code == 0, err
        assert f"training on cpu, {expected[amp]}\n" in err
        assert load_model(out)[1].training["amp"] is amp


@pytest.mark.skipif(not cpu_has_native_bf16(), reason="this CPU has no native bfloat16")
def test_bfloat16_loss_network_gives_float32s_losses_and_gradients(photos, style):
    """What makes bfloat16 autocast safe for training: the losses and the network's gradient barely move."""
    torch.manual_seed(0)
    crit = Criterion(content_layers={"relu4_2": 1.0}, style_weight=5.0)
    crit.set_style([pil_to_tensor(Image.open(style).convert("RGB"))])
    net = TransformerNet(SMALL).eval()  # eval: the same input, no dropout or fresh noise, for both passes
    with torch.no_grad():
        for p in net.parameters():
            p.add_(0.05 * torch.randn_like(p))  # away from the identity start, so every layer has a gradient
    photo = torch.stack([pil_to_tensor(Image.open(f).convert("RGB").resize((64, 64)))[0]
                         for f in sorted(photos.rglob("*.png"))[:2]])
    runs = {}
    for amp in (None, training_amp_dtype(torch.device("cpu"))):
        crit.amp = amp
        net.zero_grad()
        terms = crit.unweighted(net(photo), content=photo)
        (terms["content"] + 5 * terms["style"]).backward()
        runs[amp] = ({k: float(terms[k].detach()) for k in ("content", "style")},
                     torch.cat([p.grad.flatten() for p in net.parameters()]))
    (f32, g32), (b16, g16) = runs[None], runs[torch.bfloat16]
    for k in f32:
        assert b16[k] == pytest.approx(f32[k], rel=0.02), k
    assert torch.nn.functional.cosine_similarity(g32, g16, dim=0) > 0.99
    assert float(g16.norm() / g32.norm()) == pytest.approx(1.0, abs=0.05)
