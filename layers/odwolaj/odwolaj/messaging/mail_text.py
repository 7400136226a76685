"""A patient's e-mail as text: who sent it, whether a robot did, the newest text and the rest.

Real mail is read as it comes: any charset label, right, wrong or unknown ("unknown-8bit",
"win-1250", UTF-8 bytes labelled ISO-8859-2, 8-bit bytes under "7bit"), HTML only, attachments
(never decoded: only text parts are read), quoted threads of any depth. The newest text is what
the sender wrote above the first quote ("> …", "W dniu … napisał(a):", "Dnia … napisał(a):",
"-----Original Message-----", "-----Wiadomość oryginalna-----", an "Od: … Wysłano: …" block, a
forwarded message), so a code and a request are read from what was written now, not from the
thread under it.

Size limits: the first MAX_MESSAGE_BYTES of the stored message are read (text parts come before
attachments in every client's MIME; a longer message is read up to there), each text part is
decoded up to MAX_PART_CHARS characters, and the newest text is kept up to MAX_NEWEST_CHARS.
"""
from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from email import policy
from email.message import Message
from email.parser import BytesParser
from email.utils import parseaddr
from html import unescape
from html.parser import HTMLParser

from odwolaj.core.ids import CODE_ALPHABET, CODE_LENGTH
from odwolaj.language.lexicon import fold

MAX_MESSAGE_BYTES = 1024 * 1024
MAX_PART_CHARS = 200_000
MAX_NEWEST_CHARS = 10_000
# Polish mail that lost its charset label was almost always written in Windows-1250.
FALLBACK_CHARSET = "windows-1250"

# RFC 3834 and what other autoresponders and list servers write instead.
AUTOMATIC_PRECEDENCE = frozenset({"bulk", "junk", "list", "auto_reply"})
AUTOMATIC_HEADERS = ("x-autorespond", "x-autoreply", "x-auto-response-suppress", "list-id", "list-unsubscribe")
ROBOT_SENDERS = frozenset({"mailer-daemon", "postmaster", "noreply", "no-reply", "donotreply", "do-not-reply"})

# A visit code as people write it: 8 characters of the code alphabet, in any case, with at most one
# space or dash among them ("k7m2 qx9a", "K7M-2QX9A"); not part of a longer word or number.
_C = f"[{CODE_ALPHABET}{CODE_ALPHABET.lower()}]"
CODE_WRITTEN = re.compile(rf"(?<![0-9A-Za-z])({_C}{{1,7}}[ \-\u00a0]?{_C}{{1,7}})(?![0-9A-Za-z])")


@dataclass(frozen=True)
class MailText:
    sender: str  # the From address, lower case
    subject: str
    message_id: str  # the Message-ID header, for a threaded answer
    automatic: bool  # an auto-reply, bounce, receipt, bulk or list mail: never answered, never acted on
    newest: str  # what the sender wrote above any quote
    rest: str  # the quoted history and the other text parts


def read_mail(raw: bytes) -> MailText:
    message = BytesParser(policy=policy.default).parsebytes(raw[:MAX_MESSAGE_BYTES])
    sender = parseaddr(_header(message, "from"))[1].lower()
    bodies: list[tuple[str, bool]] = []  # (text, quoted: inside a forwarded or returned message)
    _texts(message, bodies, quoted=False)
    first = next((i for i, (_text, quoted) in enumerate(bodies) if not quoted), None)
    newest, history = split_newest(bodies[first][0]) if first is not None else ("", "")
    rest = [history] + [text for i, (text, _quoted) in enumerate(bodies) if i != first]
    return MailText(sender=sender, subject=_header(message, "subject"), message_id=_header(message, "message-id"),
                    automatic=_automatic(message, sender), newest=newest[:MAX_NEWEST_CHARS], rest="\n".join(rest))


def _header(message: Message, name: str) -> str:
    """A header's text; a header too broken to decode reads as empty rather than failing."""
    try:
        return str(message.get(name, "") or "").strip()
    except (ValueError, LookupError, TypeError, IndexError):
        return ""


def _automatic(message: Message, sender: str) -> bool:
    auto_submitted = _header(message, "auto-submitted").lower()
    return (
        (bool(auto_submitted) and auto_submitted != "no")
        or _header(message, "precedence").lower() in AUTOMATIC_PRECEDENCE
        or any(message.get(name) is not None for name in AUTOMATIC_HEADERS)
        or sender.split("@")[0] in ROBOT_SENDERS
        or message.get_content_type() == "multipart/report"  # delivery and read reports
        or _header(message, "return-path") == "<>"
    )


def _texts(part: Message, found: list[tuple[str, bool]], *, quoted: bool) -> None:
    """The text parts in order; of a plain/HTML alternative, the plain one (the HTML as a fallback)."""
    if part.is_multipart():
        children: list[Message] = [c for c in part.get_payload() if isinstance(c, Message)]
        if part.get_content_type() == "multipart/alternative":
            plain = [c for c in children if c.get_content_type() == "text/plain"]
            children = plain or children
        for child in children:
            _texts(child, found, quoted=quoted or part.get_content_type() == "message/rfc822")
        return
    if part.get_content_maintype() != "text" or part.get_content_disposition() == "attachment":
        return  # attachments (a PDF, winmail.dat, a photo) are never decoded
    text = decode_part(part)
    if part.get_content_type() == "text/html":
        text = html_to_text(text)
    found.append((text[:MAX_PART_CHARS], quoted))


def decode_part(part: Message) -> str:
    payload = part.get_payload(decode=True)
    raw = payload if isinstance(payload, bytes) else b""
    return decode_bytes(raw[:MAX_PART_CHARS * 4], part.get_content_charset())


def decode_bytes(raw: bytes, label: str | None) -> str:
    """Text in whatever charset it claims, or really is. Valid UTF-8 is taken as UTF-8 whatever
    the label says (Polish text in a single-byte charset is never valid UTF-8); otherwise the
    label, or Windows-1250 when the label is missing or unknown; bytes that still do not decode
    become U+FFFD. Never raises."""
    if raw.isascii():
        return raw.decode("ascii")
    try:
        codec: str | None = codecs.lookup(label).name if label else None
    except LookupError:
        codec = None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if codec in (None, "ascii", "utf-8"):
        codec = FALLBACK_CHARSET
    return raw.decode(codec, errors="replace")


class _HtmlText(HTMLParser):
    """HTML to lines of text: blocks end lines, <blockquote> content becomes '> ' lines, style and
    script are dropped."""

    BLOCKS = frozenset({"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "table", "blockquote", "hr"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = [""]
        self.quote_depth = 0
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("style", "script", "head", "title"):
            self.skip += 1
        elif tag in self.BLOCKS:
            self._new_line()
        if tag == "blockquote":
            self.quote_depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script", "head", "title"):
            self.skip = max(0, self.skip - 1)
        elif tag in self.BLOCKS:
            self._new_line()
        if tag == "blockquote":
            self.quote_depth = max(0, self.quote_depth - 1)

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        if not self.lines[-1] and self.quote_depth:
            self.lines[-1] = "> " * self.quote_depth
        self.lines[-1] += re.sub(r"\s+", " ", data)

    def _new_line(self) -> None:
        if self.lines[-1].strip(" >"):
            self.lines.append("")


def html_to_text(html: str) -> str:
    parser = _HtmlText()
    parser.feed(html)
    parser.close()
    return unescape("\n".join(line.rstrip() for line in parser.lines)).replace("\u00a0", " ")


# Lines that start the quoted history, matched on folded text (no diacritics, lower case).
_SEPARATOR = re.compile(
    r"^\s*(-{2,}\s*(original message|wiadomosc oryginalna|forwarded message|wiadomosc przekazana dalej)"
    r"|_{10,}\s*$|(poczatek przekazanej wiadomosci|begin forwarded message)\s*:|wiadomosc napisana przez\b)")
_ATTRIBUTION_START = re.compile(r"^\s*(w dniu|dnia|on)\b")
_ATTRIBUTION_END = re.compile(r"(napisal(\(a\)|a)?|pisze|wrote)\s*:\s*$")
_HEADER_BLOCK_START = re.compile(r"^\s*\*?(od|from)\s*:")
_HEADER_BLOCK_NEXT = re.compile(r"^\s*\*?(wyslano|wyslane|sent|data|date|do|to|temat|subject)\s*:")
_SIGNATURE = re.compile(r"^(-- ?|(wyslane|wyslano) (z|przy pomocy) .*|sent from .*)$")


def split_newest(text: str) -> tuple[str, str]:
    """(the newest text, the rest): the text is cut at the first line that starts a quote."""
    lines = text.replace("\r\n", "\n").replace("\ufeff", "").split("\n")
    folded = [fold(line) for line in lines]
    for i, line in enumerate(folded):
        # An attribution may wrap over three lines ("W dniu … Przychodnia <", "adres> napisał(a):").
        attribution = _ATTRIBUTION_START.match(line) and any(
            _ATTRIBUTION_END.search(" ".join(folded[i:i + k])) for k in (1, 2, 3))
        if (line.lstrip().startswith(">") or _SEPARATOR.match(line) or _SIGNATURE.match(line.strip()) or attribution
                or (_HEADER_BLOCK_START.match(line) and any(_HEADER_BLOCK_NEXT.match(n) for n in folded[i + 1:i + 4]))):
            return "\n".join(lines[:i]).strip(), "\n".join(lines[i:])
    return text.strip(), ""


def unwrapped(text: str) -> str:
    """Lines of one paragraph joined: mail clients wrap long sentences; a blank line ends a paragraph."""
    paragraphs = re.split(r"\n\s*\n", text.replace("\r\n", "\n"))
    return "\n\n".join(re.sub(r"\s*\n\s*", " ", p).strip() for p in paragraphs if p.strip())


def codes_in(text: str) -> list[str]:
    """Visit codes written in a text, in order, each once: 8 characters of the code alphabet with
    at least one letter and, unless written in capitals, one digit (so ordinary words are not
    taken for codes; a real code without a digit is written as shown, in capitals)."""
    found: list[str] = []
    for match in CODE_WRITTEN.finditer(text.replace("&nbsp;", " ")):
        written = re.sub(r"[ \-\u00a0]", "", match.group(1))
        code = written.upper()
        if len(code) != CODE_LENGTH or not any(ch.isalpha() for ch in code):
            continue
        if not any(ch.isdigit() for ch in code) and written != code:
            continue
        if code not in found:
            found.append(code)
    return found
