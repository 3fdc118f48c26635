"""One TLS context per process and CA bundle, so a new HTTPS connection does not reload the bundle.

botocore hands urllib3 the CA bundle's path on every connection pool, and urllib3 then calls
`load_verify_locations` for each new connection: ~23 ms of CPU on OpenSSL 3 for the ~150 certificates
of the bundle (urllib3 #3623, cpython #95031). A Plan over 34 regions opens about a hundred
connections, so that load was most of its TLS cost. Here the bundle is loaded once into a context
that every botocore session of the process shares; certificate and host checks stay exactly as
botocore sets them (`verify=False` sessions keep a context of their own, never the shared one).
"""

from __future__ import annotations

import os
import ssl
import threading
from typing import Any

from botocore.httpsession import URLLib3Session, create_urllib3_context, get_cert_path

_contexts: dict[str, ssl.SSLContext] = {}
_lock = threading.Lock()
_private = threading.local()  # set while botocore builds a proxy's context, which it then changes
_original_setup_ssl_cert = getattr(URLLib3Session, "_setup_ssl_cert")  # noqa: B009 (private: not in the stubs)
_original_setup_proxy_ssl_context = getattr(URLLib3Session, "_setup_proxy_ssl_context")  # noqa: B009


def _trusting(bundle: str) -> ssl.SSLContext:
    context: ssl.SSLContext = create_urllib3_context()
    if os.path.isdir(bundle):
        context.load_verify_locations(capath=bundle)
    else:
        context.load_verify_locations(cafile=bundle)
    return context


def shared_context(bundle: str) -> ssl.SSLContext:
    """The process's context that trusts `bundle` (a CA file or directory), loaded on first use."""
    with _lock:
        if bundle not in _contexts:
            _contexts[bundle] = _trusting(bundle)
        return _contexts[bundle]


def _get_ssl_context(self: Any) -> ssl.SSLContext:
    if not self._verify:
        unverified: ssl.SSLContext = create_urllib3_context()
        return unverified  # urllib3 sets CERT_NONE on it: never on a shared context
    bundle = str(get_cert_path(self._verify))
    if getattr(_private, "active", False):
        return _trusting(bundle)  # botocore adds the proxy's CA to this one: it must stay private
    return shared_context(bundle)


def _setup_proxy_ssl_context(self: Any, proxy_url: str) -> Any:
    _private.active = True
    try:
        return _original_setup_proxy_ssl_context(self, proxy_url)
    finally:
        _private.active = False


def _setup_ssl_cert(self: Any, conn: Any, url: str, verify: Any) -> None:
    _original_setup_ssl_cert(self, conn, url, verify)
    # the pool's context already trusts this bundle: a path here would make urllib3 load it again
    if conn.ca_certs is not None and conn.ca_certs in _contexts:
        conn.ca_certs = None


def share_tls_contexts() -> None:
    """Make every botocore HTTP session of this process use the shared contexts (idempotent)."""
    setattr(URLLib3Session, "_get_ssl_context", _get_ssl_context)  # noqa: B010 (private: not in the stubs)
    setattr(URLLib3Session, "_setup_ssl_cert", _setup_ssl_cert)  # noqa: B010
    setattr(URLLib3Session, "_setup_proxy_ssl_context", _setup_proxy_ssl_context)  # noqa: B010
