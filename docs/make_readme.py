"""Make the README's pictures with nst's own commands (``nst transfer``, ``nst fast``), and the gallery strips.

Run from the repository root (needs ../shared/images for the photo; the styles
are the built-in paintings). Every stylized panel is made by the command line
shown in its label's caption in the README, in this process (``nst.cli.main``),
at 256 px with the defaults otherwise (about 1 minute per ``transfer`` panel on
2 free CPU cores):

    python docs/make_readme.py            # every picture
    python docs/make_readme.py hero fast  # some: hero, weight, scale, color, fast, styles

Writes docs/readme_*.jpg.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from nst.cli import main as nst
from nst.images import load_image, save_image
from nst.visualize import contact_sheet

DOCS = Path(__file__).resolve().parent
PHOTO = DOCS.parent.parent / "shared" / "images" / "content" / "tubingen.jpg"
SIZE = "256"


def run(tmp: Path, name: str, *args: str, command: str = "transfer") -> Path:
    """``nst COMMAND PHOTO ARGS -o tmp/name.png``, in this process; returns the output path."""
    out = tmp / f"{name}.png"
    if not out.exists():
        status = nst([command, str(PHOTO), *args, "-o", str(out), "-q"])
        if status != 0:
            raise SystemExit(f"nst {command} {' '.join(args)} failed with status {status}")
    return out


def strip(name: str, panels: list[tuple[str, Path]], height: int = 192) -> None:
    """Save the labelled panels side by side as docs/NAME.jpg."""
    sheet = contact_sheet([(label, load_image(p)) for label, p in panels], height=height, label_px=13)
    save_image(sheet, DOCS / name, quality=85)
    print(f"wrote docs/{name} ({sheet.width}x{sheet.height}, {(DOCS / name).stat().st_size // 1024} KB)")


def main(groups: list[str]) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="nst-readme-"))
    photo = ("photo", PHOTO)
    default = lambda style: run(tmp, style, style, "--size", SIZE)  # noqa: E731
    if "hero" in groups:
        strip("readme_hero.jpg", [photo] + [(s, default(s)) for s in ("starry-night", "great-wave", "the-scream")],
              height=224)
    if "weight" in groups:
        strip("readme_style_weight.jpg", [
            ("--style-weight 3", run(tmp, "w3", "starry-night", "--size", SIZE, "--style-weight", "3")),
            ("15 (default)", default("starry-night")),
            ("--style-weight 30", run(tmp, "w30", "starry-night", "--size", SIZE, "--style-weight", "30")),
        ])
    if "scale" in groups:
        strip("readme_style_scale.jpg", [
            ("--style-scale 0.5", run(tmp, "s05", "great-wave", "--size", SIZE, "--style-scale", "0.5")),
            ("1 (default)", default("great-wave")),
            ("--style-scale 2", run(tmp, "s2", "great-wave", "--size", SIZE, "--style-scale", "2")),
        ])
    if "color" in groups:
        strip("readme_preserve_color.jpg", [
            ("the-scream", default("the-scream")),
            ("--preserve-color luminance",
             run(tmp, "lum", "the-scream", "--size", SIZE, "--preserve-color", "luminance")),
        ])
    if "fast" in groups:
        fast = lambda name, *a: run(tmp, name, *a, "--size", "512", command="fast")  # noqa: E731
        strip("readme_fast.jpg", [
            ("--strength 0.4", fast("f04", "udnie", "--strength", "0.4")),
            ("udnie", fast("f1", "udnie")),
            ("woman-with-hat", fast("fw", "woman-with-hat")),
            ("preset-16", fast("p16", "preset-16")),
        ])


    if "styles" in groups:  # the command writes the sheet itself
        out = DOCS / "readme_styles.jpg"
        if nst(["styles", "--sheet", str(out), str(PHOTO), "--tile", "120", "--columns", "9"]) != 0:
            raise SystemExit("nst styles --sheet failed")
        print(f"wrote docs/{out.name} ({out.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main(sys.argv[1:] or ["hero", "weight", "scale", "color", "fast", "styles"])
