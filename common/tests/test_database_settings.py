"""Which role a service runs as, from its two database URLs; production refuses to run as the
owner of its own tables."""

import pytest

from llwybr_common.runtime import runtime_role_of
from llwybr_common.settings import Settings

pytestmark = pytest.mark.unit

APP = "postgresql+asyncpg://referral_app:pw@db:5432/llwybr"
OWNER = "postgresql+asyncpg://llwybr_owner:pw@db:5432/llwybr"


def test_the_runtime_role_is_the_users_of_the_service_url_when_an_owner_url_is_given() -> None:
    settings = Settings(mode="production", database_url=APP, database_owner_url=OWNER)
    assert runtime_role_of(settings) == "referral_app"


def test_one_url_outside_production_means_one_role_and_no_grants() -> None:
    assert runtime_role_of(Settings(database_url=APP)) is None


@pytest.mark.parametrize("owner_url", ["", APP])
def test_production_refuses_a_service_that_would_own_its_tables(owner_url: str) -> None:
    settings = Settings(mode="production", database_url=APP, database_owner_url=owner_url)
    with pytest.raises(RuntimeError, match="LLWYBR_DATABASE_OWNER_URL"):
        runtime_role_of(settings)
