"""``nst info OUT.png``: how an output of ``nst`` was made (from its metadata)."""

from __future__ import annotations

import argparse
import json

from ..metadata import describe, read_metadata
from .options import add_command, arg
from .outputs import printable

SUMMARY = "show how an nst output was made (inputs, options, the command to repeat it)"
DESCRIPTION = (
    "Print the record nst stores in its PNG (text chunk) and JPEG (comment) outputs."
)
ARGS = [
    arg("image", metavar="IMAGE", help="an image written by nst transfer, demo or reconstruct"),
    arg("--json", action="store_true", help="print the raw JSON record"),
]


def add_parser(sub: argparse._SubParsersAction) -> None:
    add_command(sub, "info", run, SUMMARY, DESCRIPTION, ARGS)


def run(args: argparse.Namespace) -> int:
    meta = read_metadata(args.image)
    # JSON escapes control characters itself; the readable account goes through printable().
    print(json.dumps(meta, indent=2, ensure_ascii=False) if args.json else printable(f"{args.image}\n{describe(meta)}"))
    return 0
