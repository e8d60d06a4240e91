"""``nst styles [--sheet OUT.jpg [PHOTO]]``: the built-in styles, listed or shown on one photo."""

from __future__ import annotations

import argparse

from ..catalogue import paintings, preset_names
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


def add_parser(sub: argparse._SubParsersAction) -> None:
    add_command(sub, "styles", run, SUMMARY, DESCRIPTION, ARGS)


def listing() -> str:
    """The catalogue as text: one style per line, name then what it is."""
    lines = ["paintings (a style image by name: nst transfer PHOTO NAME, nst fast PHOTO NAME):"]
    lines += [f"  {p.name:<16} {p.label()}" for p in paintings().values()]
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
    photo.thumbnail((args.tile, args.tile))
    from ..arbitrary.stylize import FastOptions, FastStylizer
    from ..images import save_image
    from ..visualize import contact_grid

    opts = FastOptions(work_size=0)  # tiles are small: run the network at the tile's own size
    panels = [("photo", photo)]
    panels += [(name, FastStylizer(name, opts)(photo)) for name in paintings()]
    panels += [(name, FastStylizer(name, opts)(photo)) for name in preset_names()]
    save_image(contact_grid(panels, args.columns, height=photo.height), args.sheet)
    if not args.quiet:
        note(f"wrote {args.sheet} ({len(panels) - 1} styles)")
    return 0
