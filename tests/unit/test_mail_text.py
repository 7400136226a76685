"""A patient's e-mail as text: any charset, right or wrong, never a crash; the newest text cut
from the quoted history; codes as people write them; robots recognised by their headers; the
size limits."""
from email.message import EmailMessage

import pytest
from hypothesis import given, settings, strategies as st

from odwolaj.messaging.mail_text import (
    MAX_MESSAGE_BYTES,
    codes_in,
    decode_bytes,
    html_to_text,
    read_mail,
    split_newest,
)

POLISH = "Dzień dobry, odwołuję wizytę. Źle się czuję, przepraszam. Łukasz Wójcik"


def raw_mail(body: bytes, *, content_type: str = "text/plain; charset=utf-8", cte: str = "8bit",
             headers: dict | None = None) -> bytes:
    head = {"From": "Jan <jan@example.com>", "To": "odwolaj@przychodnia.local", "Subject": "Wizyta",
            "Message-ID": "<1@example.com>", "MIME-Version": "1.0", "Content-Type": content_type,
            "Content-Transfer-Encoding": cte, **(headers or {})}
    return b"".join(f"{k}: {v}\r\n".encode() for k, v in head.items()) + b"\r\n" + body


@pytest.mark.parametrize("label, data", [
    ("utf-8", POLISH.encode()), ("iso-8859-2", POLISH.encode("iso-8859-2")),
    ("windows-1250", POLISH.encode("cp1250")),
    ("iso-8859-2", POLISH.encode()),  # UTF-8 bytes under a single-byte label
    ("unknown-8bit", POLISH.encode("cp1250")), ("win-1250", POLISH.encode("cp1250")), (None, POLISH.encode()),
])
def test_text_is_decoded_whatever_its_label_says(label, data):
    assert decode_bytes(data, label) == POLISH


def test_bytes_that_fit_no_charset_become_replacement_characters():
    text = decode_bytes(b"odwo\x81uj\x90 " + bytes(range(0x80, 0xA0)), "utf-8")
    assert text.startswith("odwo") and "uj" in text


@settings(max_examples=200)
@given(st.binary(max_size=400), st.sampled_from(["utf-8", "iso-8859-2", "unknown-8bit", "x-bogus", "us-ascii", "",
                                                 "utf-7", "windows-1250\"; format=flowed"]),
       st.sampled_from(["8bit", "7bit", "base64", "quoted-printable", "x-weird"]))
def test_any_bytes_in_any_encoding_never_crash(body, charset, cte):
    mail = read_mail(raw_mail(body, content_type=f'text/plain; charset="{charset}"', cte=cte,
                              headers={"Subject": "=?x-nothing?Q?Odwo=B3anie?= =?utf-8?B?!!!?="}))
    assert isinstance(mail.newest, str) and isinstance(mail.subject, str)


@settings(max_examples=100)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_as_a_whole_message_never_crash(data):
    assert isinstance(read_mail(data).rest, str)


@pytest.mark.parametrize("marker", [
    "W dniu pon., 30 lis 2026 o 10:15 Przychodnia <\nodwolaj@example.pl> napisał(a):",
    "Dnia 30 listopada 2026 10:15 Przychodnia <odwolaj@example.pl> napisał(a):",
    "W dniu 30.11.2026 o 10:15, Przychodnia pisze:",
    "-----Original Message-----\nFrom: Przychodnia\nSent: Monday",
    "-----Wiadomość oryginalna-----\nOd: Przychodnia",
    "Od: Przychodnia <odwolaj@example.pl>\nWysłano: poniedziałek, 30 listopada 2026 10:15\nDo: Jan",
    "________________________________\nOd: Przychodnia\nWysłane: czwartek",
    "---------- Wiadomość przekazana dalej ---------\nOd: Przychodnia",
    "> Kod wizyty: K7M2QX9A",
    "Wysłane z iPhone'a\n\n> Wiadomość napisana przez Przychodnia w dniu 30 lis 2026:",
])
def test_the_newest_text_ends_where_the_quote_begins(marker):
    newest, rest = split_newest(f"Proszę odwołać P9XR2M7D.\nJan\n\n{marker}\n> Kod wizyty: B3KV8YQ5\n")
    assert newest == "Proszę odwołać P9XR2M7D.\nJan"
    assert "B3KV8YQ5" in rest and "B3KV8YQ5" not in newest


@pytest.mark.parametrize("written, code", [("K7M2QX9A", "K7M2QX9A"), ("k7m2qx9a", "K7M2QX9A"),
                                           ("k7m2 qx9a", "K7M2QX9A"), ("K7M-2QX9A", "K7M2QX9A"),
                                           ("M8CF\u00a02KWY", "M8CF2KWY"), ("HDWKRXEZ", "HDWKRXEZ")])
def test_codes_as_people_write_them(written, code):
    assert codes_in(f"Kod wizyty: {written}. Dziękuję") == [code]


@pytest.mark.parametrize("text", ["Przepraszam bardzo", "tel. 22 123 45 67 wew. 14", "Szczepanska", "Katarzyna",
                                  "przemysl", "9QH4-TR7B9", "NIP 525-23-45-678", "30.11.2026 o 10:15"])
def test_words_phone_numbers_and_dates_are_not_codes(text):
    assert codes_in(text) == []


def test_html_blockquotes_become_quoted_lines_and_entities_are_decoded():
    text = html_to_text("<div>Prosz&#281; odwo&#322;a&#263;<br>Kod: <b>M8CF&nbsp;2KWY</b></div>"
                        "<style>p{}</style><blockquote><p>Kod wizyty: B3KV8YQ5</p></blockquote>")
    newest, rest = split_newest(text)
    assert "Proszę odwołać" in newest and codes_in(newest) == ["M8CF2KWY"] and "B3KV8YQ5" in rest


@pytest.mark.parametrize("header", [("Auto-Submitted", "auto-replied"), ("Auto-Submitted", "auto-generated"),
                                    ("X-Autorespond", "1"), ("X-Autoreply", "yes"), ("Precedence", "bulk"),
                                    ("Precedence", "junk"), ("Precedence", "list"), ("Precedence", "auto_reply"),
                                    ("X-Auto-Response-Suppress", "All"), ("List-Id", "<lista.example.pl>"),
                                    ("From", "MAILER-DAEMON@mx.example.pl"), ("Return-Path", "<>")])
def test_robots_are_recognised_by_any_one_header(header):
    assert read_mail(raw_mail(b"Odwoluje wizyte", headers=dict([header]))).automatic
    assert not read_mail(raw_mail(b"Odwoluje wizyte", headers={"Auto-Submitted": "no"})).automatic


def test_attachments_are_never_read_as_text():
    message = EmailMessage()
    message["From"] = "jan@example.com"
    message.set_content("Odwołuję wizytę K7M2QX9A")
    message.add_attachment("Zwolnienie nr 9QH4TR7B".encode(), maintype="text", subtype="plain", filename="l4.txt")
    mail = read_mail(message.as_bytes())
    assert codes_in(mail.newest + mail.rest) == ["K7M2QX9A"]


def test_only_the_first_megabyte_is_read():
    padding = b"x" * 70 + b"\r\n"
    body = b"Odwoluje wizyte.\r\n" + padding * (MAX_MESSAGE_BYTES // len(padding)) + b"Kod K7M2QX9A\r\n"
    mail = read_mail(raw_mail(body))
    assert mail.newest.startswith("Odwoluje wizyte.") and "K7M2QX9A" not in mail.newest + mail.rest
