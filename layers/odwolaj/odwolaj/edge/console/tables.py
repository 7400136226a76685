"""The dashboard's tables: one list, from which the page draws its tables and charts and the
exports write their CSV and XLSX, so the three always say the same. Cells are typed (a count, a
share, money, minutes, days) so each output formats them its own way."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Union

from odwolaj.appointments.lifecycle import CANCEL_REASONS
from odwolaj.stats import definitions as d
from odwolaj.stats.figures import Figures, Headline


@dataclass(frozen=True)
class Share:
    value: float | None  # 0..1


@dataclass(frozen=True)
class Money:
    grosze: int | None


@dataclass(frozen=True)
class Minutes:
    value: float | None


@dataclass(frozen=True)
class Days:
    value: float | None


Cell = Union[str, int, float, Share, Money, Minutes, Days, None]


@dataclass(frozen=True)
class Table:
    key: str  # in the export's address and file name
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    kpi: str | None = None  # the definition the table's title explains
    row_kpis: tuple[str | None, ...] = ()  # per row: the definition of the figure it shows
    chart: str | None = None  # bars, funnel, line: drawn from the first numeric column(s)


def _figure_rows(pairs: list[tuple[str, Cell]]) -> tuple[tuple[tuple[Cell, ...], ...], tuple[str | None, ...]]:
    return tuple((d.BY_KEY[key].label, value) for key, value in pairs), tuple(key for key, _ in pairs)


def _figures_table(key: str, title: str, pairs: list[tuple[str, Cell]]) -> Table:
    rows, kpis = _figure_rows(pairs)
    return Table(key, title, ("Wskaźnik", "Wartość"), rows, row_kpis=kpis)


def _headline_columns(h: Headline) -> tuple[Cell, ...]:
    return (h.visits_booked, h.visits_due, h.attended, h.no_shows, Share(h.no_show_rate), h.cancellations,
            h.late_cancellations, Share(h.late_cancellation_rate), h.slots_freed, h.slots_filled, Share(h.fill_rate))


HEADLINE_COLUMNS = ("Zapisane", "Do odbycia", "Odbyte", "Nieobecności", "Odsetek nieobecności", "Odwołania",
                    "Późne odwołania", "Odsetek późnych odwołań", "Zwolnione terminy", "Zajęte z listy",
                    "Odsetek zajętych")


def _day(value: date) -> str:
    return f"{value.day:02d}.{value.month:02d}.{value.year}"


def period_label(first: date, last: date) -> str:
    return f"{_day(first)}–{_day(last)}"


def tables(f: Figures) -> list[Table]:
    h = f.headline
    late = f.settings.late_cancellation_hours
    found = [
        _figures_table("wizyty", "Wizyty", [
            ("visits_booked", h.visits_booked), ("visits_due", h.visits_due), ("attended", h.attended),
            ("no_shows", h.no_shows), ("no_show_rate", Share(h.no_show_rate)),
            ("outcome_not_recorded", f.outcome_not_recorded), ("upcoming", f.upcoming),
            ("cancellations", h.cancellations), ("late_cancellations", h.late_cancellations),
            ("late_cancellation_rate", Share(h.late_cancellation_rate)), ("reinstated", f.reinstated)]),
        Table("kanaly", "Odwołania według kanału", ("Kanał", "Odwołania"),
              tuple((d.CHANNELS[c], n) for c, n in f.cancellations_by_channel.items()),
              kpi="cancellations_by_channel", chart="bars"),
        Table("powody", "Odwołania według powodu", ("Powód", "Odwołania"),
              tuple((CANCEL_REASONS.get(r, r), n) for r, n in f.cancellations_by_reason.items()),
              kpi="cancellations_by_reason", chart="bars"),
        Table("wyprzedzenie", f"Z jakim wyprzedzeniem odwołano (późne: poniżej {late} godz.)",
              ("Wyprzedzenie", "Odwołania"), tuple((d.LEAD_TIMES[b], n) for b, n in f.cancellation_lead_time.items()),
              kpi="cancellation_lead_time", chart="bars"),
        _figures_table("przypomnienia", "Przypomnienia i potwierdzenia", [
            ("reminders_sent", f.reminders_sent), ("confirmed", f.confirmed),
            ("confirmation_rate", Share(f.confirmation_rate)), ("opt_outs", f.opt_outs)]),
        Table("lejek", "Od zwolnienia do zajęcia terminu", ("Etap", "Terminy"),
              ((d.BY_KEY["slots_freed"].label, h.slots_freed), (d.BY_KEY["slots_offered"].label, f.slots_offered),
               (d.BY_KEY["slots_filled"].label, h.slots_filled)),
              row_kpis=("slots_freed", "slots_offered", "slots_filled"), chart="funnel"),
        _figures_table("odzyskiwanie", "Odzyskiwanie zwolnionych terminów", [
            ("slots_unfilled", f.slots_unfilled), ("fill_rate", Share(h.fill_rate)),
            ("median_minutes_to_fill", Minutes(f.median_minutes_to_fill)),
            ("p90_minutes_to_fill", Minutes(f.p90_minutes_to_fill)), ("offers_sent", f.offers_sent),
            ("offers_per_fill", f.offers_per_fill), ("visits_recovered", h.slots_filled),
            ("recovered_value", Money(f.recovered_value))]),
        Table("zajete-wg-wyprzedzenia", "Odsetek zajętych według tego, jak wcześnie zwolniono termin",
              ("Zwolniony przed wizytą", "Zwolnione", "Zaproponowane", "Zajęte z listy", "Odsetek zajętych"),
              tuple((d.FILL_BANDS[b], v["freed"], v["offered"], v["filled"], Share(v["fill_rate"]))
                    for b, v in f.fill_by_lead_time.items()), kpi="fill_rate", chart="bars"),
        Table("przedplaty", "Przedpłaty", ("Przedpłaty", "Liczba", "Kwota"),
              tuple((label, f.payments[kind]["count"], Money(f.payments[kind]["amount"])) for kind, label in
                    (("requested", "zażądane"), ("paid", "wpłacone"), ("expired", "wygasłe (nieopłacone w terminie)"),
                     ("refunded", "zwrócone"))), kpi="payments"),
        Table("czeka", "Czeka teraz na liście oczekujących", ("Grupa", "Osoby"),
              tuple((d.GROUPS[g], f.waiting_now[g]) for g in d.GROUPS), kpi="waiting_now", chart="bars"),
        Table("wpisani", "Wpisani na listę w okresie", ("Grupa", "Wpisy"),
              tuple((d.GROUPS[g], n) for g, n in f.waiting_list_joined.items()), kpi="waiting_list_joined"),
        Table("skreslenia", "Skreślenia z listy według powodu (NFZ)", ("Powód skreślenia", "Skreślenia"),
              tuple((d.STRIKE_OFF_REASONS[r], n) for r, n in f.struck_off.items()), kpi="struck_off", chart="bars"),
        _figures_table("oczekiwanie", "Otrzymali wizytę z listy", [
            ("left_with_visit", f.left_with_visit), ("average_wait_days", Days(f.average_wait_days))]),
        Table("tygodnie", "Tydzień po tygodniu", ("Tydzień", *HEADLINE_COLUMNS),
              tuple((period_label(w.start, w.end), *_headline_columns(w.figures)) for w in f.weeks), chart="line"),
    ]
    if f.comparison is not None:
        earlier = "rok wcześniej" if f.comparison.kind == "year_before" else "kwartał wcześniej"
        found.append(Table(
            "porownanie", f"Porównanie: {period_label(f.period.first, f.period.last)} i {earlier} "
                          f"({period_label(f.comparison.period.first, f.comparison.period.last)})",
            ("Okres", *HEADLINE_COLUMNS),
            ((period_label(f.period.first, f.period.last), *_headline_columns(h)),
             (f"{earlier}: {period_label(f.comparison.period.first, f.comparison.period.last)}",
              *_headline_columns(f.comparison.figures)))))
    return found
