"""Temporal over TLS/mTLS and with an API key: settings → ``Client.connect`` arguments, and a real
mTLS connection to the real dev server.

``temporal server start-dev`` has no TLS flags (checked: temporal 1.9.1, server 1.32.0), so the
real server sits behind a TLS terminator made in the test: Python's ``ssl`` with a certificate
from a CA made in the test, requiring a client certificate signed by that CA, forwarding the
decrypted HTTP/2 bytes to the dev server unchanged.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import trustme
from temporalio.service import RPCError, TLSConfig

from videolens.config import Settings
from videolens.errors import ConfigurationError, TemporalUnavailableError
from videolens.pipeline.temporal_server import temporal_client
from videolens.pipeline.temporal_tls import temporal_connection

CLIENT_NAME = "videolens-worker.example"


@dataclass
class Pki:
    """A CA, the server's certificate and a client certificate, as PEM files."""

    ca: trustme.CA
    server: trustme.LeafCert
    ca_file: Path
    cert_file: Path
    key_file: Path


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    root = tmp_path_factory.mktemp("pki")
    ca = trustme.CA()
    client = ca.issue_cert(CLIENT_NAME)
    ca.cert_pem.write_to_path(str(root / "ca.pem"))
    client.cert_chain_pems[0].write_to_path(str(root / "client.pem"))
    client.private_key_pem.write_to_path(str(root / "client.key"))
    server = ca.issue_cert("localhost", "127.0.0.1")
    return Pki(ca, server, root / "ca.pem", root / "client.pem", root / "client.key")


def _settings(
    tmp_path: Path, address: str | None = "temporal.example:7233", **tls: object
) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path,
        temporal_address=address,
        **tls,
    )


def test_tls_config_is_built_from_the_settings(tmp_path: Path, pki: Pki) -> None:
    settings = _settings(
        tmp_path,
        temporal_tls_ca_file=pki.ca_file,
        temporal_tls_cert_file=pki.cert_file,
        temporal_tls_key_file=pki.key_file,
        temporal_tls_server_name="temporal.internal",
        temporal_api_key="tc-secret",
    )
    connection = temporal_connection(settings)
    assert connection.tls == TLSConfig(
        server_root_ca_cert=pki.ca_file.read_bytes(),
        domain="temporal.internal",
        client_cert=pki.cert_file.read_bytes(),
        client_private_key=pki.key_file.read_bytes(),
    )
    assert connection.api_key == "tc-secret"
    assert "tc-secret" not in repr(connection) and "PRIVATE" not in repr(connection)


def test_tls_turns_on_with_an_api_key_unless_disabled(tmp_path: Path, pki: Pki) -> None:
    assert temporal_connection(_settings(tmp_path)).tls is False
    assert temporal_connection(_settings(tmp_path, temporal_tls=True)).tls is True
    cloud = temporal_connection(_settings(tmp_path, temporal_api_key="k"))
    assert (cloud.tls, cloud.api_key) == (True, "k")
    plain = temporal_connection(_settings(tmp_path, temporal_api_key="k", temporal_tls=False))
    assert (plain.tls, plain.api_key) == (False, "k")
    only_ca = temporal_connection(_settings(tmp_path, temporal_tls_ca_file=pki.ca_file))
    assert isinstance(only_ca.tls, TLSConfig) and only_ca.tls.client_cert is None


def test_bad_tls_settings_are_refused(tmp_path: Path, pki: Pki) -> None:
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate")
    cases: list[tuple[dict[str, object], str]] = [
        ({"temporal_tls_cert_file": pki.cert_file}, "CERT_FILE is set without .*KEY_FILE"),
        ({"temporal_tls_key_file": pki.key_file}, "KEY_FILE is set without .*CERT_FILE"),
        ({"temporal_tls": False, "temporal_tls_ca_file": pki.ca_file}, "TLS=false contradicts"),
        ({"temporal_tls_ca_file": tmp_path / "missing.pem"}, "CA_FILE: cannot read the CA cert"),
        ({"temporal_tls_ca_file": junk}, "CA_FILE: .*junk.pem is not a PEM CA certificate"),
        (
            {"temporal_tls_cert_file": pki.cert_file, "temporal_tls_key_file": junk},
            "KEY_FILE: .*junk.pem is not a PEM private key",
        ),
    ]
    for tls, message in cases:
        with pytest.raises(ConfigurationError, match=message):
            temporal_connection(_settings(tmp_path, **tls))


def test_tls_settings_without_a_cluster_are_refused(tmp_path: Path, pki: Pki) -> None:
    for tls in ({"temporal_api_key": "k"}, {"temporal_tls_ca_file": pki.ca_file}):
        with pytest.raises(ConfigurationError, match="set VIDEOLENS_TEMPORAL_ADDRESS"):
            temporal_connection(_settings(tmp_path, address=None, **tls))


@dataclass
class Terminator:
    """What the TLS terminator saw: the subject of each client certificate presented."""

    address: str
    clients: list[tuple[tuple[str, str], ...]] = field(default_factory=list)


@contextlib.asynccontextmanager
async def tls_terminator(pki: Pki, upstream: str) -> AsyncIterator[Terminator]:
    """Listen with TLS on a free port (client certificate required), forward to ``upstream``."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    pki.server.configure_cert(context)
    pki.ca.configure_trust(context)
    context.verify_mode = ssl.CERT_REQUIRED
    context.set_alpn_protocols(["h2"])  # gRPC clients insist on HTTP/2 being negotiated
    host, port = upstream.rsplit(":", 1)

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, ssl.SSLError):
            pass
        finally:
            writer.close()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # The handshake already required a certificate signed by the CA; record whose it was.
        seen.clients.append(writer.get_extra_info("peercert")["subjectAltName"])
        up_reader, up_writer = await asyncio.open_connection(host, int(port))
        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=context)
    seen = Terminator(f"127.0.0.1:{server.sockets[0].getsockname()[1]}")
    try:
        yield seen
    finally:
        server.close()


def test_mtls_connection_to_a_real_temporal_server(
    tmp_path: Path, pki: Pki, temporal_address: str
) -> None:
    async def scenario() -> None:
        async with tls_terminator(pki, temporal_address) as terminator:
            settings = _settings(
                tmp_path,
                address=terminator.address,
                temporal_tls_ca_file=pki.ca_file,
                temporal_tls_cert_file=pki.cert_file,
                temporal_tls_key_file=pki.key_file,
                temporal_tls_server_name="localhost",
                temporal_api_key="sent-as-bearer",
            )
            async with temporal_client(settings) as client:
                # A real RPC through TLS: an unknown workflow's "not found" comes from Temporal.
                handle = client.get_workflow_handle(f"missing-{uuid.uuid4().hex}")
                with pytest.raises(RPCError, match="not found"):
                    await handle.describe()
            assert terminator.clients, "no TLS connection was made"
            assert set(terminator.clients) == {(("DNS", CLIENT_NAME),)}

            # Without the client certificate the terminator refuses the handshake.
            no_cert = settings.model_copy(
                update={"temporal_tls_cert_file": None, "temporal_tls_key_file": None}
            )
            handshakes = len(terminator.clients)
            with pytest.raises(TemporalUnavailableError, match="did not answer"):
                async with temporal_client(no_cert):
                    pass
            assert len(terminator.clients) == handshakes
            # A client that trusts another CA refuses the server's certificate.
            other_ca = tmp_path / "other-ca.pem"
            trustme.CA().cert_pem.write_to_path(str(other_ca))
            distrustful = settings.model_copy(update={"temporal_tls_ca_file": other_ca})
            with pytest.raises(TemporalUnavailableError, match="UnknownIssuer"):
                async with temporal_client(distrustful):
                    pass

    asyncio.run(scenario())
