"""Campaign rules without AWS: working days and the sending window, bands, the holdout, the
confidence interval, the texts, bulk records and the dispatcher's arithmetic."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from odwolaj.campaigns import records
from odwolaj.campaigns.dispatch import budgets
from odwolaj.campaigns.records import RowError, VisitRecord
from odwolaj.campaigns.results import newcombe, wilson
from odwolaj.campaigns.segments import band_of, in_holdout, months_ago, months_between
from odwolaj.core.clock import WARSAW
from odwolaj.core.errors import InvalidInput
from odwolaj.core.workdays import easter_sunday, in_window, is_working_day, next_window_start, public_holidays
from odwolaj.language import campaign_texts
from odwolaj.language.gsm import is_gsm7, segments

LINK = "https://odw.pl/r/" + "A" * 18


def warsaw(y, m, d, hh=0, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=WARSAW)


# ---------------------------------------------------------------------------------------------
# Working days


@pytest.mark.parametrize("year, easter", [(2024, date(2024, 3, 31)), (2025, date(2025, 4, 20)),
                                          (2026, date(2026, 4, 5)), (2027, date(2027, 3, 28))])
def test_easter_sunday_is_computed_for_any_year(year, easter):
    assert easter_sunday(year) == easter


def test_polish_public_holidays_of_2026_are_not_working_days():
    holidays = public_holidays(2026)
    for day in (date(2026, 1, 6), date(2026, 4, 6), date(2026, 5, 1), date(2026, 6, 4), date(2026, 8, 15),
                date(2026, 11, 11), date(2026, 12, 24), date(2026, 12, 25)):
        assert day in holidays and not is_working_day(day), day
    assert date(2024, 12, 24) not in public_holidays(2024)  # Wigilia is a holiday only since 2025
    assert is_working_day(date(2026, 4, 7)) and not is_working_day(date(2026, 4, 11))  # Tuesday; Saturday


@pytest.mark.parametrize("moment, inside", [
    (warsaw(2026, 3, 10, 8, 59), False), (warsaw(2026, 3, 10, 9, 0), True), (warsaw(2026, 3, 10, 18, 59), True),
    (warsaw(2026, 3, 10, 19, 0), False), (warsaw(2026, 3, 14, 12, 0), False),  # Saturday
    (warsaw(2026, 11, 11, 12, 0), False), (warsaw(2026, 6, 4, 10, 0), False),  # Independence Day; Corpus Christi
])
def test_the_sending_window_is_9_to_19_warsaw_time_on_working_days(moment, inside):
    assert in_window(moment) is inside


def test_the_next_window_skips_nights_weekends_and_holidays_in_local_time():
    assert next_window_start(warsaw(2026, 3, 13, 19, 30)) == warsaw(2026, 3, 16, 9)  # Friday evening → Monday
    assert next_window_start(warsaw(2026, 4, 3, 20, 0)) == warsaw(2026, 4, 7, 9)  # Good Friday → after Easter Monday
    assert next_window_start(warsaw(2026, 3, 27, 7, 0)) == warsaw(2026, 3, 27, 9)  # the same morning
    moment = warsaw(2026, 3, 10, 11, 0)
    assert next_window_start(moment) == moment
    # Across the change to summer time (29 March 2026) the window stays 9:00 local.
    assert next_window_start(warsaw(2026, 3, 28, 12)).astimezone(timezone.utc).hour == 7


# ---------------------------------------------------------------------------------------------
# Bands and the control group


@pytest.mark.parametrize("earlier, later, months", [
    (date(2025, 1, 31), date(2025, 2, 28), 0), (date(2025, 1, 31), date(2025, 3, 1), 1),
    (date(2024, 5, 10), date(2025, 5, 10), 12), (date(2024, 5, 11), date(2025, 5, 10), 11),
    (date(2023, 1, 1), date(2025, 6, 30), 29),
])
def test_months_between_counts_whole_calendar_months(earlier, later, months):
    assert months_between(earlier, later) == months
    assert months_between(months_ago(later, months), later) >= months


@pytest.mark.parametrize("months, band", [(12, "12-18"), (17, "12-18"), (18, "18-24"), (23, "18-24"), (24, "24+"),
                                          (60, "24+")])
def test_bands_are_the_seeds(months, band):
    assert band_of(months) == band


def test_the_control_group_is_a_tenth_decided_per_campaign_and_patient():
    chosen = [in_holdout("cmp_a", f"P-{n}", 10) for n in range(20_000)]
    assert 0.09 < sum(chosen) / len(chosen) < 0.11
    assert chosen == [in_holdout("cmp_a", f"P-{n}", 10) for n in range(20_000)]  # deterministic
    other = [in_holdout("cmp_b", f"P-{n}", 10) for n in range(20_000)]
    assert other != chosen  # another campaign draws another group
    assert not any(in_holdout("cmp_a", f"P-{n}", 0) for n in range(1000))


# ---------------------------------------------------------------------------------------------
# The confidence interval (Newcombe 1998, table II, method 10; Wilson: Newcombe 1998b, table I)


@pytest.mark.parametrize("counts, expected", [
    ((56, 70, 48, 80), (0.2000, 0.0524, 0.3339)), ((9, 10, 3, 10), (0.6000, 0.1705, 0.8090)),
    ((6, 7, 2, 7), (0.5714, 0.0582, 0.8062)), ((5, 56, 0, 29), (0.0893, -0.0381, 0.1926)),
    ((0, 10, 0, 20), (0.0, -0.1611, 0.2775)),
])
def test_the_difference_interval_is_newcombes_hybrid_score(counts, expected):
    assert tuple(round(v, 4) for v in newcombe(*counts)) == expected


def test_wilson_and_an_empty_arm():
    assert tuple(round(v, 4) for v in wilson(81, 263)) == (0.2553, 0.3662)
    assert newcombe(3, 10, 0, 0) is None


# ---------------------------------------------------------------------------------------------
# Texts


@pytest.mark.parametrize("kind", list(campaign_texts.DEFAULTS))
@pytest.mark.parametrize("two_way", [True, False])
def test_every_default_text_is_one_gsm7_segment_with_the_longest_name_and_a_link(kind, two_way):
    text = campaign_texts.render(kind, facility=campaign_texts.LONGEST_NAME, link=LINK, two_way=two_way)
    assert is_gsm7(text) and segments(text) == 1, (kind, len(text))
    assert text.startswith("X" * 25)
    if kind in campaign_texts.EDITABLE:
        assert LINK in text
    if kind in campaign_texts.EDITABLE and two_way:
        assert "TAK" in text


def test_a_facility_text_must_name_the_clinic_carry_the_link_and_fit_one_segment():
    assert campaign_texts.check("24+", "$facility: zapraszamy ponownie. $action $link", LINK)
    with pytest.raises(InvalidInput, match=r"\$link"):
        campaign_texts.check("24+", "$facility: zapraszamy ponownie.", LINK)
    with pytest.raises(InvalidInput, match="one SMS"):
        campaign_texts.check("24+", "$facility: " + "bardzo długi tekst " * 7 + "$link", LINK)
    with pytest.raises(InvalidInput, match="GSM-7"):
        campaign_texts.check("24+", "$facility: 🙂 $link", LINK)
    with pytest.raises(InvalidInput, match="unknown message"):
        campaign_texts.check("campaign_stopped", "$facility $link", LINK)


# ---------------------------------------------------------------------------------------------
# Bulk records


def test_csv_with_a_bom_quotes_and_empty_cells_gives_records_and_line_numbered_errors():
    body = ('\ufeffpatient_id,phone,visit_id,date,specialty,outcome,pesel\r\n'
            'P-1,600 100 200,V-1,2024-03-05,"Kardiologia, dorośli",attended,44051401359\r\n'
            '\r\n'
            'P-2,600 100 201,V-2,2024-13-05,Dermatologia,attended,\r\n'
            'P-3,12,V-3,2024-03-05,Dermatologia,wrong,\r\n')
    rows = list(records.lines_of(body, "csv"))
    visits, errors = records.parse_rows(rows, records.history_record)
    assert [v.patient_id for v in visits] == ["P-1"]
    assert visits[0] == VisitRecord("P-1", "+48600100200", "V-1", date(2024, 3, 5), "kardiologia, dorośli",
                                    "attended", birth_year=1944)
    assert [(e.line, e.field) for e in errors] == [(4, "date"), (5, "phone")]


def test_ndjson_reports_broken_lines_and_unknown_fields_by_line():
    body = ('{"patient_id": "P-1", "purpose": "marketing_sms", "granted": true, "at": "2025-01-02"}\n'
            'not json\n'
            '{"patient_id": "P-2", "purpose": "marketing_sms", "granted": "yes", "at": "2025-01-02T10:00:00Z"}\n'
            '{"patient_id": "P-3", "purpose": "ads", "granted": false, "at": "2025-01-02T10:00:00Z", "x": 1}\n')
    consents, errors = records.parse_rows(records.lines_of(body, "ndjson"), records.consent_record)
    assert [c.patient_id for c in consents] == ["P-1"]
    assert consents[0].at == datetime(2025, 1, 2, tzinfo=WARSAW)
    assert [(e.line, e.field) for e in errors] == [(2, None), (3, "granted"), (4, "x")]
    assert isinstance(errors[0], RowError)


def test_a_history_record_is_a_visit_or_a_patients_standing():
    standing = records.history_record({"patient_id": "P-1", "patient_status": "deceased"})
    assert standing == records.PatientRecord("P-1", "deceased")
    with pytest.raises(InvalidInput) as refused:
        records.history_record({"patient_id": "P-1", "phone": "600100200"})
    assert refused.value.field == "visit_id"


# ---------------------------------------------------------------------------------------------
# The dispatcher's budgets


def test_each_facility_gets_its_rate_until_the_provider_is_the_limit():
    assert budgets({"a": 60, "b": 120}, 60, 20) == {"a": 60, "b": 120}
    assert budgets({"a": 600, "b": 1800}, 60, 20) == {"a": 300, "b": 900}  # 1200 a minute shared 1:3
    assert budgets({"a": 60}, 30, 20) == {"a": 30}  # half a minute left in the window
