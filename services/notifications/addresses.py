"""Phone numbers and email addresses as messages and opt-outs store them."""

import re

_PHONE_NOISE = re.compile(r"[\s.\-()]")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalize_phone(value, country_code="84"):
    """E.164 form: ``0901 234-567`` -> ``+84901234567``; None when it is not a phone number."""
    digits = _PHONE_NOISE.sub("", str(value or ""))
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    elif digits.startswith("0"):
        digits = "+{}{}".format(country_code, digits[1:])
    elif not digits.startswith("+"):
        digits = "+" + digits
    return digits if re.fullmatch(r"\+[1-9][0-9]{6,14}", digits) else None


def normalize_email(value):
    value = str(value or "").strip()
    if not _EMAIL.match(value):
        return None
    local, _, domain = value.rpartition("@")
    return "{}@{}".format(local, domain).lower()


def normalize(channel, value, country_code="84"):
    return normalize_phone(value, country_code) if channel == "sms" else normalize_email(value)
