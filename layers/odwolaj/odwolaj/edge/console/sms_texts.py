"""The manager's "SMS-y do pacjentów" page: each kind's default text, the facility's own text (one
form per kind, so a refusal keeps what was typed there), a preview with a sample visit, and
"Przywróć domyślny". The check is odwolaj.language.message_overrides, as through the clinic API;
its reasons are said in Polish here."""
from __future__ import annotations

from dataclasses import replace
from html import escape as _e

from odwolaj.data.models import ConsoleSession
from odwolaj.edge.console.forms import alerts, area
from odwolaj.edge.console.message_kinds import GROUPS, LABELS
from odwolaj.edge.console.pages import hidden_csrf, layout, settings_links
from odwolaj.language.gsm import segments
from odwolaj.language.message_overrides import OverrideRefused, allowed
from odwolaj.language.texts import DEFAULTS, MessageContext, render

PATH = "/panel/ustawienia/sms"
PLACEHOLDERS = {
    "facility": "krótka nazwa przychodni", "facility_name": "pełna nazwa przychodni",
    "when": "dzień i godzina wizyty (śr 02.12 o 10:30)", "day": "dzień słownie (środa 2 grudnia)",
    "time": "godzina (10:30)", "service": "poradnia", "phone": "telefon przychodni",
    "contact": "nazwa i telefon przychodni", "code": "kod wizyty", "link": "link dla pacjenta",
    "amount": "kwota przedpłaty", "deadline": "termin wpłaty (dziś do 20:00)", "until": "do kiedy (czarna lista)",
    "position": "miejsce na liście", "forecast": "przewidywany termin",
}
KEPT = {"link": "$link (link dla pacjenta)", "amount": "$amount (kwotę)", "deadline": "$deadline (termin wpłaty)",
        "until": "$until (do kiedy)"}


def problem(error: OverrideRefused) -> str:
    """The refusal in Polish, naming the message."""
    reason, detail = error.reason, error.detail
    said = {
        "unknown_kind": "Nie ma takiej wiadomości.",
        "empty": "Wpisz tekst albo wybierz „Przywróć domyślny”.",
        "too_long": f"Tekst jest za długi (najwyżej {detail} znaków).",
        "invalid": "Znak $ zaczyna pole do wstawienia, np. $facility. Sam znak dolara wpisz jako $$.",
        "unknown_placeholder": f"Ta wiadomość nie zna pola ${detail}. Można użyć: "
                               + ", ".join(f"${p}" for p in sorted(allowed(error.kind))) + "."
                               if error.kind in DEFAULTS else "",
        "missing_placeholder": (f"Tekst musi zawierać {KEPT[detail]}, tak jak tekst domyślny." if detail in KEPT
                                else "Tekst musi zawierać nazwę przychodni: $facility albo $facility_name."),
        "missing_reply_word": f"Tekst musi prosić o odpowiedź {detail} (wielkimi literami), tak jak tekst domyślny: "
                              "bez tego pacjent nie wie, co odpisać.",
        "not_gsm7": f"Tych znaków nie da się wysłać SMS-em: {detail} (np. emotikony). Polskie litery można.",
        "too_many_segments": (f"Tekst jest za długi: z najdłuższą nazwą przychodni i linkiem zajmie więcej SMS-ów "
                              f"niż tekst domyślny ({detail}). Skróć go."),
    }.get(reason, "Sprawdź tekst i spróbuj jeszcze raz.")
    return f"{LABELS.get(error.kind, error.kind)}: {said}"


def _sms_count(text: str) -> str:
    count = segments(text)
    return f"{len(text)} znaków, {count} SMS" if count == 1 else f"{len(text)} znaków, {count} SMS-y"


def _kind(session: ConsoleSession, kind: str, label: str, own: dict[str, str], sample: MessageContext,
          typed: dict[str, str], wrong: str | None, saved: str | None) -> str:
    link = sample.link if "link" in allowed(kind) else ""
    preview = render(kind, replace(sample, link=link), overrides=own)
    values = {f"text_{kind}": typed["text"] if typed.get("kind") == kind else own.get(kind, DEFAULTS[kind])}
    restore = ('<button type="submit" name="action" value="restore" class="secondary">Przywróć domyślny</button>'
               if kind in own else "")
    opened = " open" if kind in (wrong, saved) else ""
    fields = ", ".join(f"${p}" for p in sorted(allowed(kind)))
    return (
        f'<details class="card" id="{kind}"{opened}><summary>{_e(label)}'
        f' – {"własny tekst" if kind in own else "tekst domyślny"}</summary>\n'
        f'<p><strong>Tekst domyślny:</strong> {_e(DEFAULTS[kind])}</p>\n'
        f'<form method="post" action="{PATH}">{hidden_csrf(session.csrf)}'
        f'<input type="hidden" name="kind" value="{kind}">'
        + area(f"text_{kind}", f"Tekst: {label}", values, wrong=f"text_{wrong}" if wrong else None,
               hint=f"Można użyć: {fields}.", attrs=' maxlength="480" rows="4"')
        + f'<button type="submit" name="action" value="save">Zapisz</button> {restore}</form>\n'
        f'<p><strong>Tak dostanie go pacjent</strong> (przykładowa wizyta, {_sms_count(preview)}):</p>'
        f'<p class="preview">{_e(preview)}</p></details>\n'
    )


def page(session: ConsoleSession, own: dict[str, str], sample: MessageContext, *, typed: dict[str, str] | None = None,
         wrong: str | None = None, problem_text: str | None = None, saved: str | None = None) -> str:
    notice = f"Zapisano: {LABELS[saved]}." if saved in LABELS else None
    names = "".join(f"<li>${_e(name)} – {_e(text)}</li>" for name, text in PLACEHOLDERS.items())
    groups = "".join(
        f"<h2>{_e(title)}</h2>\n" + "".join(_kind(session, kind, label, own, sample, typed or {}, wrong, saved)
                                           for kind, label in kinds)
        for title, kinds in GROUPS)
    body = (
        "<h1>SMS-y do pacjentów</h1>\n" + settings_links(PATH) + alerts(notice, problem_text)
        + "<p>Własny tekst zastępuje domyślny od następnej wiadomości. Polskie litery wysyłamy bez ogonków. Tekst "
        "nie może zająć więcej SMS-ów niż domyślny i musi zawierać to, co pacjent musi dostać (link, kwotę, "
        "termin wpłaty), tak jak tekst domyślny.</p>"
        f'<details class="card"><summary>Pola do wstawienia</summary><ul>{names}</ul></details>\n' + groups
    )
    return layout("SMS-y do pacjentów", body, session=session, current="/panel/ustawienia")
