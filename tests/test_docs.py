"""The README and the docs pages: short, pictures first, every picture and link present, no machine paths."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", ROOT / "benchmarks" / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"!?\[[^\]]*\]\(([^)#\s]+)\)")


def test_readme_is_short_and_opens_with_a_picture():
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 220
    assert any(line.startswith("![") for line in lines[:15])
    start = lines.index("## Quick start")
    block = lines[lines.index("```bash", start) + 1:]
    commands = block[:block.index("```")]
    assert len(commands) == 2 and commands[1].endswith("python -m pytest -q")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_links_and_pictures_exist_and_no_machine_paths(page):
    text = page.read_text(encoding="utf-8")
    for target in LINK.findall(text):
        if target.startswith(("http://", "https://", "mailto:")):
            continue
        assert (page.parent / target).exists(), f"{page.name}: missing {target}"
    assert not re.search(r"(?<![\w.])/(work|root|home|tmp|Users)/", text), f"{page.name} names a machine path"
