"""The batch mode shared by ``nst fast``, ``nst transfer`` and ``nst apply`` (folders, ``@list.txt``, ``-o DIR``).

Not a command of its own: the commands call :func:`run_cli_batch` when their
input is a folder or a list (:func:`wants_batch`); the work is done by
:mod:`nst.batching`. Only light modules are imported at the top.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Sequence

from ..batching.options import BATCH, BatchOptions

# ``--ray [ADDRESS]`` as argparse arguments (a flag of the command line only: "local" when given alone).
RAY_ARG = (("--ray",), dict(
    nargs="?", const="local", default=None, metavar="ADDRESS",
    help="run the batch on Ray (pip install 'nst[ray]'): alone, an embedded local Ray (or the cluster "
         "at RAY_ADDRESS); with ADDRESS, that cluster. Inputs and -o must be on storage every node sees"))
# Failed items named one by one on stderr before the summary; the rest are in the manifest.
SHOWN_FAILURES = 10


def add_ray_flag(p: argparse.ArgumentParser) -> None:
    """Add ``--ray [ADDRESS]`` under the batch heading of ``p``."""
    from .options import option_group

    flags, kw = RAY_ARG
    option_group(p, BATCH).add_argument(*flags, **kw)


def wants_batch(inputs: Sequence[str], bopts: BatchOptions, args: argparse.Namespace) -> bool:
    """Whether a run is a batch: an input that is a folder or ``@list``, several inputs, or a batch-only flag."""
    from ..batching.items import is_batch_input

    return (len(inputs) > 1 or any(is_batch_input(i) for i in inputs) or bopts.each_style
            or bopts.workers > 1 or args.ray is not None or bopts.manifest is not None)


def run_cli_batch(
    args: argparse.Namespace,
    job,
    inputs: Sequence[str],
    styles: Sequence[str],
    output: str | None,
    bopts: BatchOptions,
    fmt: str = "png",
    other_inputs: Sequence[str] = (),
    before: Callable[[], object] | None = None,
) -> int:
    """Plan, run and report a batch; returns the exit status (0 all done or skipped, 1 any failed).

    ``before()`` is called after the outputs are planned, before any work
    (to check a model once). Prints each failed item (the first :data:`SHOWN_FAILURES`) and the summary
    line ``nst CMD: done N, failed N, skipped N (manifest: PATH)`` on stderr.

    Raises:
        NSTError: no ``-o``, bad inputs or outputs (before any work);
        KeyboardInterrupt: Ctrl-C or SIGTERM, after the summary (the manifest holds every finished item).
    """
    from ..batching.items import plan
    from ..batching.run import default_manifest, run_batch
    from ..errors import NSTError
    from .outputs import note

    if output is None:
        raise NSTError("a batch (a folder, @list.txt or several inputs) needs -o OUT_FOLDER")
    items = plan(inputs, styles, output, each_style=bopts.each_style, fmt=fmt, other_inputs=other_inputs)
    manifest = bopts.manifest or default_manifest(output)
    if os.path.isdir(manifest):
        raise NSTError(f"--manifest {manifest}: is a folder, expected a file name")
    if before is not None:
        before()
    result = run_batch(job, items, manifest, overwrite=getattr(args, "overwrite", False), workers=bopts.workers,
                       ray=args.ray, progress=not args.quiet)
    failed = [r for r in result.records if r["status"] == "failed"]
    for r in failed[:SHOWN_FAILURES]:
        reason = r.get("reason", "")
        note(f"nst {args.command}: failed: {reason if reason.startswith(r['input']) else r['input'] + ': ' + reason}")
    if len(failed) > SHOWN_FAILURES:
        note(f"nst {args.command}: ... and {len(failed) - SHOWN_FAILURES} more failed (see the manifest)")
    if failed or result.interrupted or not args.quiet:
        note(f"nst {args.command}: {result.summary()} (manifest: {result.manifest})")
    if result.interrupted:
        raise KeyboardInterrupt
    return 1 if failed else 0
