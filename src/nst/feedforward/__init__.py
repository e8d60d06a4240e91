"""Feed-forward style transfer: one network per style, trained once, applied in one pass.

Johnson, Alahi and Fei-Fei (2016), "Perceptual Losses for Real-Time Style
Transfer and Super-Resolution", with instance normalization (Ulyanov et al.
2016) and resize-convolution upsampling (Odena et al. 2016).

Modules: :mod:`.network` (the transformation network and its config),
:mod:`.modelfile` (safetensors model and checkpoint files), :mod:`.train`
(the training loop), :mod:`.stylize` (applying a model to images of any
size), :mod:`.export` (ONNX export).
"""

from .modelfile import ModelInfo, load_model, save_model
from .network import NetConfig, TransformerNet
from .stylize import load_runner, stylize_image

__all__ = ["ModelInfo", "NetConfig", "TransformerNet", "load_model", "load_runner", "save_model", "stylize_image"]
