"""Text tables, for the terminal and for Markdown, drawn by one library (`tabulate`).

Cells are shown as given: no number parsing or re-alignment of figures that are already
formatted (`12.3 µs`, `0.86x`), and None is an empty cell.
"""

from __future__ import annotations

from collections.abc import Sequence

from tabulate import DataRow, TableFormat, tabulate


def _short_rule(colwidths: Sequence[int], colaligns: Sequence[str]) -> str:
    return "|" + "|".join("---" for _ in colwidths) + "|"


#: GitHub-flavoured Markdown with unpadded cells and a `|---|` rule: rows stay short and diff
#: line by line, and a Markdown renderer aligns the columns anyway.
MARKDOWN = TableFormat(lineabove=None, linebelowheader=_short_rule, linebetweenrows=None,
                       linebelow=None, headerrow=DataRow("|", "|", "|"),
                       datarow=DataRow("|", "|", "|"), padding=1, with_header_hide=None)


def format_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """Left-aligned columns separated by two spaces, with a rule under the header."""
    text = tabulate(_cells(rows), headers=[str(h) for h in header], tablefmt="simple",
                    disable_numparse=True, stralign="left")
    return "\n".join(line.rstrip() for line in text.splitlines())


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A GitHub-flavoured Markdown table (`MARKDOWN`); `|`, `<` (no cell becomes inline HTML:
    names come from third-party plugins) and newlines inside cells are escaped."""
    return str(tabulate([[_markdown_cell(c) for c in row] for row in _cells(rows)],
                        headers=[_markdown_cell(str(h)) for h in header], tablefmt=MARKDOWN,
                        disable_numparse=True, stralign=None))


def _cells(rows: Sequence[Sequence[object]]) -> list[list[str]]:
    return [["" if c is None else str(c) for c in row] for row in rows]


def _markdown_cell(value: str) -> str:
    return markdown_text(value).replace("|", "\\|").replace("\n", " ")


def markdown_text(value: str) -> str:
    """Text for Markdown that cannot open an HTML tag (`<` as `&lt;`)."""
    return value.replace("<", "&lt;")
