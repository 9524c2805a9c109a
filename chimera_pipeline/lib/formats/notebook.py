"""Jupyter notebooks: the text each cell printed, so the tools' readers read it as a log.

People run ``llama-bench``, ``ollama run --verbose`` or a llama.cpp binding in a notebook and
keep the output there. A cell's outputs (``stream`` text, ``text/plain`` and ``text/markdown``
results, simple HTML tables as pipe tables) are what the tool printed; the shell commands of
the cell (``!llama-bench -m ...``) are kept above them, because a reader takes the model and
flags from the command. Only nbformat 4 (every notebook since 2015) is read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from html.parser import HTMLParser

NOTEBOOK_TYPE = "ipynb"
_TEXT_TYPES = ("text/markdown", "text/plain")


@dataclass(frozen=True)
class CellText:
    """What one cell printed (with its shell commands above), and its 0-based index."""

    index: int
    text: str


def looks_like(text: str) -> bool:
    """A notebook by its first bytes: the JSON object Jupyter writes, its ``cells`` key
    near the top (the inventory holds only the first MiB of a big notebook, and Jupyter
    writes ``nbformat`` last, after every cell)."""
    head = text.lstrip("\ufeff \t\r\n")[:4096]
    return head.startswith("{") and '"cells"' in head


def _joined(value: object) -> str:
    return "".join(value) if isinstance(value, list) else str(value or "")


@dataclass
class _Tables(HTMLParser):
    """The cells of every HTML table, by the standard library's parser: one pass whatever
    the markup (closing tags are optional in HTML, and a pattern per row would rescan the
    rest of the document for each unclosed one)."""

    tables: list[list[list[str]]] = field(default_factory=list)
    depth: int = 0
    cell: list[str] | None = None

    def __post_init__(self) -> None:
        super().__init__(convert_charrefs=True)

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "table":
            self.depth += 1
            if self.depth == 1:
                self.tables.append([])
        elif self.depth == 1 and tag == "tr":
            self._close_cell()
            self.tables[-1].append([])
        elif self.depth == 1 and tag in ("td", "th") and self.tables[-1]:
            self._close_cell()
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th", "tr"):
            self._close_cell()
        elif tag == "table" and self.depth:
            self._close_cell()
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)

    def _close_cell(self) -> None:
        if self.cell is not None and self.tables and self.tables[-1]:
            self.tables[-1][-1].append(" ".join("".join(self.cell).split()).replace("|", "/"))
        self.cell = None


def _html_tables(markup: str) -> str:
    """Each HTML table (a pandas DataFrame's, typically) as a pipe table; cells that hold
    nested markup keep their text only."""
    parser = _Tables()
    parser.feed(markup)
    parser.close()
    tables = []
    for rows in parser.tables:
        rows = [r for r in rows if r]
        if len(rows) < 2:
            continue
        lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
        lines += ["| " + " | ".join(r) + " |" for r in rows[1:]]
        tables.append("\n".join(lines))
    return "\n\n".join(tables)


def _output_text(output: dict) -> str:
    if output.get("output_type") == "stream":
        return _joined(output.get("text"))
    data = output.get("data") or {}
    for kind in _TEXT_TYPES:
        if kind in data:
            return _joined(data[kind])
    if "text/html" in data:
        return _html_tables(_joined(data["text/html"]))
    return ""


def cell_texts(text: str) -> list[CellText]:
    """Every cell that printed something (code) or says something (Markdown), in order.
    ``ValueError`` when the text is not an nbformat-4 notebook."""
    notebook = json.loads(text)
    if not isinstance(notebook, dict) or notebook.get("nbformat") != 4:
        raise ValueError("not an nbformat 4 notebook")
    cells = []
    for index, cell in enumerate(notebook.get("cells") or []):
        if not isinstance(cell, dict):
            continue
        source = _joined(cell.get("source"))
        if cell.get("cell_type") == "markdown":
            parts = [source]
        else:
            commands = [line.lstrip()[1:] for line in source.splitlines()
                        if line.lstrip().startswith("!")]
            parts = commands + [_output_text(o) for o in cell.get("outputs") or []
                                if isinstance(o, dict)]
        printed = "\n".join(p for p in parts if p.strip())
        if printed.strip():
            cells.append(CellText(index, printed))
    return cells


def rendered(text: str) -> str:
    """The whole notebook as one text: each cell under a ``<!-- cell N -->`` line."""
    return "\n\n".join(f"<!-- cell {c.index} -->\n{c.text}" for c in cell_texts(text))
