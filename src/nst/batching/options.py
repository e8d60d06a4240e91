"""Options of a batch (``nst fast`` / ``transfer`` / ``apply`` over folders), declared once (:mod:`nst.config`)."""

from __future__ import annotations

from dataclasses import dataclass

from ..config import check_fields, option

BATCH = "batches (CONTENT a folder or @list.txt, -o a folder; see docs/batch.md)"


@dataclass
class BatchOptions:
    """How a batch runs; checked when built.

    Raises:
        OptionError: a bad value, naming the field.
    """

    each_style: bool = option(False, group=BATCH,
                              help="make every input in every style, into OUT/<style>/... (default: styles blended)")
    workers: int = option(1, check="positive", group=BATCH,
                          help="worker processes on this machine, each with its share of the CPU threads")
    manifest: str | None = option(None, group=BATCH, metavar="FILE.jsonl", rerun=False,
                                  help="the batch's record of every item, read to resume a batch",
                                  default_text="OUT/manifest.jsonl")

    def __post_init__(self) -> None:
        check_fields(self)
