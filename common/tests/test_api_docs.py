"""Every service's /docs and /redoc load their scripts and styles from the service itself: a
council network that blocks other hosts still shows the API documents."""

import re

import httpx
import pytest
from fastapi import FastAPI

from llwybr_common.api_docs import install_api_docs

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_the_api_document_pages_load_nothing_from_another_host(page: str) -> None:
    app = FastAPI(title="t", docs_url=None, redoc_url=None)
    install_api_docs(app, title="Llwybr test")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://svc.test"
    ) as client:
        html = (await client.get(page)).text
        assets = re.findall(r'(?:src|href)=["\']([^"\']+)["\']', html)
        assets += re.findall(r"url: ?['\"]([^'\"]+)['\"]", html)
        assets += re.findall(r"url\(['\"]?([^'\")]+)", html)  # stylesheets and fonts in CSS
        assets += re.findall(r"@import ['\"]([^'\"]+)", html)
        assert assets, html
        assert not [a for a in assets if "//" in a], assets  # no other host, absolute or not
        for asset in assets:
            if asset.startswith("/docs-assets/"):
                r = await client.get(asset)
                assert r.status_code == 200 and len(r.content) > 500, asset
