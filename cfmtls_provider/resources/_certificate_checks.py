"""An ``MTLSCertificate``'s check and diff, one named step per question, without asking Cloudflare.

The check's steps each look at one input (or two that go together), return the failures they find in the order a
user reads them, and record in ``inputs`` what the preview should show; the diff's steps say what is replaced,
what changes in place, and what a change of name or key alone does (``on_rename``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi.dynamic import CheckFailure
from pulumi.output import UNKNOWN

from ..certificates import CertificateError, parse_ca_bundle, same_certificates
from ..settings import CLOUDFLARE_ID
from ._base import differs, has_unknown, is_unknown, require_id
from ._certificate_inputs import (
    LOCAL_FACTS,
    ON_RENAME,
    input_key_digest,
    issuing_ski,
    key_digest,
    local_facts,
    read_key_file,
    rename_refusal,
    same_upload_changes,
)
from ._errors import ProviderError

__all__ = [
    "account_problems",
    "changed_in_place",
    "key_problems",
    "name_problems",
    "pem_problems",
    "record_only",
    "rename_problems",
    "replaced_inputs",
    "with_preview_defaults",
]

#: The property a check failure names when the value at fault may hold key material (``certificates``,
#: ``private_key``): none. For a named property the engine prints "property <name> value <value> has a problem"
#: with the value the program registered (pkg/resource/deploy/step_generator.go, issueCheckFailures; secrets are
#: redacted, except with ``--show-secrets``, and a ``certificates`` value is not a secret unless the constructor
#: recognised a key in it). Unnamed, it prints "resource '<name>' has a problem: <reason>" and no value.
_UNNAMED = ""


# -- check ---------------------------------------------------------------------------------------------------------


def pem_problems(inputs: dict[str, Any]) -> list[CheckFailure]:
    """The PEM is a CA bundle accepted today; what it alone tells (SKI, fingerprint, expiry...) is shown at preview,
    unknown while the PEM is."""
    certificates = inputs.get("certificates")
    inputs.update(dict.fromkeys(LOCAL_FACTS, UNKNOWN))
    if has_unknown(certificates):
        return []
    try:
        inputs.update(local_facts(parse_ca_bundle(certificates if isinstance(certificates, str) else "")))
    except CertificateError as error:
        # Unnamed on purpose (see _UNNAMED); the message itself begins with "certificates:".
        return [CheckFailure(_UNNAMED, str(error))]
    return []


def account_problems(inputs: dict[str, Any], default_account: str) -> list[CheckFailure]:
    """An account id, given or from the settings (``default_account``), that looks like one."""
    if not inputs.get("account_id") and not has_unknown(inputs.get("account_id")):
        inputs["account_id"] = default_account
    if not inputs.get("account_id"):
        return [
            CheckFailure(
                "account_id",
                "account_id is required: pass account_id=..., or set "
                "'pulumi config set cfmtls:accountId <id>' or CLOUDFLARE_ACCOUNT_ID.",
            )
        ]
    failures: list[CheckFailure] = []
    require_id(inputs, "account_id", "Cloudflare account id", failures, pattern=CLOUDFLARE_ID)
    return failures


def name_problems(inputs: Mapping[str, Any]) -> list[CheckFailure]:
    name = inputs.get("name")
    if name is not None and not is_unknown(name) and not isinstance(name, str):
        return [CheckFailure("name", "name must be a string.")]
    return []


def key_problems(inputs: dict[str, Any]) -> list[CheckFailure]:
    """At most one of ``private_key`` and ``private_key_file``, each a PEM private key; the file is read here (only
    its digest is kept)."""
    failures: list[CheckFailure] = []
    key_file = inputs.get("private_key_file")
    inputs.pop("private_key_file_sha256", None)
    if key_file and not is_unknown(key_file):
        try:
            inputs["private_key_file_sha256"] = key_digest(read_key_file(key_file))
        except ValueError as error:
            failures.append(CheckFailure("private_key_file", str(error)))
        if inputs.get("private_key"):
            failures.append(CheckFailure("private_key_file", "pass private_key or private_key_file, not both."))
    key = inputs.get("private_key")
    if key and not is_unknown(key) and (not isinstance(key, str) or "PRIVATE KEY-----" not in key):
        failures.append(
            CheckFailure(
                _UNNAMED,
                "private_key must be a PEM private key ('-----BEGIN PRIVATE KEY-----'); "
                "a CA upload normally needs none: leave it out.",
            )
        )
    return failures


def rename_problems(olds: Mapping[str, Any], inputs: Mapping[str, Any]) -> list[CheckFailure]:
    """``on_rename`` is one of its values; with "refuse" (the default), a new name or key alone is refused."""
    on_rename = inputs.get("on_rename") or "refuse"
    if not is_unknown(on_rename) and on_rename not in ON_RENAME:
        return [CheckFailure("on_rename", f"on_rename {on_rename!r} is not one of {', '.join(ON_RENAME)}.")]
    if not olds or on_rename != "refuse":
        return []
    changed = same_upload_changes(olds, inputs, input_key_digest(olds))
    if not changed:
        return []
    named = _UNNAMED if "private_key" in changed else changed[0]
    return [CheckFailure(named, rename_refusal(changed, olds, inputs))]


def with_preview_defaults(inputs: dict[str, Any]) -> None:
    """A preview shows a replacement's new state as these inputs (a dynamic provider cannot preview a create): the
    state keys known here are given, so they read as unchanged rather than removed."""
    if inputs.get("adopt_existing") is None:
        inputs["adopt_existing"] = False
    inputs["on_rename"] = inputs.get("on_rename") or "refuse"
    if not is_unknown(inputs.get("private_key")) and not is_unknown(inputs.get("private_key_file")):
        inputs["private_key_sha256"] = input_key_digest(inputs)


# -- diff ----------------------------------------------------------------------------------------------------------


def record_only(olds: Mapping[str, Any], news: Mapping[str, Any], same_upload: list[str]) -> bool:
    """A new name or key alone (``same_upload``: same certificates, same account) that ``on_rename="record_only"``
    records in the stack only. With "refuse" it is refused here too: the net for values the check could not see."""
    on_rename = news.get("on_rename") or "refuse"
    if not same_upload or is_unknown(on_rename) or on_rename == "delete_first":
        return False
    if on_rename != "record_only":
        raise ProviderError(rename_refusal(same_upload, olds, news))
    return True


def replaced_inputs(olds: Mapping[str, Any], news: Mapping[str, Any]) -> list[str]:
    """What needs a new upload: the certificates (by content), the name, the account or the private key; a value
    not known yet counts as changed."""
    replaced = {
        "certificates": not _same_certificates(olds, news),
        "name": _text_may_differ(olds, news, "name"),
        "account_id": _text_may_differ(olds, news, "account_id"),
        "private_key": _key_may_differ(olds, news),
    }
    return [key for key, yes in replaced.items() if yes]


def _same_certificates(olds: Mapping[str, Any], news: Mapping[str, Any]) -> bool:
    old, new = olds.get("certificates"), news.get("certificates")
    return isinstance(old, str) and isinstance(new, str) and same_certificates(old, new)


def _text_may_differ(olds: Mapping[str, Any], news: Mapping[str, Any], key: str) -> bool:
    new = news.get(key)
    return is_unknown(new) or (olds.get(key) or "") != (new or "")


def _key_may_differ(olds: Mapping[str, Any], news: Mapping[str, Any]) -> bool:
    return is_unknown(news.get("private_key")) or (olds.get("private_key_sha256") or "") != input_key_digest(news)


def changed_in_place(olds: Mapping[str, Any], news: Mapping[str, Any], replaces: list[str]) -> bool:
    """``adopt_existing`` or ``on_rename`` changed; or, with no replacement, a record to correct: an older version's
    pin on the first certificate of a root-first bundle, or a record of 0.1 that gains its revision."""
    return (
        differs(bool(olds.get("adopt_existing")), news.get("adopt_existing") or False)
        or differs(olds.get("on_rename") or "refuse", news.get("on_rename") or "refuse")
        or (not replaces and _stale_pin(olds, news))
        or "revision" not in olds
    )


def _stale_pin(olds: Mapping[str, Any], news: Mapping[str, Any]) -> bool:
    """A stack made by an older version may pin the first certificate of a root-first bundle: corrected in place."""
    issuing, pinned = issuing_ski(news.get("certificates")), olds.get("subject_key_identifier") or ""
    return bool(issuing and pinned) and pinned != issuing
