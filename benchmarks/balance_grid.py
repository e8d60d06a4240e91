"""Balance over many pairs: does the default keep the subject and carry the style on every painting?

Runs ``nst.stylize`` at 256 px (default options, or a variant given with ``--set``) and
``nst fast`` on a grid of photos x paintings from ``../shared/datasets`` (default: 8 photos
and 24 paintings, evenly spaced over the sorted folders), and scores every output twice:

* on nst's own network (VGG-19, Caffe weights): the relative content loss at relu4_2 and
  the relative Gram style loss over relu1_1..relu5_1 (equal weights), unweighted, both
  fixed here so that variants with other layers or weights are scored alike;
* on an independent judge (:mod:`judge`: torchvision VGG-16 Gram distance for style,
  LPIPS-VGG for content).

Lower is better on all four. Outputs are cached in ``benchmarks/out/balance/VARIANT/``
(a rerun scores what is there and runs the rest), scores in ``scores.jsonl`` there.

    python benchmarks/balance_grid.py [--variant NAME --set style_weight=5 ...]
        [--photos 8] [--paintings 24] [--pick FILE ...] [--report VARIANT ...] [--sheets DIR]

``--report A B ...`` prints, for each variant, the spread of the content terms across paintings
(per-painting means), the worst pairs, and how many pairs meet the bar of issue 22 against
``nst fast`` (content <= fast + 0.03 and style <= 0.9x fast, judge). ``--sheets DIR`` writes one
contact sheet per painting (rows: photos; columns: photo, nst fast, each variant) for looking.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import tomllib
from pathlib import Path

import torch
from judge import Judge
from PIL import Image, ImageDraw

from nst.coarse_to_fine import prepare_images
from nst.criterion import GATYS_STYLE_LAYERS
from nst.images import load_image, pil_to_tensor, save_image
from nst.transfer import StyleTransfer

DATA = Path(__file__).resolve().parents[2] / "shared" / "datasets"
OUT = Path(__file__).resolve().parent / "out" / "balance"
SIZE = 256
# The scorer on nst's network: fixed layers, so every variant is scored alike.
SCORE_CONTENT = {"relu4_2": 1.0}
SCORE_STYLE = GATYS_STYLE_LAYERS


def evenly(paths: list[Path], n: int) -> list[Path]:
    """``n`` paths evenly spaced over the sorted list (all of them when ``n`` >= its length)."""
    paths = sorted(paths)
    if n >= len(paths):
        return paths
    return [paths[round(i * (len(paths) - 1) / max(1, n - 1))] for i in range(n)]


def grid(n_photos: int, n_paintings: int, pick: list[str]) -> list[tuple[Path, Path]]:
    """The (photo, painting) pairs: ``--pick`` names (photo or painting files) or evenly spaced ones."""
    photos = sorted((DATA / "photos").glob("*.jpg"))
    paintings = sorted((DATA / "paintings").glob("*.jpg"))
    if pick:
        ph = [p for p in photos if p.name in pick] or evenly(photos, n_photos)
        pa = [p for p in paintings if p.name in pick] or evenly(paintings, n_paintings)
    else:
        ph, pa = evenly(photos, n_photos), evenly(paintings, n_paintings)
    return [(p, q) for q in pa for p in ph]


def parse_sets(sets: list[str]) -> dict:
    """``["style_weight=5", "style_layers=['relu1_1']"]`` -> options (values read as TOML)."""
    return tomllib.loads("\n".join(sets)) if sets else {}


class Scorer:
    """Both networks' scores of an output against its photo and painting at the output's size."""

    def __init__(self) -> None:
        self.judge = Judge()

    def __call__(self, out: Image.Image, photo: Path, painting: Path) -> dict:
        c, s = prepare_images(load_image(photo), [load_image(painting)], SIZE)
        st = StyleTransfer(content_layers=SCORE_CONTENT, style_layers=SCORE_STYLE)
        st.set_targets(c, s)
        x = pil_to_tensor(out)
        with torch.no_grad():
            t = st.loss_terms(x, 1.0, 1.0, 0.0)
        return {"content_vgg19": round(float(t["content"]), 4), "style_vgg19": round(float(t["style"]), 4),
                "content_judge": round(self.judge.content_distance(x, c), 4),
                "style_judge": round(self.judge.style_distance(x, s[0]), 4)}


def run_variant(name: str, options: dict, pairs, scorer: Scorer) -> None:
    """Stylize and score every pair not yet in the variant's folder."""
    import nst
    from nst.options import TransferOptions

    folder = OUT / name
    folder.mkdir(parents=True, exist_ok=True)
    scores = folder / "scores.jsonl"
    done = {json.loads(line)["pair"] for line in scores.read_text().splitlines()} if scores.is_file() else set()
    # nst's options as resolved now (defaults included): a variant's cached outputs are only resumed under the
    # same ones, so a change of nst's defaults cannot mix old and new pictures in one variant.
    resolved = "nst fast" if name == "fast" else repr(TransferOptions(size=SIZE, **options))
    meta = folder / "options.json"
    before = json.loads(meta.read_text()).get("resolved") if meta.is_file() else None
    if done and before != resolved:
        raise SystemExit(f"{folder}: its {len(done)} pairs were made with other options than nst's now "
                         "(or before they were recorded); pick another --variant name, or delete the folder")
    meta.write_text(json.dumps({**options, "resolved": resolved}, indent=1))
    for photo, painting in pairs:
        pair = f"{photo.stem}__{painting.stem}"
        if pair in done:
            continue
        t0 = time.perf_counter()
        if name == "fast":
            out = nst.FastStylizer(painting, nst.FastOptions(size=SIZE))(photo)
        else:
            out = nst.stylize(photo, painting, size=SIZE, **options)
        seconds = time.perf_counter() - t0
        save_image(pil_to_tensor(out), folder / f"{pair}.png")
        row = {"pair": pair, "photo": photo.name, "painting": painting.name, "seconds": round(seconds, 1),
               **scorer(out, photo, painting)}
        with scores.open("a") as f:
            f.write(json.dumps(row) + "\n")
        print(json.dumps(row), flush=True)


def load_scores(name: str) -> dict[str, dict]:
    path = OUT / name / "scores.jsonl"
    return {r["pair"]: r for r in map(json.loads, path.read_text().splitlines())} if path.is_file() else {}


def report(names: list[str], pairs) -> None:
    """Print per-variant summaries on the given pairs (and the bar against nst fast)."""
    keys = {f"{p.stem}__{q.stem}" for p, q in pairs}
    fast = load_scores("fast")
    for name in names:
        rows = [r for k, r in load_scores(name).items() if k in keys]
        if not rows:
            print(f"{name}: no scores")
            continue
        print(f"\n== {name}: {len(rows)} pairs")
        for key in ("content_vgg19", "style_vgg19", "content_judge", "style_judge"):
            v = [r[key] for r in rows]
            by_painting: dict[str, list[float]] = {}
            for r in rows:
                by_painting.setdefault(r["painting"], []).append(r[key])
            means = [statistics.mean(x) for x in by_painting.values()]
            print(f"  {key:14s} median {statistics.median(v):.3f}  worst {max(v):.3f}  per-painting mean: "
                  f"{min(means):.3f}..{max(means):.3f} (spread {max(means) - min(means):.3f})")
        worst = sorted(rows, key=lambda r: -r["content_judge"])[:3]
        print("  worst content (judge):", "; ".join(f"{r['pair']} {r['content_judge']:.3f}" for r in worst))
        if name != "fast" and fast:
            both = [(r, fast[r["pair"]]) for r in rows if r["pair"] in fast]
            c_ok = sum(r["content_judge"] <= f["content_judge"] + 0.03 for r, f in both)
            s_ok = sum(r["style_judge"] <= 0.9 * f["style_judge"] for r, f in both)
            ok = sum(r["content_judge"] <= f["content_judge"] + 0.03 and r["style_judge"] <= 0.9 * f["style_judge"]
                     for r, f in both)
            dc = [r["content_judge"] - f["content_judge"] for r, f in both]
            ds = [r["style_judge"] / f["style_judge"] for r, f in both]
            print(f"  vs nst fast on {len(both)} pairs: content <= fast+0.03 on {c_ok}, style <= 0.9x fast on "
                  f"{s_ok}, both on {ok}; content - fast median {statistics.median(dc):+.3f} worst {max(dc):+.3f}; "
                  f"style / fast median {statistics.median(ds):.2f} worst {max(ds):.2f}")


def sheets(names: list[str], pairs, folder: Path, thumb: int = 160, suffix: str = ".jpg") -> None:
    """One picture per painting (the painting, then a row per photo: the photo, nst fast, each variant)."""
    folder.mkdir(parents=True, exist_ok=True)
    by_painting: dict[Path, list[Path]] = {}
    for p, q in pairs:
        by_painting.setdefault(q, []).append(p)
    cols = ["photo", "fast", *names]
    for painting, photos in by_painting.items():
        art = load_image(painting)
        art.thumbnail((thumb, thumb))
        grid_rows = [[art]]
        for photo in photos:
            row = []
            for col in cols:
                path = photo if col == "photo" else OUT / col / f"{photo.stem}__{painting.stem}.png"
                im = load_image(path) if path.is_file() else Image.new("RGB", (thumb, thumb // 2), "white")
                im.thumbnail((thumb, thumb))
                row.append(im)
            grid_rows.append(row)
        heights = [max(im.size[1] for im in row) for row in grid_rows]
        sheet = Image.new("RGB", (thumb * len(cols), 16 + sum(heights) + 2 * len(heights)), "white")
        draw = ImageDraw.Draw(sheet)
        draw.text((4, 2), painting.stem[:40], fill="black")
        for j, col in enumerate(cols[1:], start=1):
            draw.text((j * thumb + 4, 2), col, fill="black")
        y = 16
        for row, h in zip(grid_rows, heights):
            for j, im in enumerate(row):
                sheet.paste(im, (j * thumb, y))
            y += h + 2
        sheet.save(folder / f"{painting.stem}{suffix}", quality=85)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--variant", default="default", help="name of the run ('fast' runs nst fast)")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="a TransferOptions field for this variant, TOML value (repeatable)")
    ap.add_argument("--photos", type=int, default=8)
    ap.add_argument("--paintings", type=int, default=24)
    ap.add_argument("--pick", nargs="+", default=[], help="photo and/or painting file names instead of the grid")
    ap.add_argument("--report", nargs="+", metavar="VARIANT", help="only print summaries of these variants")
    ap.add_argument("--sheets", type=Path, metavar="DIR", help="with --report: write contact sheets into DIR")
    ap.add_argument("--sheet-suffix", default=".jpg", help="format of the sheets (.jpg for docs, .png)")
    a = ap.parse_args()
    pairs = grid(a.photos, a.paintings, a.pick)
    if a.report:
        report(a.report, pairs)
        if a.sheets:
            sheets(a.report, pairs, a.sheets, suffix=a.sheet_suffix)
        return
    run_variant(a.variant, parse_sets(a.set), pairs, Scorer())


if __name__ == "__main__":
    main()
