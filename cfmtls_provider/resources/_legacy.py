"""What is left of the resources of cfmtls-provider 0.1 that 0.2 folded into ``HostnameAssociation``: a sentence
for a program that still declares them, and the refresh and delete of the records a stack deployed by 0.1 holds.

The engine unpickles a record's provider from the state by its module path
(``cfmtls_provider.resources.client_certificate_rule.ClientCertificateRuleProvider``, ``...issuer_handover...``),
so those two modules stay, each a few lines pointing here. Upgrading is one ``pulumi up`` of the new program: the
``HostnameAssociation`` updates first (its own rule is added while the old one still stands, both requiring the same
CA's clients), and the engine deletes the records no longer declared at the end of the run.
"""

from __future__ import annotations

from typing import Any, NoReturn

import pulumi
from pulumi.dynamic import CheckResult, CreateResult, DiffResult, ReadResult, UpdateResult

from ._base import CloudflareProvider
from ._errors import ProviderError, api_call
from ._state import read_result, split_zone_scoped_id

__all__ = ["ClientCertificateRule", "ClientCertificateRuleProvider", "IssuerHandover", "IssuerHandoverProvider"]

UPGRADE = (
    "HostnameAssociation now keeps the WAF rule that requires its hostnames' client certificates and carries out "
    "every change, a CA rotation included, in the safe order: remove ClientCertificateRule and IssuerHandover (and "
    "the depends_on on the handover) from the program and give HostnameAssociation certificate=<your "
    "MTLSCertificate> (README, 'Upgrading from 0.1'). The next 'pulumi up' adds the association's rule before it "
    "deletes the old one, so no client is refused in between."
)


def _gone(kind: str) -> NoReturn:
    raise pulumi.RunError(f"{kind} was removed in cfmtls-provider 0.2. {UPGRADE}")


class _RecordsOf01(CloudflareProvider):
    """A record of 0.1: refreshed and deleted; never created or changed again."""

    kind = ""

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        return CheckResult(news, [])

    def diff(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> DiffResult:
        return DiffResult(changes=False, replaces=[], delete_before_replace=False)

    def create(self, _props: dict[str, Any]) -> CreateResult:
        raise ProviderError(f"{self.kind} was removed in cfmtls-provider 0.2. {UPGRADE}")

    def update(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> UpdateResult:
        raise ProviderError(f"{self.kind} was removed in cfmtls-provider 0.2. {UPGRADE}")


class ClientCertificateRuleProvider(_RecordsOf01):
    """A 0.1 ``ClientCertificateRule``: one rule, by id and ref, in the zone's custom rules entrypoint."""

    kind = "ClientCertificateRule"

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        """DELETE the rule (a rule already gone counts as deleted), and the entrypoint when 0.1 or 0.2 made it and
        it is now empty."""
        zone_id = props["zone_id"]
        client = self.client()
        with api_call(f"Deleting the client-certificate rule {props.get('rule_id')} in zone {zone_id}"):
            remaining = client.delete_rule(zone_id, props["ruleset_id"], props["rule_id"])
            if remaining is not None and not remaining.rules and remaining.created_by_us:
                client.delete_ruleset(zone_id, remaining.id)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """One GET of the entrypoint; the rule by id, else by ref. Writes nothing."""
        zone_id = props.get("zone_id") or split_zone_scoped_id(id_)[0]
        with api_call(f"Reading the custom rules of zone {zone_id}"):
            ruleset = self.client().get_custom_rules_entrypoint(zone_id)
        rule = None
        if ruleset is not None:
            rule = ruleset.rule_by_id(props.get("rule_id") or "") or ruleset.rule_by_ref(props.get("ref") or "")
        if ruleset is None or rule is None:
            return read_result(None, {})
        live = {"ruleset_id": ruleset.id, "rule_id": rule.id, "expression": rule.expression, "action": rule.action}
        return read_result(id_, {**props, **live})


class IssuerHandoverProvider(_RecordsOf01):
    """A 0.1 ``IssuerHandover``: nothing at Cloudflare was its own."""

    kind = "IssuerHandover"

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        """Nothing to delete."""

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        return read_result(id_, props)


class ClientCertificateRule:
    """Removed in 0.2: constructing one says how to upgrade (``HostnameAssociation`` keeps the rule now)."""

    def __init__(self, *_args: Any, **_kwargs: Any) -> None:
        _gone("ClientCertificateRule")


class IssuerHandover:
    """Removed in 0.2: constructing one says how to upgrade (``HostnameAssociation`` does the handover now)."""

    def __init__(self, *_args: Any, **_kwargs: Any) -> None:
        _gone("IssuerHandover")
