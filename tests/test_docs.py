"""The documentation stays inside the repository and in step with the code.

Every Markdown link in the README, ``docs/`` and ``experiments/`` resolves to a file
of the repository, none points outside it (the references the docs cite are in
``docs/references.md``), and the key reference is the one the parameter
declarations generate.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted([ROOT / "README.md", *(ROOT / "docs").rglob("*.md"),
                *(ROOT / "experiments").rglob("*.md")])
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
OUTSIDE = re.compile(r"https?://(?!localhost|127\.0\.0\.1)[^\s)>\]]+")


@pytest.mark.parametrize("page", PAGES, ids=[p.relative_to(ROOT).as_posix() for p in PAGES])
def test_links_resolve_inside_the_repository(page):
    text = page.read_text(encoding="utf-8")
    assert not OUTSIDE.findall(text), "links outside the repository"
    assert "../shared" not in text and "research/literature.md" not in text
    for target in LINK.findall(text):
        if target.startswith("#"):
            continue
        path = (page.parent / target.split("#", 1)[0]).resolve()
        assert path.exists(), f"{page.relative_to(ROOT)}: {target} does not exist"
        assert ROOT in path.parents or path == ROOT, f"{target} is outside the repository"
