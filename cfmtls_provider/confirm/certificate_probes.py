"""The probes that write to the account and the scratch zone: a throwaway CA (valid two days) is uploaded, refused
uploads are tried beside it, its hostname list in the scratch zone is written, and it is deleted at the end, the
association lag measured on the way. Only hostnames of this run (``*-cfmtls-confirm-<tag>.<domain>``) are used."""

from __future__ import annotations

from typing import Any

from cryptography.hazmat.primitives import serialization

from ..emulator import assumptions as cf
from ..throwaway_ca import make_ca, make_client_certificate
from .read_only import certificate_formats
from .scratch import Scratch
from .verdict import Outcome, as_expected, confirmed_if, expect_error, not_checked
from .wire import ConfirmError, Reply

__all__ = ["certificate_probes"]


def certificate_probes(s: Scratch) -> list[Outcome]:
    name = f"cfmtls confirm-assumptions {s.tag}"
    ca_pem, ca_key = make_ca(name, days=2)
    upload = s.upload({"ca": True, "certificates": ca_pem, "name": name})
    if not upload.ok or not isinstance(upload.result, dict):
        raise ConfirmError(f"the throwaway CA could not be uploaded ({upload.said()}); nothing else was written.")
    ca_id = str(upload.result["id"])
    s.cas[ca_id] = f"the throwaway CA {name!r}"
    outcomes = certificate_formats(upload.result, "the throwaway CA's upload")
    outcomes += _refused_uploads(
        s,
        ca_id,
        ca_pem,
        ca_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode(),
    )
    outcomes += _leaf_upload(s, make_client_certificate(ca_pem, ca_key, f"{name} leaf")[0])
    return outcomes + _association_probes(s, ca_id)


def _refused_uploads(s: Scratch, ca_id: str, ca_pem: str, public_key_pem: str) -> list[Outcome]:
    other_pem, _ = make_ca(f"cfmtls confirm-assumptions {s.tag} (with a bad key)", days=2)
    duplicate = s.upload({"ca": True, "certificates": ca_pem})
    public_key = s.upload({"ca": True, "certificates": public_key_pem})
    bad_key = s.upload({"ca": True, "certificates": other_pem, "private_key": "not a private key"})
    mistyped = s.upload({"ca": True, "certificates": 42})
    malformed = s.upload(raw_body='{"ca": true, "certificates": ')
    patched = s.wire.send("PATCH", f"{s.certificates}/{ca_id}", body={"name": "renamed"})
    return [
        expect_error(
            "CERTIFICATE_ALREADY_EXISTS", "the throwaway CA uploaded again", duplicate, cf.CERTIFICATE_ALREADY_EXISTS
        ),
        expect_error(
            "CERTIFICATE_INVALID", "a public key uploaded as certificates", public_key, cf.CERTIFICATE_INVALID
        ),
        expect_error(
            "PRIVATE_KEY_INVALID", "a CA with private_key 'not a private key'", bad_key, cf.PRIVATE_KEY_INVALID
        ),
        expect_error(
            "UPLOAD_BODY_INVALID", "an upload whose certificates is the number 42", mistyped, cf.UPLOAD_BODY_INVALID
        ),
        expect_error("MALFORMED_JSON", "an upload whose body is cut-off JSON", malformed, cf.MALFORMED_JSON),
        expect_error(
            "METHOD_NOT_ALLOWED", "PATCH of the throwaway CA (no update endpoint)", patched, cf.METHOD_NOT_ALLOWED
        ),
    ]


def _leaf_upload(s: Scratch, leaf_pem: str) -> list[Outcome]:
    leaf = s.upload({"ca": False, "certificates": leaf_pem, "name": f"cfmtls confirm-assumptions {s.tag} leaf"})
    if leaf.ok and isinstance(leaf.result, dict):
        s.delete_when_free(str(leaf.result["id"]))
    evidence = f"a leaf certificate uploaded with ca: false and no private_key: {leaf.said()} (deleted at once)"
    return [confirmed_if("LEAF_UPLOADS_ACCEPTED", leaf.ok, evidence)]


def _hostnames(reply: Reply) -> Any:
    return reply.result.get("hostnames") if isinstance(reply.result, dict) else None


def _association_probes(s: Scratch, ca_id: str) -> list[Outcome]:
    first, second = s.hostname("b"), s.hostname("a")
    ordered = s.associate(ca_id, {"hostnames": [first, second]})
    read = s.hostnames_of(ca_id)
    doubled = s.associate(ca_id, {"hostnames": [first, first]})
    wildcard = s.associate(ca_id, {"hostnames": ["*." + s.hostname("w")]})
    outside = s.associate(ca_id, {"hostnames": [f"cfmtls-confirm-{s.tag}.example.invalid"]})
    as_string = s.associate(ca_id, {"hostnames": first})
    kept = _hostnames(ordered) == [first, second] and _hostnames(read) == [first, second]
    rules = kept and as_expected(doubled, cf.HOSTNAMES_INVALID) and wildcard.ok
    outcomes = [
        confirmed_if(
            "HOSTNAMES_INVALID",
            rules,
            f"[{first}, {second}] answered {_hostnames(ordered)} and read back {_hostnames(read)}; a duplicate: "
            f"{doubled.said()}; a *. wildcard: {wildcard.said()}",
        ),
        expect_error("HOSTNAME_OUTSIDE_ZONE", "a hostname of example.invalid", outside, cf.HOSTNAME_OUTSIDE_ZONE),
        expect_error("ASSOCIATION_BODY_INVALID", "hostnames sent as a string", as_string, cf.ASSOCIATION_BODY_INVALID),
    ]
    if not s.associate(ca_id, {"hostnames": [first]}).ok:
        raise ConfirmError(f"the throwaway CA's hostname {first} could not be associated; the run stops.")
    return outcomes + _usages_and_removal(s, ca_id, first)


def _usage(s: Scratch, ca_id: str) -> tuple[Reply, list[dict[str, Any]]]:
    reply = s.wire.send("GET", f"{s.certificates}/{ca_id}/associations")
    entries = (
        [entry for entry in reply.result or [] if isinstance(entry, dict)] if isinstance(reply.result, list) else []
    )
    return reply, entries


def _usages_and_removal(s: Scratch, ca_id: str, hostname: str) -> list[Outcome]:
    usages, entries = _usage(s, ca_id)
    ours = [entry for entry in entries if entry.get("service") == cf.USAGE_SERVICE]
    in_use = s.wire.send("DELETE", f"{s.certificates}/{ca_id}")
    outcomes = [
        confirmed_if("USAGE_SERVICE", bool(ours), f"the usages of the CA associated with {hostname}: {entries}"),
        confirmed_if(
            "USAGE_STATUS_ACTIVE",
            any(entry.get("status") == cf.USAGE_STATUS_ACTIVE for entry in ours),
            f"the usages of the CA associated with {hostname}: {entries or usages.said()}",
        ),
        expect_error(
            "CERTIFICATE_IN_USE", f"DELETE of the CA while {hostname} is associated", in_use, cf.CERTIFICATE_IN_USE
        ),
    ]
    if in_use.ok:
        s.cas.pop(ca_id, None)
        return [*outcomes, *(not_checked(name, "the CA was deleted while in use") for name in _AFTER_REMOVAL)]
    without = s.associate(ca_id, {})
    left = _hostnames(s.hostnames_of(ca_id))
    outcomes.append(
        confirmed_if(
            "MISSING_HOSTNAMES_MEANS_EMPTY",
            without.ok and left == [],
            f"PUT with mtls_certificate_id and no hostnames: {without.said()}; the list then reads {left}",
        )
    )
    s.associate(ca_id, {"hostnames": []})
    _, after = _usage(s, ca_id)
    first, last, seconds = s.delete_when_free(ca_id)
    lagged = not first.ok and (last.ok or last.status == 404)
    return [
        *outcomes,
        confirmed_if(
            "USAGE_STATUS_PENDING_REMOVAL",
            any(entry.get("status") == cf.USAGE_STATUS_PENDING_REMOVAL for entry in after),
            f"the usages right after the list was emptied: {after}",
        ),
        confirmed_if(
            "DEFAULT_ASSOCIATION_LAG_SECONDS",
            not first.ok,
            f"DELETE right after the list was emptied: {first.said()}; "
            + (f"deleted {seconds:.0f} s later" if lagged else f"still {last.said()} after {seconds:.0f} s")
            + f" (the emulator's default lag: {cf.DEFAULT_ASSOCIATION_LAG_SECONDS:g} s)",
        ),
    ]


_AFTER_REMOVAL = (
    "MISSING_HOSTNAMES_MEANS_EMPTY",
    "USAGE_STATUS_PENDING_REMOVAL",
    "DEFAULT_ASSOCIATION_LAG_SECONDS",
)
