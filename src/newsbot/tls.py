"""One TLS context per process for every HTTPS client newsbot makes.

httpx builds a new `ssl.SSLContext` for each client it creates, loading certifi's CA bundle
each time: ~30 ms of CPU, and the certificates held once more in memory. The bot makes four
clients when it starts (PTB's request and its getUpdates request, the digest sender's, the
article fetcher's), a test suite hundreds. An `SSLContext` may be shared by any number of
connections and threads, so each client is handed the same one, built as httpx builds its own.
"""

from __future__ import annotations

import functools
import ssl

import httpx


@functools.cache
def tls_context(*, trust_env: bool = True) -> ssl.SSLContext:
    """The context httpx would build for a client with this `trust_env` (with it, SSL_CERT_FILE
    and SSL_CERT_DIR are honoured, read when first asked for)."""
    return httpx.create_ssl_context(trust_env=trust_env)
