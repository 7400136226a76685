"""The reply corpora are well-formed: the SMS corpus has the schema and coverage its README promises,
every raw e-mail parses and really is in the charsets and transfer encodings it declares (or the ones
its manifest says it deliberately lies about), and every manifest label follows the stated rules.

These tests judge the data files only, never a parser.
"""
from __future__ import annotations

import base64
import binascii
import codecs
import collections
import email
import email.policy
import json
import re
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]
SMS_CORPUS = TESTS / "corpus" / "sms_replies.jsonl"
# Written later, from the language only, after the parser had been tuned on the first file.
FRESH_SMS_CORPUS = TESTS / "corpus" / "sms_replies_fresh.jsonl"
# The third, aimed at acknowledgements, "w takim razie / jednak" resignations and "odpuszczę".
S6_SMS_CORPUS = TESTS / "corpus" / "sms_replies_s6.jsonl"
# The fourth, aimed at obstacles stated instead of NIE (illness, away, already seen) and "nie nie, będę".
S7_SMS_CORPUS = TESTS / "corpus" / "sms_replies_s7.jsonl"
SMS_CORPORA = [SMS_CORPUS, FRESH_SMS_CORPUS, S6_SMS_CORPUS, S7_SMS_CORPUS]
MAIL_DIR = TESTS / "events" / "mail"

CONTEXTS = {"reminder", "booking", "offer"}
SMS_INTENTS = {"confirm", "cancel", "decline", "stop", "start", "unclear"}
MINIMUM_PER_INTENT = {"cancel": 120, "unclear": 100, "confirm": 60, "decline": 40, "stop": 40, "start": 15}

CODE = re.compile(r"^[23456789ABCDEFGHJKMNPQRSTVWXYZ]{8}$")
VERDICTS = {"PASS", "FAIL", "GRAY", "PROCESSING_FAILED"}
# How SES writes each verdict into the Authentication-Results header it prepends.
AUTH_RESULT = {"PASS": "pass", "FAIL": "fail", "GRAY": "none", "PROCESSING_FAILED": "temperror"}
MAIL_INTENTS = {"cancel", "unclear", "question", "not_cancel"}
EXPECTED = {"cancel", "ask", "forward_to_clinic", "ignore"}
REQUIRED_KEYS = {"file", "client", "verdicts", "from_matches_visit_email", "codes_in_newest_text",
                 "codes_in_quoted_history", "codes_in_subject", "intent", "auto_reply", "expected", "note"}
OPTIONAL_KEYS = {"actual_charsets", "broken"}


def sms_rows(corpus: Path = SMS_CORPUS) -> list[dict]:
    with corpus.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def manifest() -> list[dict]:
    return json.loads((MAIL_DIR / "manifest.json").read_text(encoding="utf-8"))


# --- SMS corpus -------------------------------------------------------------------------------------

@pytest.mark.parametrize("corpus", SMS_CORPORA, ids=lambda path: path.name)
def test_every_sms_line_has_the_schema(corpus):
    for number, row in enumerate(sms_rows(corpus), 1):
        assert set(row) <= {"text", "context", "intent", "note"}, number
        assert isinstance(row["text"], str) and row["text"].strip() == row["text"] and row["text"], number
        assert row["context"] in CONTEXTS, number
        assert row["intent"] in SMS_INTENTS, number
        assert isinstance(row.get("note", ""), str), number


@pytest.mark.parametrize("corpus", SMS_CORPORA, ids=lambda path: path.name)
def test_sms_labels_follow_the_definitions(corpus):
    for row in sms_rows(corpus):
        # A reserve-list offer is not a visit yet: a refusal there is "decline", never "cancel".
        assert not (row["context"] == "offer" and row["intent"] == "cancel"), row["text"]


@pytest.mark.parametrize("corpus", SMS_CORPORA, ids=lambda path: path.name)
def test_sms_lines_are_not_repeated_within_a_context(corpus):
    seen = collections.Counter((row["context"], row["text"]) for row in sms_rows(corpus))
    assert [key for key, count in seen.items() if count > 1] == []


def test_sms_corpus_covers_every_intent_and_the_offer_context():
    rows = sms_rows()
    assert len(rows) >= 450
    per_intent = collections.Counter(row["intent"] for row in rows)
    for intent, minimum in MINIMUM_PER_INTENT.items():
        assert per_intent[intent] >= minimum, intent
    assert sum(row["context"] == "offer" for row in rows) >= 50


def test_the_fresh_sms_corpus_covers_every_intent_in_every_context_it_can_occur_in():
    seen = collections.Counter((row["context"], row["intent"]) for row in sms_rows(FRESH_SMS_CORPUS))
    assert sum(seen.values()) >= 300
    for context in CONTEXTS:
        for intent in SMS_INTENTS - ({"cancel"} if context == "offer" else set()):
            assert seen[(context, intent)] >= 1, (context, intent)


def test_the_s6_sms_corpus_covers_every_intent_in_every_context_and_repeats_no_older_line():
    rows = sms_rows(S6_SMS_CORPUS)
    seen = collections.Counter((row["context"], row["intent"]) for row in rows)
    assert sum(seen.values()) >= 150
    for context in CONTEXTS:
        for intent in SMS_INTENTS - ({"cancel"} if context == "offer" else set()):
            assert seen[(context, intent)] >= 1, (context, intent)
    older = {(row["context"], row["text"]) for corpus in (SMS_CORPUS, FRESH_SMS_CORPUS) for row in sms_rows(corpus)}
    assert [row["text"] for row in rows if (row["context"], row["text"]) in older] == []


def test_the_s7_sms_corpus_holds_obstacles_in_every_context_and_repeats_no_older_line():
    rows = sms_rows(S7_SMS_CORPUS)
    seen = collections.Counter((row["context"], row["intent"]) for row in rows)
    assert sum(seen.values()) >= 90
    assert seen[("offer", "decline")] >= 30 and seen[("offer", "unclear")] >= 10
    assert seen[("reminder", "unclear")] >= 5 and seen[("reminder", "confirm")] >= 5
    older = {(row["context"], row["text"]) for corpus in SMS_CORPORA[:-1] for row in sms_rows(corpus)}
    assert [row["text"] for row in rows if (row["context"], row["text"]) in older] == []


# --- raw e-mails ------------------------------------------------------------------------------------

EML_FILES = sorted(p.name for p in MAIL_DIR.glob("*.eml"))
ENTRIES = {entry["file"]: entry for entry in manifest()}


def test_manifest_lists_every_message_exactly_once():
    files = [entry["file"] for entry in manifest()]
    assert len(files) == len(set(files))
    assert sorted(files) == EML_FILES
    assert len(EML_FILES) >= 30


@pytest.mark.parametrize("name", sorted(ENTRIES))
def test_manifest_entry_schema(name):
    entry = ENTRIES[name]
    assert REQUIRED_KEYS <= set(entry) <= REQUIRED_KEYS | OPTIONAL_KEYS
    assert set(entry["verdicts"]) == {"spf", "dkim", "dmarc", "spam", "virus"}
    assert set(entry["verdicts"].values()) <= VERDICTS
    assert isinstance(entry["from_matches_visit_email"], bool) and isinstance(entry["auto_reply"], bool)
    for key in ("codes_in_newest_text", "codes_in_quoted_history", "codes_in_subject"):
        assert all(CODE.match(code) for code in entry[key]), key
    assert entry["intent"] in MAIL_INTENTS
    assert entry["expected"] in EXPECTED
    assert entry["client"] and entry["note"]
    if "broken" in entry:
        assert entry.get("actual_charsets"), "a broken message says what its bytes really are"


def authenticated(verdicts: dict) -> bool:
    return "PASS" in (verdicts["spf"], verdicts["dkim"]) and verdicts["dmarc"] != "FAIL"


def code_found(entry: dict) -> set[str]:
    """Newest text first; only when it has none, the rest of the message."""
    if entry["codes_in_newest_text"]:
        return set(entry["codes_in_newest_text"])
    return set(entry["codes_in_subject"]) | set(entry["codes_in_quoted_history"])


@pytest.mark.parametrize("name", sorted(ENTRIES))
def test_expected_outcome_follows_the_rules(name):
    entry = ENTRIES[name]
    trusted = authenticated(entry["verdicts"]) or (entry["from_matches_visit_email"]
                                                   and entry["verdicts"]["dmarc"] != "FAIL")
    if entry["auto_reply"] or entry["verdicts"]["spam"] == "FAIL":
        assert entry["expected"] == "ignore"
        return
    assert entry["expected"] != "ignore"
    if entry["expected"] == "cancel":
        assert entry["intent"] == "cancel" and trusted and len(code_found(entry)) == 1
    elif entry["intent"] == "cancel" and not trusted:
        assert entry["expected"] == "forward_to_clinic"
    else:
        assert entry["expected"] in {"ask", "forward_to_clinic"}
        assert entry["intent"] != "cancel" or len(code_found(entry)) != 1


def parse(name: str) -> email.message.EmailMessage:
    return email.message_from_bytes((MAIL_DIR / name).read_bytes(), policy=email.policy.default)


def text_parts(message):
    return [part for part in message.walk() if part.get_content_maintype() == "text"]


@pytest.mark.parametrize("name", EML_FILES)
def test_message_is_wire_shaped(name):
    data = (MAIL_DIR / name).read_bytes()
    head, separator, _ = data.partition(b"\r\n\r\n")
    assert separator, "header and body are separated by an empty CRLF line"
    head.decode("ascii")  # RFC 5322 headers are ASCII; anything else travels as encoded words
    lines = data.split(b"\r\n")
    assert all(b"\n" not in line and b"\r" not in line for line in lines), "every line ends with CRLF"
    assert max(len(line) for line in lines) <= 998
    message = parse(name)
    for header in ("From", "To", "Date", "Message-ID", "MIME-Version", "Content-Type"):
        assert message[header], header


@pytest.mark.parametrize("name", EML_FILES)
def test_ses_verdict_headers_agree_with_the_manifest(name):
    message, verdicts = parse(name), ENTRIES[name]["verdicts"]
    assert message["X-SES-Spam-Verdict"] == verdicts["spam"]
    assert message["X-SES-Virus-Verdict"] == verdicts["virus"]
    results = next(v for v in message.get_all("Authentication-Results") if str(v).startswith("amazonses.com;"))
    found = dict(re.findall(r"\b(spf|dkim|dmarc)=(\w+)", str(results)))
    assert found == {key: AUTH_RESULT[verdicts[key]] for key in ("spf", "dkim", "dmarc")}


def check_transfer_encoding(part, raw: bytes, broken: bool) -> None:
    cte = part.get("Content-Transfer-Encoding", "7bit").strip().lower()
    if cte == "base64":
        joined = b"".join(raw.split())
        assert re.fullmatch(rb"[A-Za-z0-9+/]*={0,2}", joined)
        base64.b64decode(joined, validate=True)
        assert all(len(line) <= 76 for line in raw.split(b"\r\n"))
    elif cte == "quoted-printable":
        for line in raw.split(b"\r\n"):
            assert len(line) <= 76
            assert re.fullmatch(rb"([^=]|=[0-9A-F]{2})*=?", line), line
            assert all(b < 0x80 for b in line)
        binascii.a2b_qp(raw)
    elif cte == "7bit" and not broken:
        assert all(b < 0x80 for b in raw)
    else:
        assert cte in {"7bit", "8bit", "binary"}


def raw_payload(part) -> bytes:
    """The body bytes as they travel: encoded text for base64/QP, the bytes themselves otherwise."""
    if part.get("Content-Transfer-Encoding", "7bit").strip().lower() in ("base64", "quoted-printable"):
        return part.get_payload(decode=False).encode("ascii")
    return part.get_payload(decode=True)


@pytest.mark.parametrize("name", EML_FILES)
def test_parts_are_in_the_declared_encodings_and_charsets(name):
    entry = ENTRIES[name]
    broken = "broken" in entry
    actual = entry.get("actual_charsets")
    parts = text_parts(parse(name))
    assert parts, "every message carries at least one text part"
    if actual:
        assert len(actual) == len(parts)
    for index, part in enumerate(parts):
        check_transfer_encoding(part, raw_payload(part), broken)
        data = part.get_payload(decode=True)
        declared = part.get_content_charset() or "us-ascii"
        charset = actual[index] if actual else declared
        if not broken:
            codecs.lookup(declared)
        data.decode(charset)  # strict: the bytes really are in that charset
        if codecs.lookup(charset).name not in ("utf-8", "ascii") and any(b >= 0x80 for b in data):
            with pytest.raises(UnicodeDecodeError):
                data.decode("utf-8")  # a single-byte label on UTF-8 bytes would be a silent mislabel


def visible_text(name: str) -> str:
    entry, message = ENTRIES[name], parse(name)
    actual = entry.get("actual_charsets")
    chunks = []
    for index, part in enumerate(text_parts(message)):
        charset = actual[index] if actual else (part.get_content_charset() or "us-ascii")
        chunks.append(part.get_payload(decode=True).decode(charset))
    return "\n".join(chunks).upper()


def written(code: str) -> re.Pattern:
    """A code as people write it: any case, with spaces, dashes or &nbsp; between the characters."""
    return re.compile(r"(?:[\s\-]|&NBSP;)*".join(code))


@pytest.mark.parametrize("name", EML_FILES)
def test_declared_codes_are_in_the_message(name):
    entry = ENTRIES[name]
    text = visible_text(name)
    for code in entry["codes_in_newest_text"] + entry["codes_in_quoted_history"]:
        assert written(code).search(text), code
    subject = str(parse(name)["Subject"]).upper()
    for code in entry["codes_in_subject"]:
        assert written(code).search(subject), code


def test_only_the_long_thread_is_large():
    large = [p.name for p in MAIL_DIR.glob("*.eml") if p.stat().st_size > 16_000]
    assert large == ["gmail_long_thread_code_at_bottom.eml"]
    assert (MAIL_DIR / large[0]).stat().st_size > 20_000
