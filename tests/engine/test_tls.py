"""One TLS context per process and setting, its CA bundle loaded on the first HTTPS handshake only.

A real HTTPS server on loopback (a throwaway CA made here, named through ``SSL_CERT_FILE`` as httpx
users do) checks that the shared context verifies; the sandbox over plain http checks that a
token request and a Creators call never load a CA bundle at all.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import http.server
import ipaddress
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from amzauth.creators import CreatorsClient, MemoryStore
from amzauth.engine import MemoryStore as TokenMemoryStore
from amzauth.engine import TokenManager
from amzauth.engine.transport import tls_context
from tests.engine._profiles import CREATORS_31, plan


def _cert(name: str, key: Any, issuer: x509.Name, issuer_key: Any, *, ca: bool) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC)
    b = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ca:
        b = b.add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        b = b.add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    else:
        b = b.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        b = b.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False
        )
    return b.sign(issuer_key, hashes.SHA256())


@pytest.fixture()
def https_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """An HTTPS server on 127.0.0.1 answering 200 to GET, and the CA file that trusts it."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "amzauth test CA")])
    ca = _cert("amzauth test CA", ca_key, ca_name, ca_key, ca=True)
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = _cert("127.0.0.1", key, ca_name, ca_key, ca=False)
    ca_file = tmp_path / "ca.pem"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    chain = tmp_path / "server.pem"
    chain.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        + leaf.public_bytes(serialization.Encoding.PEM)
    )

    class Ok(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Ok)
    sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    sctx.load_cert_chain(chain)
    server.socket = sctx.wrap_socket(server.socket, server_side=True)
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}/", ca_file
    finally:
        server.shutdown()
        server.server_close()


def test_shared_context_verifies_on_first_https_use(
    https_server: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, ca_file = https_server
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))  # a setting of its own: a context of its own
    ctx = tls_context()
    assert ctx is tls_context()
    assert ctx.cert_store_stats()["x509_ca"] == 0  # nothing loaded by making it
    with httpx.Client(verify=ctx) as one, httpx.Client(verify=tls_context()) as two:
        assert ctx.cert_store_stats()["x509_ca"] == 0  # nor by making clients
        assert one.get(url).text == "ok"
        assert two.get(url).text == "ok"
    assert ctx.cert_store_stats()["x509_ca"] == 1  # our CA, loaded once

    async def fetch() -> str:
        async with httpx.AsyncClient(verify=tls_context()) as client:
            return (await client.get(url)).text

    assert asyncio.run(fetch()) == "ok"


def test_shared_context_refuses_an_unknown_ca(
    https_server: tuple[str, Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    url, _ = https_server
    other = tmp_path / "other"
    other.mkdir()
    monkeypatch.setenv("SSL_CERT_DIR", str(other))  # an empty CA directory: nothing is trusted
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    with httpx.Client(verify=tls_context()) as client, pytest.raises(httpx.ConnectError, match="CERTIFICATE"):
        client.get(url)
    unverified = tls_context(False)
    assert unverified is not tls_context() and unverified.verify_mode == ssl.CERT_NONE
    with httpx.Client(verify=unverified) as client:
        assert client.get(url).text == "ok"


def test_plain_http_never_loads_a_ca_bundle(
    fresh_sandbox: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "never-read.pem"))  # a fresh, unused setting
    ctx = tls_context()
    p = plan(CREATORS_31, fresh_sandbox.url)
    manager = TokenManager(p, CREATORS_31["client_secret"], store=TokenMemoryStore())
    with CreatorsClient(p, manager=manager, store=MemoryStore()) as client:
        assert client.search_items("skillet").items
    assert manager.get_token().access_token
    assert ctx.cert_store_stats()["x509_ca"] == 0
