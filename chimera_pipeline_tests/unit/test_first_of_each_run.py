"""``first_of_each_run``: a run read from two files of a day counts once, as its first file
and row have it, exactly the rows the sort-based ``row_number() = 1`` keeps, on the inputs
most likely to split them (NULL keys and rows, repeats across files and days, a key
repeated three times, the same key on two days)."""

from __future__ import annotations

import random

import duckdb

from chimera_pipeline.lib.store.results import _PARTITIONS, first_of_each_run

SORTED = """SELECT * FROM runs WHERE {where}
            QUALIFY row_number() OVER (PARTITION BY partition, measurement_key
                                       ORDER BY source_file, source_row) = 1"""


def _runs(rng: random.Random) -> list[tuple]:
    rows = []
    for n in range(3000):
        day = rng.choice(["2025-10-01", "2025-10-02", "2025-10-03", None])
        key = rng.choice([None, *(f"k{rng.randrange(400)}" for _ in range(9))])
        source = rng.choice(["a.csv", "b.json", "c [1].csv", None])
        row = None if rng.random() < 0.05 else rng.randrange(50)
        rows.append((day, key, source, row, n, rng.random() < 0.7))
    return rows


def test_the_same_rows_as_the_sort_on_repeated_and_null_keys() -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE runs (partition VARCHAR, measurement_key VARCHAR, "
                "source_file VARCHAR, source_row BIGINT, n INTEGER, ok BOOLEAN)")
    rng = random.Random(7)
    rows = _runs(rng)
    # exact ties (same day, key, file and row) have no first: the sort keeps either one
    seen, unique = set(), []
    for row in rows:
        if row[:4] not in seen:
            seen.add(row[:4])
            unique.append(row)
    con.executemany("INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?)", unique)
    params = {"partitions": ["2025-10-01", "2025-10-03"]}
    # a condition on more than the day: the first read is the first of the rows it keeps
    # (a failed first read must not hide the run's successful second one)
    for where in (_PARTITIONS, f"{_PARTITIONS} AND ok", "partition IS NULL", "ok"):
        bound = params if "$partitions" in where else None
        ours = con.execute(f"SELECT n FROM {first_of_each_run('runs', where)} ORDER BY n",
                           bound).fetchall()
        sorted_way = con.execute(f"SELECT n FROM ({SORTED.format(where=where)}) ORDER BY n",
                                 bound).fetchall()
        assert ours == sorted_way, where
    # the attack was real: keys repeat across files, NULL keys too, and rows were dropped
    assert len(ours) < con.execute(f"SELECT count(*) FROM runs WHERE {_PARTITIONS}",
                                   params).fetchone()[0]
    assert con.execute("SELECT count(*) FROM runs WHERE measurement_key IS NULL").fetchone()[0]
