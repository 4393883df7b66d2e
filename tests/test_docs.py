"""The README stays a few minutes' read and the docs stay one connected, unbroken set.

- README.md is at most `MAX_README_WORDS` words (as `wc -w` counts them) and opens with a table
  of contents that lists every section;
- every docs/*.md page is linked from docs/index.md;
- every relative link and image in README.md and docs/*.md points at a file that exists (and,
  for `#anchor`, at a heading of that file), except an image still to be made, which must
  carry its `<!-- FIGURES: ... -->` marker on the line before;
- the README's test command is the one CI runs (`.ci/run`), character for character;
- no page points at an issue tracker its reader cannot see.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = ROOT / "docs"
INDEX = DOCS / "index.md"
MAX_README_WORDS = 2000

FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
HEADING = re.compile(r"^(#{1,6}) +(.+?) *$", re.MULTILINE)


def _pages() -> list[Path]:
    return [README, *sorted(DOCS.glob("*.md"))]


def _prose(text: str) -> str:
    """The text outside fenced code blocks (same line count, so line numbers hold)."""
    return FENCE.sub(lambda m: "\n" * m.group(0).count("\n"), text)


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    return {_slug(title) for _, title in HEADING.findall(_prose(page.read_text("utf-8")))}


def _links(page: Path) -> list[tuple[int, str]]:
    """(line number, target) of every relative link or image on the page."""
    found = []
    for number, line in enumerate(_prose(page.read_text("utf-8")).splitlines(), 1):
        for target in LINK.findall(line):
            if not re.match(r"^[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto:
                found.append((number, target))
    return found


def test_readme_is_at_most_2000_words() -> None:
    words = len(README.read_text("utf-8").split())
    assert words <= MAX_README_WORDS, f"README.md has {words} words; move depth into docs/"


def test_readme_opens_with_a_table_of_contents_of_every_section() -> None:
    text = _prose(README.read_text("utf-8"))
    sections = [title for level, title in HEADING.findall(text) if level == "##"]
    assert sections[0] == "Contents", sections
    contents = text.split("## Contents", 1)[1].split("\n## ", 1)[0]
    listed = re.findall(r"^- \[[^\]]+\]\(#([^)]+)\)", contents, re.MULTILINE)
    assert listed == [_slug(title) for title in sections[1:]]


def test_every_doc_is_linked_from_the_index() -> None:
    linked = {(INDEX.parent / target.split("#")[0]).resolve() for _, target in _links(INDEX)}
    missing = [p.name for p in DOCS.glob("*.md") if p != INDEX and p.resolve() not in linked]
    assert not missing, f"not linked from docs/index.md: {missing}"


def test_the_readme_links_the_index() -> None:
    assert "docs/index.md" in {target for _, target in _links(README)}


@pytest.mark.parametrize("page", _pages(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_relative_link_resolves(page: Path) -> None:
    lines = page.read_text("utf-8").splitlines()
    broken = []
    for number, target in _links(page):
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        if not file.exists():
            pending = number > 1 and lines[number - 2].strip().startswith("<!-- FIGURES:")
            if not (target.endswith((".png", ".svg")) and pending):
                broken.append(f"line {number}: {target} (no such file)")
            continue
        if anchor and file.suffix == ".md" and anchor not in _anchors(file):
            broken.append(f"line {number}: {target} (no such heading)")
    assert not broken, broken


def test_the_readme_test_command_is_what_ci_runs() -> None:
    commands = [line for line in FENCE.findall(README.read_text("utf-8"))
                for line in line.splitlines() if "pytest" in line and line.startswith("python3")]
    assert len(commands) == 1, commands
    ci = (ROOT / ".ci" / "run").read_text("utf-8").splitlines()
    assert commands[0] in ci


def test_no_page_points_at_an_invisible_issue_tracker() -> None:
    pattern = re.compile(r"\bissues? #?\d+|\(issue\b|\bthis VM\b", re.IGNORECASE)
    hits = [f"{page.relative_to(ROOT)}:{number}: {line.strip()}"
            for page in _pages()
            for number, line in enumerate(page.read_text("utf-8").splitlines(), 1)
            if pattern.search(line)]
    assert not hits, hits
