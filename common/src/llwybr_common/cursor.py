"""One keyset cursor for every list sorted by (due date, id): opaque to the caller, and a
cursor this service did not give is a 422 naming the `cursor` field, like any other query
parameter that fails validation (a bad `limit` or `due_before` is already 422)."""

import base64
import binascii
import json
from datetime import date

from llwybr_common.errors import FieldError, Invalid


def encode_cursor(due: date | None, key: str) -> str:
    raw = json.dumps([due.isoformat() if due else None, key])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, *, field: str = "cursor") -> tuple[date | None, str]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        due, key = json.loads(base64.urlsafe_b64decode(padded))
        return (date.fromisoformat(due) if due else None), str(key)
    except (binascii.Error, ValueError, TypeError) as exc:
        raise Invalid(FieldError(field, "bad-cursor")) from exc
