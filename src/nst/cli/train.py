"""``nst train STYLE --data PHOTOS -o MODEL``: train a feed-forward network for one style."""

from __future__ import annotations

import argparse
import sys

from ..images import load_image
from .options import add_command, arg, options_from_args
from .outputs import note, printable, warn_if_framed

SUMMARY = "train a feed-forward network for one style image (Johnson et al. 2016)"
DESCRIPTION = (
    "Train a network that stylizes any photo in one pass in the style of STYLE, on the photos under "
    "--data (searched recursively). Writes a checkpoint MODEL-stem.ckpt.safetensors (the latest weights) "
    "every --checkpoint-every steps; Ctrl-C writes it and exits with status 130; --resume continues. "
    "Every --eval-every steps the network is scored on a photo (or a folder of photos) held out of training "
    "(style and content loss) and MODEL (.safetensors) keeps the best-scoring weights. A loss that blows up "
    "(not finite, or far above the recent ones) sends training back to its last good state at half the "
    "learning rate. The defaults are a recipe of about an hour on two CPU cores (docs/feedforward.md)."
)
ARGS = [
    arg("style", metavar="STYLE", help="style image file or built-in painting name (nst styles)"),
    arg("--data", required=True, metavar="PHOTO_DIR", help="folder of training photos (recursive)"),
    arg("-o", "--output", required=True, metavar="MODEL", help="model file to write (.safetensors)"),
    arg("--resume", action="store_true", help="continue from the checkpoint beside MODEL"),
]


def add_parser(sub: argparse._SubParsersAction) -> None:
    from ..feedforward.network import NetConfig
    from ..feedforward.train import TrainOptions

    add_command(sub, "train", run, SUMMARY, DESCRIPTION, ARGS, options=[TrainOptions, NetConfig],
                quiet="no progress bar", config=True)


def run(args: argparse.Namespace) -> int:
    from tqdm.auto import tqdm

    from ..feedforward.network import NetConfig
    from ..feedforward.train import Progress, TrainOptions, checkpoint_path, train

    opts, config = options_from_args(args, [TrainOptions, NetConfig])
    bars: dict[str, tqdm] = {}

    # No bar while the photos are decoded: a data folder with no readable image must print one error line only.
    def on_photos(readable: int, unreadable: int) -> None:
        if unreadable:
            note(f"nst train: warning: skipped {unreadable} unreadable image file(s) under {args.data}; "
                  f"training on {readable}")

    def callback(p: Progress) -> None:
        if "train" not in bars:  # every check has passed: say once where the training runs
            if not args.quiet:
                from ..device import device_summary

                note(f"training on {device_summary(opts.device, training=opts.amp)}")
            warn_if_framed("train", args.style, load_image(args.style))
            bars["train"] = tqdm(total=p.steps, initial=p.step - 1, desc="training", unit="step",
                                 disable=args.quiet, dynamic_ncols=True)
        bar = bars["train"]
        bar.update(p.step - bar.n)  # after a blow-up the step count goes back
        bar.set_postfix({**{k: f"{v:.3g}" for k, v in p.losses.items()}, "img/s": f"{p.images_per_s:.1f}"},
                        refresh=False)

    # Held-out scores are progress (none with -q); recoveries from a blow-up are warnings (always shown).
    def log(kind: str, line: str) -> None:
        if kind == "recovery" or not args.quiet:
            tqdm.write(printable(f"nst train: warning: {line}" if kind == "recovery" else line), file=sys.stderr)

    try:
        result = train(args.style, args.data, args.output, opts, config, resume=args.resume, callback=callback,
                       on_photos=on_photos, log=log)
    finally:
        for bar in bars.values():
            bar.close()
    ckpt = checkpoint_path(args.output)
    loss = f", loss {result.losses['total']:.4g}" if result.losses else ""
    if result.best:  # the model file holds the best-scoring weights, the checkpoint the latest
        b = result.best
        best = (f"{args.output} holds step {b['step']}, the best held-out score {b['score']:.4g} "
                f"(style {b['style']:.4g}, content {b['content']:.4g})")
        wrote, done = f"wrote {ckpt}; {best}", f"wrote {ckpt} ({result.steps} steps{loss}); {best}"
    else:
        wrote, done = f"wrote {args.output} and {ckpt}", f"wrote {args.output} ({result.steps} steps{loss}) and {ckpt}"
    if result.interrupted:
        note(f"interrupted at step {result.steps}; {wrote} (continue with --resume)")
        return 130
    if not args.quiet:
        note(done)
    return 0
