"""Coarse-to-fine schedule, early stopping, and memory-aware L-BFGS history."""

import os

import pytest
import torch

from nst import NSTError, StyleTransfer
from nst.coarse_to_fine import run_coarse_to_fine, upsample
from nst.device import memory_budget
from nst.options import TransferOptions
from nst.schedule import Scale, default_iterations, default_max_iterations, default_min_size, make_schedule, scale_sizes
from nst.transfer import converged, lbfgs_history


def test_scale_sizes():
    assert scale_sizes(512, 128) == [128, 256, 512]
    assert scale_sizes(512, 128, 2 ** 0.5) == [128, 181, 256, 362, 512]
    assert scale_sizes(512, 512) == [512]
    assert scale_sizes(100, 400) == [100]
    with pytest.raises(NSTError):
        scale_sizes(512, 128, 1.0)


def test_iterations_give_each_scale_the_full_size_compute():
    assert make_schedule(512, 30, 128, 200) == [Scale(128, 200), Scale(256, 120), Scale(512, 30)]
    assert make_schedule(512, 30, 128, 100) == [Scale(128, 100), Scale(256, 100), Scale(512, 30)]
    assert make_schedule(512, 10, 128, 200, factor=2 ** 0.5) == [
        Scale(128, 160), Scale(181, 80), Scale(256, 40), Scale(362, 20), Scale(512, 10)
    ]
    assert make_schedule(512, 30, 128, 200, sizes=[256]) == [Scale(256, 120), Scale(512, 30)]
    # The cap is for smaller scales only, and never drops them below the full-size count.
    assert make_schedule(64, 1000, 128, 200) == [Scale(64, 1000)]
    assert make_schedule(512, 300, 256, 200) == [Scale(256, 300), Scale(512, 300)]
    with pytest.raises(NSTError, match="ascending"):
        make_schedule(512, 30, 128, 200, sizes=[256, 128])
    with pytest.raises(NSTError, match="ascending"):
        make_schedule(512, 30, 128, 200, sizes=[1024])


def test_default_iterations_cap_and_first_scale():
    assert [default_iterations(s) for s in (256, 512, 1024, 2048, 4096)] == [30, 30, 15, 10, 10]
    assert [default_max_iterations(s) for s in (256, 400, 512, 1024, 2048)] == [120, 77, 60, 100, 50]
    assert [default_min_size(s) for s in (64, 128, 256, 400, 512, 1024)] == [128, 128, 128, 200, 256, 128]
    assert make_schedule(512, None, None, None) == [Scale(256, 60), Scale(512, 30)]
    assert make_schedule(256, None, None, None) == [Scale(128, 120), Scale(256, 30)]
    assert make_schedule(128, None, None, None) == [Scale(128, 30)]
    big = make_schedule(2048, None, None, None)
    assert big == [Scale(128, 50), Scale(256, 50), Scale(512, 50), Scale(1024, 40), Scale(2048, 10)]
    # Work in full-size iterations: the capped small scales cost little.
    cost = sum(sc.iterations * (sc.size / 2048) ** 2 for sc in big)
    assert cost < 2.5 * 10


def test_converged():
    flat = [1.0] * 12
    assert converged(flat, 1e-3, 10)
    assert not converged(flat[:10], 1e-3, 10)  # not enough history yet
    falling = [1.0 * 0.99**i for i in range(12)]  # 9.6% over 10 iterations
    assert not converged(falling, 1e-3, 10)
    assert converged(falling, 0.2, 10)
    assert not converged(flat, 0.0, 10)


def test_lbfgs_history_fits_budget():
    assert lbfgs_history(3 * 384 * 512) == 100
    n = 3 * 1536 * 2048
    h = lbfgs_history(n)
    assert 5 <= h < 100 and h * 2 * 4 * n <= 1 << 30


def test_early_stop_on_flat_loss(astronaut):
    from nst.coarse_to_fine import prepare_images
    from nst.images import load_image

    st = StyleTransfer()
    c, _ = prepare_images(load_image(astronaut), [], 32)
    st.set_targets(c, [c])
    # Content and style targets come from the start image and TV is off: the loss is flat at 0.
    result = st.optimize(c, iterations=100, tv_weight=0.0, tol=1e-3, window=5)
    assert result.iterations == 6


def test_each_scale_starts_from_upsampled_previous_result(monkeypatch, astronaut, ihc):
    starts, results = [], []
    real = StyleTransfer.optimize

    def spy(self, init, *args, **kwargs):
        starts.append(init.clone())
        r = real(self, init, *args, **kwargs)
        results.append(r.image.clone())
        return r

    monkeypatch.setattr(StyleTransfer, "optimize", spy)
    opts = TransferOptions(scales=[32, 45, 64], iterations=2, tol=0.0)
    out = run_coarse_to_fine(astronaut, [ihc], opts, progress=False)
    assert [tuple(s.shape[-2:]) for s in starts] == [(32, 32), (45, 45), (64, 64)]
    for k in (1, 2):
        assert torch.equal(starts[k], upsample(results[k - 1], tuple(starts[k].shape[-2:])))
    assert out.image.shape == (1, 3, 64, 64)
    assert out.iterations == len(out.history) == 8 + 4 + 2  # 2 x (64/32)^2, 2 x (64/45)^2, 2
    assert [h["size"] for h in out.history] == [32.0] * 8 + [45.0] * 4 + [64.0] * 2


def test_checkpointing_gives_the_same_gradient(vgg19):
    layers = ["relu1_1", "relu2_1", "relu3_1", "relu4_2"]
    x = torch.rand(1, 3, 40, 48)
    grads = []
    for k in (0, 2, 5):
        xi = x.clone().requires_grad_(True)
        feats = vgg19(xi, layers, checkpoint_blocks=k)
        sum(f.pow(2).mean() for f in feats.values()).backward()
        grads.append(xi.grad)
    assert torch.allclose(grads[0], grads[1], rtol=1e-4, atol=1e-6)
    assert torch.allclose(grads[0], grads[2], rtol=1e-4, atol=1e-6)


def test_memory_plan_checkpoints_only_when_needed(vgg19):
    layers = ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"]
    full = vgg19.activation_bytes(1536, 2048, layers)
    assert 3e9 < full < 8e9  # block 1 alone keeps 2 x 64 x 2048 x 1536 floats
    assert vgg19.activation_bytes(1536, 2048, layers, 2) < full / 2
    st = StyleTransfer()
    assert st.plan_memory(384, 512, 8 << 30) == 0
    assert st.plan_memory(1536, 2048, 4 << 30) >= 1
    assert st.plan_memory(1536, 2048, 1 << 20) == 5  # nothing fits: best effort
    # The default budget on a 24 GiB machine (8 GiB) at 2048 px: 3 blocks with the default's two
    # content layers (measured peak 5.38 GB after 2 iterations at 2048 px; 6.27 GB with 2 blocks),
    # 2 blocks with relu4_2 alone (5.7 GiB after 3 iterations, benchmarks/memory.py).
    assert st.plan_memory(1536, 2048, 8 << 30) == 3
    assert StyleTransfer(content_layers={"relu4_2": 1.0}).plan_memory(1536, 2048, 8 << 30) == 2
    assert st.plan_memory(1086, 1448, 8 << 30) == 0


def test_memory_estimate_counts_each_content_layer_twice():
    # The target and a transient map in the step: 2 x 128 channels x 1024 x 768 floats for relu2_2.
    deep, both = StyleTransfer(content_layers={"relu4_2": 1.0}), StyleTransfer()
    assert both.peak_bytes(1536, 2048) - deep.peak_bytes(1536, 2048) == 2 * 4 * 128 * 1024 * 768


def test_default_memory_budget_is_a_third_of_ram():
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    assert memory_budget(torch.device("cpu")) == ram // 3
    assert memory_budget(torch.device("cpu"), 1.5) == 3 << 29


def test_mixed_precision_only_on_cuda():
    from nst.device import amp_dtype

    assert amp_dtype(torch.device("cpu")) is None
    assert amp_dtype(torch.device("mps")) is None
    assert StyleTransfer().amp is None  # CPU here
    if torch.cuda.is_available():
        assert amp_dtype(torch.device("cuda")) in (torch.bfloat16, torch.float16)
