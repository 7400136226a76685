"""Form pieces of the console's part-2 pages (settings, manual bookings): labelled fields that keep
what was typed, mark the field a problem is about (`aria-invalid`, described by the message), and
the reading of typed text into the values the clinic API takes, so the domain validates both alike.
No JavaScript: every choice is a native control."""
from __future__ import annotations

import re
from html import escape as _e

from odwolaj.core.errors import InvalidInput

AMOUNT = re.compile(r"^\d{1,6}([.,]\d{1,2})?$")


def alerts(notice: str | None = None, problem: str | None = None) -> str:
    ok = f'<p class="ok" role="status">{_e(notice)}</p>\n' if notice else ""
    bad = f'<p class="problem" id="problem" role="alert">{_e(problem)}</p>\n' if problem else ""
    return ok + bad


def _invalid(name: str, wrong: str | None, hint_id: str | None = None) -> str:
    described = " ".join(i for i in (hint_id, "problem" if name == wrong else None) if i)
    return (' aria-invalid="true"' if name == wrong else "") + (f' aria-describedby="{described}"' if described else "")


def _labelled(name: str, label: str, wrong: str | None, hint: str | None) -> tuple[str, str, str]:
    """(the control's id, the field's opening with its label and hint, the control's ARIA marks)."""
    ident = "f-" + re.sub(r"[^a-z0-9_-]", "-", name.lower())
    hint_html = f'<span class="muted" id="{ident}-hint">{_e(hint)}</span>' if hint else ""
    head = f'<div class="field"><label for="{ident}">{_e(label)}</label>{hint_html}'
    return ident, head, _invalid(name, wrong, f"{ident}-hint" if hint else None)


def field(name: str, label: str, values: dict[str, str], *, wrong: str | None = None, kind: str = "text",
          hint: str | None = None, attrs: str = "") -> str:
    """A labelled input showing `values[name]` (what was typed, or the current setting)."""
    ident, head, marks = _labelled(name, label, wrong, hint)
    return (f'{head}<input type="{kind}" id="{ident}" name="{_e(name)}" value="{_e(values.get(name, ""))}"'
            f'{attrs}{marks}></div>\n')


def area(name: str, label: str, values: dict[str, str], *, wrong: str | None = None, hint: str | None = None,
         attrs: str = "") -> str:
    """A labelled multi-line text field showing `values[name]`."""
    ident, head, marks = _labelled(name, label, wrong, hint)
    return (f'{head}<textarea id="{ident}" name="{_e(name)}" rows="3"{attrs}{marks}>{_e(values.get(name, ""))}'
            "</textarea></div>\n")


def radios(name: str, legend: str, options: tuple[tuple[str, str], ...], values: dict[str, str], *,
           wrong: str | None = None) -> str:
    chosen = values.get(name, "")
    items = "".join(
        f'<div><input type="radio" id="{name}-{key or "inherit"}" name="{name}" value="{key}"'
        f'{" checked" if key == chosen else ""}> <label for="{name}-{key or "inherit"}">{_e(label)}</label></div>'
        for key, label in options)
    # A group takes no aria-invalid (ARIA 1.2): the problem describes it instead.
    described = ' aria-describedby="problem"' if name == wrong else ""
    return f'<fieldset class="field"{described}><legend>{_e(legend)}</legend>{items}</fieldset>\n'


def checkbox(name: str, label: str, values: dict[str, str]) -> str:
    checked = " checked" if values.get(name) == "tak" else ""
    return (f'<div class="field"><input type="checkbox" id="f-{name}" name="{name}" value="tak"{checked}> '
            f'<label for="f-{name}">{_e(label)}</label></div>\n')


def select(name: str, label: str, options: tuple[tuple[str, str], ...], values: dict[str, str], *,
           wrong: str | None = None) -> str:
    chosen = values.get(name, "")
    items = "".join(f'<option value="{_e(key)}"{" selected" if key == chosen else ""}>{_e(text)}</option>'
                    for key, text in options)
    return (f'<div class="field"><label for="f-{name}">{_e(label)}</label><select id="f-{name}" name="{name}"'
            f'{_invalid(name, wrong)}>{items}</select></div>\n')


# ---------------------------------------------------------------------------------------------
# Typed text → the API's values (the domain validates them: a wrong one fails as through the API)


def whole(text: str) -> int | str | None:
    """A typed whole number: absent when empty, the number, or the text itself (which the domain's
    validator refuses, naming the field, as it refuses a string in the API's JSON)."""
    text = text.strip()
    if not text:
        return None
    return int(text) if text.isdigit() and len(text) < 10 else text


def grosze(text: str, field_name: str) -> int | None:
    """An amount typed in złoty ("150", "150,50", "150 zł") in grosze; absent when empty."""
    cleaned = text.replace(" ", "").replace("\u00a0", "").replace("zł", "")
    if not cleaned:
        return None
    if not AMOUNT.match(cleaned):
        raise InvalidInput("not an amount in złoty", field=field_name)
    return round(float(cleaned.replace(",", ".")) * 100)


def present(values: dict[str, object]) -> dict[str, object]:
    """Without the absent values (an empty field sends nothing, as a key left out of the JSON)."""
    return {name: value for name, value in values.items() if value is not None and value != ""}
