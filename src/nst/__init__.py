"""nst: neural style transfer.

Library entry points::

    import nst
    img = nst.stylize("photo.jpg", "painting.jpg", size=512)   # PIL.Image
    img = nst.fast_stylize("photo.jpg", "painting.jpg")        # one pass, needs nst[fast]
    records = nst.batch("photos/", "painting.jpg", "out/")     # a folder, resumable (docs/batch.md)

Building blocks: :class:`nst.StyleTransfer` (the optimization),
:class:`nst.Criterion` (content + style + TV losses against targets, shared with
feed-forward training), :mod:`nst.losses` (Gram matrix and the other style
statistics), :class:`nst.VGG`
and :func:`nst.load_vgg` (loss network with field layer names).
"""

from .api import stylize
from .arbitrary import FastOptions, fast_stylize
from .batching import batch
from .criterion import Criterion
from .errors import NSTError, OptionError
from .metadata import read_metadata
from .options import TransferOptions
from .reconstruct import reconstruct_content, synthesize_texture
from .transfer import StyleTransfer, TransferResult
from .version import __version__
from .vgg import VGG, layer_names
from .weights import load_vgg

__all__ = [
    "Criterion",
    "FastOptions",
    "NSTError",
    "OptionError",
    "StyleTransfer",
    "TransferOptions",
    "TransferResult",
    "VGG",
    "__version__",
    "batch",
    "fast_stylize",
    "layer_names",
    "load_vgg",
    "read_metadata",
    "reconstruct_content",
    "stylize",
    "synthesize_texture",
]
