import pytest
import torch

from nst import VGG, NSTError, layer_names
from nst.vgg import Preprocess, conv_names


def test_vgg19_layer_names():
    names = layer_names("vgg19")
    assert len(names) == 37
    assert names[:5] == ("conv1_1", "relu1_1", "conv1_2", "relu1_2", "pool1")
    assert names[-3:] == ("conv5_4", "relu5_4", "pool5")
    assert names.index("relu4_2") == names.index("conv4_2") + 1
    assert len(conv_names("vgg19")) == 16


def test_vgg16_layer_names():
    names = layer_names("vgg16")
    assert len(names) == 31
    assert "conv4_4" not in names and "conv5_3" in names
    assert len(conv_names("vgg16")) == 13


def test_unknown_arch_and_layer():
    with pytest.raises(NSTError, match="unknown model"):
        layer_names("resnet50")
    with pytest.raises(NSTError, match="unknown layer 'relu9_9'"):
        VGG(last_layer="relu9_9")


def test_truncation_builds_only_needed_layers():
    net = VGG(last_layer="relu2_1")
    assert list(net.convs) == ["conv1_1", "conv1_2", "conv2_1"]
    assert net.names[-1] == "relu2_1"
    out = net(torch.rand(1, 3, 64, 48), ["relu1_1", "relu2_1"])
    assert out["relu1_1"].shape == (1, 64, 64, 48)
    assert out["relu2_1"].shape == (1, 128, 32, 24)
    with pytest.raises(NSTError, match="beyond this truncated network"):
        net(torch.rand(1, 3, 32, 32), ["relu3_1"])


def test_forward_stops_at_deepest_requested(vgg19):
    calls = []
    hooks = [c.register_forward_hook(lambda m, i, o, n=n: calls.append(n)) for n, c in vgg19.convs.items()]
    try:
        vgg19(torch.rand(1, 3, 32, 32), ["relu2_1"])
    finally:
        for h in hooks:
            h.remove()
    assert calls == ["conv1_1", "conv1_2", "conv2_1"]


def test_caffe_preprocessing_values():
    x = torch.tensor([1.0, 0.5, 0.0]).view(1, 3, 1, 1)  # R, G, B
    y = Preprocess("caffe")(x).flatten().tolist()
    assert y == pytest.approx([0.0 - 103.939, 127.5 - 116.779, 255.0 - 123.68], abs=1e-4)  # B, G, R


def test_torchvision_preprocessing_values():
    x = torch.tensor([0.485, 0.456 + 0.224, 0.406 - 0.225]).view(1, 3, 1, 1)
    assert Preprocess("torchvision")(x).flatten().tolist() == pytest.approx([0.0, 1.0, -1.0], abs=1e-5)


def test_inplace_relu_keeps_requested_conv_output(vgg19):
    out = vgg19(torch.rand(1, 3, 32, 32), ["conv1_1", "relu1_1"])
    assert (out["conv1_1"] < 0).any()
    assert torch.equal(out["relu1_1"], torch.relu(out["conv1_1"]))


def test_avg_pooling_differs_from_max():
    torch.manual_seed(0)
    a, m = VGG(pooling="avg", last_layer="pool1"), VGG(pooling="max", last_layer="pool1")
    m.load_state_dict(a.state_dict())
    x = torch.rand(1, 3, 16, 16)
    pa, pm = a(x, ["pool1"])["pool1"], m(x, ["pool1"])["pool1"]
    assert pa.shape == pm.shape == (1, 64, 8, 8)
    assert (pm >= pa - 1e-5).all() and (pm - pa).abs().max() > 1e-3
    with pytest.raises(NSTError, match="pooling"):
        VGG(pooling="median")
