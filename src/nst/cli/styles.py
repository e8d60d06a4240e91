"""``nst styles [--sheet OUT.jpg [PHOTO]]``: the built-in styles, listed or shown on one photo."""

from __future__ import annotations

import argparse

from ..catalogue import models, paintings, preset_names
from ..errors import NSTError
from ..images import check_output_path, load_image
from .options import add_command, arg
from .outputs import note

SUMMARY = "list the built-in styles (paintings and presets), or show them all on one photo"
DESCRIPTION = (
    "List the styles that ship with nst: public-domain paintings, usable by name wherever a style image "
    "is accepted (nst transfer photo.jpg starry-night), and the 26 presets of the multi-style network "
    "(nst fast photo.jpg preset-7; extra nst[fast]). --sheet renders every style on PHOTO (default: the "
    "demo photo, extra nst[demo]) with nst fast, in a labelled grid."
)
ARGS = [
    arg("photo", metavar="PHOTO", nargs="?", help="photo for --sheet (default: nst demo's photo)"),
    arg("--sheet", metavar="OUT.jpg", help="write a grid of PHOTO in every style (needs nst[fast])"),
    arg("--tile", type=int, default=192, metavar="PX", help="long side of each tile of the sheet (default: 192)"),
    arg("--columns", type=int, default=6, metavar="N", help="tiles per row of the sheet (default: 6)"),
    arg("-q", "--quiet", action="store_true", help="no message"),
]
MAX_TILE = 1024
WORK_SIDE = 512  # long side at which the sheet's photo is stylized before it is shrunk to a tile


def add_parser(sub: argparse._SubParsersAction) -> None:
    add_command(sub, "styles", run, SUMMARY, DESCRIPTION, ARGS)


def listing() -> str:
    """The catalogue as text: one style per line, name then what it is."""
    lines = ["paintings (a style image by name: nst transfer PHOTO NAME, nst fast PHOTO NAME):"]
    lines += [f"  {p.name:<16} {p.label()}" for p in paintings().values()]
    if models():
        lines.append("per-style models (nst apply NAME PHOTO; trained by nst train, see nst info NAME):")
        lines += [f"  {m.name:<16} {m.label()}" for m in models().values()]
    lines.append("presets of the multi-style network (nst fast PHOTO preset-N; extra nst[fast]):")
    lines += [f"  {name:<16} Dumoulin et al. 2017 multi-style network, style {name.split('-')[1]}"
              for name in preset_names()]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    if args.photo is not None and args.sheet is None:
        raise NSTError("PHOTO is for --sheet: give --sheet OUT.jpg too")
    if args.sheet is None:
        print(listing())
        return 0
    if not 16 <= args.tile <= MAX_TILE:
        raise NSTError(f"--tile: {args.tile}: use 16..{MAX_TILE} pixels")
    if args.columns < 1:
        raise NSTError(f"--columns: {args.columns}: use 1 or more")
    if args.photo is None:
        from .demo import bundled_image

        args.photo = str(bundled_image("astronaut.png"))
    check_output_path(args.sheet, [args.photo], option="sheet")
    photo = load_image(args.photo)
    from ..arbitrary.stylize import FastOptions, FastStylizer
    from ..images import fit_long_side, resize
    from ..metadata import build_metadata
    from ..visualize import contact_grid
    from .outputs import save_with_metadata

    # The networks paint strokes of a fixed size in pixels: run them at WORK_SIDE, as a user would
    # on a photo, and shrink the results to tiles (at tile size the strokes would hide the photo).
    work = resize(photo, fit_long_side(photo.size, min(max(photo.size), WORK_SIDE)))
    tile = fit_long_side(work.size, args.tile)
    opts = FastOptions(work_size=0)
    panels = [("photo", resize(work, tile))]
    panels += [(name, resize(FastStylizer(name, opts)(work), tile)) for name in [*paintings(), *preset_names()]]
    sheet = contact_grid(panels, args.columns, height=tile[1])
    meta = build_metadata("styles", args.argv, {"photo": args.photo}, {"tile": args.tile, "columns": args.columns},
                          {"width": sheet.width, "height": sheet.height, "styles": len(panels) - 1})
    save_with_metadata(sheet, args.sheet, meta)
    if not args.quiet:
        note(f"wrote {args.sheet} ({len(panels) - 1} styles)")
    return 0
