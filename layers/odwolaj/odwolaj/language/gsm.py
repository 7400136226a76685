"""GSM-7 and SMS segments.

A Polish SMS with diacritics is sent as UCS-2: 70 characters in one segment, 67 per segment when
split. Transliterated to GSM-7 it holds 160, or 153 per segment. Each segment is billed, so the
default is to transliterate.
"""
from __future__ import annotations

# GSM 03.38 basic character set, and the extension table (each costs two septets: ESC + char).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")

POLISH_TO_ASCII = str.maketrans({
    "ą": "a", "ć": "c", "ę": "e", "ł": "l", "ń": "n", "ó": "o", "ś": "s", "ź": "z", "ż": "z",
    "Ą": "A", "Ć": "C", "Ę": "E", "Ł": "L", "Ń": "N", "Ó": "O", "Ś": "S", "Ź": "Z", "Ż": "Z",
    "–": "-", "—": "-", "„": '"', "”": '"', "“": '"', "’": "'", "‘": "'", "…": "...", "\u00a0": " ",
})


def transliterate(text: str) -> str:
    """Polish diacritics and typographic punctuation to their GSM-7 look-alikes."""
    return text.translate(POLISH_TO_ASCII)


def is_gsm7(text: str) -> bool:
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)


def septets(text: str) -> int:
    return sum(2 if ch in GSM7_EXTENSION else 1 for ch in text)


def segments(text: str) -> int:
    """How many SMS segments the text takes (0 for an empty text)."""
    if not text:
        return 0
    if is_gsm7(text):
        length, single, multi = septets(text), 160, 153
    else:
        # UCS-2 counts UTF-16 code units: a character outside the BMP (an emoji) takes two.
        length, single, multi = len(text.encode("utf-16-le")) // 2, 70, 67
    return 1 if length <= single else -(-length // multi)
