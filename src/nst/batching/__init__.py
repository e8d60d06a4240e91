"""Batches: many images through one loaded network, on one machine or on Ray, resumable (``nst.batch``).

Modules: :mod:`.items` (inputs from files, folders and ``@list.txt``, output
paths), :mod:`.manifest` (the JSON-lines record of every item, read to
resume), :mod:`.worker` (one item: stylize, save, record), :mod:`.run` (in
process, worker processes), :mod:`.ray` (Ray actors), :mod:`.api`
(:func:`nst.batch`). Nothing heavy is imported until a batch runs.
"""

from ..lazy import lazy_getattr

# Public names -> their module, imported on first use: the commands import .options (the
# flags) on every start, and that must not load the batch machinery.
_LAZY = {
    "batch": "api",
    "EXTENSIONS": "items", "Item": "items", "expand_inputs": "items", "is_batch_input": "items", "plan": "items",
    "MANIFEST_NAME": "manifest", "read_manifest": "manifest",
    "BatchResult": "run", "run_batch": "run",
    "Job": "worker",
}


__getattr__ = lazy_getattr(__name__, _LAZY)

__all__ = ["EXTENSIONS", "MANIFEST_NAME", "BatchResult", "Item", "Job", "batch", "expand_inputs",
           "is_batch_input", "plan", "read_manifest", "run_batch"]
