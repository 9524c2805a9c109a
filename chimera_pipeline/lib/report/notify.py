"""Telling someone that a day regressed: a webhook or a command, once per day and list.

Off unless ``CHIMERA_ALERT_WEBHOOK`` or ``CHIMERA_ALERT_COMMAND`` is set. Each regressed day
of a run is sent once: ``alert_deliveries`` remembers the digest of the day's regressions,
so materializing the day again with the same regressions sends nothing, and a changed list
(or a delivery that failed) is sent on the next materialization. A delivery that fails is
logged and recorded, never raised: the data and the run matter more than the message.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
import re
import shlex
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path

import duckdb

from chimera_pipeline.lib.config import Settings
from chimera_pipeline.lib.store.warehouse import fetch_dicts, to_arrow

SHOWN = 10  # regressions listed in one message; the rest are counted


def redact_url(url: str) -> str:
    """``https://user:token@host/secret/path?key=…`` -> ``https://***@host/…``: webhook URLs
    carry their secret in the user part, the path (Slack, Discord) or the query."""
    match = re.match(r"^([a-zA-Z][a-zA-Z0-9+.-]*://)(?:[^/@\s]*@)?([^/?#\s]*)(.*)$", url.strip())
    if not match:
        return "***"
    scheme, host, rest = match.groups()
    user = "***@" if "@" in url.split("//", 1)[-1].split("/", 1)[0] else ""
    return f"{scheme}{user}{host}" + ("/…" if rest.strip("/") else "")


def channel(settings: Settings) -> str | None:
    """Where alerts go, as logs may show it (no credentials), or None when off."""
    if settings.alert_webhook:
        return f"webhook {redact_url(settings.alert_webhook)}"
    if settings.alert_command:
        words = settings.alert_command.split()  # not shlex: a bad quote must not raise here
        return f"command {words[0] if words else '?'} …"
    return None


def digest(regressions: Sequence[dict]) -> str:
    return hashlib.sha1("\n".join(r["text"] for r in regressions).encode(),
                        usedforsecurity=False).hexdigest()[:16]


def alert_text(day: str, regressions: Sequence[dict], improvements: int, report: Path) -> str:
    """The short message: the day, each regression in one line, where the report is."""
    lines = [f"chimera: {len(regressions)} performance regression(s) on {day}"]
    lines += [f"- {r['text']}" for r in regressions[:SHOWN]]
    if len(regressions) > SHOWN:
        lines.append(f"- and {len(regressions) - SHOWN} more")
    if improvements:
        lines.append(f"({improvements} improvement(s) too)")
    lines.append(f"report: {report}")
    return "\n".join(lines)


def _post(url: str, body: dict, timeout: float) -> None:
    """POST JSON; ``user:password@`` in the URL goes as a Basic ``Authorization`` header
    (urllib would take it for part of the host name)."""
    parts = urllib.parse.urlsplit(url)
    headers = {"Content-Type": "application/json"}
    if parts.username is not None:
        unquote = urllib.parse.unquote
        token = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
        headers["Authorization"] = "Basic " + base64.b64encode(token.encode()).decode()
        url = urllib.parse.urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers=headers)
    with urllib.request.urlopen(request, timeout=timeout) as response:
        response.read()


def _run(command: str, text: str, day: str, timeout: float) -> None:
    done = subprocess.run(shlex.split(command), input=text, text=True, capture_output=True,
                          timeout=timeout, env={**os.environ, "CHIMERA_ALERT_DAY": day})
    if done.returncode != 0:
        last = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        raise RuntimeError(f"exit status {done.returncode}: {last[0][:200]}")


def deliver(settings: Settings, day: str, text: str, regressions: Sequence[dict]) -> None:
    """Send one day's alert; raises with a message that names no credential."""
    try:
        if settings.alert_webhook:
            _post(settings.alert_webhook, {
                "text": text, "content": text[:2000], "day": day,
                "regressions": [{k: r[k] for k in ("series", "metric", "previous_day",
                                                   "previous", "current", "unit", "change",
                                                   "change_unit", "noise_band", "text")}
                                for r in regressions]}, settings.alert_timeout)
        elif settings.alert_command:
            _run(settings.alert_command, text, day, settings.alert_timeout)
    except (OSError, RuntimeError, subprocess.SubprocessError, ValueError) as exc:
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        message = " ".join(str(reason).split())
        for secret in (settings.alert_webhook, settings.alert_command):
            if secret:
                message = message.replace(secret, channel(settings) or "***")
        raise RuntimeError(f"{type(exc).__name__}: {message}"[:300]) from None


def notify_regressions(con: duckdb.DuckDBPyConnection, days: Sequence[str],
                       settings: Settings, log: Callable[[str, bool], None]) -> int:
    """Send each regressed day of ``days`` not already sent with the same list; record every
    attempt; ``log(message, ok)`` hears of each. Returns the number delivered."""
    where = channel(settings)
    if where is None or not days:
        return 0
    alerts = fetch_dicts(con, "SELECT * FROM alerts WHERE partition IN (SELECT unnest(?::"
                         "VARCHAR[])) ORDER BY partition, rank", [sorted(set(days))])
    sent = {(r["partition"], r["digest"]) for r in fetch_dicts(
        con, "SELECT partition, digest FROM alert_deliveries WHERE ok")}
    delivered, attempts = 0, []
    for day in sorted({a["partition"] for a in alerts}):
        regressions = [a for a in alerts if a["partition"] == day
                       and a["verdict"] == "regression"]
        key = digest(regressions)
        if not regressions or (day, key) in sent:
            continue
        improvements = sum(a["partition"] == day and a["verdict"] == "improvement"
                           for a in alerts)
        text = alert_text(day, regressions, improvements,
                          settings.reports_dir / day / "report.md")
        error = None
        try:
            deliver(settings, day, text, regressions)
            delivered += 1
            log(f"regression alert for {day} sent ({where})", True)
        except RuntimeError as exc:
            error = str(exc)
            log(f"regression alert for {day} NOT sent ({where}): {error}; the run goes on",
                False)
        attempts.append({"partition": day, "digest": key, "channel": where,
                         "sent_at": dt.datetime.now(dt.UTC).replace(tzinfo=None),
                         "ok": error is None, "error": error})
    if attempts:
        con.register("attempts", to_arrow("alert_deliveries", attempts))
        con.execute("INSERT INTO alert_deliveries BY NAME SELECT * FROM attempts")
        con.unregister("attempts")
    return delivered
