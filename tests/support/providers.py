"""The providers configured against an in-process emulator, as the provider tests drive them, and what the tests
read back: the inputs a program registers, the API calls made, the lists and rules Cloudflare holds."""

from __future__ import annotations

from typing import Any, TypeVar

from pulumi.dynamic import Config, ConfigureRequest

from cfmtls_provider.emulator.server import EmulatorServer
from cfmtls_provider.resources._association_rule import default_rule_ref
from cfmtls_provider.resources._base import CloudflareProvider
from cfmtls_provider.resources._this_run import this_run
from cfmtls_provider.resources.hostname_association import HostnameAssociationProvider
from cfmtls_provider.resources.mtls_certificate import MTLSCertificateProvider
from tests.support.certs import CA, make_ca
from tests.support.zones import ACCOUNT, ZONE

__all__ = [
    "ACCOUNT",
    "PROJECT",
    "STACK",
    "ZONE",
    "add_entrypoint_by_hand",
    "api_calls",
    "association_inputs",
    "checked",
    "configured",
    "create_association",
    "create_ca",
    "entrypoint",
    "hostname_list",
    "next_run",
    "put_list_by_hand",
    "rules_of",
    "upload",
]

Provider = TypeVar("Provider", bound=CloudflareProvider)

PROJECT, STACK = "proj", "dev"


def configured(provider: Provider, emulator: EmulatorServer, **extra: str) -> Provider:
    """``provider`` configured as the engine does, for ``emulator``'s account; ``extra`` adds or overrides config."""
    config = {
        "cfmtls:apiToken": emulator.token,
        "cfmtls:baseUrl": emulator.base_url,
        "cfmtls:accountId": ACCOUNT,
        "cfmtls:deleteWaitSeconds": "3",  # more than the association lag the lifecycle tests give the emulator
        "cfmtls:maxRetries": "1",
        **extra,
    }
    provider.configure(ConfigureRequest(Config(config, PROJECT)))
    return provider


def next_run() -> None:
    """What a later ``pulumi up`` starts with: a new provider process, which knows nothing of this run."""
    this_run.reset()


def create_ca(provider: MTLSCertificateProvider, name: str = "corp-ca", **extra: Any) -> tuple[str, dict[str, Any]]:
    """Upload a fresh CA named ``name`` through ``provider`` (check, then create); its id and outputs."""
    outs = upload(provider, make_ca(name), name, **extra)
    return outs["certificate_id"], outs


def upload(provider: MTLSCertificateProvider, ca: CA, name: str = "corp-ca", **extra: Any) -> dict[str, Any]:
    """Upload ``ca`` as an ``MTLSCertificate`` named ``name`` (check, then create); its outputs."""
    result = provider.create(checked(provider, {}, {"certificates": ca.pem, "name": name, **extra}))
    assert result.outs is not None
    return dict(result.outs)


def association_inputs(
    ca: dict[str, Any], hostnames: list[str], *, name: str = "corp-hosts", zone: str = ZONE, **extra: Any
) -> dict[str, Any]:
    """What ``HostnameAssociation(name, zone_id=zone, certificate=<the CA of outputs ca>, hostnames=...)`` registers
    (before the check); ``extra`` adds or overrides inputs (``pin_issuer``, ``action``, ``adopt_existing``...)."""
    return {
        "zone_id": zone,
        "mtls_certificate_id": ca["certificate_id"],
        "hostnames": hostnames,
        "issuer_ski": ca["subject_key_identifier"],
        "certificate_revision": ca["revision"],
        "declared_by": name,
        "rule_ref": default_rule_ref(name, PROJECT, STACK),
        **extra,
    }


def checked(provider: CloudflareProvider, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
    """The inputs the check passes on, asserting it refuses nothing."""
    result = provider.check(olds, news)
    assert result.failures == [], [(failure.property, failure.reason) for failure in result.failures]
    return dict(result.inputs)


def create_association(
    provider: HostnameAssociationProvider, ca: dict[str, Any], hostnames: list[str], **extra: Any
) -> tuple[str, dict[str, Any]]:
    """Check, then create, an association of ``hostnames`` with the CA of outputs ``ca``; its id and outputs."""
    result = provider.create(checked(provider, {}, association_inputs(ca, hostnames, **extra)))
    assert result.outs is not None
    return result.id, dict(result.outs)


def _call_label(method: str, path: str) -> str:
    parts = path.strip("/").split("/")
    if "hostname_associations" in parts:
        return f"{method} list"
    if "mtls_certificates" in parts:
        return f"{method} ca"
    if parts[-1] == "zones":
        return f"{method} zones"
    if len(parts) == 2 and parts[0] == "zones":
        return f"{method} zone"
    if "rulesets" in parts:
        after = parts[parts.index("rulesets") + 1 :]
        if after[:1] == ["phases"] or (method in ("POST", "DELETE") and len(after) <= 1):
            return f"{method} entrypoint"
        return f"{method} rule"
    return f"{method} {path}"


def api_calls(emulator: EmulatorServer) -> list[str]:
    """The calls the emulator answered since its log was last cleared, as ``"PUT list"``, ``"PATCH rule"``,
    ``"POST entrypoint"``, ``"GET ca"``, ``"GET zones"``..., in order."""
    return [_call_label(entry["method"], entry["path"]) for entry in emulator.requests()]


def hostname_list(emulator: EmulatorServer, certificate_id: str, zone: str = ZONE) -> list[str]:
    """The hostnames Cloudflare associates with the CA in the zone (sorted; [] when none)."""
    return sorted(emulator.state()["associations"].get(zone, {}).get(certificate_id, []))


def entrypoint(emulator: EmulatorServer, zone: str = ZONE) -> dict[str, Any] | None:
    """The zone's custom rules entrypoint as the emulator holds it, or None."""
    found = [ruleset for ruleset in emulator.state()["rulesets"] if ruleset["zone_id"] == zone]
    assert len(found) <= 1, "a zone has one custom rules entrypoint"
    return found[0] if found else None


def rules_of(emulator: EmulatorServer, zone: str = ZONE) -> list[dict[str, Any]]:
    """The rules of the zone's custom rules entrypoint, in order ([] without an entrypoint)."""
    held = entrypoint(emulator, zone)
    return list(held["rules"]) if held else []


def put_list_by_hand(emulator: EmulatorServer, certificate_id: str, hostnames: list[str], zone: str = ZONE) -> None:
    """The (zone, CA) hostname list set outside any stack (a person in the dashboard, another tool)."""
    with emulator.client() as api:
        api.put(
            f"/zones/{zone}/certificate_authorities/hostname_associations",
            json={"hostnames": hostnames, "mtls_certificate_id": certificate_id},
        ).raise_for_status()


def add_entrypoint_by_hand(emulator: EmulatorServer, *rules: dict[str, Any], description: str = "") -> dict[str, Any]:
    """The zone's custom rules entrypoint made outside any stack, holding ``rules``; Cloudflare's answer."""
    body: dict[str, Any] = {"name": "default", "kind": "zone", "phase": "http_request_firewall_custom"}
    body.update(rules=list(rules), **({"description": description} if description else {}))
    with emulator.client() as api:
        answer = api.post(f"/zones/{ZONE}/rulesets", json=body)
        answer.raise_for_status()
    made: dict[str, Any] = answer.json()["result"]
    return made
