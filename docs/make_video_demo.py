"""Make docs/video_demo.webp: a few seconds of Big Buck Bunny, per-frame stylization beside nst video's.

Left: every frame stylized on its own (``--temporal-weight 0``): the strokes
boil. Right: the default, the previous stylized frame warped by optical flow
and blended in outside occlusions. Both with The Starry Night, ``--method
fast``.

Run from anywhere (about a minute on 2 CPU cores; needs ``nst[video,fast]``)::

    python docs/make_video_demo.py [--frames 60] [--size 256]

The clip is ../shared/videos/bigbuckbunny.mp4 (Big Buck Bunny, (c) 2008
Blender Foundation, www.bigbuckbunny.org, CC BY 3.0: the attribution is
written into the picture). The result is an animated WebP (smaller and with
more colours than a GIF; shown by GitHub and every current browser), kept
under 2 MB.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from PIL import Image, ImageDraw

import nst

ROOT = Path(__file__).resolve().parents[1]
CLIP = ROOT.parent / "shared" / "videos" / "bigbuckbunny.mp4"
STYLE = ROOT.parent / "shared" / "images" / "style" / "vangogh_starry_night.jpg"
OUT = ROOT / "docs" / "video_demo.webp"
CREDIT = "Big Buck Bunny (c) 2008 Blender Foundation, CC BY 3.0  |  style: The Starry Night"
LABELS = ("each frame on its own (--temporal-weight 0)", "nst video (default: flow-guided blend)")
BAND = 16  # px of caption above and below


def side_by_side(left: Image.Image, right: Image.Image) -> Image.Image:
    """The two frames next to each other with a label above each and the credit below."""
    w, h = left.size
    canvas = Image.new("RGB", (2 * w + 4, h + 2 * BAND), "white")
    canvas.paste(left, (0, BAND))
    canvas.paste(right, (w + 4, BAND))
    draw = ImageDraw.Draw(canvas)
    draw.text((4, 2), LABELS[0], fill="black")
    draw.text((w + 8, 2), LABELS[1], fill="black")
    draw.text((4, h + BAND + 2), CREDIT, fill="black")
    return canvas


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--frames", type=int, default=60)
    ap.add_argument("--size", type=int, default=256, help="long side of each half")
    ap.add_argument("--quality", type=int, default=60, help="WebP quality")
    ap.add_argument("-o", "--output", type=Path, default=OUT)
    args = ap.parse_args()
    kw = {"frames": args.frames, "size": args.size}
    per_frame = nst.stylize_video(CLIP, STYLE, temporal_weight=0, **kw)
    steady = nst.stylize_video(CLIP, STYLE, **kw)
    frames = [side_by_side(a, b) for a, b in zip(per_frame, steady)]
    frames[0].save(args.output, format="WEBP", save_all=True, append_images=frames[1:], duration=40, loop=0,
                   quality=args.quality, method=6)
    print(f"wrote {args.output} ({len(frames)} frames, {frames[0].width}x{frames[0].height}, "
          f"{args.output.stat().st_size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
