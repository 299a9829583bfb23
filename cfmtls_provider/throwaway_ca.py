"""Generate a throwaway CA (and optionally a client certificate it signs) for demos and tests.

    python -m cfmtls_provider.throwaway_ca --out ca.pem [--client-out client.pem [--client-key-out client.key]]

The CA's private key is never written: Cloudflare needs only the certificate. A client certificate comes with
its private key (``client.key`` beside ``client.pem`` unless ``--client-key-out`` says otherwise, mode 0600), so
``curl --cert client.pem --key client.key`` can use it.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = ["make_ca", "make_client_certificate"]


def make_ca(common_name: str = "cfmtls demo CA", days: int = 365) -> tuple[str, ec.EllipticCurvePrivateKey]:
    """A self-signed ECDSA P-256 / SHA-256 CA certificate (PEM) and its key."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode(), key


def make_client_certificate(ca_pem: str, ca_key: ec.EllipticCurvePrivateKey, common_name: str) -> tuple[str, str]:
    """A client certificate signed by the CA and its private key, both PEM (for curl --cert / --key)."""
    ca = x509.load_pem_x509_certificate(ca_pem.encode())
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=90))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.public_key()),  # type: ignore[arg-type]
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return cert.public_bytes(serialization.Encoding.PEM).decode(), key_pem


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True, help="where to write the CA certificate (PEM)")
    parser.add_argument("--cn", default="cfmtls demo CA", help="the CA's common name")
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--client-out", type=Path, help="also write a client certificate signed by the CA")
    parser.add_argument(
        "--client-key-out", type=Path, help="where to write the client certificate's key (default: beside it, .key)"
    )
    args = parser.parse_args(argv)
    if args.client_key_out and not args.client_out:
        parser.error("--client-key-out needs --client-out (the client certificate whose key it is)")
    ca_pem, key = make_ca(args.cn, args.days)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(ca_pem)
    if args.client_out:
        cert_pem, key_pem = make_client_certificate(ca_pem, key, "demo client")
        args.client_out.write_text(cert_pem)
        key_path = args.client_key_out or args.client_out.with_suffix(".key")
        key_path.touch(mode=0o600)
        key_path.chmod(0o600)
        key_path.write_text(key_pem)
    print(args.out)


if __name__ == "__main__":
    main()
