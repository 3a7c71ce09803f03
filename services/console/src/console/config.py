"""The console's own settings (`LLWYBR_CONSOLE_*`), beside the common ones.

Embedded mode signs sessions with a random key kept under the stack's home and lists the
seeded people; production must set the session secret and the OIDC client (no defaults)."""

import secrets
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from llwybr_common.settings import Settings, get_settings


class ConsoleSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LLWYBR_CONSOLE_", extra="ignore")

    session_secret: str = Field("", description="production: the key that signs session cookies")
    session_max_age: int = Field(8 * 3600, description="seconds a sign-in lasts")
    people_file: Path | None = Field(
        None, description="embedded mode: the seeded people (CSV) the sign-in page lists"
    )
    oidc_metadata_url: str = Field(
        "", description="production: the provider's .well-known/openid-configuration URL"
    )
    oidc_client_id: str = ""
    oidc_client_secret: str = ""
    oidc_scope: str = Field(
        "openid profile email", description="plus the API's scope, e.g. api://llwybr/.default"
    )
    oidc_roles_claim: str = Field("roles", description="ID token claim holding Llwybr roles")
    oidc_scopes_claim: str = Field(
        "llwybr_scopes", description="ID token claim holding scopes such as la:W06000015"
    )


@lru_cache
def get_console_settings() -> ConsoleSettings:
    return ConsoleSettings()


def session_secret(common: Settings | None = None, console: ConsoleSettings | None = None) -> str:
    """The cookie-signing key: the configured one, or in embedded mode a random key kept in the
    stack's home (so sessions survive a console restart). Never defaulted in production."""
    common = common or get_settings()
    console = console or get_console_settings()
    if console.session_secret:
        return console.session_secret
    if common.mode != "embedded":
        raise RuntimeError("LLWYBR_CONSOLE_SESSION_SECRET must be set outside embedded mode")
    path = common.home / "keys" / "console-session.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()
