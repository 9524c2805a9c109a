"""Every number in a file into ``metric_values``, whatever its kind.

Typed parsers cover the kinds we understand; this extractor runs on every parsed file so
that no number found in an artifact is lost, including kinds nobody wrote a parser for.
Each value keeps where it came from (``locator``) and is converted to a canonical unit
from the column/key name or an explicit units row.
"""

from __future__ import annotations

import dataclasses

from chimera_pipeline.lib.formats import notebook
from chimera_pipeline.lib.parsing.numbers import (
    is_non_finite,
    normalise,
    parse_number,
    unit_from_name,
)
from chimera_pipeline.lib.parsing.parsers import arrow_values, markdown
from chimera_pipeline.lib.parsing.parsers.base import ParseContext, ParseError, ParseOutput
from chimera_pipeline.lib.parsing.parsers.jsonload import load_json
from chimera_pipeline.lib.parsing.parsers.tabular import (
    LABEL_COLUMNS,
    column_plan,
    is_units_header,
    read_csv,
)
from chimera_pipeline.lib.parsing.sanity import MAX_VALUES_PER_FILE, implausible


def _add(out: ParseOutput, ctx: ParseContext, locator: str, metric: str, raw: object,
         unit: str | None, entity: str | None = None) -> None:
    value = parse_number(raw)
    if value is None:
        if is_non_finite(raw):
            out.counts["not_finite"] += 1
        return
    canonical, canonical_unit = normalise(value, unit)
    reason = implausible(canonical, canonical_unit)
    if reason:
        out.counts[reason] += 1
        return
    out.counts["values"] += 1
    if out.counts["values"] > MAX_VALUES_PER_FILE:
        return
    out.rows["metric_values"].append({
        "partition": ctx.partition, "source_file": ctx.path, "locator": locator,
        "metric": metric, "entity": entity, "value": canonical, "unit": canonical_unit,
        "raw_value": str(raw), "raw_unit": unit})


# below this, a table's cells cost Python less than Arrow's fixed per-file cost (measured
# in docs/benchmarks.md: about 3 ms per call against ~0.3 us per cell in Python)
ARROW_MIN_BYTES = 64 * 1024


def csv_values(ctx: ParseContext, out: ParseOutput) -> None:
    """Every numeric cell: as Arrow columns (:mod:`.arrow_values`) for a large regular table
    or a streamed chunk, else row by row in Python."""
    columnar = ctx.first_row > 1 or len(ctx.text) >= ARROW_MIN_BYTES
    if not (columnar and arrow_values.csv_values(ctx, out)):
        csv_values_python(ctx, out)


def csv_values_python(ctx: ParseContext, out: ParseOutput) -> None:
    """Every numeric cell, as :func:`_add` would store it, with the per-column work hoisted
    out of the cell loop (``test_parsers`` checks both give the same rows and counts)."""
    header, rows = read_csv(ctx.text)
    if not rows and ctx.first_row == 1:
        out.warnings.append("no data rows (header only)")
    ragged = sum(1 for row in rows if len(row) != len(header))
    if ragged:
        out.warnings.append(f"ragged: {ragged} row(s) do not have the header's "
                            f"{len(header)} cells (missing cells empty, extra cells ignored)")
    units: list[str] = list(ctx.csv_units)
    first = ctx.first_row - (1 if units else 0)  # rows after a units row count from 1
    if ctx.first_row == 1 and is_units_header(rows):
        units, rows = [c.strip() for c in rows[0]], rows[1:]
    lowered = [h.lower() for h in header]
    label = next((lowered.index(c) for c in LABEL_COLUMNS if c in lowered), None)
    plans = [column_plan(name, (units[c] if c < len(units) and units[c] else None)
                          or unit_from_name(name)) for c, name in enumerate(header)]
    counts, width = out.counts, len(header)
    partition, source = ctx.partition, ctx.path
    stored: list[dict] = []
    for r, row in enumerate(rows, start=first):
        entity = row[label] if label is not None and label < len(row) else None
        for cell, (metric, unit, factor, limit, raw_unit) in zip(row[:width], plans,
                                                                 strict=False):
            value = parse_number(cell)
            if value is None:
                if is_non_finite(cell):
                    counts["not_finite"] += 1
                continue
            value *= factor
            if limit is not None and (value < 0 or value > limit):
                counts["negative" if value < 0 else "absurd"] += 1
                continue
            counts["values"] += 1
            if counts["values"] > MAX_VALUES_PER_FILE:
                continue
            stored.append({"partition": partition, "source_file": source,
                           "locator": f"row{r}.{metric}", "metric": metric, "entity": entity,
                           "value": value, "unit": unit, "raw_value": cell,
                           "raw_unit": raw_unit})
    if stored:
        out.rows["metric_values"].extend(stored)


def json_values(ctx: ParseContext, out: ParseOutput) -> None:
    data = ctx.json
    if ctx.json_duplicates:
        out.warnings.append("duplicate key(s) " + ", ".join(map(repr, ctx.json_duplicates))
                            + " (the last value of each is kept)")
    if ctx.skipped_lines:
        out.warnings.append(f"{ctx.skipped_lines[0]} line(s) before the JSON skipped "
                            "(console output)")
    _walk(ctx, out, data)


def _walk(ctx: ParseContext, out: ParseOutput, data: object, prefix: str = "") -> None:
    stack: list[tuple[str, str, object]] = [(prefix, "", data)]
    while stack:
        path, key, node = stack.pop()
        if isinstance(node, dict):
            stack.extend((f"{path}.{k}" if path else str(k), str(k), v)
                         for k, v in reversed(list(node.items())))
        elif isinstance(node, list):
            stack.extend((f"{path}[{i}]", key, v) for i, v in reversed(list(enumerate(node))))
        elif not isinstance(node, str) or parse_number(node) is not None:
            _add(out, ctx, path or "$", key or "$", node, unit_from_name(key))


def jsonl_values(ctx: ParseContext, out: ParseOutput) -> None:
    """JSON lines: each line's values, located as ``line<n>.<key path>``; lines that are
    not JSON (a tool's log lines among them) are counted in the file's warning."""
    skipped = 0
    for n, line in enumerate(ctx.text.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        try:
            data = load_json(line)
        except ParseError:
            skipped += 1
            continue
        _walk(ctx, out, data, f"line{n}")
    if skipped:
        out.warnings.append(f"{skipped} line(s) that are not JSON skipped")


def yaml_values(ctx: ParseContext, out: ParseOutput) -> None:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        data = yaml.load(ctx.text, Loader=loader)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        raise ParseError(f"invalid YAML: {' '.join(str(exc).split())}") from exc
    _walk(ctx, out, data)


def markdown_values(ctx: ParseContext, out: ParseOutput) -> None:
    for t, table in enumerate(markdown.tables(ctx.text), start=1):
        for r, row in enumerate(table.rows, start=1):
            entity = row[0].strip("*` ") if row else None
            for c, cell in enumerate(row[1:], start=1):
                split = markdown.split_value(cell)
                if split is None or c >= len(table.header):
                    continue
                column = table.header[c].strip("* ")
                unit = split[1] or unit_from_name(column)
                _add(out, ctx, f"table{t}.row{r}.{column}", column, split[0], unit, entity)
    for line, label, number, unit in markdown.bullets(ctx.text):
        _add(out, ctx, f"line{line}", label, number, unit or unit_from_name(label))


def notebook_values(ctx: ParseContext, out: ParseOutput) -> None:
    """A notebook's cells read like Markdown (what each printed: tables, ``label: value``
    lines), each value located at its cell."""
    try:
        cells = notebook.cell_texts(ctx.text)
    except ValueError as exc:
        raise ParseError(f"not a readable notebook: {exc}") from exc
    rows = out.rows["metric_values"]
    for cell in cells:
        start = len(rows)
        markdown_values(dataclasses.replace(ctx, text=cell.text), out)
        for row in rows[start:]:
            row["locator"] = f"cell{cell.index}.{row['locator']}"


# a plain text or log file is read like Markdown (its pipe tables and "label: value" lines)
EXTRACTORS = {"csv": csv_values, "json": json_values, "md": markdown_values,
              "txt": markdown_values, "log": markdown_values, "jsonl": jsonl_values,
              "yaml": yaml_values, "yml": yaml_values, notebook.NOTEBOOK_TYPE: notebook_values}
EXTRACTOR_NAMES = {"txt": "md", "log": "md", "yml": "yaml"}
