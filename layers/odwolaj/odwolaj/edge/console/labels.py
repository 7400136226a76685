"""The Polish words of the waiting list and today's board: categories, entitlements, statuses of
visits, slots and offers, Polish times, and what their audit entries say."""
from __future__ import annotations

from datetime import date

from odwolaj.core.clock import WARSAW, parse_iso
from odwolaj.stats import definitions as d

CATEGORIES = {"pilny": "pilny", "stabilny": "stabilny"}
ENTITLEMENTS = {
    "honorary_blood_donor": "Zasłużony Honorowy Dawca Krwi",
    "honorary_transplant_donor": "Zasłużony Dawca Przeszczepu",
    "war_or_military_invalid": "inwalida wojenny lub wojskowy",
    "combatant": "kombatant, osoba represjonowana",
    "soldier_injured_abroad": "żołnierz lub pracownik poszkodowany poza granicami kraju",
    "other_statutory": "inne uprawnienie ustawowe",
}
ENTRY_STATUSES = {"active": "czeka", "served": "otrzymał(a) wizytę z listy", "struck_off": "skreślony(-a) z listy"}
VISIT_STATUSES = {"booked": "niepotwierdzona", "confirmed": "potwierdzona", "awaiting_payment": "czeka na przedpłatę",
                  "cancelled": "odwołana", "attended": "odbyta", "no_show": "nieobecność"}
SLOT_STATUSES = {"free": "wolny", "offering": "proponowany osobom z listy", "filled": "zajęty z listy",
                 "unfilled": "nie znalazł chętnego"}
OFFER_STATUSES = {"open": "czeka na odpowiedź", "expired": "bez odpowiedzi (tak nadal się liczy)",
                  "waiting": "zgoda, czeka na rozstrzygnięcie", "accepted": "przyjęta", "declined": "odrzucona",
                  "lost": "termin zajęty przez inną osobę"}
WEEKDAYS = ("poniedziałek", "wtorek", "środa", "czwartek", "piątek", "sobota", "niedziela")


def at(moment: str | None, fmt: str = "%d.%m.%Y %H:%M") -> str:
    """A stored UTC moment as Polish local time ("–" when there is none)."""
    return "–" if not moment else f"{parse_iso(moment).astimezone(WARSAW):{fmt}}"


def day_name(day: date) -> str:
    return f"{WEEKDAYS[day.weekday()]} {day:%d.%m.%Y}"


def channel(code: str | None) -> str:
    return d.CHANNELS.get(code or "", code or "–")


def audit_subject(action: str, detail: dict) -> str | None:
    """What a waiting-list or board entry of the audit log concerns, or None for other actions."""
    if action in ("waiting_entry_struck_off", "planned_date_changed", "offers_resumed"):
        return f"wpis nr {detail.get('list_number')}, {detail.get('service')}"
    if action == "waiting_entry_added":
        return f"nowy wpis, {detail.get('service')}"
    if action in ("visit_attended", "visit_no_show"):
        return f"wizyta {detail.get('external_id')}, {at(detail.get('starts_at'))}"
    return None


def audit_detail(action: str, detail: dict) -> str | None:
    if action == "waiting_entry_added":
        entitled = detail.get("entitlement")
        return f"kategoria: {detail.get('category')}" + (f"; poza kolejnością: {ENTITLEMENTS.get(entitled, entitled)}"
                                                          if entitled else "")
    if action == "waiting_entry_struck_off":
        return f"powód: {d.STRIKE_OFF_REASONS.get(str(detail.get('reason')), detail.get('reason'))}"
    if action == "planned_date_changed":
        return f"{detail.get('from')} → {detail.get('to')}"
    if action == "offers_resumed":
        return f"wstrzymane od {at(detail.get('stopped_at'))}"
    if action in ("visit_attended", "visit_no_show"):
        return str(detail.get("service") or "")
    return None
