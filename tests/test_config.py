"""Options declared once (nst.config, nst.cli.options): generated --help, config files, reruns, field-named errors."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from conftest import run_main

import nst
from nst.arbitrary import FastOptions
from nst.cli import build_parser
from nst.cli.options import flag_of, options_from_args
from nst.config import option_fields, spec
from nst.errors import NSTError, OptionError
from nst.feedforward.network import NetConfig
from nst.feedforward.stylize import ApplyOptions
from nst.feedforward.train import TrainOptions
from nst.options import TransferOptions
from nst.reconstruct import ContentReconstruction, TextureSynthesis

CLASSES = [TransferOptions, TrainOptions, NetConfig, FastOptions, ContentReconstruction, TextureSynthesis,
           ApplyOptions]
CLI = Path(nst.__file__).parent / "cli"


def help_text(*command: str) -> str:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    p = sub.choices[command[0]]
    for name in command[1:]:
        p = next(a for a in p._actions if a.dest == "mode").choices[name]
    return p.format_help()


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_every_field_is_declared_with_help(cls):
    declared = {f.name for f in option_fields(cls)}
    assert declared == {f.name for f in dataclasses.fields(cls)}
    assert all(spec(f)["help"] for f in option_fields(cls))


def test_transfer_help_lists_every_option_once_in_words():
    text = help_text("transfer")
    flat = " ".join(text.split())
    for f in option_fields(TransferOptions):
        assert flag_of(f.name) in text, f.name
    assert "(default: None)" not in flat and "(default: [" not in flat and "['" not in flat
    assert "(default: 512, or the last of the scales)" in flat
    assert "(default: relu1_1:0.25 relu2_1:0.25 relu3_1:0.25 relu4_1:0.25)" in flat
    expert = text.index("expert options")
    assert text.index("\n  --tol ") > expert and text.index("\n  --max-memory") > expert
    assert text.index("\n  --size ") < expert


@pytest.mark.parametrize("command", [("train",), ("fast",), ("demo",), ("reconstruct", "content"),
                                     ("reconstruct", "style"), ("apply",)])
def test_other_helps_state_defaults_in_words(command):
    flat = " ".join(help_text(*command).split())
    assert "(default: None)" not in flat and "['" not in flat and "(default: [" not in flat


def test_no_cli_module_declares_a_dataclass_option_again():
    generated = {flag_of(f.name) for cls in CLASSES for f in option_fields(cls)}
    typed = set()
    for path in CLI.glob("*.py"):
        typed |= set(re.findall(r'(?:add_argument|arg)\(\s*"(--[\w-]+)"', path.read_text()))
    assert not typed & generated, typed & generated


def test_config_file_then_flags(tmp_path):
    cfg = tmp_path / "run.toml"
    cfg.write_text('size = 96\nstyle-weight = 20\nstyle_layers = ["relu1_1", "relu3_1:0.5"]\n'
                   "[transfer]\nseed = 4\n[train]\nsteps = 9\n")
    args = build_parser().parse_args(["transfer", "c.png", "s.png", "-o", "o.png", "--config", str(cfg),
                                      "--size", "64"])
    opts = options_from_args(args, TransferOptions)
    assert (opts.size, opts.style_weight, opts.seed) == (64, 20.0, 4)  # the flag wins over the file
    assert opts.style_layers == {"relu1_1": 0.5, "relu3_1": 0.5}
    args = build_parser().parse_args(["demo", "--config", str(cfg)])
    assert options_from_args(args, TransferOptions).size == 96  # the file wins over the demo's own 256


@pytest.mark.parametrize("text, message", [
    ("styel_weight = 3\n", "unknown option 'styel_weight' (did you mean style_weight?)"),
    ("size = [1, 2\n", "not a valid TOML file"),
    ("size = -4\n", "--size: must be > 0, got -4"),
    ("optimizer = 'sgd'\n", "--optimizer: 'sgd' is not one of lbfgs, adam"),
])
def test_bad_config_file_one_line_exit_2(tmp_path, text, message, capsys, astronaut, ihc):
    cfg = tmp_path / "bad.toml"
    cfg.write_text(text)
    code, _, err = run_main(["transfer", astronaut, ihc, "-o", tmp_path / "o.png", "--config", cfg], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1 and message in err, err
    assert not (tmp_path / "o.png").exists()


def test_config_and_rerun_reproduce_the_loss(tmp_path, capsys, astronaut, ihc):
    cfg = tmp_path / "run.toml"
    cfg.write_text('size = 40\niterations = 3\nmin_size = 40\ninit = "noise"\nseed = 5\nstyle_weight = 30\n')
    a, b, c = (tmp_path / n for n in ("a.png", "b.png", "c.png"))
    assert run_main(["transfer", astronaut, ihc, "--config", cfg, "-o", a, "-q"], capsys)[0] == 0
    assert run_main(["transfer", "--from", a, "-o", b, "-q"], capsys)[0] == 0
    ma, mb = nst.read_metadata(a), nst.read_metadata(b)
    assert mb["inputs"] == ma["inputs"] and mb["options"] == ma["options"]
    assert mb["result"]["loss"] == pytest.approx(ma["result"]["loss"], rel=1e-6)
    # Flags override the record.
    assert run_main(["transfer", "--from", a, "-o", c, "--style-weight", "5", "-q"], capsys)[0] == 0
    mc = nst.read_metadata(c)
    assert mc["options"]["style_weight"] == 5 and mc["options"]["seed"] == 5
    assert mc["result"]["loss"] < ma["result"]["loss"]


def test_rerun_needs_inputs(tmp_path, capsys):
    code, _, err = run_main(["transfer", "-o", tmp_path / "o.png"], capsys)
    assert code == 2 and "give CONTENT and STYLE" in err


def test_library_errors_name_the_field_not_the_flag(astronaut, ihc):
    with pytest.raises(OptionError, match=r"^style_weights: got 2 weights for 1 style image") as e:
        nst.stylize(astronaut, ihc, size=16, iterations=1, style_weights=[1, 2])
    assert e.value.field == "style_weights" and "--" not in str(e.value)
    with pytest.raises(OptionError, match=r"^style_wieght: unknown option \(did you mean style_weight\?\)"):
        TransferOptions.from_kwargs(style_wieght=1)
    with pytest.raises(OptionError, match="^tv_weight: must be >= 0, got -1"):
        TransferOptions(tv_weight=-1)
    with pytest.raises(OptionError, match="^size: must be an integer"):
        TrainOptions(size=2.5)
    with pytest.raises(OptionError, match="^shuffle: 3 is not one of 1, 2, 4"):
        NetConfig(shuffle=3)
    with pytest.raises(OptionError, match="^strength: must be between 0 and 1"):
        FastOptions(strength=2)
    with pytest.raises(NSTError, match="^content_layers: unknown layer 'relu9_2'"):
        TransferOptions(content_layers=["block9_conv2"])


def test_flags_of_fields():
    assert flag_of("style_weights") == "--style-weights"
    assert flag_of("masks") == "--mask" and flag_of("styles") == "STYLE" and flag_of("output") == "-o"


def test_config_values_of_the_wrong_type_are_one_line(tmp_path, capsys, astronaut, ihc):
    for text, message in [("init = 3\n", "--init: must be text, got 3"),
                          ("scales = 64\nsize = 64\n", ""),  # one number where a list goes is a list of one
                          ("style_weight = 'x'\n", "--style-weight: must be a finite number, got 'x'")]:
        cfg = tmp_path / "c.toml"
        cfg.write_text(text)
        args = ["transfer", astronaut, ihc, "-o", tmp_path / "o.png", "--config", cfg, "--iterations", "1", "-q"]
        code, _, err = run_main(args, capsys)
        if message:
            assert code == 2 and message in err, err
        else:
            assert code == 0 and nst.read_metadata(tmp_path / "o.png")["options"]["scales"] == [64], err
