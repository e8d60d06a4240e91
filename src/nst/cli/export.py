"""``nst export MODEL -o MODEL.onnx``: ONNX with dynamic batch, height and width."""

from __future__ import annotations

import argparse
import sys

from ..images import check_output_path
from ..feedforward.export import export_onnx
from ..feedforward.modelfile import load_model


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "export",
        help="export a trained feed-forward model to ONNX",
        description="Write MODEL (.safetensors from nst train) as ONNX (opset 17): input 'image' "
                    "(N, 3, H, W) RGB in [0, 1], output 'stylized' of the same shape; H and W dynamic "
                    "(multiples of the network's downsampling factor; nst apply pads for you).",
    )
    p.add_argument("model", metavar="MODEL", help="model file written by nst train")
    p.add_argument("-o", "--output", required=True, help="ONNX file to write (.onnx)")
    p.add_argument("-q", "--quiet", action="store_true", help="no message")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    out = check_output_path(args.output, [args.model], extensions=(".onnx",), option="-o")
    net, info = load_model(args.model)
    export_onnx(net, info, out)
    if not args.quiet:
        print(f"wrote {out}", file=sys.stderr)
    return 0
