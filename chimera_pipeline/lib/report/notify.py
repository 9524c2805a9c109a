"""Telling someone that a day regressed: a webhook or a command, once per day and list.

Off unless ``CHIMERA_ALERT_WEBHOOK`` or ``CHIMERA_ALERT_COMMAND`` is set. Each regressed day
of a run is sent once: ``alert_deliveries`` remembers the digest of the day's regressions,
so materializing the day again with the same regressions sends nothing, and a changed list
(or a delivery that failed) is sent on the next materialization. A run over several regressed
days (a backfill) sends one message for all of them (``CHIMERA_ALERT_DIGEST``).

A delivery never fails silently or loudly: every exception is caught and recorded with its
reason (credentials never in it), each attempt as it happens; a redirect is not followed
(anything but a 2xx answer is a failed delivery, and credentials never reach another host);
artifact text is defanged so a model name cannot mention ``@everyone`` or ``<!channel>``.
The caller sends after its warehouse transaction: :func:`pending` reads, :func:`send` posts.
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
from dataclasses import dataclass
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


def defang(text: str) -> str:
    """Artifact text (model and suite names) as chat apps show it without acting on it: no
    ``@everyone``/``@here``/``@channel`` mention (Slack, Discord, Mattermost, Teams), no
    Slack ``<!channel>``/``<@U1>`` escape (a zero-width space after ``@`` and ``<``)."""
    return text.replace("@", "@\u200b").replace("<", "<\u200b")


def alert_text(day: str, regressions: Sequence[dict], improvements: int, report: Path) -> str:
    """The short message: the day, each regression in one line, where the report is."""
    lines = [f"chimera: {len(regressions)} performance regression(s) on {day}"]
    lines += [f"- {defang(r['text'])}" for r in regressions[:SHOWN]]
    if len(regressions) > SHOWN:
        lines.append(f"- and {len(regressions) - SHOWN} more")
    if improvements:
        lines.append(f"({improvements} improvement(s) too)")
    lines.append(f"report: {report}")
    return "\n".join(lines)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A 3xx is a failed delivery: following it would turn the POST into a GET without its
    body and could hand the credentials to another host."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: ANN001
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


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
    with _OPENER.open(request, timeout=timeout) as response:
        response.read()
        if not 200 <= response.status < 300:
            raise RuntimeError(f"HTTP {response.status}: not a 2xx answer")


def _run(command: str, text: str, day: str, timeout: float) -> None:
    done = subprocess.run(shlex.split(command), input=text, text=True, capture_output=True,
                          timeout=timeout, env={**os.environ, "CHIMERA_ALERT_DAY": day})
    if done.returncode != 0:
        last = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        raise RuntimeError(f"exit status {done.returncode}: {last[0][:200]}")


def deliver(settings: Settings, day: str, text: str, regressions: Sequence[dict]) -> None:
    """Send one alert (a day's, or a digest's: ``day`` then names its days); raises
    RuntimeError with a message that names no credential, whatever went wrong."""
    try:
        if settings.alert_webhook:
            _post(settings.alert_webhook, {
                "text": text, "content": text[:2000], "day": day,
                "allowed_mentions": {"parse": []},  # Discord: mention no one
                "regressions": [{k: (defang(r[k]) if isinstance(r[k], str) else r[k])
                                 for k in ("partition", "series", "metric", "previous_day",
                                           "previous", "current", "unit", "change",
                                           "change_unit", "noise_band", "text")}
                                for r in regressions]}, settings.alert_timeout)
        elif settings.alert_command:
            _run(settings.alert_command, text, day, settings.alert_timeout)
    except Exception as exc:  # noqa: BLE001 - any failure is a logged, recorded delivery failure
        reason = (f"HTTP {exc.code} {exc.reason} (not followed: only a 2xx answer is a "
                  "delivery)" if isinstance(exc, urllib.error.HTTPError) and 300 <= exc.code < 400
                  else f"HTTP {exc.code} {exc.reason}" if isinstance(exc, urllib.error.HTTPError)
                  else exc.reason if isinstance(exc, urllib.error.URLError) else exc)
        message = " ".join(str(reason).split())
        for secret in (settings.alert_webhook, settings.alert_command):
            if secret:
                message = message.replace(secret, channel(settings) or "***")
        raise RuntimeError(f"{type(exc).__name__}: {message}"[:300]) from None


@dataclass
class Delivery:
    """One message to send: a day's regressions, or a digest of several days'."""

    days: list[str]
    digests: dict[str, str]  # day -> the digest of its regressions (what was sent)
    text: str
    regressions: list[dict]


def pending(con: duckdb.DuckDBPyConnection, days: Sequence[str], settings: Settings
            ) -> list[Delivery]:
    """The messages ``days`` call for: each regressed day not already sent with the same
    list, one message per day, or one for all of them with ``CHIMERA_ALERT_DIGEST`` when
    there are several. Reads the warehouse only; sending is :func:`send`'s."""
    if channel(settings) is None or not days:
        return []
    alerts = fetch_dicts(con, "SELECT * FROM alerts WHERE partition IN (SELECT unnest(?::"
                         "VARCHAR[])) ORDER BY partition, rank", [sorted(set(days))])
    sent = {(r["partition"], r["digest"]) for r in fetch_dicts(
        con, "SELECT partition, digest FROM alert_deliveries WHERE ok")}
    todo = []
    for day in sorted({a["partition"] for a in alerts}):
        regressions = [a for a in alerts if a["partition"] == day
                       and a["verdict"] == "regression"]
        key = digest(regressions)
        if not regressions or (day, key) in sent:
            continue
        improvements = sum(a["partition"] == day and a["verdict"] == "improvement"
                           for a in alerts)
        todo.append(Delivery([day], {day: key}, alert_text(
            day, regressions, improvements, settings.reports_dir / day / "report.md"),
            regressions))
    if settings.alert_digest and len(todo) > 1:
        every = [r for d in todo for r in d.regressions]
        lines = [f"chimera: {len(every)} performance regression(s) on {len(todo)} days "
                 f"({todo[0].days[0]} to {todo[-1].days[0]})"]
        for d in todo:
            lines.append(f"{d.days[0]}: " + "; ".join(defang(r["text"])
                                                      for r in d.regressions[:3])
                         + (f" (and {len(d.regressions) - 3} more)"
                            if len(d.regressions) > 3 else ""))
        lines.append(f"reports: {settings.reports_dir}")
        todo = [Delivery([d.days[0] for d in todo], {k: v for d in todo
                                                     for k, v in d.digests.items()},
                         "\n".join(lines), every)]
    return todo


def send(deliveries: Sequence[Delivery], settings: Settings,
         record: Callable[[list[dict]], None], log: Callable[[str, bool], None]) -> int:
    """Send each delivery; ``record`` gets its ``alert_deliveries`` rows as soon as it is
    attempted (a crash later loses none), ``log(message, ok)`` hears of each. Never
    raises. Returns the number of messages delivered."""
    where = channel(settings)
    delivered = 0
    for delivery in deliveries:
        label = (delivery.days[0] if len(delivery.days) == 1
                 else f"{len(delivery.days)} days ({delivery.days[0]}..{delivery.days[-1]})")
        error = None
        try:
            deliver(settings, delivery.days[0] if len(delivery.days) == 1 else label,
                    delivery.text, delivery.regressions)
            delivered += 1
            log(f"regression alert for {label} sent ({where})", True)
        except RuntimeError as exc:
            error = str(exc)
            log(f"regression alert for {label} NOT sent ({where}): {error}; the run goes on",
                False)
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        try:
            record([{"partition": day, "digest": delivery.digests[day], "channel": where,
                     "sent_at": now, "ok": error is None, "error": error}
                    for day in delivery.days])
        except Exception as exc:  # noqa: BLE001 - a record that fails is logged, not raised
            log(f"regression alert for {label}: the attempt could not be recorded "
                f"({type(exc).__name__})", False)
    return delivered


def record_in(con: duckdb.DuckDBPyConnection) -> Callable[[list[dict]], None]:
    """A ``record`` for :func:`send` that writes into ``con``."""
    def record(rows: list[dict]) -> None:
        con.register("attempts", to_arrow("alert_deliveries", rows))
        try:
            con.execute("INSERT INTO alert_deliveries BY NAME SELECT * FROM attempts")
        finally:
            con.unregister("attempts")
    return record


def notify_regressions(con: duckdb.DuckDBPyConnection, days: Sequence[str],
                       settings: Settings, log: Callable[[str, bool], None]) -> int:
    """:func:`pending` and :func:`send` on one connection (tests, scripts). The pipeline
    sends after releasing the warehouse (``defs/facts/assets.py``)."""
    return send(pending(con, days, settings), settings, record_in(con), log)
