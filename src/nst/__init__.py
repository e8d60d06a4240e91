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

from .errors import NSTError, OptionError
from .lazy import lazy_getattr
from .version import __version__

# Public names -> the module that defines them. Imported on first use (PEP 562), so
# ``import nst`` does not load torch: the one-pass path and the CLI start fast.
_LAZY = {
    "stylize": "api",
    "FastOptions": "arbitrary.stylize",
    "FastStylizer": "arbitrary.stylize",
    "fast_stylize": "arbitrary.stylize",
    "Criterion": "criterion",
    "read_metadata": "metadata",
    "TransferOptions": "options",
    "reconstruct_content": "reconstruct",
    "synthesize_texture": "reconstruct",
    "StyleTransfer": "transfer",
    "TransferResult": "transfer",
    "VGG": "vgg",
    "layer_names": "vgg",
    "load_vgg": "weights",
    "stylize_video": "video",
    "batch": "batching",
}


__getattr__ = lazy_getattr(__name__, _LAZY)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "Criterion",
    "FastOptions",
    "FastStylizer",
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
    "stylize_video",
    "synthesize_texture",
]
