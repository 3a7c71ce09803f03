"""The family's link to their case: signed, expiring, no account.

Each decision notice carries a link to the console's family view (`/family/<token>`). The token
names one case (and the notice it came with, for the audit trail); its signature is the only
thing that lets a reader see that case, and only through the referral service's family-view
endpoint, which checks it against the case asked for. The console holds no key: it passes the
token on and shows what the referral service answers.

Production sets `LLWYBR_FAMILY_LINK_SECRET` for the notifications service (which signs) and the
referral service (which checks); embedded mode keeps a random key under the stack's home.
"""

import secrets
from dataclasses import dataclass
from pathlib import Path

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from llwybr_common.settings import Settings

SALT = "llwybr.family-view.v1"
HEADER = "Family-Link"  # how the console passes the token on to the referral service


class LinkExpired(Exception):
    """Signed by Llwybr but older than the links' lifetime."""


class LinkInvalid(Exception):
    """Not a link Llwybr signed (tampered, truncated or made up)."""


@dataclass(frozen=True)
class FamilyLink:
    case_id: str
    notice_id: str  # the notification it was sent with: which link was used, for the audit


def _secret(settings: Settings) -> str:
    if settings.family_link_secret:
        return settings.family_link_secret
    if settings.mode != "embedded":
        raise RuntimeError("LLWYBR_FAMILY_LINK_SECRET must be set outside embedded mode")
    path = Path(settings.home) / "keys" / "family-link.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{secrets.token_hex(8)}.tmp")
        tmp.touch(mode=0o600)
        tmp.write_text(secrets.token_urlsafe(48), encoding="utf-8")
        try:
            path.hardlink_to(tmp)  # atomic: two services racing keep one key
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_text(encoding="utf-8").strip()


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(_secret(settings), salt=SALT)


def sign(settings: Settings, case_id: str, notice_id: str) -> str:
    return _serializer(settings).dumps({"c": case_id, "n": notice_id})


def verify(settings: Settings, token: str) -> FamilyLink:
    """The case a link names, if Llwybr signed it within the links' lifetime."""
    try:
        data = _serializer(settings).loads(token, max_age=settings.family_link_days * 86400)
    except SignatureExpired as exc:
        raise LinkExpired from exc
    except BadSignature as exc:
        raise LinkInvalid from exc
    if not (isinstance(data, dict) and isinstance(data.get("c"), str)):
        raise LinkInvalid
    return FamilyLink(case_id=data["c"], notice_id=str(data.get("n", "")))


def case_named(token: str) -> str | None:
    """The case id a token says it is for, unchecked: only to address the referral service's
    endpoint, which checks the signature. None when the token is not even well formed."""
    try:
        _, data = URLSafeTimedSerializer("unused", salt=SALT).loads_unsafe(token)
    except Exception:  # any malformed token: no case named
        return None
    case = data.get("c") if isinstance(data, dict) else None
    return case if isinstance(case, str) and 0 < len(case) <= 64 else None


def url(settings: Settings, case_id: str, notice_id: str) -> str | None:
    """The link for a notice, or None when the console's public URL is not configured."""
    if not settings.console_url:
        return None
    return f"{settings.console_url.rstrip('/')}/family/{sign(settings, case_id, notice_id)}"
