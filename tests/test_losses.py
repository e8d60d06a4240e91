import pytest
import torch

from nst import losses as L


def test_gram_matrix_by_hand():
    # Two channels over a 2x2 map: a = [1, 2, 3, 4], b = [0, 1, 0, 1].
    f = torch.tensor([[[[1.0, 2.0], [3.0, 4.0]], [[0.0, 1.0], [0.0, 1.0]]]])
    g = L.gram_matrix(f)
    n = 2 * 2 * 2  # C * H * W
    expected = torch.tensor([[[30.0, 6.0], [6.0, 2.0]]]) / n
    assert g.shape == (1, 2, 2)
    assert torch.allclose(g, expected)


def test_gram_matrix_batch_and_symmetry():
    f = torch.randn(3, 5, 4, 6)
    g = L.gram_matrix(f)
    assert g.shape == (3, 5, 5)
    assert torch.allclose(g, g.transpose(1, 2))
    assert torch.allclose(g[1], f[1].reshape(5, -1) @ f[1].reshape(5, -1).T / (5 * 4 * 6))


def test_gram_matrix_gradient_matches_autograd():
    f = torch.randn(2, 4, 3, 5, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(L.gram_matrix, (f,))
    w = torch.randn(2, 4, 4, dtype=torch.float64)  # a non-symmetric upstream gradient
    (grad,) = torch.autograd.grad((L.gram_matrix(f) * w).sum(), f)
    flat = f.reshape(2, 4, 15)
    (expected,) = torch.autograd.grad((torch.bmm(flat, flat.transpose(1, 2)) / 60 * w).sum(), f)
    assert torch.allclose(grad, expected)
    # Channels-last feature maps give the same matrix and gradient.
    g = f.detach().contiguous(memory_format=torch.channels_last).requires_grad_(True)
    assert not g.is_contiguous()
    assert torch.allclose(L.gram_matrix(g), L.gram_matrix(f))
    (grad_cl,) = torch.autograd.grad((L.gram_matrix(g) * w).sum(), g)
    assert torch.allclose(grad_cl, expected)


def test_loss_values():
    a, b = torch.zeros(1, 2, 2, 2), torch.ones(1, 2, 2, 2)
    assert float(L.content_loss(a, b)) == pytest.approx(1.0)
    assert float(L.content_loss(a, b, normalizer=0.5)) == pytest.approx(0.5)
    assert float(L.style_loss(torch.zeros(1, 2, 2), torch.ones(1, 2, 2))) == pytest.approx(4.0)
    assert L.inverse_energy(torch.full((1, 2, 2), 2.0)) == pytest.approx(1 / 16)
    assert L.inverse_energy(torch.full((1, 2, 2, 2), 2.0), mean=True) == pytest.approx(1 / 4)


def test_energy_cap_quiets_a_louder_content_target_and_never_raises_one():
    assert L.rms(torch.tensor([3.0, 4.0])) == pytest.approx((12.5) ** 0.5)
    assert L.energy_cap(content_rms=2.0, style_rms=1.0) == pytest.approx(0.5)
    assert L.energy_cap(content_rms=1.0, style_rms=2.0) == 1.0
    assert L.energy_cap(content_rms=0.0, style_rms=1.0) == 1.0


def test_style_boost_is_the_energy_ratio_of_a_louder_photo_between_1_and_the_limit():
    assert L.style_boost(content_rms=1.5, style_rms=1.0) == pytest.approx(2.25)
    assert L.style_boost(content_rms=3.0, style_rms=1.0) == L.MAX_STYLE_BOOST == 4.0
    assert L.style_boost(content_rms=3.0, style_rms=1.0, limit=16.0) == pytest.approx(9.0)
    assert L.style_boost(content_rms=1.0, style_rms=2.0) == 1.0  # a quieter photo: never down
    assert L.style_boost(content_rms=1.0, style_rms=0.0) == 1.0


def test_tv_loss_values():
    assert float(L.tv_loss(torch.full((1, 3, 8, 8), 0.3))) == 0.0
    # Vertical stripes alternating 0/1: horizontal differences all 1, vertical all 0.
    x = torch.zeros(1, 1, 4, 4)
    x[..., 1::2] = 1.0
    assert float(L.tv_loss(x)) == pytest.approx(1.0)


def _descends(loss_fn, x: torch.Tensor, step: float = 1e-3) -> tuple[float, float]:
    x = x.clone().requires_grad_(True)
    loss = loss_fn(x)
    loss.backward()
    with torch.no_grad():
        after = loss_fn(x - step * x.grad / x.grad.norm())
    return float(loss.detach()), float(after)


@pytest.mark.parametrize("name", ["content", "style", "tv"])
def test_gradient_step_lowers_each_loss(name):
    torch.manual_seed(0)
    target = torch.rand(1, 4, 8, 8)
    fns = {
        "content": lambda x: L.content_loss(x, target),
        "style": lambda x: L.style_loss(L.gram_matrix(x), L.gram_matrix(target)),
        "tv": L.tv_loss,
    }
    before, after = _descends(fns[name], torch.rand(1, 4, 8, 8))
    assert after < before
