"""``nst train STYLE --data PHOTOS -o MODEL``: train a feed-forward network for one style."""

from __future__ import annotations

import argparse
import sys

from tqdm.auto import tqdm

from ..feedforward.network import RESIDUAL_KINDS, NetConfig
from ..feedforward.train import Progress, TrainOptions, checkpoint_path, train
from ..transfer import parse_layers

D = TrainOptions()
N = NetConfig()


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "train",
        help="train a feed-forward network for one style image (Johnson et al. 2016)",
        description="Train a network that stylizes any photo in one pass in the style of STYLE, on the "
                    "photos under --data (searched recursively). Writes MODEL (.safetensors) and a "
                    "checkpoint MODEL-stem.ckpt.safetensors beside it every --checkpoint-every steps; "
                    "Ctrl-C writes both and exits with status 130; --resume continues.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("style", metavar="STYLE", help="style image file")
    p.add_argument("--data", required=True, metavar="PHOTO_DIR", help="folder of training photos (recursive)")
    p.add_argument("-o", "--output", required=True, metavar="MODEL", help="model file to write (.safetensors)")
    g = p.add_argument_group("training")
    g.add_argument("--size", type=int, default=D.size, help="side of the square training crops in pixels")
    g.add_argument("--batch-size", type=int, default=D.batch_size, help="photos per step")
    g.add_argument("--steps", type=int, default=D.steps, help="optimizer steps in all (a resumed run continues up to it)")
    g.add_argument("--epochs", type=float, default=None, help="passes over the photos; overrides --steps")
    g.add_argument("--lr", type=float, default=D.lr, help="Adam learning rate")
    g.add_argument("--seed", type=int, default=D.seed, help="random seed (initialization, crops)")
    g.add_argument("--checkpoint-every", type=int, default=D.checkpoint_every, metavar="N",
                   help="write model and checkpoint every N steps (0: only at the end)")
    g.add_argument("--resume", action="store_true", help="continue from the checkpoint beside MODEL")
    g.add_argument("--device", default=None, help="cpu, cuda, cuda:N, mps (default: best available)")
    g.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    g = p.add_argument_group("losses (relative, as in nst transfer)")
    g.add_argument("--content-weight", type=float, default=D.content_weight, help="content loss weight")
    g.add_argument("--style-weight", type=float, default=D.style_weight, help="style loss weight")
    g.add_argument("--tv-weight", type=float, default=D.tv_weight, help="total-variation loss weight")
    g.add_argument("--style-size", type=int, default=None,
                   help="long side of the style image in pixels (default: 2 x --size)")
    g.add_argument("--content-layers", nargs="+", metavar="LAYER[:W]",
                   default=[f"{k}:{v:g}" for k, v in D.content_layers.items()], help="VGG-19 content layers")
    g.add_argument("--style-layers", nargs="+", metavar="LAYER[:W]",
                   default=[f"{k}:{v:g}" for k, v in D.style_layers.items()], help="VGG-19 style layers")
    g = p.add_argument_group("architecture (stored in the model file; ignored with --resume)")
    g.add_argument("--channels", type=int, nargs="+", default=list(N.channels), metavar="C",
                   help="widths from the top level down; each further width halves the resolution")
    g.add_argument("--residual-blocks", type=int, default=N.residual_blocks, help="residual blocks at the bottom")
    g.add_argument("--residual", choices=RESIDUAL_KINDS, default=N.residual,
                   help="dense 3x3 convolutions or depthwise-separable ones in the residual blocks")
    g.add_argument("--outer-kernel", type=int, default=N.outer_kernel, help="kernel of the first and last convolution")
    g.add_argument("--shuffle", type=int, choices=(1, 2, 4), default=N.shuffle,
                   help="pixel (un)shuffle factor at the ends (1: Johnson's full-resolution first/last layers)")
    g.add_argument("--skips", action=argparse.BooleanOptionalAction, default=N.skips,
                   help="add encoder features to the decoder at each resolution (U-Net skips)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    opts = TrainOptions(
        size=args.size, batch_size=args.batch_size, steps=args.steps, epochs=args.epochs, lr=args.lr,
        content_weight=args.content_weight, style_weight=args.style_weight, tv_weight=args.tv_weight,
        content_layers=parse_layers(args.content_layers), style_layers=parse_layers(args.style_layers),
        style_size=args.style_size, checkpoint_every=args.checkpoint_every, seed=args.seed, device=args.device,
    )
    config = NetConfig(tuple(args.channels), args.residual_blocks, args.residual, args.outer_kernel, args.shuffle,
                       args.skips)
    bars: dict[str, tqdm] = {}

    # No bar while the photos are decoded: a data folder with no readable image must print one error line only.
    def on_photos(readable: int, unreadable: int) -> None:
        if unreadable:
            print(f"nst train: warning: skipped {unreadable} unreadable image file(s) under {args.data}; "
                  f"training on {readable}", file=sys.stderr)

    def callback(p: Progress) -> None:
        if "train" not in bars:
            bars["train"] = tqdm(total=p.steps, initial=p.step - 1, desc="training", unit="step",
                                 disable=args.quiet, dynamic_ncols=True)
        bar = bars["train"]
        bar.update(1)
        bar.set_postfix({**{k: f"{v:.3g}" for k, v in p.losses.items()}, "img/s": f"{p.images_per_s:.1f}"},
                        refresh=False)

    try:
        result = train(args.style, args.data, args.output, opts, config, resume=args.resume, callback=callback,
                       on_photos=on_photos)
    finally:
        for bar in bars.values():
            bar.close()
    ckpt = checkpoint_path(args.output)
    if result.interrupted:
        print(f"interrupted at step {result.steps}; wrote {args.output} and {ckpt} (continue with --resume)",
              file=sys.stderr)
        return 130
    if not args.quiet:
        loss = f", loss {result.losses['total']:.4g}" if result.losses else ""
        print(f"wrote {args.output} ({result.steps} steps{loss}) and {ckpt}", file=sys.stderr)
    return 0
