"""``nst export MODEL -o MODEL.onnx``: ONNX with dynamic batch, height and width."""

from __future__ import annotations

import argparse

from ..images import check_output_path
from .options import add_command, arg
from .outputs import note

SUMMARY = "export a trained feed-forward model to ONNX"
DESCRIPTION = (
    "Write MODEL (.safetensors from nst train) as ONNX (opset 17): input 'image' (N, 3, H, W) RGB in "
    "[0, 1], output 'stylized' of the same shape; H and W dynamic (multiples of the network's "
    "downsampling factor; nst apply pads for you)."
)
ARGS = [
    arg("model", metavar="MODEL", help="model file written by nst train"),
    arg("-o", "--output", required=True, help="ONNX file to write (.onnx)"),
]


def add_parser(sub: argparse._SubParsersAction) -> None:
    add_command(sub, "export", run, SUMMARY, DESCRIPTION, ARGS, quiet="no message")


def run(args: argparse.Namespace) -> int:
    from ..extras import require
    from ..feedforward.export import export_onnx
    from ..feedforward.modelfile import load_model

    out = check_output_path(args.output, [args.model], extensions=(".onnx",), option="output")
    net, info = load_model(args.model)
    require("onnx", "onnx", "nst export")
    export_onnx(net, info, out)
    if not args.quiet:
        note(f"wrote {out}")
    return 0
