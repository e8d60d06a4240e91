"""``nst info OUT.png``: how an output of ``nst`` was made (from its metadata)."""

from __future__ import annotations

import argparse
import json

from ..metadata import describe, read_metadata


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "info",
        help="show how an nst output was made (inputs, options, the command to repeat it)",
        description="Print the record nst stores in its PNG (text chunk) and JPEG (comment) outputs.",
    )
    p.add_argument("image", metavar="IMAGE", help="an image written by nst transfer, demo or reconstruct")
    p.add_argument("--json", action="store_true", help="print the raw JSON record")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    meta = read_metadata(args.image)
    print(json.dumps(meta, indent=2, ensure_ascii=False) if args.json else f"{args.image}\n{describe(meta)}")
    return 0
