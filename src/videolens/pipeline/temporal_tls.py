"""How to reach a secured Temporal cluster: TLS (the server's CA, an mTLS client certificate, the
name to verify) and an API key (Temporal Cloud), built from settings before connecting."""

from __future__ import annotations

from dataclasses import dataclass

from temporalio.service import TLSConfig

from videolens.config import Settings
from videolens.errors import ConfigurationError
from videolens.tls import read_pem

CA = "VIDEOLENS_TEMPORAL_TLS_CA_FILE"
CERT = "VIDEOLENS_TEMPORAL_TLS_CERT_FILE"
KEY = "VIDEOLENS_TEMPORAL_TLS_KEY_FILE"
SERVER_NAME = "VIDEOLENS_TEMPORAL_TLS_SERVER_NAME"


@dataclass(frozen=True)
class TemporalConnection:
    """The security arguments of ``Client.connect``: ``tls`` and ``api_key``."""

    tls: TLSConfig | bool
    api_key: str | None

    def __repr__(self) -> str:
        # Never the key, nor the client's private key, in a log or a traceback.
        shown = "TLSConfig(...)" if isinstance(self.tls, TLSConfig) else self.tls
        return f"TemporalConnection(tls={shown}, api_key={'***' if self.api_key else None})"


def _tls_settings(settings: Settings) -> dict[str, object]:
    return {
        CA: settings.temporal_tls_ca_file,
        CERT: settings.temporal_tls_cert_file,
        KEY: settings.temporal_tls_key_file,
        SERVER_NAME: settings.temporal_tls_server_name,
    }


def temporal_connection(settings: Settings) -> TemporalConnection:
    """``tls``/``api_key`` for the configured cluster; reads (and checks) the PEM files.

    TLS is on when ``temporal_tls`` says so, or, when it is unset, as soon as an API key or any
    TLS file or server name is set (an API key never travels in clear text by default).
    """
    given = {name: value for name, value in _tls_settings(settings).items() if value}
    api_key = settings.temporal_api_key.get_secret_value() if settings.temporal_api_key else None
    if not settings.temporal_address:
        named = [*given, *(["VIDEOLENS_TEMPORAL_API_KEY"] if api_key else [])]
        if named or settings.temporal_tls:
            raise ConfigurationError(
                f"{', '.join(named) or 'VIDEOLENS_TEMPORAL_TLS'} apply to a Temporal cluster: "
                "set VIDEOLENS_TEMPORAL_ADDRESS too (the embedded server speaks plain gRPC on "
                "loopback)"
            )
        return TemporalConnection(tls=False, api_key=None)
    cert, key = settings.temporal_tls_cert_file, settings.temporal_tls_key_file
    if (cert is None) != (key is None):
        given_name, missing = (CERT, KEY) if key is None else (KEY, CERT)
        raise ConfigurationError(f"{given_name} is set without {missing}: mTLS needs both")
    if settings.temporal_tls is False:
        if given:
            raise ConfigurationError(
                f"VIDEOLENS_TEMPORAL_TLS=false contradicts {', '.join(given)}: "
                "unset those or turn TLS on"
            )
        return TemporalConnection(tls=False, api_key=api_key)
    if not given:
        # TLS with the system's roots (Temporal Cloud with an API key), or no TLS at all.
        return TemporalConnection(tls=bool(settings.temporal_tls or api_key), api_key=api_key)
    ca = settings.temporal_tls_ca_file
    tls = TLSConfig(
        server_root_ca_cert=read_pem(ca, "CA certificate", CA) if ca else None,
        domain=settings.temporal_tls_server_name,
        client_cert=read_pem(cert, "certificate", CERT) if cert else None,
        client_private_key=read_pem(key, "private key", KEY) if key else None,
    )
    return TemporalConnection(tls=tls, api_key=api_key)
