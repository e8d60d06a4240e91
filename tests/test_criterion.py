"""nst.criterion: one criterion for both drivers (pixel optimization and feed-forward training)."""

from __future__ import annotations

import pytest
import torch

from nst.coarse_to_fine import prepare_images
from nst.criterion import Criterion, weigh
from nst.images import load_image
from nst.losses import STYLE_STATISTICS
from nst.transfer import StyleTransfer

LAYERS = {"relu1_1": 0.5, "relu2_1": 0.5}


@pytest.fixture(scope="module")
def pair(astronaut, ihc):
    content, (style,) = prepare_images(load_image(astronaut), [load_image(ihc)], 48)
    return content, style


def test_fixed_content_target_equals_per_call_target(pair):
    """The optimizer's fixed targets and training's per-image targets give the same losses."""
    content, style = pair
    crit = Criterion(content_layers={"relu2_1": 1.0}, style_layers=LAYERS, style_weight=3.0, tv_weight=2.0)
    crit.set_style([style])
    crit.set_content(content)
    x = torch.rand(content.shape, generator=torch.Generator().manual_seed(0))
    fixed, per_call = crit(x), crit(x, content=content)
    for k in ("content", "style", "tv", "total"):
        assert float(fixed[k]) == pytest.approx(float(per_call[k]), rel=1e-5), k
    assert float(fixed["total"]) == pytest.approx(float(fixed["content"] + fixed["style"] + fixed["tv"]), rel=1e-6)
    assert float(crit(content)["content"]) == 0.0


def test_style_transfer_losses_are_the_criterion_weighted(pair):
    content, style = pair
    st = StyleTransfer(content_layers={"relu2_1": 1.0}, style_layers=LAYERS)
    st.set_targets(content, [style])
    x = torch.rand(content.shape, generator=torch.Generator().manual_seed(1))
    terms = st.loss_terms(x, 2.0, 5.0, 0.5)
    raw = weigh(st.criterion.unweighted(x), 1.0, 1.0, 1.0)
    assert float(terms["style"]) == pytest.approx(5.0 * float(raw["style"]), rel=1e-6)
    assert float(terms["content"]) == pytest.approx(2.0 * float(raw["content"]), rel=1e-6)
    assert float(terms["tv"]) == pytest.approx(0.5 * float(raw["tv"]), rel=1e-6)


@pytest.mark.parametrize("statistic", list(STYLE_STATISTICS))
def test_every_statistic_on_a_batch_has_a_gradient(pair, statistic):
    """Training feeds batches: each statistic averages over the batch and is differentiable."""
    content, style = pair
    crit = Criterion(content_layers={"relu2_1": 1.0}, style_layers=LAYERS, style_loss=statistic)
    crit.set_style([style])
    photos = torch.rand(2, *content.shape[1:], generator=torch.Generator().manual_seed(2))
    out = photos.clone().requires_grad_(True)
    terms = crit(out, content=photos)
    terms["total"].backward()
    assert float(terms["content"].detach()) == 0.0 and float(terms["style"].detach()) > 0
    assert torch.isfinite(out.grad).all() and out.grad.abs().sum() > 0
    # The batch loss is the mean of the per-image style losses.
    singles = [float(crit(photos[i:i + 1], content=photos[i:i + 1])["style"]) for i in range(2)]
    assert float(terms["style"].detach()) == pytest.approx(sum(singles) / 2, rel=1e-4)


def test_content_energy_cap_scales_a_louder_photo_down_to_the_style(pair):
    """``cap_content_energy``: target = photo features x min(1, rms(style) / rms(photo)), in either call order."""
    from nst import losses as L

    content, style = pair
    flat = torch.full_like(style, 0.5)  # a style image with almost no feature energy: the photo is louder
    layer = {"relu2_1": 1.0}
    plain = Criterion(content_layers=layer, style_layers=LAYERS)
    plain.set_style([flat])
    plain.set_content(content)
    photo = plain.content_targets["relu2_1"]
    style_rms = L.rms(plain.features(flat, ["relu2_1"])["relu2_1"])
    expected = style_rms / L.rms(photo)
    assert expected < 0.5
    for first_content in (False, True):
        crit = Criterion(content_layers=layer, style_layers=LAYERS, cap_content_energy=True)
        steps = [lambda: crit.set_style([flat]), lambda: crit.set_content(content)]
        for step in (steps[::-1] if first_content else steps):
            step()
        assert crit.content_scales["relu2_1"] == pytest.approx(expected, rel=1e-4)
        assert torch.allclose(crit.content_targets["relu2_1"], photo * expected, rtol=1e-4, atol=1e-6)
        assert crit.content_normalizers["relu2_1"] == pytest.approx(L.inverse_energy(photo * expected, mean=True),
                                                                   rel=1e-4)
        # The photo itself is now (1 - s)^2 / s^2 away from its quieter target (relative squared error).
        assert float(crit(content)["content"]) == pytest.approx((1 - expected) ** 2 / expected**2, rel=1e-3)
    # A quieter photo (flat) against a busy style keeps its own features.
    crit = Criterion(content_layers=layer, style_layers=LAYERS, cap_content_energy=True)
    crit.set_style([content])
    crit.set_content(flat)
    assert crit.content_scales["relu2_1"] == 1.0
    assert plain.content_scales["relu2_1"] == 1.0


def test_deep_style_boost_raises_the_deepest_style_term_of_a_louder_photo(pair):
    """``boost_deep_style``: the deepest style layer's weight x (rms(photo) / rms(style))^2 there, in either
    call order; the other layers, the content term and a quieter photo are unchanged."""
    from nst import losses as L

    content, _ = pair
    dim = content * 0.7 + 0.15  # the photo at 70 % contrast: about 2x less energy at relu2_1, the deepest layer
    plain = Criterion(content_layers={"relu2_1": 1.0}, style_layers=LAYERS)
    rms = {n: L.rms(plain.features(im, ["relu2_1"])["relu2_1"]) for n, im in (("photo", content), ("style", dim))}
    expected = (rms["photo"] / rms["style"]) ** 2
    assert 1.5 < expected < L.MAX_STYLE_BOOST
    plain.set_style([dim])
    plain.set_content(content)
    deep = Criterion(content_layers={"relu2_1": 1.0}, style_layers={"relu2_1": 0.5})
    deep.set_style([dim])
    x = torch.rand(content.shape, generator=torch.Generator().manual_seed(3))
    for first_content in (False, True):
        crit = Criterion(content_layers={"relu2_1": 1.0}, style_layers=LAYERS, boost_deep_style=True)
        steps = [lambda: crit.set_style([dim]), lambda: crit.set_content(content)]
        for step in (steps[::-1] if first_content else steps):
            step()
        assert crit.style_boosts == {"relu2_1": pytest.approx(expected, rel=1e-4)}
        got, base = crit.unweighted(x), plain.unweighted(x)
        extra = (expected - 1) * float(deep.unweighted(x, content=content)["style"])
        assert float(got["style"]) == pytest.approx(float(base["style"]) + extra, rel=1e-4)
        assert float(got["content"]) == pytest.approx(float(base["content"]), rel=1e-6)
    # A quieter photo against a louder style image: no boost.
    crit = Criterion(content_layers={"relu2_1": 1.0}, style_layers=LAYERS, boost_deep_style=True)
    crit.set_style([content])
    crit.set_content(dim)
    assert crit.style_boosts == {"relu2_1": 1.0}


def test_masks_need_one_per_style(pair):
    content, style = pair
    crit = Criterion(style_layers=LAYERS)
    with pytest.raises(ValueError, match="^masks: got 2 mask"):
        crit.set_style([style], masks=[torch.ones(1, 1, 48, 48)] * 2)
