"""``chimera compare``: two or more selections of the warehouse side by side, each difference
judged by the regression method (docs/comparing-runs.md). Reads the warehouse only."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from chimera_pipeline.lib.config import Settings

_KEYS = "day, model, suite/test, config, tool, engine, hardware"


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "compare", help="compare days, models, tools, engines or hardware (read-only)",
        description="Compare selections of the warehouse: per metric A, B, change, ratio and "
        "the regression method's verdict, and the percentiles of CHIMERA_PERCENTILES beside "
        "the means (shown, not tested). A selection is key=value pairs joined by commas "
        f"(keys: {_KEYS}; key~part matches a part of the value, any case; "
        "day=D1..D2 is a range).")
    parser.add_argument("--a", dest="a", metavar="SELECTION",
                        help="side A, e.g. day=2025-10-02,model=llama3.1:8b-instruct-q4_0")
    parser.add_argument("--b", dest="b", action="append", metavar="SELECTION",
                        help="side B (repeatable: each one is compared with A)")
    parser.add_argument("--days", nargs="+", metavar="DAY",
                        help="shortcut: one selection per day or range (D1..D2), the first is A")
    parser.add_argument("--models", nargs="+", metavar="MODEL",
                        help="shortcut: one selection per model, the first is A")
    parser.add_argument("--tools", nargs="+", metavar="TOOL",
                        help="shortcut: one selection per tool, the first is A")
    parser.add_argument("--hardware", nargs="+", metavar="HARDWARE",
                        help="shortcut: one selection per GPU or CPU, the first is A")
    parser.add_argument("--where", metavar="SELECTION",
                        help="a filter every selection shares, e.g. model=gemma3:latest")
    parser.add_argument("--ignore", metavar="DIMS", default="",
                        help="dimensions not required to match, comma-separated (engine, "
                        "config, test...: two tools name them differently)")
    parser.add_argument("--format", choices=("md", "csv", "json"), default="md",
                        help="output format (default: md)")
    parser.add_argument("--out", metavar="DIR",
                        help="also write comparison.<format> and comparison.png there")
    parser.set_defaults(func=cmd_compare)


def _selections(args: argparse.Namespace) -> list:
    """The selections asked for, each narrowed by ``--where``; a SelectionError if none or
    several ways were given."""
    from chimera_pipeline.lib.compare import (
        SelectionError,
        parse_selection,
        shortcut,
        with_common,
    )

    ways = {"--a/--b": args.a is not None or args.b is not None, "--days": bool(args.days),
            "--models": bool(args.models), "--tools": bool(args.tools),
            "--hardware": bool(args.hardware)}
    given = [name for name, on in ways.items() if on]
    if len(given) != 1:
        raise SelectionError("give the selections one way: --a SEL --b SEL, --days D1 D2, "
                             "--models M1 M2, --tools T1 T2 or --hardware H1 H2"
                             + (f" (got {', '.join(given)})" if given else ""))
    if given == ["--a/--b"]:
        if not args.a or not args.b:
            raise SelectionError("--a and --b go together: give both")
        selections = [parse_selection(args.a, "A")]
        selections += [parse_selection(b, chr(ord("B") + i)) for i, b in enumerate(args.b)]
    else:
        key = {"--days": "day", "--models": "model", "--tools": "tool",
               "--hardware": "hardware"}[given[0]]
        values = {"day": args.days, "model": args.models, "tool": args.tools,
                  "hardware": args.hardware}[key]
        if len(values) < 2:
            raise SelectionError(f"{given[0]} needs at least two values")
        selections = shortcut(key, values)
    common = parse_selection(args.where, "--where") if args.where else None
    return [with_common(s, common) for s in selections]


def _out_dir(text: str) -> Path:
    """``--out DIR``, created now (before the warehouse is read): a SelectionError in one
    line when it cannot be."""
    from chimera_pipeline.lib.compare import SelectionError

    out = Path(text)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SelectionError(f"--out {text}: cannot create the folder "
                             f"({exc.strerror or exc})") from None
    return out


def cmd_compare(args: argparse.Namespace, settings: Settings) -> int:
    """Print the comparison; exit 2 for a selection that is wrong or matches nothing (or an
    ``--out`` that cannot be written), 3 when the warehouse is missing or being written.
    Verdicts use the registry's regression parameters, as the alerts do; the percentiles
    shown beside the means are the registry's ``CHIMERA_PERCENTILES``."""
    from chimera_pipeline.lib.compare import SelectionError, chart, compare, render
    from chimera_pipeline.lib.facts.regression import Params
    from chimera_pipeline.lib.store.warehouse import WarehouseBusy, connect_read_only

    try:
        selections = _selections(args)
        ignore = [x.strip() for x in args.ignore.split(",") if x.strip()]
        out = _out_dir(args.out) if args.out else None
    except SelectionError as exc:
        print(f"chimera: {exc}", file=sys.stderr)
        return 2
    try:
        con = connect_read_only(settings.warehouse_path, files=False)
    except (WarehouseBusy, FileNotFoundError) as exc:
        print(f"chimera: {exc}", file=sys.stderr)
        return 3
    try:
        comparisons = compare(con, selections, ignore, Params.from_settings(settings),
                              settings.percentiles)
    except SelectionError as exc:
        print(f"chimera: {exc}", file=sys.stderr)
        return 2
    finally:
        con.close()
    text = render(comparisons, args.format)
    print(text)
    if out is not None:
        table = out / f"comparison.{args.format}"
        try:
            table.write_text(text + "\n")
            png = chart(comparisons, out / "comparison.png")
        except OSError as exc:
            print(f"chimera: --out {args.out}: cannot write ({exc.strerror or exc})",
                  file=sys.stderr)
            return 2
        print(f"chimera: wrote {table}" + (f" and {png}" if png else " (nothing to chart)"),
              file=sys.stderr)
    return 0
