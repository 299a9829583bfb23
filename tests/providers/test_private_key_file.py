"""private_key_file (issue 17, point 11): the CA's private key is read in the provider process, so its content
never crosses the engine's gRPC (where PULUMI_DEBUG_GRPC logs every message in clear) nor reaches the state."""

from __future__ import annotations

from pathlib import Path

from cfmtls_provider.emulator.server import EmulatorServer
from cfmtls_provider.resources.mtls_certificate import MTLSCertificateProvider
from tests.support.certs import make_ca
from tests.support.providers import ACCOUNT, configured


def test_the_key_is_read_by_the_provider_and_only_its_digest_flows(tmp_path: Path, emulator: EmulatorServer) -> None:
    made = make_ca("key file CA")
    key_path = tmp_path / "ca.key"
    key_path.write_text(made.key_pem)
    provider: MTLSCertificateProvider = configured(MTLSCertificateProvider(), emulator)
    news = {"certificates": made.pem, "name": "ca", "private_key_file": str(key_path)}
    checked = provider.check({}, news)
    assert checked.failures == []
    assert made.key_pem not in repr(checked.inputs) and "PRIVATE KEY" not in repr(checked.inputs)
    created = provider.create(checked.inputs)
    assert created.outs is not None and "PRIVATE KEY" not in repr(created.outs)
    [held] = emulator.state()["certificates"]
    assert held["has_private_key"] is True
    same = provider.check(checked.inputs, {**news, "private_key_file": str(key_path)}).inputs
    assert not provider.diff(created.id, created.outs, same).changes


def test_another_key_in_the_file_is_a_key_change(tmp_path: Path) -> None:
    made = make_ca("key file CA")
    key_path = tmp_path / "ca.key"
    key_path.write_text(made.key_pem)
    provider = MTLSCertificateProvider()
    news = {"certificates": made.pem, "name": "ca", "account_id": ACCOUNT, "private_key_file": str(key_path)}
    olds = provider.check({}, news).inputs
    key_path.write_text(make_ca("other").key_pem)
    reasons = {failure.property: failure.reason for failure in provider.check(olds, news).failures}
    assert list(reasons) == [""] and "private_key changed while the certificates stay the same" in reasons[""]


def test_a_missing_or_wrong_file_is_named_at_preview(tmp_path: Path) -> None:
    made = make_ca("key file CA")
    provider = MTLSCertificateProvider()
    base = {"certificates": made.pem, "account_id": ACCOUNT}
    missing = provider.check({}, {**base, "private_key_file": str(tmp_path / "nope.key")}).failures
    assert [(f.property, f.reason.split(" (")[0]) for f in missing] == [
        ("private_key_file", f"private_key_file '{tmp_path / 'nope.key'}' cannot be read")
    ]
    (tmp_path / "cert.pem").write_text(made.pem)
    wrong = provider.check({}, {**base, "private_key_file": str(tmp_path / "cert.pem")}).failures
    assert [f.reason for f in wrong] == [
        f"private_key_file '{tmp_path / 'cert.pem'}' does not hold an unencrypted PEM private key ('-----BEGIN PRIVATE KEY-----')."
    ]
    both = provider.check({}, {**base, "private_key": made.key_pem, "private_key_file": str(tmp_path / "cert.pem")})
    assert "pass private_key or private_key_file, not both." in [f.reason for f in both.failures]
