"""TLS material from files, read and checked before use, refused with a message that names the
setting (a bad file found only at the first connection would surface as a handshake error)."""

from __future__ import annotations

import ssl
from pathlib import Path

from videolens.errors import ConfigurationError

SERVER_CERT = "--ssl-certfile (VIDEOLENS_SSL_CERTFILE)"
SERVER_KEY = "--ssl-keyfile (VIDEOLENS_SSL_KEYFILE)"


def read_pem(path: Path, what: str, setting: str) -> bytes:
    """The bytes of the PEM file at ``path``; ``what`` (e.g. "certificate") and ``setting`` name
    it in the error."""
    try:
        data = path.expanduser().read_bytes()
    except OSError as err:
        raise ConfigurationError(
            f"{setting}: cannot read the {what} {path}: {err.strerror or err}"
        ) from None
    if b"-----BEGIN " not in data:
        raise ConfigurationError(
            f"{setting}: {path} is not a PEM {what} (no '-----BEGIN' line); "
            "convert it with openssl (e.g. `openssl x509 -inform der -in FILE -out FILE.pem`)"
        )
    return data


def check_server_tls(certfile: Path | None, keyfile: Path | None) -> bool:
    """Whether the API serves HTTPS; raises ConfigurationError when the pair cannot be served.

    Checks what uvicorn would otherwise fail on after the app started: one file without the
    other, an unreadable or non-PEM file, a key that does not match the certificate.
    """
    if certfile is None and keyfile is None:
        return False
    if certfile is None or keyfile is None:
        given, missing = (SERVER_CERT, SERVER_KEY) if keyfile is None else (SERVER_KEY, SERVER_CERT)
        raise ConfigurationError(f"{given} is set without {missing}: HTTPS needs both")
    read_pem(certfile, "certificate", SERVER_CERT)
    read_pem(keyfile, "private key", SERVER_KEY)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        # A password callback that refuses: an encrypted key would otherwise prompt on the tty.
        context.load_cert_chain(certfile.expanduser(), keyfile.expanduser(), password=_no_password)
    except (ssl.SSLError, _EncryptedKeyError) as err:
        reason = (
            "the private key is encrypted; serve an unencrypted key (`openssl pkey -in KEY -out "
            "PLAIN`) readable only by this user"
            if isinstance(err, _EncryptedKeyError)
            else f"they are not a matching PEM certificate and private key ({err.reason or err})"
        )
        raise ConfigurationError(
            f"{SERVER_CERT} {certfile}, {SERVER_KEY} {keyfile}: {reason}"
        ) from None
    return True


class _EncryptedKeyError(Exception):
    pass


def _no_password() -> bytes:
    raise _EncryptedKeyError
