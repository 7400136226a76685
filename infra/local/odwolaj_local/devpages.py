"""The runner's own pages under /dev (developer tools, not part of the product, so in English)."""
from __future__ import annotations

import json
from datetime import datetime
from html import escape

from odwolaj.adapters.failures import Outcome
from odwolaj_local.failures import Listed
from odwolaj_local.observe import Captured, Mail, Sms
from odwolaj_local.scheduler import Entry

_STYLE = ("body{font:16px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}"
          "table{border-collapse:collapse;width:100%}td,th{border:1px solid #999;padding:.3rem;text-align:left;"
          "vertical-align:top}pre{white-space:pre-wrap;margin:0}.in{background:#eef}form{margin:.3rem 0}")


def _page(title: str, body: str) -> str:
    return (f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{escape(title)}</title>"
            f"<meta name=viewport content='width=device-width'><style>{_STYLE}</style></head><body>"
            f"<p><a href=/dev>dev</a> · <a href=/dev/phone>phone</a> · <a href=/dev/mail>mail</a> · "
            f"<a href=/dev/events>events</a> · <a href=/dev/failed>failed</a> · "
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
        "<li><a href=/dev/failed>Failed: what the streams and schedules gave up on, and its redrive</a></li>"
        "<li><a href=/dev/clock>Clock and schedules</a></li><li><a href=/healthz>/healthz</a></li></ul>"))


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


PAGE_LIMIT = 500  # items per JSON page at most


def json_items(records: list, params: dict, key: str, unpaged=None) -> tuple[int, object]:
    """(status, body) of a JSON listing of `records` (oldest first, each with a `seq`). Without
    `after` or `limit`: every record, newest first (as `unpaged` shows one, by default as in a
    page). With them: a page, oldest first, from the cursor `after` (a record's `seq`; 0 from the
    start): {key: [...], "next_after": the cursor for the next page, "has_more": bool}."""
    if "after" not in params and "limit" not in params:
        return 200, [(unpaged or type(r).as_json)(r) for r in reversed(records)]
    try:
        after, limit = int(params.get("after", 0)), int(params.get("limit", PAGE_LIMIT))
    except ValueError:
        return 400, {"message": "after and limit are whole numbers"}
    if after < 0 or not 1 <= limit <= PAGE_LIMIT:
        return 400, {"message": f"after is 0 or more, limit from 1 to {PAGE_LIMIT}"}
    chosen = [r for r in records if r.seq > after][:limit]
    return 200, {key: [r.as_json() for r in chosen], "next_after": chosen[-1].seq if chosen else after,
                 "has_more": bool(chosen) and records[-1].seq > chosen[-1].seq}


def mail(messages: list[Mail]) -> str:
    rows = "".join(
        f"<tr><td>{escape(m.sender)}</td><td>{escape(m.to)}</td><td>{escape(m.subject)}</td>"
        f"<td><pre>{escape(m.text)}</pre></td></tr>" for m in messages)
    table = (f"<table><tr><th>from</th><th>to</th><th>subject</th><th>text</th></tr>{rows}</table>" if messages
             else "<p>No e-mail yet.</p>")
    return _page("Mail", table)


EVENTS_SHOWN = 500  # the page shows the newest; JSON has them all


def events(captured: list[Captured]) -> str:
    newest = captured[::-1][:EVENTS_SHOWN]
    rows = "".join(
        f"<tr><td>{escape(c.runner_time)}</td><td>{escape(c.event.get('detail-type', ''))}</td>"
        f"<td><pre>{escape(json.dumps(c.event.get('detail'), ensure_ascii=False, indent=1))}</pre></td></tr>"
        for c in newest)
    more = f"<p>The newest {EVENTS_SHOWN} of {len(captured)}.</p>" if len(captured) > EVENTS_SHOWN else ""
    body = (f"{more}<table><tr><th>runner time</th><th>type</th><th>detail</th></tr>{rows}</table>" if captured
            else "<p>No events yet.</p>")
    return _page("Events on the bus", body + "<p><a href='/dev/events?format=json&amp;after=0'>as JSON</a></p>")


def failed(listed: list[Listed], outcomes: dict[str, Outcome] | None = None) -> str:
    """What each function's asynchronous source gave up on after its retries, and a button that
    replays it all (as `odwolaj-admin redrive` does on AWS)."""
    done = "".join(f"<li>{escape(function)}: {o.replayed} replayed, {o.failed} failed again, {o.expired} past the "
                   f"stream's retention{': ' + escape('; '.join(o.problems)) if o.problems else ''}</li>"
                   for function, o in (outcomes or {}).items())
    notice = (f"<p role=status>Redrive: {'<ul>' + done + '</ul>' if done else 'nothing to replay.'}</p>"
              if outcomes is not None else "")
    rows = "".join(
        f"<tr><td>{escape(item.function)}</td><td>{escape(item.failed.shape)}</td>"
        f"<td>{escape(item.failed.summary)}</td><td>{item.failed.received}</td>"
        f"<td><pre>{escape(json.dumps(item.failed.body, ensure_ascii=False, indent=1)[:2000])}</pre></td></tr>"
        for item in listed)
    table = (f"<table><tr><th>function</th><th>what</th><th>where</th><th>seen</th><th>record</th></tr>{rows}</table>"
             if listed else "<p>Nothing failed.</p>")
    button = ("<form method=post action=/dev/failed/redrive><button>Redrive all</button></form>"
              "<p>Each is replayed through its function; what succeeds leaves its queue. On AWS: "
              "<code>odwolaj-admin --stack NAME redrive</code> (docs/operations.md).</p>")
    return _page("Failed after their retries", notice + table + button)


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
