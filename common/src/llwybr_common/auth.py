"""Who is calling: bearer JWTs with `roles` and `llwybr_scopes` claims.

Embedded mode signs RS256 tokens with a local key kept under `<home>/keys/` and serves its JWKS;
production validates tokens from an OIDC provider (Entra ID) through `LLWYBR_JWKS_URL`,
`LLWYBR_JWT_ISSUER` and `LLWYBR_JWT_AUDIENCE`. Only configuration differs. Access is checked by
the service that owns the data, with the helpers on `Principal`.
"""

import time
import uuid
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import Depends, Request

from llwybr_common.errors import Unauthenticated
from llwybr_common.settings import Settings, get_settings
from llwybr_contracts.vocabulary import Role

# One vocabulary: the roles a token may carry are `contracts`' Role, the escalation ladder's too.
ROLES = frozenset(role.value for role in Role)
LA_ROLES = frozenset({"la-officer", "la-manager", "head-of-service", "early-years-officer"})
HEALTH_ROLES = frozenset({"declo", "health-liaison", "clinician", "board-aln-lead"})
SCOPE_KINDS = ("la", "board", "school", "fei", "advocacy")  # fei:<UKPRN> (Act s.11)
# The one scope with no value: all of Wales, for national roles (aggregates, never a case).
WALES = "wales"
KEY_ID = "llwybr-embedded-1"


def parse_scope(scope: str) -> tuple[str, str]:
    """`la:W06000015` -> ("la", "W06000015"); a bare ONS code is read by its prefix;
    `wales` -> ("wales", "wales")."""
    if scope == WALES:
        return WALES, WALES
    if ":" in scope:
        kind, _, value = scope.partition(":")
        if kind in SCOPE_KINDS and value:
            return kind, value
        raise ValueError(
            f"unknown scope {scope!r}: use la:, board:, school:, fei:, advocacy: or wales"
        )
    if scope.startswith("W06"):
        return "la", scope
    if scope.startswith("W11"):
        return "board", scope
    raise ValueError(
        f"unknown scope {scope!r}: a bare code must be an authority (W06) or board (W11)"
    )


@dataclass(frozen=True)
class Principal:
    subject: str
    roles: frozenset[str]
    scopes: tuple[tuple[str, str], ...] = field(default_factory=tuple)

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    def scoped(self, kind: str) -> set[str]:
        return {value for k, value in self.scopes if k == kind}

    @property
    def is_service(self) -> bool:
        return "service" in self.roles

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles

    def audit_roles(self) -> str:
        return ",".join(sorted(self.roles))


# --- keys (embedded mode) -------------------------------------------------------------------


def _key_path(settings: Settings) -> Path:
    return Path(settings.home) / "keys" / "jwt-signing.pem"


def signing_key(settings: Settings) -> rsa.RSAPrivateKey:
    """The embedded signing key, created on first use (0600, never committed)."""
    path = _key_path(settings)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        tmp = path.with_suffix(f".{uuid.uuid4().hex}.tmp")
        tmp.touch(mode=0o600)
        tmp.write_bytes(pem)
        try:
            path.hardlink_to(tmp)  # atomic: two processes racing keep one key
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return _load_key(str(path.resolve()), path.stat().st_mtime_ns)


@lru_cache(maxsize=8)
def _load_key(path: str, mtime_ns: int) -> rsa.RSAPrivateKey:
    # Parsed once per file version, not on every request that verifies a token.
    loaded = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    assert isinstance(loaded, rsa.RSAPrivateKey)
    return loaded


def jwks(settings: Settings) -> dict[str, Any]:
    """The public half of the embedded key as a JSON Web Key Set."""
    public = signing_key(settings).public_key()
    jwk = jwt.algorithms.RSAAlgorithm.to_jwk(public, as_dict=True)
    jwk.update({"kid": KEY_ID, "use": "sig", "alg": "RS256"})
    return {"keys": [jwk]}


def mint_token(
    settings: Settings,
    *,
    subject: str,
    roles: list[str],
    scopes: list[str],
    ttl_seconds: int = 8 * 3600,
) -> str:
    """An embedded-mode token (dev-token, tests, service-to-service calls)."""
    if settings.mode != "embedded":
        raise RuntimeError("tokens are minted locally only in embedded mode; use the OIDC provider")
    unknown = sorted(set(roles) - ROLES)
    if unknown:
        raise ValueError(f"unknown roles {unknown}; known: {sorted(ROLES)}")
    for scope in scopes:
        parse_scope(scope)
    now = int(time.time())
    claims = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": subject,
        "iat": now,
        "exp": now + ttl_seconds,
        "roles": roles,
        "llwybr_scopes": scopes,
    }
    return jwt.encode(claims, signing_key(settings), algorithm="RS256", headers={"kid": KEY_ID})


def service_token(settings: Settings, service: str) -> str:
    """This service's own credential for claim-check calls to another service's API."""
    if settings.service_token:
        return settings.service_token
    return mint_token(settings, subject=f"service:{service}", roles=["service"], scopes=[])


# --- verification ---------------------------------------------------------------------------


@lru_cache(maxsize=4)
def _jwks_client(url: str) -> jwt.PyJWKClient:
    return jwt.PyJWKClient(url, cache_keys=True, lifespan=300)


def verify(token: str, settings: Settings) -> Principal:
    if settings.jwks_url:
        key: Any = _jwks_client(settings.jwks_url).get_signing_key_from_jwt(token).key
    elif settings.mode == "embedded":
        key = signing_key(settings).public_key()
    else:  # never trust a local key outside embedded mode
        raise jwt.InvalidTokenError("no identity provider configured (LLWYBR_JWKS_URL)")
    claims = jwt.decode(
        token,
        key,
        algorithms=["RS256"],
        audience=settings.jwt_audience,
        issuer=settings.jwt_issuer,
        options={"require": ["exp", "iss", "aud", "sub"]},
    )
    roles = claims.get("roles") or []
    scopes = claims.get("llwybr_scopes") or []
    if not isinstance(roles, list) or not isinstance(scopes, list):
        raise jwt.InvalidTokenError("roles and llwybr_scopes must be lists")
    parsed = []
    for scope in scopes:
        try:
            parsed.append(parse_scope(str(scope)))
        except ValueError as exc:
            raise jwt.InvalidTokenError(str(exc)) from exc
    return Principal(str(claims["sub"]), frozenset(map(str, roles)) & ROLES, tuple(parsed))


async def authenticate(request: Request) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthenticated("unauthenticated.no-token")
    settings = getattr(getattr(request.app.state, "runtime", None), "settings", None)
    try:
        principal = verify(token.strip(), settings or get_settings())
    except jwt.ExpiredSignatureError as exc:
        raise Unauthenticated("unauthenticated.expired") from exc
    except jwt.PyJWTError as exc:
        raise Unauthenticated("unauthenticated.invalid") from exc
    request.state.principal = principal
    return principal


CurrentPrincipal = Annotated[Principal, Depends(authenticate)]
