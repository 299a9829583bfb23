"""The edge's own CA and the server certificate it presents for each hostname.

The CA is made at start (ECDSA P-256), its certificate written where a client can trust it
(``curl --cacert``, ``httpx.Client(verify=...)``); its key never leaves the process.
"""

from __future__ import annotations

import ipaddress
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ...throwaway_ca import make_ca

__all__ = ["EdgeCA", "ServerIdentity"]

ServerIdentity = tuple[x509.Certificate, ec.EllipticCurvePrivateKey]

_CA_NAME = "cfmtls emulator edge CA"


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "cfmtls emulator"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _alt_name(hostname: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(hostname))
    except ValueError:
        return x509.DNSName(hostname)


class EdgeCA:
    """A CA made for one emulator run, and a cached server certificate per hostname."""

    def __init__(self, days: int = 30) -> None:
        pem, self._key = make_ca(_CA_NAME, days)
        self.certificate = x509.load_pem_x509_certificate(pem.encode())
        self._not_after = self.certificate.not_valid_after_utc
        self._issued: dict[str, ServerIdentity] = {}
        self._lock = threading.Lock()

    @property
    def pem(self) -> str:
        return self.certificate.public_bytes(serialization.Encoding.PEM).decode()

    def write(self, path: Path) -> Path:
        """Write the CA certificate (PEM) to ``path``; returns it."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.pem)
        return path

    def server_identity(self, hostname: str) -> ServerIdentity:
        """A server certificate for ``hostname`` (a DNS name or an IP address) and its key, made once."""
        name = hostname.lower()
        with self._lock:
            found = self._issued.get(name)
            if found is None:
                found = self._issue(name)
                self._issued[name] = found
            return found

    def _issue(self, hostname: str) -> ServerIdentity:
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.now(UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(_name(hostname))
            .issuer_name(self.certificate.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(self._not_after)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.SubjectAlternativeName([_alt_name(hostname)]), critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self._key.public_key()), critical=False)
            .sign(self._key, hashes.SHA256())
        )
        return cert, key
