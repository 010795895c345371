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


def test_the_documentation_site_builds_offline_with_warnings_as_errors(tmp_path):
    """mkdocs.yml: every page, every API entry (mkdocstrings reads the docstrings), every
    link between pages; a warning fails the build (strict)."""
    import subprocess
    import sys

    site = tmp_path / "site"
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d",
                           str(site)], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    for page in ("index.html", "keys/index.html", "guide/model/index.html",
                 "guide/api/index.html", "stories/crisis/report/index.html"):
        assert (site / page).stat().st_size > 1000, page
    api = (site / "guide/api/index.html").read_text(encoding="utf-8")
    assert "simulator.engine.run.run" in api or "run(" in api
    model = (site / "guide/model/index.html").read_text(encoding="utf-8")
    assert "feed: show" in model  # the step plan, from the engine's own docstring
