"""Events are signed by the service that produces them, and consumers trust nothing else.

The signature is a JWS with a detached payload (RFC 7515 appendix F; EdDSA over Ed25519, `kid`
the producing service) over the canonical JSON of the CloudEvent without its `llwybrsig`
attribute, and travels in that attribute, so it survives the outbox, `llwybr replay` and a
dead-letter re-drive unchanged. Keys are asymmetric: a consumer holds only public keys, so it can
check a producer's events but never forge them. Each topic names the services that may sign its
events; a valid signature from anyone else is refused too.

`llwybr up` writes a key pair per process under `<home>/keys/events/` and gives each process its
private key (`LLWYBR_EVENT_SIGNING_KEY`) and the public keys (`LLWYBR_EVENT_VERIFY_KEYS`, a
directory of `<service>.pem`); production mounts the same files from its secret store.
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from jwt.api_jws import PyJWS

from llwybr_common.settings import Settings
from llwybr_contracts import topics
from llwybr_contracts.envelope import SIGNATURE_ATTRIBUTE

log = logging.getLogger(__name__)

ALGORITHM = "EdDSA"
_JWS = PyJWS()

# Who may sign the events of each topic (a service's folder name; the journey's events leave
# through the worker's relay, `CalendarChanged` from `llwybr calendar` included).
PRODUCERS: Mapping[str, frozenset[str]] = {
    topics.REFERRAL: frozenset({"referral"}),
    topics.JOURNEY: frozenset({"worker"}),
    topics.HEALTH: frozenset({"health-liaison"}),
    topics.IDP: frozenset({"idp"}),
    topics.ADVOCACY: frozenset({"advocacy"}),
    topics.NOTIFICATIONS: frozenset({"notifications"}),
}


class SignatureError(ValueError):
    """An event whose signature is missing or does not hold; the reason says which."""


def canonical(envelope: Mapping[str, Any]) -> bytes:
    """The bytes that are signed: the envelope without its signature, keys sorted, no spaces."""
    unsigned = {k: v for k, v in envelope.items() if k != SIGNATURE_ATTRIBUTE}
    return json.dumps(unsigned, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


class EventSigner:
    def __init__(self, service: str, key: Ed25519PrivateKey) -> None:
        self.service, self._key = service, key

    def sign(self, envelope: Mapping[str, Any]) -> dict[str, Any]:
        """A copy of the envelope (JSON form) carrying this service's signature."""
        token = _JWS.encode(
            canonical(envelope),
            self._key,
            algorithm=ALGORITHM,
            headers={"kid": self.service, "typ": "llwybr-event"},
            is_payload_detached=True,
        )
        return {**envelope, SIGNATURE_ATTRIBUTE: token}


class EventVerifier:
    def __init__(
        self,
        keys: Mapping[str, Ed25519PublicKey],
        producers: Mapping[str, frozenset[str]] = PRODUCERS,
    ) -> None:
        self._keys, self._producers = dict(keys), producers

    def verify(self, envelope: Mapping[str, Any], topic: str) -> str:
        """The signing service, or SignatureError with the reason."""
        token = envelope.get(SIGNATURE_ATTRIBUTE)
        if not token:
            raise SignatureError(f"unsigned event: no {SIGNATURE_ATTRIBUTE} attribute")
        if not isinstance(token, str):
            raise SignatureError(f"{SIGNATURE_ATTRIBUTE} is not a JWS string")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise SignatureError(f"{SIGNATURE_ATTRIBUTE} is not a JWS: {exc}") from exc
        signer = str(header.get("kid", ""))
        if header.get("alg") != ALGORITHM:
            raise SignatureError(f"signature algorithm {header.get('alg')!r} is not {ALGORITHM}")
        key = self._keys.get(signer)
        if key is None:
            raise SignatureError(f"signed by {signer!r}, whose key this consumer does not hold")
        allowed = self._producers.get(topic)
        if allowed is not None and signer not in allowed:
            raise SignatureError(f"{signer!r} does not publish to {topic}")
        try:
            _JWS.decode(token, key, algorithms=[ALGORITHM], detached_payload=canonical(envelope))
        except jwt.PyJWTError as exc:
            raise SignatureError(
                f"signature by {signer!r} does not match the event (altered, or another key)"
            ) from exc
        return signer


# --- keys -----------------------------------------------------------------------------------


def private_key_path(keys_dir: Path, service: str) -> Path:
    return keys_dir / f"{service}.key.pem"


def public_keys_dir(keys_dir: Path) -> Path:
    return keys_dir / "public"


def generate_keys(keys_dir: Path, services: Iterable[str]) -> list[str]:
    """A key pair for each service that has none yet (private 0600); returns those made."""
    public = public_keys_dir(keys_dir)
    public.mkdir(parents=True, exist_ok=True)
    made = []
    for service in services:
        path = private_key_path(keys_dir, service)
        if path.exists():
            continue
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        tmp = path.with_suffix(f".{uuid.uuid4().hex}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(pem)
        tmp.replace(path)
        (public / f"{service}.pem").write_bytes(
            key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
        made.append(service)
    return made


def load_signer(path: Path, service: str) -> EventSigner:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} is not an Ed25519 private key")
    return EventSigner(service, key)


def load_verifier(
    directory: Path, producers: Mapping[str, frozenset[str]] = PRODUCERS
) -> EventVerifier:
    """Every `<service>.pem` public key in `directory`."""
    keys: dict[str, Ed25519PublicKey] = {}
    for pem in sorted(directory.glob("*.pem")):
        key = serialization.load_pem_public_key(pem.read_bytes())
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError(f"{pem} is not an Ed25519 public key")
        keys[pem.name.removesuffix(".pem")] = key
    return EventVerifier(keys, producers)


def signer_from_settings(settings: Settings, service: str) -> EventSigner | None:
    """This process's signer; None (with a warning) in embedded mode without a key, an error
    in production, where an unsigned event would be refused by every consumer."""
    if settings.event_signing_key:
        return load_signer(Path(settings.event_signing_key), service)
    if settings.mode != "embedded":
        raise RuntimeError("LLWYBR_EVENT_SIGNING_KEY is not set: this service's events go unsigned")
    log.warning("no event signing key: this process's events will be refused by consumers")
    return None


def verifier_from_settings(settings: Settings) -> EventVerifier:
    """The producers' public keys; with none configured, every event is refused (fail closed)."""
    if settings.event_verify_keys:
        return load_verifier(Path(settings.event_verify_keys))
    if settings.mode != "embedded":
        raise RuntimeError("LLWYBR_EVENT_VERIFY_KEYS is not set: no event could be trusted")
    log.warning("no event verification keys: every event this process consumes is refused")
    return EventVerifier({})
