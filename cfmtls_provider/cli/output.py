"""Rendering: aligned tables for people (rich), JSON for machines. Nothing here reads the API."""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any, TextIO

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..client_auth import AssociatedCA
from ..custom_rules import request_fields, rule_outcome
from .check import ClientCheck
from .coverage import sample_host
from .findings import CA_QUOTA, Finding, rule_label
from .schema import SCHEMA_VERSION
from .survey import MANAGED_CA_ID, Survey, ZoneSurvey
from .terminal import printable

if TYPE_CHECKING:
    from ..confirm import Confirmation

__all__ = [
    "check_json",
    "confirmation_json",
    "console",
    "inventory_json",
    "print_check",
    "print_confirmation",
    "print_inventory",
]

_SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}
_VERDICT_STYLE = {"confirmed": "green", "refuted": "bold red", "not checked": "yellow"}
#: Width when the output is not a terminal (a CI log, a pipe): wide enough that tables do not wrap.
PIPE_WIDTH = 180


def console(stream: TextIO | None = None) -> Console:
    """A terminal's width, or ``COLUMNS`` when set; else (a pipe, a CI log) :data:`PIPE_WIDTH`."""
    out = stream or sys.stdout
    sized = out.isatty() or os.environ.get("COLUMNS", "").isdigit()
    return Console(file=out, width=None if sized else PIPE_WIDTH, highlight=False, soft_wrap=False)


#: An SGR escape (colour, bold, reset) as rich writes it on a terminal.
_STYLE = re.compile(r"\x1b\[[0-9;]*m")
_LINE_END_PADDING = re.compile(r"(?: |\x1b\[[0-9;]*m)+$", re.MULTILINE)


@contextmanager
def _lines_trimmed(out: Console) -> Iterator[None]:
    """What is printed inside, without the spaces rich pads table cells with at the end of each line (the
    styles there are kept)."""
    with out.capture() as captured:
        yield
    out.file.write(_LINE_END_PADDING.sub(lambda match: "".join(_STYLE.findall(match.group())), captured.get()))
    out.file.flush()


def _table(title: str, *columns: str) -> Table:
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for column in columns:
        table.add_column(column, overflow="fold")
    return table


def _text(text: str, style: str = "") -> Text:
    """Plain text for a terminal: names and messages from Cloudflare may hold '[...]' that rich would read as
    markup, and control characters a terminal would obey (:func:`.terminal.printable`)."""
    return Text(printable(text), style=style)


def _row(table: Table, *cells: str | Text) -> None:
    table.add_row(*(cell if isinstance(cell, Text) else _text(cell) for cell in cells))


def _ours(ref: str) -> str:
    return "cfmtls" if ref.startswith("cfmtls") else "-"


def _ca_name(survey: Survey, ca_id: str) -> str:
    if ca_id == MANAGED_CA_ID:
        return "Cloudflare Managed CA"
    ca = next((ca for ca in survey.cas if ca.id == ca_id), None)
    return f"{ca.record.name or '(no name)'} ({ca_id})" if ca else ca_id


def _enforced_hosts(zone: ZoneSurvey, rule_index: int) -> list[str]:
    rule = zone.rules[rule_index]
    hosts = sorted({host for hostnames in zone.associations.values() for host in hostnames})
    return [host for host in hosts if rule_outcome(rule, request_fields(sample_host(host))).blocks]


def print_inventory(out: Console, survey: Survey, findings: Sequence[Finding], now: datetime) -> None:
    """Tables as wide as the terminal; a sentence (the account line, the count) is one line whatever the width."""
    with _lines_trimmed(out):
        _print_inventory(out, survey, findings, now)


def _print_inventory(out: Console, survey: Survey, findings: Sequence[Finding], now: datetime) -> None:
    out.print(
        _text(
            f"Account {survey.account_id}: {len(survey.cas)} of {CA_QUOTA} CA slots used, "
            f"{len(survey.zones)} zone(s) read at {now:%Y-%m-%d %H:%M} UTC"
        ),
        soft_wrap=True,
    )
    hosts_per_ca: dict[str, int] = {}
    for zone in survey.zones:
        for ca_id, hostnames in zone.associations.items():
            hosts_per_ca[ca_id] = hosts_per_ca.get(ca_id, 0) + len(hostnames)
    cas = _table("CAs", "name", "id", "type", "issuer", "SKI", "not after", "days left", "hostnames")
    for ca in survey.cas:
        days = ca.days_left(now)
        _row(
            cas,
            ca.record.name or "-",
            ca.id,
            ca.record.type or "-",
            ca.record.issuer or "-",
            ca.ski or "-",
            ca.not_after.strftime("%Y-%m-%d") if ca.not_after else ca.record.expires_on or "-",
            "-" if days is None else str(days),
            str(hosts_per_ca.get(ca.id, 0)),
        )
    out.print()
    out.print(cas if survey.cas else "CAs: none uploaded")
    for zone in survey.zones:
        _print_zone(out, survey, zone)
    out.print()
    if not findings:
        out.print("Findings: none")
        return
    table = _table("Findings", "severity", "finding", "what")
    for finding in findings:
        _row(table, Text(finding.severity, style=_SEVERITY_STYLE[finding.severity]), finding.code, finding.message)
    out.print(table)
    counts = {severity: sum(1 for f in findings if f.severity == severity) for severity in ("error", "warning")}
    out.print(f"{counts['error']} error(s), {counts['warning']} warning(s)", soft_wrap=True)


def _print_zone(out: Console, survey: Survey, zone: ZoneSurvey) -> None:
    out.print()
    out.print(_text(f"Zone {zone.zone.name + ' ' if zone.zone.name else ''}({zone.zone.id})", style="bold"))
    if zone.associations:
        table = _table("Hostname associations", "hostname", "CA")
        for ca_id, hostnames in zone.associations.items():
            for hostname in hostnames:
                _row(table, hostname, _ca_name(survey, ca_id))
        out.print(table)
    else:
        out.print("Hostname associations: none")
    rules = zone.client_certificate_rules()
    if not rules:
        out.print("Client-certificate rules: none")
        return
    table = _table(
        "Client-certificate rules", "#", "description", "action", "enabled", "ours", "enforces", "expression"
    )
    for index, rule in enumerate(zone.rules):
        if rule not in rules:
            continue
        _row(
            table,
            str(index + 1),
            rule.description or rule.ref or rule.id,
            rule.action,
            "yes" if rule.enabled else "no",
            _ours(rule.ref),
            ", ".join(_enforced_hosts(zone, index)) or "-",
            rule.expression,
        )
    out.print(table)


def inventory_json(survey: Survey, findings: Sequence[Finding], now: datetime) -> str:
    """The inventory as :data:`.schema.INVENTORY` describes it."""
    data: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "command": "inventory",
        "account_id": survey.account_id,
        "read_at": now.isoformat(),
        "quota": {"used": len(survey.cas), "limit": CA_QUOTA},
        "cas": [
            {
                "id": ca.id,
                "name": ca.record.name,
                "type": ca.record.type,
                "issuer": ca.record.issuer,
                "ski": ca.ski or None,
                "not_after": ca.not_after.isoformat() if ca.not_after else None,
                "days_left": ca.days_left(now),
                "expires_on": ca.record.expires_on,
                "uploaded_on": ca.record.uploaded_on,
            }
            for ca in survey.cas
        ],
        "zones": [
            {
                "id": zone.zone.id,
                "name": zone.zone.name,
                "associations": [
                    {"ca_id": ca_id, "hostnames": hostnames} for ca_id, hostnames in zone.associations.items()
                ],
                "client_certificate_rules": [
                    {
                        "position": index + 1,
                        "id": rule.id,
                        "ref": rule.ref,
                        "description": rule.description,
                        "action": rule.action,
                        "enabled": rule.enabled,
                        "ours": rule.ref.startswith("cfmtls"),
                        "enforces": _enforced_hosts(zone, index),
                        "expression": rule.expression,
                    }
                    for index, rule in enumerate(zone.rules)
                    if rule in zone.client_certificate_rules()
                ],
            }
            for zone in survey.zones
        ],
        "findings": [
            {
                "severity": finding.severity,
                "code": finding.code,
                "message": finding.message,
                **{key: getattr(finding, key) or None for key in ("zone_id", "hostname", "ca_id", "rule_id")},
                "extra": dict(finding.extra),
            }
            for finding in findings
        ],
    }
    return json.dumps(data, indent=2)


def _ca_row(ca: AssociatedCA) -> str:
    if ca.managed:
        return "Cloudflare Managed CA"
    subject = ca.certificates[-1].subject.rfc4514_string() if ca.certificates else "?"
    return f"{ca.id} ({subject})"


def print_check(out: Console, result: ClientCheck) -> None:
    """Tables as wide as the terminal; the verdict is the last line, whole (``| tail -n 1`` reads it)."""
    with _lines_trimmed(out):
        _print_check(out, result)


def _print_check(out: Console, result: ClientCheck) -> None:
    auth = result.auth
    summary = _table("", "", "")
    summary.show_header = False
    _row(summary, "hostname", f"{result.request.hostname} (path {result.request.path})")
    _row(summary, "associated CAs", "; ".join(_ca_row(ca) for ca in result.request.associated) or "none")
    _row(summary, "verified against", "; ".join(_ca_row(ca) for ca in result.request.counted) or "-")
    _row(summary, "certificate", auth.cert_subject_dn or "none presented")
    _row(summary, "verified", "yes" if auth.cert_verified else f"no: {auth.failure or 'not presented'}")
    out.print(summary)
    fields = _table("Fields the rules see", "field", "value")
    for name, value in auth.fields().items():
        _row(fields, name, str(value).lower() if isinstance(value, bool) else (value or '""'))
    out.print(fields)
    rules = _table("Custom rules (enabled, in order)", "rule", "action", "matches")
    for item in result.outcomes:
        verdict = "cannot evaluate" if item.matched is None else ("yes" if item.matched else "no")
        _row(rules, rule_label(item.rule), item.rule.action, verdict + (f": {item.reason}" if item.reason else ""))
    out.print(rules if result.outcomes else "Custom rules: none enabled")
    style = {"allowed": "bold green", "refused": "bold red", "unknown": "bold yellow"}[result.decision]
    word = {"allowed": "ALLOWED", "refused": "REFUSED", "unknown": "CANNOT TELL"}[result.decision]
    out.print()
    out.print(Text.assemble((word, style), _text(f": {result.reason}")), soft_wrap=True)


def check_json(result: ClientCheck) -> str:
    """The verdict as :data:`.schema.CHECK_CLIENT` describes it."""
    deciding = result.deciding_rule
    data = {
        "schema_version": SCHEMA_VERSION,
        "command": "check-client",
        "hostname": result.request.hostname,
        "path": result.request.path,
        "decision": result.decision,
        "reason": result.reason,
        "rule": None
        if deciding is None
        else {"id": deciding.id, "description": deciding.description, "action": deciding.action},
        "associated_cas": [ca.id for ca in result.request.associated],
        "verified_against": [ca.id for ca in result.request.counted],
        "failure": result.auth.failure or None,
        "fields": result.auth.fields(),
        "rules": [
            {"id": item.rule.id, "action": item.rule.action, "matched": item.matched, "reason": item.reason}
            for item in result.outcomes
        ],
    }
    return json.dumps(data, indent=2)


def print_confirmation(out: Console, result: Confirmation) -> None:
    mode = " (read-only)" if result.read_only else ""
    out.print(_text(f"Account {result.account_id}, scratch zone {result.domain} ({result.zone_id}){mode}"))
    table = _table("UNCONFIRMED assumptions of the emulator", "assumption", "verdict", "evidence")
    for outcome in result.outcomes:
        _row(table, outcome.name, Text(outcome.verdict, style=_VERDICT_STYLE[outcome.verdict]), outcome.evidence)
    out.print(table)
    counts = ", ".join(f"{result.count(verdict)} {verdict}" for verdict in _VERDICT_STYLE)
    out.print(_text(f"{counts}; {result.requests} API requests"))
    if result.left_behind:
        out.print(_text("Left behind, remove by hand: " + "; ".join(result.left_behind), style="bold red"))
    else:
        out.print("Everything this run made was removed.")


def confirmation_json(result: Confirmation) -> str:
    """The verdicts as :data:`.schema.CONFIRM_ASSUMPTIONS` describes them."""
    data = {
        "schema_version": SCHEMA_VERSION,
        "command": "confirm-assumptions",
        "account_id": result.account_id,
        "zone_id": result.zone_id,
        "domain": result.domain,
        "read_only": result.read_only,
        "assumptions": [vars(outcome) for outcome in result.outcomes],
        "left_behind": list(result.left_behind),
        "requests": result.requests,
    }
    return json.dumps(data, indent=2)
