"""HTTPS for ``videolens serve`` and ``videolens up``: real processes with a certificate made in the
test, a client that verifies it against the test's CA, and the bad inputs refused in one line."""

from __future__ import annotations

import re
import ssl
from pathlib import Path

import httpx
import pytest
import trustme
from cryptography.hazmat.primitives import serialization
from typer.testing import CliRunner

from polling import poll
from process_helpers import VIDEOLENS, running, stop, videolens_env
from videolens.cli.app import app
from videolens.pipeline.temporal_server import free_port


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def cert_files(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("tls")
    leaf = ca.issue_cert("localhost", "127.0.0.1")
    leaf.cert_chain_pems[0].write_to_path(str(root / "cert.pem"))
    leaf.private_key_pem.write_to_path(str(root / "key.pem"))
    return root / "cert.pem", root / "key.pem"


def _trusting(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


def _environment(data_dir: Path, **extra: str) -> dict[str, str]:
    return videolens_env(VIDEOLENS_DATA_DIR=str(data_dir), **extra)


def _serve_and_check(args: list[str], env: dict[str, str], ca: trustme.CA, port: int) -> str:
    """Start ``videolens ARGS``, check it over HTTPS, stop it with SIGTERM; its stderr."""
    base = f"https://127.0.0.1:{port}"
    with running([VIDEOLENS, *args, "--port", str(port)], env) as process:
        with httpx.Client(verify=_trusting(ca), timeout=5) as client:

            def ready() -> bool:
                if process.poll() is not None:
                    raise AssertionError(f"the server exited: {process.communicate()[1]}")
                try:
                    return client.get(f"{base}/readyz").status_code == 200
                except httpx.TransportError:
                    return False

            poll(ready, 90, f"`videolens {args[0]}` to answer over https")
            health = client.get(f"{base}/healthz")
            assert health.status_code == 200 and health.url.scheme == "https"
            assert client.get(f"https://localhost:{port}/v1/sessions").status_code == 200
        # A client that does not trust the test's CA refuses the certificate...
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            httpx.get(f"{base}/healthz", timeout=5)
        # ...and plain HTTP gets no answer from the TLS port.
        with pytest.raises(httpx.TransportError):
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
        returncode, stderr = stop(process, timeout_s=60)
    assert returncode == 0, stderr
    return str(stderr)


def test_serve_answers_over_https(
    tmp_path: Path, temporal_address: str, ca: trustme.CA, cert_files: tuple[Path, Path]
) -> None:
    cert, key = cert_files
    port = free_port()
    env = _environment(tmp_path / "data", VIDEOLENS_TEMPORAL_ADDRESS=temporal_address)
    stderr = _serve_and_check(
        ["serve", "--ssl-certfile", str(cert), "--ssl-keyfile", str(key)], env, ca, port
    )
    assert f"https://127.0.0.1:{port}" in stderr and "Traceback" not in stderr


def test_up_answers_over_https_with_the_files_from_settings(
    tmp_path: Path, ca: trustme.CA, cert_files: tuple[Path, Path]
) -> None:
    cert, key = cert_files
    port = free_port()
    env = _environment(
        tmp_path / "data",
        VIDEOLENS_EMBEDDED_TEMPORAL_PORT=str(free_port()),
        VIDEOLENS_SSL_CERTFILE=str(cert),
        VIDEOLENS_SSL_KEYFILE=str(key),
    )
    stderr = _serve_and_check(["up"], env, ca, port)
    assert f"videolens is up: https://127.0.0.1:{port}" in stderr


def test_bad_tls_files_are_refused_in_one_line(
    tmp_path: Path, ca: trustme.CA, cert_files: tuple[Path, Path]
) -> None:
    cert, key = cert_files
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate")
    other_key = tmp_path / "other.key"
    ca.issue_cert("other").private_key_pem.write_to_path(str(other_key))
    encrypted = tmp_path / "encrypted.key"
    plain = serialization.load_pem_private_key(key.read_bytes(), None)
    encrypted.write_bytes(
        plain.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"secret"),
        )
    )
    cases = [
        (["--ssl-certfile", str(cert)], "--ssl-certfile .* is set without --ssl-keyfile"),
        (["--ssl-keyfile", str(key)], "--ssl-keyfile .* is set without --ssl-certfile"),
        (
            ["--ssl-certfile", str(tmp_path / "missing.pem"), "--ssl-keyfile", str(key)],
            "cannot read the certificate .*missing.pem",
        ),
        (["--ssl-certfile", str(junk), "--ssl-keyfile", str(key)], "junk.pem is not a PEM"),
        (["--ssl-certfile", str(cert), "--ssl-keyfile", str(other_key)], "not a matching"),
        (["--ssl-certfile", str(cert), "--ssl-keyfile", str(encrypted)], "key is encrypted"),
    ]
    env = {
        "VIDEOLENS_DATA_DIR": str(tmp_path / "data"),
        "VIDEOLENS_TEMPORAL_ADDRESS": "127.0.0.1:1",
    }
    runner = CliRunner()
    for command in ("serve", "up"):
        for options, message in cases:
            result = runner.invoke(app, [command, "--port", str(free_port()), *options], env=env)
            assert result.exit_code == 2, (command, options, result.output)
            assert result.stderr.startswith("error: "), result.stderr
            assert len(result.stderr.strip().splitlines()) == 1, result.stderr
            assert re.search(message, result.stderr), result.stderr


def test_tls_does_not_replace_keys_off_loopback(
    tmp_path: Path, cert_files: tuple[Path, Path]
) -> None:
    cert, key = cert_files
    tls = ["--ssl-certfile", str(cert), "--ssl-keyfile", str(key)]
    result = CliRunner().invoke(
        app,
        ["up", "--host", "0.0.0.0", "--port", str(free_port()), *tls],
        env={"VIDEOLENS_DATA_DIR": str(tmp_path / "data")},
    )
    assert result.exit_code == 2
    assert "refusing to serve on 0.0.0.0 without API keys" in result.stderr
