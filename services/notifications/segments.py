"""How many SMS segments a text takes (what the operator bills).

A text made only of GSM-7 characters is sent 7 bits per character: 160
characters fit one segment, 153 per segment when it is split (the rest carries
the concatenation header).  Characters of the GSM-7 extension table (``{ } [ ]
~ \\ | ^ €`` and form feed) take two septets.  Any other character (Vietnamese
diacritics, emoji...) forces UCS-2: 70 code units in one segment, 67 per
segment when split; characters outside the Basic Multilingual Plane take two.
"""

import math

GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = set("\f^{}\\[~]|€")

GSM7_SINGLE, GSM7_MULTI = 160, 153
UCS2_SINGLE, UCS2_MULTI = 70, 67


def encoding(text):
    """``"GSM-7"`` when every character is in the GSM-7 alphabet, else ``"UCS-2"``."""
    return "GSM-7" if all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text) else "UCS-2"


def units(text):
    """Length in the units of the text's encoding (septets, or UTF-16 code units)."""
    if encoding(text) == "GSM-7":
        return sum(2 if ch in GSM7_EXTENSION else 1 for ch in text)
    return sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)


def count(text):
    """Number of segments of ``text`` (0 for an empty text)."""
    if not text:
        return 0
    length = units(text)
    single, multi = (GSM7_SINGLE, GSM7_MULTI) if encoding(text) == "GSM-7" else (UCS2_SINGLE, UCS2_MULTI)
    return 1 if length <= single else math.ceil(length / multi)
