"""The JSON of the messages on the bus, by orjson: kombu's JSON at a tenth of its cost.

kombu encodes and decodes with the standard library's ``json`` and a Python hook called on every
object it decodes (for the values it tags, below): for a page of 50 customers, 0.14 ms to encode
the reply in the service and 0.14 ms to decode it in the gateway, where orjson takes 0.01 and 0.04
(bench/README.md).  Every ``config.yml`` registers this module under kombu's own name, content type
and encoding (nameko's ``SERIALIZERS``)::

    SERIALIZERS:
      json: {encoder: services.core.wire.dumps, decoder: services.core.wire.loads,
             content_type: application/json, content_encoding: utf-8}

so the messages are the same JSON as before, and a process that does not register it (a script,
a peer running kombu's own) reads and writes them as it did.

What orjson cannot carry as plain JSON, kombu's encoder writes, as it always did: a date-time, a
date, a ``Decimal``, bytes (kombu tags them: ``{"__type__": "datetime", "__value__": ...}``), an
integer beyond 64 bits, a string with a lone surrogate, a dict whose keys are not all strings, a
subclass of str, int, dict or list.  Such a message starts with a space (still JSON), and
:func:`loads` decodes it with kombu's decoder, which gives the tagged values back their types; so
does a message with ``"__type__"`` in it (a peer's kombu tagged a value), and one orjson cannot
decode (``NaN``, a lone surrogate's escape, from a peer).  Two differences from kombu's JSON
remain, both outside what any of our contracts allows (marshmallow refuses NaN and infinities; no
message carries a UUID object): a float NaN or infinity is encoded as ``null``, a ``uuid.UUID`` as
its string.
"""

import orjson
from kombu.utils import json as kombu_json

# what orjson would otherwise encode in its own way is handed back to kombu's encoder
PLAIN_ONLY = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_SUBCLASS | orjson.OPT_PASSTHROUGH_DATACLASS

KOMBU = b" "  # how a message kombu's encoder wrote starts (orjson's never do)
TAGGED = b'"__type__"'  # in a message a peer's kombu wrote with tagged values


def plain_json(value):
    """``value`` as compact UTF-8 JSON if it holds plain JSON values only (dicts with string keys,
    lists, tuples, strings, integers within 64 bits, floats, booleans, None), else None."""
    try:
        return orjson.dumps(value, option=PLAIN_ONLY)
    except TypeError:  # orjson.JSONEncodeError included
        return None


def dumps(value):
    """The body of a message carrying ``value`` (kombu's encoder, for a serializer)."""
    body = plain_json(value)
    if body is None:
        return KOMBU + kombu_json.dumps(value).encode("utf-8")
    return body


def loads(body):
    """The value a message's body carries (kombu's decoder, for a serializer)."""
    if isinstance(body, str):
        body = body.encode("utf-8", "surrogatepass")
    elif not isinstance(body, bytes):
        body = bytes(body)  # a memoryview, a bytearray
    if not body.startswith(KOMBU) and TAGGED not in body:
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError:
            pass
    return kombu_json.loads(body)
