"""``nst info OUT.png`` / ``nst info MODEL.safetensors``: how an output or a model of ``nst`` was made."""

from __future__ import annotations

import argparse
import json

from ..metadata import describe, read_metadata
from .options import add_command, arg
from .outputs import printable

SUMMARY = "show how an nst output or model was made (inputs, options, the command to repeat it)"
DESCRIPTION = (
    "Print the record nst stores in its PNG (text chunk) and JPEG (comment) outputs, or the training "
    "record of a model written by nst train (.safetensors: style, steps, held-out score, recoveries, options)."
)
ARGS = [
    arg("image", metavar="FILE", help="an image written by nst transfer, demo or reconstruct, or a model "
                                      "written by nst train"),
    arg("--json", action="store_true", help="print the raw JSON record"),
]


def add_parser(sub: argparse._SubParsersAction) -> None:
    add_command(sub, "info", run, SUMMARY, DESCRIPTION, ARGS)


def run(args: argparse.Namespace) -> int:
    from ..catalogue import models, resolve_model

    path = resolve_model(args.image)
    if str(path).lower().endswith(".safetensors"):
        from ..feedforward.modelfile import describe_model, read_model_info

        info, header = read_model_info(path)
        text = f"{args.image}\n{describe_model(info)}"
        shipped = models().get(str(args.image))
        if shipped is not None and path == shipped.path:  # a shipped model: its record from models.toml
            text += (f"\nshipped:    trained on {shipped.data}\n            by `{shipped.command}`, {shipped.wall}"
                     f"\n            held-out scores: {shipped.scores}")
        print(json.dumps(header, indent=2, ensure_ascii=False) if args.json else printable(text))
        return 0
    meta = read_metadata(args.image)
    # JSON escapes control characters itself; the readable account goes through printable().
    print(json.dumps(meta, indent=2, ensure_ascii=False) if args.json else printable(f"{args.image}\n{describe(meta)}"))
    return 0
