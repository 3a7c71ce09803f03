"""HTTP clients for calls between services.

httpx builds a new SSL context for every client it makes, loading every CA certificate into it:
56 ms of CPU on this machine, paid on each call between services before a byte is sent (it was
the bridge's largest cost per referral). Every client here shares one context per process,
built as httpx would build it (its CA bundle, SSL_CERT_FILE and SSL_CERT_DIR honoured).
"""

import functools
import ssl

import httpx


@functools.cache
def tls_context() -> ssl.SSLContext:
    return httpx.create_ssl_context()


def service_client(
    base_url: str = "",
    *,
    timeout: float,
    transport: httpx.AsyncBaseTransport | None = None,
) -> httpx.AsyncClient:
    """A client for one exchange with another service (or the identity provider)."""
    return httpx.AsyncClient(
        base_url=base_url, transport=transport, timeout=timeout, verify=tls_context()
    )
