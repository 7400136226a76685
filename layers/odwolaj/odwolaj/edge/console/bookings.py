"""Manual bookings' pages: add a visit, import visits from a CSV file (the upload, the plan of what
each row will do, the per-row report), and the Polish reason for each refused field or row. The
upload and its confirmation are multipart forms (a file, then the same file carried back), read
here without the small urlencoded forms' size cap."""
from __future__ import annotations

import base64
import binascii
from email.parser import BytesParser
from email.policy import HTTP
from html import escape as _e

from odwolaj.core.clock import WARSAW, parse_iso
from odwolaj.core.errors import InvalidInput
from odwolaj.data.models import Appointment, ConsoleSession
from odwolaj.edge.console.forms import alerts, field
from odwolaj.edge.console.pages import hidden_csrf, layout, zloty
from odwolaj.usecases.manual_bookings import (
    CREATE,
    DUPLICATE,
    MAX_BYTES,
    MAX_ROWS,
    REFUSED,
    UNCHANGED,
    UPDATE,
    FileRefused,
    ImportPlan,
)

MAX_UPLOAD = 3 * MAX_BYTES  # the file, or the file carried back in base64, and the form's fields
FIELD_REASONS = {
    "id_wizyty": "Identyfikator wizyty: najwyżej 64 znaki.",
    "external_id": "Identyfikator wizyty: najwyżej 64 znaki.",
    "patient.id": "Brak identyfikatora pacjenta (np. numeru kartoteki), najwyżej 64 znaki.",
    "patient.phone": "Nieprawidłowy numer telefonu (np. 600 100 200 albo +48 600 100 200).",
    "patient.email": "Nieprawidłowy adres e-mail.",
    "patient.pesel": "Nieprawidłowy PESEL (11 cyfr z poprawną cyfrą kontrolną).",
    "starts_at": "Nieprawidłowa data lub godzina wizyty (data RRRR-MM-DD albo DD.MM.RRRR, godzina GG:MM).",
    "service": "Brak nazwy usługi (poradni), najwyżej 120 znaków.",
    "duration_minutes": "Czas wizyty: liczba minut od 5 do 480.",
    "specialist": "Specjalista: najwyżej 120 znaków.",
    "location": "Gabinet: najwyżej 200 znaków.",
}
CODE_REASONS = {
    "booking_cutoff": ("O tej porze nie przyjmujemy rezerwacji z obowiązkową przedpłatą (pacjent nie zdążyłby "
                       "zapłacić). Zapisz wizytę jutro albo zmień zasady przedpłat."),
    "prepayment_too_late": "Do wizyty zostało za mało czasu, by pacjent zdążył zapłacić obowiązkową przedpłatę.",
    "invalid_transition": ("Ta wizyta jest już odwołana lub zakończona i nie można jej zmienić. Dodaj ją z nowym "
                           "identyfikatorem."),
    "conflict": "Wizyta zmieniła się w tej samej chwili. Spróbuj jeszcze raz.",
}
FILE_REASONS = {
    "empty": "Plik jest pusty albo ma tylko nagłówek.",
    "too_big": f"Plik jest za duży: najwyżej {MAX_BYTES // 1000} kB. Podziel go na kilka plików.",
    "too_many_rows": f"Plik ma za dużo wierszy: najwyżej {MAX_ROWS} wizyt naraz. Podziel go na kilka plików.",
    "missing_columns": "Brakuje kolumn: {names}. Pierwszy wiersz pliku to nagłówek z nazwami kolumn.",
    "unknown_columns": "Nieznane kolumny: {names}. Dozwolone kolumny są wymienione niżej.",
    "not_csv": "To nie jest plik CSV. Zapisz arkusz jako „CSV (rozdzielany przecinkami)” i spróbuj jeszcze raz.",
    "no_file": "Wybierz plik CSV z wizytami.",
}
PLANS = {CREATE: "zostanie dodana", UPDATE: "zostanie zmieniona", UNCHANGED: "już jest, bez zmian",
         REFUSED: "pominięta", DUPLICATE: "powtórzenie, pominięta"}
DONE = {CREATE: "dodana", UPDATE: "zmieniona", UNCHANGED: "już była, bez zmian", REFUSED: "pominięta",
        DUPLICATE: "powtórzenie, pominięta"}
STATUSES = {"booked": "zarezerwowana", "awaiting_payment": "czeka na przedpłatę", "confirmed": "potwierdzona",
            "cancelled": "odwołana", "attended": "odbyta", "no_show": "nieobecność"}
FIELD_NAMES = {"patient_id": "pacjent", "phone": "telefon", "email": "e-mail", "pesel": "PESEL", "starts_at": "termin",
               "duration_minutes": "czas", "service": "usługa", "specialist": "specjalista", "location": "gabinet"}


def reason(field_name: str | None, code: str | None, first_line: int | None = None) -> str:
    """Why a row or the form was refused, in Polish."""
    if first_line is not None:
        return f"Powtórzenie wiersza {first_line} (ta sama wizyta)."
    return CODE_REASONS.get(code or "") or FIELD_REASONS.get(field_name or "", "Sprawdź dane wizyty.")


def file_reason(error: FileRefused) -> str:
    return FILE_REASONS[error.reason].format(names=", ".join(error.names))


def form_field(field_name: str | None) -> str | None:
    """The form control an API field is typed in."""
    return {"patient.id": "id_pacjenta", "patient.phone": "telefon", "patient.email": "email", "patient.pesel": "pesel",
            "starts_at": "data", "service": "usluga", "duration_minutes": "czas_min", "specialist": "specjalista",
            "location": "gabinet", "external_id": "id_wizyty"}.get(field_name or "")


# ---------------------------------------------------------------------------------------------
# The multipart forms


def upload_fields(raw: bytes, content_type: str) -> dict[str, bytes]:
    """The fields of a multipart/form-data body (a file's content as sent)."""
    if len(raw) > MAX_UPLOAD:
        raise FileRefused("too_big")
    if not content_type.lower().startswith("multipart/form-data"):
        raise InvalidInput("not a multipart form", field="plik")
    message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + content_type.encode("latin-1", "replace")
                                                  + b"\r\n\r\n" + raw)
    fields: dict[str, bytes] = {}
    for part in message.iter_parts() if message.is_multipart() else ():
        name = part.get_param("name", header="content-disposition")
        if isinstance(name, str) and name not in fields:
            payload = part.get_payload(decode=True)
            fields[name] = payload if isinstance(payload, bytes) else b""
    return fields


def text_of(fields: dict[str, bytes], name: str) -> str:
    return fields.get(name, b"").decode("utf-8", "replace").strip()


def csv_text(fields: dict[str, bytes]) -> str:
    """The CSV: the uploaded file (UTF-8, or Windows-1250 as Polish Excel saves it), or the same file
    carried back from the plan (base64)."""
    if fields.get("plik"):
        content = fields["plik"]
        try:
            return content.decode("utf-8-sig")
        except UnicodeDecodeError:
            return content.decode("cp1250", "replace")
    try:
        return base64.b64decode(fields.get("csv", b""), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise FileRefused("no_file") from None


# ---------------------------------------------------------------------------------------------
# Pages


def _when(starts_at: str) -> str:
    return f"{parse_iso(starts_at).astimezone(WARSAW):%d.%m.%Y %H:%M}"


def booked_notice(appointment: Appointment, created: bool) -> str:
    what = "Dodano wizytę" if created else "Zapisano wizytę"
    text = (f"{what} {appointment.external_id}: {_when(str(appointment.starts_at))}, {appointment.service}. "
            f"Status: {STATUSES.get(str(appointment.status), str(appointment.status))}")
    if appointment.status == "awaiting_payment" and appointment.payment_deadline:
        text += (f" – {zloty(int(appointment.payment_amount or 0))} zł do "
                 f"{_when(str(appointment.payment_deadline))}; pacjent dostał SMS z linkiem do płatności")
    return text + "."


def bookings_page(session: ConsoleSession, values: dict[str, str], *, notice: str | None = None,
                  problem: str | None = None, wrong: str | None = None) -> str:
    def f(name: str, label: str, **kw) -> str:
        return field(name, label, values, wrong=wrong, **kw)

    body = (
        "<h1>Dodaj wizytę</h1>\n" + alerts(notice, problem)
        + "<p>Dla przychodni, której system nie przesyła wizyt do Odwołaj. Pacjent dostanie SMS z potwierdzeniem, "
        "przypomnienia i – jeśli obowiązuje przedpłata – link do płatności. Wiele wizyt naraz: "
        '<a href="/panel/wizyty/import">import z pliku CSV</a>.</p>'
        f'<form method="post" action="/panel/wizyty">{hidden_csrf(session.csrf)}'
        f'<input type="hidden" name="ref" value="{_e(values.get("ref", ""))}">\n'
        '<section class="card"><h2>Wizyta</h2>'
        + f("data", "Data", kind="date", attrs=" required")
        + f("godzina", "Godzina", kind="time", attrs=" required")
        + f("usluga", "Usługa (poradnia)", attrs=' required maxlength="120"')
        + f("specjalista", "Specjalista (nieobowiązkowo)", attrs=' maxlength="120"')
        + f("czas_min", "Czas wizyty w minutach (5–480; puste: 15)", attrs=' inputmode="numeric"')
        + f("gabinet", "Gabinet lub miejsce (nieobowiązkowo)", attrs=' maxlength="200"')
        + f("id_wizyty", "Numer wizyty w systemie przychodni (nieobowiązkowo)", attrs=' maxlength="64"',
            hint="Puste: Odwołaj nada numer sam.")
        + '</section>\n<section class="card"><h2>Pacjent</h2>'
        + f("id_pacjenta", "Identyfikator pacjenta (np. numer kartoteki)", attrs=' required maxlength="64" '
            'autocomplete="off"')
        + f("telefon", "Telefon komórkowy", kind="tel", attrs=' required autocomplete="off"')
        + f("email", "E-mail (nieobowiązkowo)", kind="email", attrs=' maxlength="254" autocomplete="off"')
        + f("pesel", "PESEL (nieobowiązkowo)", attrs=' inputmode="numeric" maxlength="11" autocomplete="off"')
        + '</section>\n<button type="submit">Dodaj wizytę</button></form>'
    )
    return layout("Dodaj wizytę", body, session=session, current="/panel/wizyty")


def import_page(session: ConsoleSession, *, problem: str | None = None) -> str:
    columns = ("<li><code>data</code> (RRRR-MM-DD albo DD.MM.RRRR), <code>godzina</code> (GG:MM, np. 8:05), "
               "<code>usluga</code>, <code>id_pacjenta</code>, <code>telefon</code> – obowiązkowe;</li>"
               "<li><code>id_wizyty</code>, <code>czas_min</code>, <code>specjalista</code>, <code>gabinet</code>, "
               "<code>email</code>, <code>pesel</code> – nieobowiązkowe.</li>")
    body = (
        "<h1>Import wizyt z pliku CSV</h1>\n" + alerts(None, problem)
        + f"<p>Najpierw zobaczysz, co stanie się z każdym wierszem; wizyty zapiszą się dopiero po potwierdzeniu. "
        f"Najwyżej {MAX_ROWS} wizyt i {MAX_BYTES // 1000} kB w jednym pliku. Ponowny import tego samego pliku "
        "niczego nie podwaja.</p>"
        '<section class="card"><h2>Kolumny pliku</h2><p>Pierwszy wiersz to nagłówek. Kolumny rozdzielone przecinkami '
        f"lub średnikami, w dowolnej kolejności:</p><ul>{columns}</ul>"
        "<p>Wiersz bez <code>id_wizyty</code> to ta sama wizyta, gdy powtarza się data, godzina, usługa, "
        "specjalista i pacjent.</p></section>\n"
        f'<form method="post" action="/panel/wizyty/import" enctype="multipart/form-data">{hidden_csrf(session.csrf)}'
        '<input type="hidden" name="action" value="podglad">'
        '<div class="field"><label for="plik">Plik CSV z wizytami</label><input type="file" id="plik" name="plik" '
        f'accept=".csv,text/csv" required{" aria-describedby=problem aria-invalid=true" if problem else ""}></div>'
        '<button type="submit">Pokaż, co zostanie zaimportowane</button></form>'
    )
    return layout("Import wizyt", body, session=session, current="/panel/wizyty")


def _rows_table(plan: ImportPlan, words: dict[str, str], caption: str) -> str:
    rows = "".join(
        f"<tr><td class=num>{row.line}</td><td>{_e(row.external_id)}</td>"
        f"<td>{_e(_when(row.data.starts_at.isoformat()) if row.data else '')}</td>"
        f"<td>{_e(row.data.service if row.data else '')}</td><td>{_e(words[row.plan])}</td>"
        f"<td>{_e(_row_detail(row.plan, row.field, row.code, row.first_line, row.changed))}</td></tr>"
        for row in plan.rows)
    return ('<div class="table-wrap" tabindex="0" role="region" aria-label="' + _e(caption) + '"><table><caption>'
            f"{_e(caption)}</caption><thead><tr><th scope=col class=num>Wiersz</th><th scope=col>Wizyta</th>"
            "<th scope=col>Termin</th><th scope=col>Usługa</th><th scope=col>Co się stanie</th>"
            f"<th scope=col>Powód lub zmiany</th></tr></thead><tbody>{rows}</tbody></table></div>")


def _row_detail(plan: str, field_name: str | None, code: str | None, first_line: int | None,
                changed: tuple[str, ...] | list[str]) -> str:
    if plan in (REFUSED, DUPLICATE):
        return reason(field_name, code, first_line)
    return ", ".join(FIELD_NAMES.get(name, name) for name in changed)


def _summary(counts: dict[str, int], words: dict[str, str]) -> str:
    items = "".join(f"<li>{_e(words[key].capitalize())}: {counts.get(key, 0)}</li>" for key in words)
    return f"<ul>{items}</ul>"


def preview_page(session: ConsoleSession, plan: ImportPlan, text: str) -> str:
    counts = {key: plan.count(key) for key in PLANS}
    to_do = counts[CREATE] + counts[UPDATE]
    carried = base64.b64encode(text.encode()).decode()
    confirm = (f'<form method="post" action="/panel/wizyty/import" enctype="multipart/form-data">'
               f'{hidden_csrf(session.csrf)}<input type="hidden" name="action" value="importuj">'
               f'<input type="hidden" name="csv" value="{carried}">'
               f'<button type="submit">Importuj ({to_do})</button></form>' if to_do else
               "<p>Nie ma czego importować.</p>")
    body = (
        "<h1>Import wizyt: podgląd</h1>\n"
        + f"<p>Nic jeszcze nie zostało zapisane. Wiersze pominięte nie zostaną zaimportowane; popraw je w pliku i "
        f"zaimportuj plik ponownie (zaimportowane wiersze się nie podwoją).</p>{_summary(counts, PLANS)}"
        + confirm + _rows_table(plan, PLANS, "Wiersze pliku") + confirm
        + '<p><a href="/panel/wizyty/import">Wybierz inny plik</a></p>'
    )
    return layout("Import wizyt: podgląd", body, session=session, current="/panel/wizyty")


def report_page(session: ConsoleSession, report: dict, at: str) -> str:
    rows = "".join(
        f"<tr><td class=num>{row['line']}</td><td>{_e(row['id'])}</td><td>{_e(DONE[row['plan']])}</td>"
        f"<td>{_e(_row_detail(row['plan'], row.get('field'), row.get('code'), row.get('first_line'), ()))}</td></tr>"
        for row in report.get("rows", []))
    body = (
        f"<h1>Import wizyt: raport</h1>\n<p>Import z {_e(_when(at))}.</p>{_summary(report, DONE)}"
        '<div class="table-wrap" tabindex="0" role="region" aria-label="Raport wierszy"><table><caption>Wiersze pliku'
        "</caption><thead><tr><th scope=col class=num>Wiersz</th><th scope=col>Wizyta</th><th scope=col>Wynik</th>"
        f"<th scope=col>Powód</th></tr></thead><tbody>{rows}</tbody></table></div>"
        '<p><a href="/panel/wizyty/import">Importuj kolejny plik</a> · <a href="/panel/wizyty">Dodaj wizytę</a></p>'
    )
    return layout("Import wizyt: raport", body, session=session, current="/panel/wizyty")
