"""Arbitrary style in one forward pass: any style image, no training (Ghiasi et al. 2017).

Modules: :mod:`.network` (the :class:`ArbitraryStylizer` interface and
Magenta's pretrained networks, run by onnxruntime), :mod:`.stylize` (the
pipeline of ``nst fast``: style vectors, blending, strength, sizes, colours).
The per-style networks that nst trains itself are :mod:`nst.feedforward`.
"""

from .network import ArbitraryStylizer, MagentaStylizer, load_network
from .stylize import FastOptions, FastStylizer, fast_stylize

__all__ = ["ArbitraryStylizer", "FastOptions", "FastStylizer", "MagentaStylizer", "fast_stylize", "load_network"]
