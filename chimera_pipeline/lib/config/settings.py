"""The settings registry: every environment variable chimera reads, declared once.

Everything a user can change is an environment variable (``CHIMERA_*``, plus ``OLLAMA_HOST``,
``DAGSTER_HOME`` and ``DAGSTER_POSTGRES_URL``), so a nightly schedule, a ``chimera run``, a
Celery worker and a test all see the same configuration without a config file to keep in
sync. Each variable is one field of :class:`Settings`, declared with :func:`setting`: its
type, default, limits and meaning live there and nowhere else. The code reads values through
:func:`load_settings` (which parses and checks every variable, so up-front validation is just
calling it), the "did you mean" list is :func:`variable_names`, and the configuration table in
``docs/`` is generated from the declarations (``docs.py``).

Why not pydantic-settings: every ``chimera`` command validates the whole configuration first,
the no-change ``chimera run`` included, which must cost about a directory walk; importing
pydantic and pydantic-settings costs several times what this module does, and their load is
slower per call. The parsing needed here (numbers with limits, choices, comma lists, paths, a
date, a time zone) is the small table below.
Relative paths resolve against the project root (the folder that holds ``pyproject.toml``),
not the current directory, because Dagster subprocesses do not always start where the user
typed the command.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import os
import re
import zoneinfo
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[3]
_MEMORY = re.compile(r"(?i)^\s*\d+(\.\d+)?\s*(b|[kmgt]i?b)\s*$")


class SettingsError(ValueError):
    """A setting is unusable; the message says which one and how to fix it."""


@dataclass(frozen=True)
class Declaration:
    """What the registry knows about one variable, beyond its field's name and default."""

    kind: str  # path, str, int, float, bool, list, choice
    meaning: str
    group: str
    env: str | None = None  # the variable's name when it is not CHIMERA_<FIELD>
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    shown: str | None = None  # how the default reads in the docs, when None means something
    test_only: bool = False
    check: Callable[[object], str | None] | None = None  # a problem with a parsed value


def setting(default: object, kind: str, meaning: str, group: str, **rules: object):
    """Declare one variable: a :class:`Settings` field with its :class:`Declaration`."""
    return dataclasses.field(default=default,
                             metadata={"declaration": Declaration(kind, meaning, group, **rules)})


def _is_date(value: object) -> str | None:
    try:
        dt.date.fromisoformat(str(value))
    except ValueError:
        return "is not a date; use YYYY-MM-DD"
    return None


def _is_zone(value: object) -> str | None:
    try:
        zoneinfo.ZoneInfo(str(value))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return "is not a time zone; use an IANA name such as UTC or Europe/Berlin"
    return None


def _is_webhook(value: object) -> str | None:
    """An http(s) URL with a host: checked when settings load, not at the first regression."""
    import urllib.parse

    try:
        parts = urllib.parse.urlsplit(str(value))
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        return "is not a URL; give an http(s) URL such as https://hooks.slack.com/services/..."
    if parts.scheme not in ("http", "https") or not parts.hostname or any(
            c in str(value) for c in " \t\r\n"):
        return "is not an http(s) URL with a host; give e.g. https://hooks.slack.com/services/..."
    return None


def _is_memory(value: object) -> str | None:
    return None if _MEMORY.match(str(value)) else "is not a memory size; give e.g. 512MB or 2GB"


def _are_percentiles(names: object) -> str | None:
    """``p50,p90,p95,p99``: each a percentile strictly between 0 and 100, named as the tools
    name theirs (``p99.9`` too), so a computed statistic sits beside the tool's own."""
    for name in names:
        match = re.fullmatch(r"p(\d{1,2}(?:\.\d+)?)", str(name).lower())
        if not match or not 0 < float(match.group(1)) < 100:
            return (f"has {name!r}, which is not a percentile; give names such as "
                    "p50,p90,p95,p99 (p followed by a number between 0 and 100)")
    return None


def _inside_root(roots: object) -> str | None:
    for item in roots:  # scan roots must stay inside the artifact root
        if Path(item).is_absolute() or ".." in Path(item).parts:
            return (f"leaves the artifact root ({item!r}); give folder names relative to "
                    "CHIMERA_ARTIFACT_ROOT")
    if "." in roots and len(roots) > 1:  # the root holds the others: files read twice
        return "'.' (the whole root) already holds the other folders; give '.' alone"
    return None


# what the pipeline writes in its data dir (reports, the scan cache, models, staging)
DATA_DIR_FOLDERS = ("reports", "scan_cache", "models", "dagster_home")


@dataclass(frozen=True)
class Settings:
    """Resolved configuration (build it with :func:`load_settings`)."""

    # -- where things are
    artifact_root: Path = setting(
        Path("data/artifacts"), "path", "the folder of benchmark results to read (any "
        "layout)", "paths")
    data_dir: Path = setting(
        Path("data"), "path", "holds `warehouse.duckdb`, `reports/`, `scan_cache/` and "
        "`dagster_home/`", "paths")
    scan_roots: tuple[str, ...] = setting(
        (".",), "list", "folders under the root that are scanned (comma-separated); `.` is "
        "the whole root (hidden folders, `node_modules`, Python environments and the data "
        "dir are never read)", "paths", check=_inside_root)
    extensions: tuple[str, ...] = setting(
        ("csv", "json", "jsonl", "md", "txt", "log", "yaml", "yml", "ipynb"), "list",
        "file extensions that are scanned (comma-separated)", "paths")
    partition_start: str = setting(
        "2023-01-01", "str", "first day of the daily partitions (YYYY-MM-DD)", "paths",
        check=_is_date)
    dagster_home: str | None = setting(
        None, "str", "the Dagster instance; the profile's `dagster.yaml` is copied in",
        "paths", env="DAGSTER_HOME", shown="`$CHIMERA_DATA_DIR/dagster_home`")

    # -- parsing and the warehouse
    max_parse_mb: float = setting(
        256.0, "float", "larger files are catalogued but not parsed (JSON/Markdown are parsed "
        "whole)", "parsing", minimum=1)
    stream_csv_mb: float = setting(
        64.0, "float", "a larger CSV is parsed in chunks of 5,000 rows (bounded memory) instead "
        "of whole", "parsing", minimum=0.001)
    parse_workers: int | None = setting(
        None, "int", "processes that hash a first scan (2,000+ new files) and parse "
        "`benchmark_metrics`' chunks of 500 files (2,500+ files); above 1, a backfill of more "
        "than one block of 31 days with a block's worth of facts to compute also has its "
        "nights judged by a process of their own, ahead of the facts; 1 keeps everything in "
        "the calling process", "parsing",
        minimum=1, shown="CPUs available")
    percentiles: tuple[str, ...] = setting(
        ("p50", "p90", "p95", "p99"), "list", "the percentiles computed from per-request "
        "results (`benchmark_results` rows with `derived`, beside `median`) and in each "
        "model's request statistics (facts), shown in the report's tool table where a tool "
        "wrote them and by `chimera compare` (comma-separated; takes effect for a day when "
        "it is computed again, e.g. `chimera run --force`)", "parsing",
        check=_are_percentiles)
    duckdb_memory: str = setting(
        "384MB", "str", "DuckDB `memory_limit` of the pipeline's connections (it spills to "
        "disk beyond). A step's peak is about 0.6 GB (Python, Dagster, a block of facts) "
        "plus this: the default keeps a year's build at about 1 GB", "parsing",
        check=_is_memory)

    # -- checks, schedule, sensor and pools
    gpu_slots: int = setting(
        1, "int", "limit of the `llm` pool: LLM calls at once, one per GPU slot behind Ollama",
        "operations", minimum=1)
    grounding_threshold: float = setting(
        0.8, "float", "below this share of verified quantities (of all the LLM typed, published "
        "or left out) the `grounding_rate` check fails: a warning, or an error that stops the "
        "report when unverified ones were published marked", "operations", minimum=0)
    max_error_rate: float = setting(
        0.5, "float", "the `llm_runs` error-rate check warns above this share of failed "
        "requests", "operations", minimum=0)
    freshness_days: int = setting(
        2, "int", "the freshness check warns when the newest benchmark day is older",
        "operations", minimum=0)
    schedule_timezone: str = setting(
        "UTC", "str", "time zone of the nightly 02:00 schedule (an IANA name)", "operations",
        check=_is_zone)
    sensor_settle_seconds: float = setting(
        60.0, "float", "a file modified more recently than this is still being written: the "
        "sensor waits", "operations", minimum=0)
    run_merge_gap_days: int = setting(
        90, "int", "stale days this close together go into one run, the unchanged days between "
        "them skipped (a skipped day costs two Dagster events per asset, written in batches; "
        "a run, seconds of fixed cost; a failed run marks its whole range failed in the UI "
        "until a run over it succeeds); 0 gives one run per block of consecutive days",
        "operations", minimum=0)
    regression_check: str = setting(
        "warn", "choice", "severity of the `no_performance_regressions` check: `warn`, `error`, "
        "or `block` (error, and a regressed day's analysis and report wait)", "operations",
        choices=("warn", "error", "block"))
    regression_history: int = setting(
        20, "int", "nights of a series' history a night is judged against (the regression "
        "method, docs/operations.md)", "operations", minimum=2)
    regression_min_history: int = setting(
        5, "int", "nights of history before the method applies; before, only a large change "
        "against the previous night with overwhelming within-night evidence is an alert",
        "operations", minimum=2)
    regression_fdr: float = setting(
        0.01, "float", "false-discovery rate (Benjamini-Hochberg over every test of a night) "
        "and the within-night Welch test's level", "operations", minimum=1e-9)
    regression_min_change: float = setting(
        2.0, "float", "the smallest change that can be an alert: % of the baseline (points of "
        "a failed share)", "operations", minimum=0)
    regression_confirm_z: float = setting(
        2.5, "float", "each of the two nights of a sustained step must be this many "
        "baseline spreads to the same side", "operations", minimum=0)
    alert_webhook: str | None = setting(
        None, "str", "POST each regressed day's alert here as JSON (`text`, `content`, `day`, "
        "`regressions`: Slack, Mattermost, Discord and Teams workflows read it); credentials "
        "in it are redacted from logs", "operations", check=_is_webhook)
    alert_command: str | None = setting(
        None, "str", "run this command for each regressed day, the alert text on stdin and "
        "`CHIMERA_ALERT_DAY` set", "operations")
    alert_digest: bool = setting(
        True, "bool", "a run that finds several regressed days (a backfill over history) sends "
        "one message listing them all instead of one per day", "operations")
    alert_timeout: float = setting(
        10.0, "float", "seconds the webhook or command may take; a failed delivery is logged "
        "and never fails the run", "operations", minimum=0.1)
    sensor_interval_seconds: int = setting(
        60, "int", "seconds between two ticks of the `new_artifacts` sensor (read when the "
        "code location loads)", "operations", minimum=1)
    schedule_force: bool = setting(
        False, "bool", "the nightly schedule runs the previous day even when it is up to date "
        "(by default such a tick is skipped, with the reason)", "operations")

    # -- the LLM step
    llm_backend: str = setting(
        "auto", "choice", "`ollama`, `embedded`, or `auto`: Ollama when it answers and has the "
        "model, else embedded", "llm", choices=("auto", "ollama", "embedded"))
    llm_model: str = setting("gemma3:latest", "str", "the Ollama model", "llm")
    ollama_host: str = setting(
        "http://127.0.0.1:11434", "str", "the Ollama server (credentials in it are redacted "
        "from logs and reports)", "llm", env="OLLAMA_HOST")
    embedded_model: Path | None = setting(
        None, "path", "path of another GGUF file for the embedded backend", "llm",
        shown="the packaged gemma3 270M")
    llm_max_tokens: int = setting(
        800, "int", "answer budget (`num_predict` / `max_tokens`)", "llm", minimum=1)
    llm_num_ctx: int | None = setting(
        None, "int", "a fixed `num_ctx`; facts are trimmed to fit it", "llm", minimum=256,
        shown="sized to the prompt")
    llm_max_ctx: int = setting(
        8192, "int", "the largest `num_ctx` the sizing may choose", "llm", minimum=256)
    llm_temperature: float = setting(0.2, "float", "sampling temperature sent", "llm",
                                     minimum=0)
    llm_top_p: float | None = setting(None, "float", "`top_p` sent when set", "llm", minimum=0,
                                      shown="unset")
    llm_top_k: int | None = setting(None, "int", "`top_k` sent when set", "llm", minimum=0,
                                    shown="unset")
    llm_repeat_penalty: float | None = setting(
        None, "float", "`repeat_penalty` sent when set", "llm", minimum=0, shown="unset")
    llm_seed: int = setting(42, "int", "sampling seed sent", "llm", minimum=0)
    llm_num_gpu: int | None = setting(
        None, "int", "Ollama `num_gpu` (layers on the GPU)", "llm", minimum=-1, shown="unset")
    llm_keep_alive: str = setting(
        "30m", "str", "Ollama `keep_alive`, so a backfill does not reload the model per day",
        "llm")
    llm_timeout: float = setting(120.0, "float", "request timeout, seconds", "llm",
                                 minimum=0.01)
    llm_retries: int = setting(2, "int", "retries of a failed call", "llm", minimum=0)
    llm_schema_retries: int = setting(
        1, "int", "retries of an answer that misses the JSON schema", "llm", minimum=0)
    llm_backoff: float = setting(
        1.0, "float", "first backoff between retries, seconds (doubles each time)", "llm",
        minimum=0)
    llm_mark_unverified: bool = setting(
        False, "bool", "publish a narrative sentence whose number no fact backs, marked "
        "`[⚠ unverified]`, instead of leaving it out (the grounding check then counts it)",
        "llm", shown="unset")
    llm_language: str = setting(
        "en", "str", "the language the answer must be in (ISO 639-1); an answer in another "
        "language is retried, then rejected by the gate", "llm")

    # -- deployment profiles
    run_executor: str = setting(
        "multiprocess", "choice", "local profile: how runs the UI, the schedule and the sensor "
        "launch execute their steps: `multiprocess` (a process per step) or `in_process` "
        "(one process: no per-step start-up, faster for small trees on few cores)",
        "deployment", choices=("multiprocess", "in_process"))
    profile: str = setting(
        "local", "choice", "`local`, `celery` or `k8s`: the instance and the executor "
        "(docs/scale-out.md)", "deployment", choices=("local", "celery", "k8s"))
    postgres_url: str | None = setting(
        None, "str", "celery profile: the instance's PostgreSQL (`postgresql+psycopg2://…`)",
        "deployment", env="DAGSTER_POSTGRES_URL", shown="unset")
    celery_broker: str | None = setting(None, "str", "celery profile: the Redis broker",
                                        "deployment", shown="unset")
    celery_backend: str | None = setting(
        None, "str", "celery profile: the Redis result backend", "deployment", shown="unset")
    celery_lost_after_s: float = setting(
        60.0, "float", "celery profile: a step whose worker stops answering this long fails "
        "(or is retried)", "deployment", minimum=1)
    celery_no_worker_after_s: float = setting(
        300.0, "float", "celery profile: a step whose queue nobody serves this long fails",
        "deployment", minimum=1)

    # -- set by the test suite and fault injection, not by users
    real_corpus: Path = setting(
        Path("../shared/corpus/chimeraforge"), "path", "the real corpus the tests use",
        "tests", test_only=True)
    tools_corpus: Path = setting(
        Path("../shared/corpus/other_tools"), "path", "real outputs of llama-bench, llmperf, "
        "vLLM, GuideLLM, GenAI-Perf and Ollama the tests read", "tests", test_only=True)
    require_real_corpus: bool = setting(
        False, "bool", "set by `.ci/run`: a missing real corpus fails the tests instead of "
        "skipping them", "tests", test_only=True, shown="unset")
    stress_multiprocess_repetitions: int = setting(
        0, "int", "how many of the concurrency test's 5 backfills use the multiprocess "
        "executor", "tests", minimum=0, maximum=5, test_only=True)
    fault_pause_in_write: str | None = setting(
        None, "str", "fault injection for the crash test: `<table>:<marker>` stops a write "
        "before COMMIT", "tests", test_only=True, shown="unset")

    # -- derived paths
    @property
    def warehouse_path(self) -> Path:
        return self.data_dir / "warehouse.duckdb"

    @property
    def reports_dir(self) -> Path:
        return self.data_dir / "reports"

    @property
    def scan_skip(self) -> tuple[str, ...]:
        """Folders under the artifact root the walk must not enter: the data dir (and the
        Dagster home), when they lie inside it -- the pipeline's own reports and warehouse
        are not artifacts."""
        root = self.artifact_root.resolve()
        inside = []
        for folder in (self.data_dir, self.instance_home):
            try:
                inside.append(folder.resolve().relative_to(root).as_posix())
            except ValueError:
                continue
        if "." in inside:  # the data dir is the root itself: skip what the pipeline writes
            inside += DATA_DIR_FOLDERS
        return tuple(sorted({f for f in inside if f != "."}))

    @property
    def models_dir(self) -> Path:
        return self.data_dir / "models"

    @property
    def instance_home(self) -> Path:
        """``$DAGSTER_HOME`` when the user set it, else inside the data dir (absolute:
        Dagster refuses a relative DAGSTER_HOME)."""
        return Path(self.dagster_home or self.data_dir / "dagster_home").resolve()


# The celery profile cannot work without its services: it fails before any work
CELERY_NEEDS = {
    "postgres_url": "the instance database, postgresql+psycopg2://user:pw@host:5432/db",
    "celery_broker": "the Redis broker, redis://host:6379/0",
    "celery_backend": "the Redis result backend, redis://host:6379/1",
}


@cache
def declarations() -> dict[str, Declaration]:
    """Field name -> declaration, in declaration order."""
    return {f.name: f.metadata["declaration"] for f in dataclasses.fields(Settings)}


@cache
def defaults() -> dict[str, object]:
    return {f.name: f.default for f in dataclasses.fields(Settings)}


def env_name(field: str) -> str:
    """The environment variable of a :class:`Settings` field."""
    return declarations()[field].env or f"CHIMERA_{field.upper()}"


def variable_names() -> list[str]:
    """Every variable the registry declares."""
    return [env_name(field) for field in declarations()]


def _parse(name: str, raw: str, rule: Declaration, default: object) -> object:
    text = raw.strip()
    given = f"{name}={raw!r}"
    example = f"; unset it or give e.g. {name}={default if default is not None else 1}"
    if rule.kind == "path":
        path = Path(text).expanduser()
        return path if path.is_absolute() else PROJECT_ROOT / path
    if rule.kind == "list":
        items = tuple(part.strip().strip("/") for part in raw.split(","))
        items = tuple(item for item in items if item)
        if not items:
            raise SettingsError(f"{given} lists nothing; give a comma-separated list")
        return items
    if rule.kind == "choice":
        if text.lower() not in rule.choices:
            noun = name.rsplit("_", 1)[-1].lower()
            *first, last = rule.choices
            raise SettingsError(f"{given} is not a {noun}; use {', '.join(first)} or {last}")
        return text.lower()
    if rule.kind == "bool":
        if text.lower() not in ("1", "true", "yes", "on", "0", "false", "no", "off"):
            raise SettingsError(f"{given} is not true or false")
        return text.lower() in ("1", "true", "yes", "on")
    if rule.kind in ("int", "float"):
        return _number(given, text, rule, example)
    return raw


def _number(given: str, text: str, rule: Declaration, example: str) -> float | int:
    try:
        value = int(text) if rule.kind == "int" else float(text)
    except ValueError:
        what = "a whole number" if rule.kind == "int" else "a number"
        raise SettingsError(f"{given} is not {what}{example}") from None
    if not math.isfinite(value):
        raise SettingsError(f"{given} is not a finite number")
    if rule.minimum is not None and value < rule.minimum:
        raise SettingsError(f"{given} must be at least {rule.minimum:g}")
    if rule.maximum is not None and value > rule.maximum:
        raise SettingsError(f"{given} must be at most {rule.maximum:g}")
    return value


def _finish(field: str, value: object) -> object:
    """Normal forms the code relies on: absolute paths, bare lower-case extensions."""
    if isinstance(value, Path) and not value.is_absolute():
        return PROJECT_ROOT / value
    if field == "extensions":
        return tuple(e.lstrip(".").lower() for e in value)
    if field == "percentiles":  # p50 and P50 and p50.0 are one statistic, p50
        return tuple(dict.fromkeys(re.sub(r"^p0+(?=\d)", "p", re.sub(
            r"(\.\d*?)0+$", r"\1", str(n).strip().lower())).removesuffix(".")
            for n in value))
    if field == "llm_language":
        return str(value).lower()
    return value


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read and check every variable; the first unusable one is a :class:`SettingsError`."""
    environ = os.environ if environ is None else environ
    values = {}
    for field, rule in declarations().items():
        name, default = env_name(field), defaults()[field]
        raw = environ.get(name)
        value = default if raw is None or not raw.strip() else _parse(name, raw, rule, default)
        value = _finish(field, value)
        problem = rule.check(value) if rule.check and value is not None else None
        if problem:
            raise SettingsError(f"{name}={raw if raw is not None else value!r} {problem}")
        values[field] = value
    settings = Settings(**values)
    _check_profile(settings)
    return settings


def _check_profile(settings: Settings) -> None:
    if settings.profile != "celery":
        return
    for field, purpose in CELERY_NEEDS.items():
        if not getattr(settings, field):
            raise SettingsError(f"CHIMERA_PROFILE=celery needs {env_name(field)}: {purpose}")
    if not settings.postgres_url.startswith("postgresql+psycopg2://"):
        raise SettingsError("DAGSTER_POSTGRES_URL must start with postgresql+psycopg2:// "
                            "(SQLAlchemy 2.1 no longer picks the driver for a bare "
                            "postgresql:// URL)")
