"""The provider's access token, sealed before it goes into the session cookie.

The session cookie is signed, not encrypted: anyone holding it (a copied cookie jar, a proxy
log, a browser extension) can read what is in it, and the access token is a bearer credential
for every service. So it is kept encrypted and authenticated (Fernet: AES-128-CBC with an
HMAC-SHA256), under a key derived from the session secret (HKDF, its own label, so the signing
key is never used to encrypt), and a sealed token older than a sign-in lasts is refused."""

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

LABEL = b"llwybr-console: OIDC access token in the session"


def key_from(session_secret: str) -> bytes:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=LABEL).derive(
        session_secret.encode()
    )
    return base64.urlsafe_b64encode(derived)


def seal(key: bytes, token: str) -> str:
    return Fernet(key).encrypt(token.encode()).decode()


def unseal(key: bytes, sealed: str, max_age: int) -> str | None:
    """The token, or None when it was sealed under another key, altered, or is too old (the
    person then signs in again)."""
    try:
        return Fernet(key).decrypt(sealed.encode(), ttl=max_age).decode()
    except (InvalidToken, ValueError):
        return None
