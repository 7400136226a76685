"""The runner's own pages under /dev (developer tools, not part of the product, so in English)."""
from __future__ import annotations

import json
from datetime import datetime
from html import escape

from odwolaj_local.observe import Mail, Sms
from odwolaj_local.scheduler import Entry

_STYLE = ("body{font:16px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}"
          "table{border-collapse:collapse;width:100%}td,th{border:1px solid #999;padding:.3rem;text-align:left;"
          "vertical-align:top}pre{white-space:pre-wrap;margin:0}.in{background:#eef}form{margin:.3rem 0}")


def _page(title: str, body: str) -> str:
    return (f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{escape(title)}</title>"
            f"<meta name=viewport content='width=device-width'><style>{_STYLE}</style></head><body>"
            f"<p><a href=/dev>dev</a> · <a href=/dev/phone>phone</a> · <a href=/dev/mail>mail</a> · "
            f"<a href=/dev/events>events</a> · "
            f"<a href=/dev/clock>clock</a></p><h1>{escape(title)}</h1>{body}</body></html>")


def index(demo: dict) -> str:
    visits = "".join(
        f"<li><a href='{escape(v['cancel_link'])}'>{escape(v['external_id'])}</a> "
        f"(visit code {escape(v['visit_code'])}, phone {escape(v['phone'])})</li>"
        for v in demo.get("appointments", []))
    return _page("Odwołaj: local runner", (
        f"<p>Demo facility <code>{escape(demo.get('facility_id', ''))}</code>, API key "
        f"<code>{escape(demo.get('api_key', ''))}</code></p><h2>Cancel links</h2><ul>{visits}</ul>"
        "<p>Lookup by code and phone: <a href=/c>/c</a></p>"
        "<ul><li><a href=/dev/phone>Phone: outgoing SMS, reply</a></li>"
        "<li><a href=/dev/mail>Mail: e-mails sent to patients</a></li>"
        "<li><a href=/dev/events>Events published on the bus</a></li>"
        "<li><a href=/dev/clock>Clock and schedules</a></li><li><a href=/healthz>/healthz</a></li></ul>"
        + _campaigns(demo.get("campaigns"))))


def _campaigns(campaigns: dict | None) -> str:
    if not campaigns:
        return ""
    return ("<h2>Campaigns</h2><p>Manager's key (may launch): "
            f"<code>{escape(campaigns['manager_key'])}</code>. Demo history of {campaigns['lapsed_patients']} lapsed "
            f"patients: <code>{escape(campaigns['history_file'])}</code>, consents: "
            f"<code>{escape(campaigns['consents_file'])}</code>. The recipe: docs/local.md, "
            "\"A reactivation campaign\".</p>")


def phone(messages: list[Sms], notice: str = "") -> str:
    rows = "".join(
        f"<tr class={m.direction}><td>{'→ to' if m.direction == 'out' else '← from'} {escape(m.phone)}</td>"
        f"<td><pre>{escape(m.text)}</pre></td><td>"
        + (f"<form method=post action=/dev/phone/reply><input type=hidden name=from value='{escape(m.phone)}'>"
           f"<input name=text aria-label='reply' placeholder='TAK / NIE / STOP' required> <button>Reply</button></form>"
           if m.direction == "out" else "")
        + "</td></tr>" for m in messages)
    table = (f"<table><tr><th>phone</th><th>text</th><th>reply</th></tr>{rows}</table>" if messages
             else "<p>No SMS yet.</p>")
    return _page("Phone", (f"<p role=status>{escape(notice)}</p>" if notice else "") + table)


def mail(messages: list[Mail]) -> str:
    rows = "".join(
        f"<tr><td>{escape(m.sender)}</td><td>{escape(m.to)}</td><td>{escape(m.subject)}</td>"
        f"<td><pre>{escape(m.text)}</pre></td></tr>" for m in messages)
    table = (f"<table><tr><th>from</th><th>to</th><th>subject</th><th>text</th></tr>{rows}</table>" if messages
             else "<p>No e-mail yet.</p>")
    return _page("Mail", table)


def events(captured: list[dict]) -> str:
    rows = "".join(
        f"<tr><td>{escape(e.get('time', ''))}</td><td>{escape(e.get('detail-type', ''))}</td>"
        f"<td><pre>{escape(json.dumps(e.get('detail'), ensure_ascii=False, indent=1))}</pre></td></tr>"
        for e in captured)
    body = (f"<table><tr><th>time</th><th>type</th><th>detail</th></tr>{rows}</table>" if captured
            else "<p>No events yet.</p>")
    return _page("Events on the bus", body + "<p><a href='/dev/events?format=json'>as JSON</a></p>")


def clock_state(now: datetime, offset_seconds: float, entries: list[Entry]) -> dict:
    return {
        "now": now.isoformat(),
        "offset_seconds": offset_seconds,
        "schedules": [{"function": e.schedule.function, "expression": e.schedule.expression,
                       "next_due": e.next_due.isoformat() if e.next_due else None, "fired": e.fired}
                      for e in entries],
    }


def clock(state: dict) -> str:
    rows = "".join(f"<tr><td>{escape(s['function'])}</td><td>{escape(s['expression'])}</td>"
                   f"<td>{escape(s['next_due'] or 'never')}</td><td>{s['fired']}</td></tr>" for s in state["schedules"])
    return _page("Clock", (
        f"<p>Runner time: <strong>{escape(state['now'])}</strong> (offset {state['offset_seconds']:.0f} s)</p>"
        "<form method=post action=/dev/clock><label>Advance by <input name=advance_minutes type=number min=1 "
        "value=60> minutes</label> <button>Advance</button></form>"
        "<form method=post action=/dev/clock><label>Advance by <input name=advance_hours type=number min=1 "
        "value=24> hours</label> <button>Advance</button></form>"
        f"<h2>Schedules</h2><table><tr><th>function</th><th>expression</th><th>next due</th><th>fired</th></tr>"
        f"{rows}</table>"))
