"""Batches: many images through one loaded network, on one machine or on Ray, resumable (``nst.batch``).

Modules: :mod:`.items` (inputs from files, folders and ``@list.txt``, output
paths), :mod:`.manifest` (the JSON-lines record of every item, read to
resume), :mod:`.worker` (one item: stylize, save, record), :mod:`.run` (in
process, worker processes), :mod:`.ray` (Ray actors), :mod:`.api`
(:func:`nst.batch`). Nothing heavy is imported until a batch runs.
"""

from .api import batch
from .items import EXTENSIONS, Item, expand_inputs, is_batch_input, plan
from .manifest import MANIFEST_NAME, read_manifest
from .run import BatchResult, run_batch
from .worker import Job

__all__ = ["EXTENSIONS", "MANIFEST_NAME", "BatchResult", "Item", "Job", "batch", "expand_inputs",
           "is_batch_input", "plan", "read_manifest", "run_batch"]
