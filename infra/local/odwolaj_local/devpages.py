"""The runner's own pages under /dev (developer tools, not part of the product, so in English).

Every page opens with the runner's clock in Warsaw time (the demo clinic's, the one patients read)
and whether reminders and offers to the waiting list go out now (the domain's sending hours);
outside those hours it has the one button that moves the clock to the next morning. Times are
Warsaw time throughout; the pages fit a phone.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape

from odwolaj.adapters.failures import Outcome
from odwolaj.appointments.reminders import SENDING_END, SENDING_START, in_sending_hours
from odwolaj.core.clock import WARSAW, parse_iso
from odwolaj.reserve.strategy import SAME_DAY_EARLIEST
from odwolaj_local.failures import Listed
from odwolaj_local.observe import Captured, Mail, Sms
from odwolaj_local.scheduler import Entry

_STYLE = (
    "body{font:16px/1.5 system-ui,sans-serif;max-width:60rem;margin:0 auto;padding:.5rem 1rem}"
    "nav a{margin-right:.6rem}table{border-collapse:collapse;width:100%}"
    "td,th{border:1px solid #999;padding:.3rem;text-align:left;vertical-align:top}"
    "pre{white-space:pre-wrap;overflow-wrap:anywhere;margin:0}.in{background:#eef}form{margin:.3rem 0}"
    "a{overflow-wrap:anywhere}"
    ".status{background:#fff6d6;border-left:5px solid #b38000;padding:.4rem .7rem;margin:.5rem 0}"
    ".status.ok{background:#e8f5e9;border-color:#2e7d32}button{font:inherit;padding:.3rem .7rem}"
    "input{font:inherit;max-width:100%}input[type=number]{width:5rem}code{overflow-wrap:anywhere}"
    "@media (max-width:40rem){table,thead,tbody,tr,td,th{display:block}tr{margin-bottom:.6rem}"
    "th{display:none}td{border-width:0 1px}td:first-child{border-top-width:1px;background:#f4f4f4}"
    "td:last-child{border-bottom-width:1px}td[data-label]::before{content:attr(data-label) ': ';font-weight:700}}"
)
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def warsaw(moment: datetime | str) -> str:
    """'Mon 30 Nov 06:10' in Warsaw time."""
    local = (parse_iso(moment) if isinstance(moment, str) else moment).astimezone(WARSAW)
    return f"{WEEKDAYS[local.weekday()]} {local:%d %b %H:%M}"


def next_sending_start(now: datetime) -> datetime:
    """The next 8:00 Warsaw time (the start of sending hours) after `now`."""
    local = now.astimezone(WARSAW)
    start = datetime.combine(local.date(), SENDING_START, WARSAW)
    return start if start > local else datetime.combine(local.date() + timedelta(days=1), SENDING_START, WARSAW)


def _duration(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes // 60} h {minutes % 60} min" if minutes >= 60 else f"{minutes} min"


@dataclass(frozen=True)
class Status:
    """The runner's clock, for the line every page opens with."""

    now: datetime

    def html(self) -> str:
        clock = f"Runner time <strong>{escape(warsaw(self.now))}</strong> Warsaw"
        hours = (f"{SENDING_START:%H:%M}–{SENDING_END:%H:%M} Warsaw time "
                 f"(offers for a visit that same day from {SAME_DAY_EARLIEST:%H:%M})")
        if in_sending_hours(self.now):
            return f"<p class='status ok' role=status>{clock}. Reminders and offers go out now: {hours}.</p>"
        morning = next_sending_start(self.now)
        return (f"<div class=status role=status><p>{clock}. Reminders and offers to the waiting list go out {hours}: "
                f"<strong>now they wait for the morning.</strong></p>"
                "<form method=post action=/dev/clock><input type=hidden name=to_hour value="
                f"{SENDING_START.hour}><button>Move the clock to {escape(warsaw(morning))} "
                f"(+{_duration(morning - self.now)})</button></form></div>")


def _page(title: str, body: str, status: Status) -> str:
    return (f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{escape(title)}</title>"
            f"<meta name=viewport content='width=device-width, initial-scale=1'><style>{_STYLE}</style></head><body>"
            f"<nav><a href=/dev>dev</a> <a href=/dev/phone>phone</a> <a href=/dev/mail>mail</a> "
            f"<a href=/dev/events>events</a> <a href=/dev/failed>failed</a> <a href=/dev/clock>clock</a></nav>"
            f"{status.html()}"
            f"<h1>{escape(title)}</h1>{body}</body></html>")


def _links(text: str) -> str:
    """The text, escaped, with its http(s) links made clickable (SMS carry the patient's links)."""
    words = text.split(" ")
    return " ".join(f"<a href='{escape(w)}'>{escape(w)}</a>" if w.startswith(("http://", "https://"))
                    else escape(w) for w in words)


def index(demo: dict, status: Status, stripe_base: str = "") -> str:
    visits = "".join(
        f"<li><a href='{escape(v['cancel_link'])}'>{escape(v['external_id'])}</a>: visit code "
        f"<code>{escape(v['visit_code'])}</code>, phone {escape(v['phone'])}</li>"
        for v in demo.get("appointments", []))
    waiting = ", ".join(f"{escape(w['phone'])} ({escape(w['category'])})" for w in demo.get("waiting_list", []))
    first = (demo.get("appointments") or [{}])[0]
    return _page("Odwołaj: local runner", (
        "<h2>Try it</h2><ol>"
        f"<li>Open <a href='{escape(first.get('cancel_link', '/c'))}'>DEMO-1's link</a> (a patient's page), press "
        "<em>Odwołuję wizytę</em>, then <em>Tak, odwołuję wizytę</em>.</li>"
        f"<li>The freed slot is offered to the waiting list ({waiting}): see <a href=/dev/phone>the phone</a> "
        "(outside offer hours, first move the clock with the button above). Reply <code>TAK</code> there or open "
        "the offer's link.</li>"
        "<li>See what the clinic's system receives: <a href=/dev/events>events</a>.</li>"
        f"<li>Prepayments: book a visit with <em>{escape(demo.get('prepaid_specialist', ''))}</em> through the API "
        "(docs/local.md), open the payment link from the phone and pay on the "
        + (f"<a href='{escape(stripe_base)}/'>Stripe stand-in</a>" if stripe_base else "Stripe stand-in") + ".</li>"
        "<li>Cancel by e-mail: <a href=/dev/mail>mail</a> sends one to the cancellation address.</li></ol>"
        f"<h2>Demo visits</h2><ul>{visits}</ul><p>Find a visit by code and phone: <a href=/c>/c</a></p>"
        f"<h2>Clinic API</h2><p>Demo facility <code>{escape(demo.get('facility_id', ''))}</code>, API key "
        f"<code>{escape(demo.get('api_key', ''))}</code></p>"
        "<ul><li><a href=/dev/phone>Phone: every SMS sent, and replies</a></li>"
        "<li><a href=/dev/mail>Mail: e-mails sent, and one to the cancellation address</a></li>"
        "<li><a href=/dev/events>Events published on the bus</a></li>"
        "<li><a href=/dev/failed>Failed: what the streams and schedules gave up on, and its redrive</a></li>"
        "<li><a href=/dev/clock>Clock and schedules</a></li>"
        + (f"<li><a href='{escape(stripe_base)}/'>Stripe stand-in: checkout sessions</a></li>" if stripe_base else "")
        + "<li><a href=/healthz>/healthz</a></li></ul>"
        + _campaigns(demo.get("campaigns"))), status)


def _campaigns(campaigns: dict | None) -> str:
    if not campaigns:
        return ""
    return ("<h2>Campaigns</h2><p>Manager's key (may launch): "
            f"<code>{escape(campaigns['manager_key'])}</code>. Demo history of {campaigns['lapsed_patients']} lapsed "
            f"patients: <code>{escape(campaigns['history_file'])}</code>, consents: "
            f"<code>{escape(campaigns['consents_file'])}</code>. The recipe: docs/local.md, "
            "\"A reactivation campaign\".</p>")


def phone(messages: list[Sms], status: Status, notice: str = "") -> str:
    rows = "".join(
        f"<tr class={m.direction}><td>{escape(warsaw(m.runner_time)) if m.runner_time else ''}<br>"
        f"{'→ to' if m.direction == 'out' else '← from'} {escape(m.phone)}</td>"
        f"<td><pre>{_links(m.text)}</pre></td><td>"
        + (f"<form method=post action=/dev/phone/reply><input type=hidden name=from value='{escape(m.phone)}'>"
           f"<input name=text aria-label='reply from {escape(m.phone)}' placeholder='TAK / NIE / STOP' required> "
           "<button>Reply</button></form>" if m.direction == "out" else "")
        + "</td></tr>" for m in messages)
    table = (f"<table><tr><th>when (Warsaw), who</th><th>text</th><th>reply</th></tr>{rows}</table>" if messages
             else "<p>No SMS yet.</p>")
    return _page("Phone", (f"<p role=alert>{escape(notice)}</p>" if notice else "")
                 + "<p>Every SMS sent, newest first. A reply is delivered as an inbound SMS from that number.</p>"
                 + table, status)


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


def mail(messages: list[Mail], status: Status, cancel_address: str = "", notice: str = "") -> str:
    rows = "".join(
        f"<tr><td>{escape(m.sender)} → {escape(m.to)}</td><td><strong>{escape(m.subject)}</strong>"
        f"<pre>{_links(m.text)}</pre></td></tr>" for m in messages)
    table = (f"<table><tr><th>from → to</th><th>subject and text</th></tr>{rows}</table>" if messages
             else "<p>No e-mail yet.</p>")
    send = "" if not cancel_address else (
        f"<h2>Write to the cancellation address</h2><p>As a patient would: to <code>{escape(cancel_address)}</code>, "
        "naming the visit code and sent from the patient's address or quoting the patient's phone "
        "(see /dev for the demo visits). SES stores it and invokes the function, as the template's receipt rule "
        "does.</p><form method=post action=/dev/mail/send>"
        "<p><label>From <input name=from type=email required size=30 value='pacjent@example.com'></label></p>"
        "<p><label>Subject <input name=subject size=30 value='Odwołanie wizyty'></label></p>"
        "<p><label>Text<br><textarea name=text rows=4 cols=40 required>Proszę odwołać wizytę, kod: … "
        "Mój telefon: …</textarea></label></p><button>Send</button></form>")
    return _page("Mail", (f"<p role=alert>{escape(notice)}</p>" if notice else "")
                 + "<p>Every e-mail sent through SES, newest first.</p>" + table + send, status)


EVENTS_SHOWN = 500  # the page shows the newest; JSON has them all


def _occurred(event: dict) -> str:
    occurred = (event.get("detail") or {}).get("occurred_at")
    return warsaw(occurred) if occurred else ""


def events(captured: list[Captured], status: Status) -> str:
    newest = captured[::-1][:EVENTS_SHOWN]
    rows = "".join(
        f"<tr><td>{escape(_occurred(c.event))}</td><td>{escape(c.event.get('detail-type', ''))}</td>"
        f"<td><pre>{escape(json.dumps(c.event.get('detail'), ensure_ascii=False, indent=1))}</pre></td></tr>"
        for c in newest)
    more = f"<p>The newest {EVENTS_SHOWN} of {len(captured)}.</p>" if len(captured) > EVENTS_SHOWN else ""
    body = (f"{more}<table><tr><th>occurred (runner time, Warsaw)</th><th>type</th><th>detail</th></tr>{rows}</table>"
            if captured else "<p>No events yet.</p>")
    return _page("Events on the bus", body + "<p><a href='/dev/events?format=json&amp;after=0'>as JSON</a></p>", status)


def failed(listed: list[Listed], status: Status, outcomes: dict[str, Outcome] | None = None) -> str:
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
    return _page("Failed after their retries", notice + table + button, status)


def clock_state(now: datetime, offset_seconds: float, entries: list[Entry]) -> dict:
    return {
        "now": now.isoformat(),
        "now_warsaw": now.astimezone(WARSAW).isoformat(),
        "offset_seconds": offset_seconds,
        "schedules": [{"function": e.schedule.function, "expression": e.schedule.expression,
                       "next_due": e.next_due.isoformat() if e.next_due else None, "fired": e.fired}
                      for e in entries],
    }


def clock(state: dict, status: Status) -> str:
    rows = "".join(f"<tr><td>{escape(s['function'])}</td><td data-label=expression>{escape(s['expression'])}</td>"
                   f"<td data-label='next due'>{escape(warsaw(s['next_due'])) if s['next_due'] else 'never'}</td>"
                   f"<td data-label=fired>{s['fired']}</td></tr>" for s in state["schedules"])
    now = parse_iso(state["now"])
    return _page("Clock", (
        f"<p>Runner time: <strong>{escape(warsaw(now))}</strong> Warsaw ({now:%H:%M} UTC), "
        f"{state['offset_seconds'] / 3600:+.2f} h from the wall clock. The clock only moves forward; "
        "restart the runner to go back to now.</p>"
        "<form method=post action=/dev/clock><label>Advance by <input name=advance_minutes type=number min=1 "
        "value=60> minutes</label> <button>Advance</button></form>"
        "<form method=post action=/dev/clock><label>Advance by <input name=advance_hours type=number min=1 "
        "value=24> hours</label> <button>Advance</button></form>"
        f"<form method=post action=/dev/clock><input type=hidden name=to_hour value={SENDING_START.hour}>"
        f"<button>Move to the next {SENDING_START:%H:%M} Warsaw time</button></form>"
        "<h2>Schedules</h2><table><tr><th>function</th><th>expression</th><th>next due (Warsaw)</th><th>fired</th></tr>"
        f"{rows}</table>"), status)
