"""``MTLSCertificate``: one CA certificate uploaded to an account for client-certificate validation.

Cloudflare has no update endpoint for it: any real change is a replacement. Certificates are compared
by DER content, so whitespace or line-ending edits change nothing.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypedDict

import pulumi
from pulumi.dynamic import CheckResult, CreateResult, DiffResult, ReadResult, UpdateResult
from pulumi.output import UNKNOWN

from .. import program_process
from ..certificates import CABundle, CertificateError, key_material, parse_ca_bundle
from ..cloudflare.errors import (
    APIStatusError,
    CertificateAlreadyExistsError,
    CertificateQuotaExceededError,
)
from ..cloudflare.models import MTLSCertificateRecord
from ._base import ADOPT_INSTEAD, CloudflareProvider, refuse_import, sdk_pickler_restored
from ._certificate_checks import (
    account_problems,
    changed_in_place,
    key_problems,
    name_problems,
    pem_problems,
    record_only,
    rename_problems,
    replaced_inputs,
    with_preview_defaults,
)
from ._certificate_inputs import (
    input_key_digest,
    issuing_ski,
    local_facts,
    ownership_tag,
    read_key_file,
    same_upload_changes,
    uploaded_name,
)
from ._certificate_refusals import already_uploaded_message, in_use_message, quota_message, refused_as_in_use
from ._errors import ProviderError, api_call
from ._state import read_result, unset_outputs
from ._this_run import this_run

if TYPE_CHECKING:
    from ..cloudflare.client import CloudflareClient

__all__ = ["MTLSCertificate", "MTLSCertificateArgs", "MTLSCertificateProvider", "MTLSCertificateState"]

#: How often a delete refused as in use is tried again.
POLL_INTERVAL_SECONDS = 2.0


#: Outputs the upload assigns (Cloudflare's id and time, and the revision made with it).
ASSIGNED_AT_UPLOAD = ("certificate_id", "uploaded_on", "revision")


class MTLSCertificateState(TypedDict):
    """What the stack records of an :class:`MTLSCertificate` (its declared outputs). The id is Cloudflare's
    certificate id itself (also ``certificate_id``)."""

    certificates: str
    name: str
    account_id: str
    adopt_existing: bool
    on_rename: str
    ownership_tag: str
    private_key_sha256: str
    certificate_id: str
    issuer: str
    serial_number: str
    signature: str
    expires_on: str
    uploaded_on: str
    fingerprint_sha256: str
    subject_key_identifier: str
    #: New at every create, a take-back of the same upload included: tells a HostnameAssociation given this
    #: resource to plan again (a rollback to the previous PEM takes back the same upload, with the same id).
    revision: str


def _outputs(
    props: Mapping[str, Any],
    record: MTLSCertificateRecord,
    *,
    key_digest: str,
    known: Mapping[str, Any],
    revision: str,
) -> MTLSCertificateState:
    """The state: ``props`` (inputs at create, the recorded state at read), Cloudflare's ``record``, and for what
    Cloudflare does not describe the ``known`` facts (from the PEM at create, as the preview showed them; the
    recorded ones at read)."""
    return {
        "certificates": props.get("certificates") or "",
        "name": props.get("name") or "",
        "account_id": props.get("account_id") or "",
        "adopt_existing": bool(props.get("adopt_existing")),
        "on_rename": props.get("on_rename") or "refuse",
        "ownership_tag": props.get("ownership_tag") or "",
        "private_key_sha256": key_digest,
        "certificate_id": record.id,
        "issuer": record.issuer or known.get("issuer") or "",
        "serial_number": record.serial_number or known.get("serial_number") or "",
        "signature": record.signature or known.get("signature") or "",
        "expires_on": record.expires_on or known.get("expires_on") or "",
        "uploaded_on": record.uploaded_on or known.get("uploaded_on") or "",
        "fingerprint_sha256": known.get("fingerprint_sha256") or "",
        "subject_key_identifier": known.get("subject_key_identifier") or "",
        "revision": revision,
    }


class MTLSCertificateProvider(CloudflareProvider):
    """Upload, adopt, read and delete one CA certificate.

    ``clock`` and ``sleep`` time the delete's waits (tests pass a fake clock, as they do to the client); they
    are not pickled: a provider unpickled by the engine waits in real time."""

    def __init__(
        self, *, clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        super().__init__()
        self._clock, self._sleep = clock, sleep

    def __setstate__(self, state: Mapping[str, Any]) -> None:
        super().__setstate__(state)
        self._clock, self._sleep = time.monotonic, time.sleep

    # -- preview ----------------------------------------------------------------------------------

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """Validate the inputs; compute what the PEM alone tells (SKI, fingerprint, expiry, issuer...) so
        that `pulumi preview` shows them, and a rule pinned to the SKI is planned exactly.

        No API call (``private_key_file`` is read locally, only its digest is kept): safe to run any number of
        times, and an interruption leaves nothing behind."""
        inputs = dict(news)
        failures = [
            *pem_problems(inputs),
            *account_problems(inputs, self.settings.account_id or ""),
            *name_problems(inputs),
            *key_problems(inputs),
            *rename_problems(olds, inputs),
        ]
        with_preview_defaults(inputs)
        return CheckResult(inputs, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """Replace on new certificates (by content) or account; a new name or key alone is refused, recorded in
        place or replaced delete-first, as ``on_rename`` says (the refusal is raised here for values the check
        could not see yet); in place for ``adopt_existing`` and ``on_rename``. No API call."""
        same_upload = same_upload_changes(olds, news, olds.get("private_key_sha256") or "")
        if record_only(olds, news, same_upload):
            self._remember(_id, replaces=False, delete_first=False)
            return DiffResult(changes=True, replaces=[], delete_before_replace=False)
        replaces = replaced_inputs(olds, news)
        # Same content under a new name or key with on_rename='delete_first' (the user's explicit choice):
        # Cloudflare refuses a second upload of the same certificate (1471), so the old one must go first.
        delete_first = bool(same_upload) and "certificates" not in replaces
        self._remember(
            _id, replaces=bool(replaces), delete_first=delete_first or bool(news.get("delete_before_replace"))
        )
        changes = bool(replaces) or changed_in_place(olds, news, replaces)
        return DiffResult(changes=changes, replaces=replaces, delete_before_replace=delete_first)

    @staticmethod
    def _remember(certificate_id: str, *, replaces: bool, delete_first: bool) -> None:
        """Tell the rest of the run what becomes of this upload: kept by the stack, or replaced (delete-first: its
        associations must go before it)."""
        if not replaces:
            this_run.keep_certificate(certificate_id)
        elif delete_first:
            this_run.delete_first(certificate_id)

    # -- lifecycle --------------------------------------------------------------------------------

    def create(self, props: dict[str, Any]) -> CreateResult:
        """Upload the CA (``POST .../mtls_certificates``), or with ``adopt_existing`` take over an upload of the
        same content (nothing is written then).

        Never makes a second upload of the certificate: after an ambiguous failure the client looks for the
        upload before sending again. A refusal (by Cloudflare, or an unreadable ``private_key_file``) uploads
        nothing. If this call fails otherwise, an upload may still exist that the stack does not record (the
        POST was applied and its answer lost, and the look-up failed too); a re-run takes that one over,
        recognised by content and by this resource's ownership tag in its name, when nothing uses it yet.
        Anyone else's upload of the same certificate is refused (Cloudflare's 1471), never taken silently."""
        bundle = parse_ca_bundle(props["certificates"])
        account_id = props["account_id"]
        client = self.client()
        record = None
        if props.get("adopt_existing"):
            record = self._find(client, account_id, props["certificates"])
            if record is not None:
                this_run.record_upload(record.id, "taken_back")
        if record is None:
            record = self._upload(client, props, bundle)
        outs = _outputs(
            props,
            record,
            key_digest=input_key_digest(props),
            known=local_facts(bundle),
            revision=secrets.token_hex(8),
        )
        return CreateResult(record.id, dict(outs))

    def _find(self, client: CloudflareClient, account_id: str, certificates: str) -> MTLSCertificateRecord | None:
        with api_call(f"Looking up the CA in account {account_id}"):
            return client.find_certificate_by_content(account_id, certificates)

    def _upload(self, client: CloudflareClient, props: Mapping[str, Any], bundle: CABundle) -> MTLSCertificateRecord:
        account_id = props["account_id"]
        try:
            private_key = props.get("private_key") or read_key_file(props.get("private_key_file"))
        except ValueError as error:
            raise ProviderError(f"{error} Nothing was uploaded.") from None
        with api_call(f"Uploading the CA certificate to account {account_id}"):
            try:
                record = client.upload_certificate(
                    account_id, bundle.pem, name=uploaded_name(props) or None, private_key=private_key or None
                )
            except CertificateAlreadyExistsError as error:
                existing = self._find(client, account_id, props["certificates"])
                if existing is not None and self._made_by_this_resource(existing, props):
                    this_run.record_upload(existing.id, "taken_back")
                    return existing
                raise ProviderError(already_uploaded_message(account_id, existing)) from error
            except CertificateQuotaExceededError as error:
                raise ProviderError(quota_message(client, account_id, error)) from error
        this_run.record_upload(record.id, "uploaded")
        return record

    @staticmethod
    def _made_by_this_resource(existing: MTLSCertificateRecord, props: Mapping[str, Any]) -> bool:
        """An upload with our content and our name carrying our ownership tag was made by this resource of this
        stack: a run killed after its POST but before Pulumi recorded it, or the upload a rollback returns to (the
        previous PEM's, still held by a record the engine has yet to delete). It is taken back, in use or not.
        Anyone else's upload (without the tag) is never taken over: that needs adopt_existing."""
        return bool(props.get("ownership_tag")) and existing.name == uploaded_name(props)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """No API call: adopt_existing and on_rename change in place; with on_rename='record_only' a new name
        or key is recorded in the stack only (Cloudflare's upload keeps its name and key). Cannot fail half-way;
        safe to run again."""
        outs = dict(olds)
        outs["adopt_existing"] = bool(news.get("adopt_existing"))
        outs["on_rename"] = news.get("on_rename") or "refuse"
        outs["subject_key_identifier"] = issuing_ski(news.get("certificates")) or outs.get("subject_key_identifier")
        outs["revision"] = olds.get("revision") or secrets.token_hex(8)
        if (news.get("on_rename") or "") == "record_only":
            outs["name"] = news.get("name") or ""
            outs["private_key_sha256"] = input_key_digest(news)
        return UpdateResult(outs)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """One GET: Cloudflare's description of the upload (see :func:`._state.read_result`); an upload gone
        from the account leaves the stack. Writes nothing: safe to interrupt and run again."""
        account_id = props.get("account_id") or self.settings.account_id or ""
        with api_call(f"Reading CA certificate {id_}"):
            record = self.client().get_certificate(account_id, id_)
        if record is None:
            return read_result(None, {})
        recorded = {**props, "account_id": account_id}
        outs = _outputs(
            recorded,
            record,
            key_digest=props.get("private_key_sha256") or "",
            known=props,
            revision=props.get("revision") or "",
        )
        return read_result(id_, outs, live_inputs=())

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        """Delete the upload, retrying while Cloudflare refuses it as still in use (removing hostname associations
        lags) until ``deleteWaitSeconds``; then report what is known. Nothing else is deleted.

        Never deletes an upload another record of the stack still holds: after a failed rotation the engine keeps
        the old record pending deletion, and a rollback to the old PEM takes that same upload back; the engine then
        deletes the old record at the end of the run, and only the record goes (the engine diffs or creates every
        record of the program before it runs deletions, so the run knows which uploads stay).

        If this call fails, the CA was not deleted (Pulumi keeps it in the stack), except after a DELETE whose
        answer was lost: it may have been applied. Re-running is safe either way: an upload already gone counts
        as deleted."""
        if this_run.certificate_is_live(id_):
            # Another record of the stack holds this very upload: this one is the old record of a replacement whose
            # create took the same upload back (a rollback to the previous PEM). Only the record goes.
            return
        account_id = props["account_id"]
        client = self.client()
        deadline = self._clock() + self.settings.delete_wait_seconds
        while True:
            with api_call(f"Deleting CA certificate {id_}"):
                try:
                    client.delete_certificate(account_id, id_)
                    return
                except APIStatusError as error:
                    if not refused_as_in_use(error):
                        raise
                    said = error.cloudflare_message
            if self._clock() >= deadline:
                raise ProviderError(in_use_message(client, props, id_, said, self.settings.delete_wait_seconds))
            self._sleep(min(POLL_INTERVAL_SECONDS, max(0.0, deadline - self._clock())))


@dataclass
class MTLSCertificateArgs:
    """Inputs of :class:`MTLSCertificate`."""

    #: The CA certificate (PEM), optionally followed by its chain; checked at preview (CA:TRUE, algorithms, expiry).
    certificates: pulumi.Input[str]
    #: A name for people; uploaded as ``<name> [cfmtls-<tag>]`` (the tag marks this resource's upload).
    name: pulumi.Input[str] | None = None
    #: The Cloudflare account (32 hex characters); default ``cfmtls:accountId`` / CLOUDFLARE_ACCOUNT_ID.
    account_id: pulumi.Input[str] | None = None
    #: A PEM private key to upload with the certificate (a CA upload needs none); kept secret.
    private_key: pulumi.Input[str] | None = None
    #: Take over an existing upload of the same certificate (matched by content) instead of uploading it.
    adopt_existing: pulumi.Input[bool] | None = None
    #: A change of name or private_key alone: "refuse" (default), "record_only" or "delete_first" (outage).
    on_rename: pulumi.Input[str] | None = None
    #: A path to the PEM private key, read by the provider process: unlike ``private_key``, its content never
    #: crosses the engine's gRPC (so never reaches PULUMI_DEBUG_GRPC logs) nor the state.
    private_key_file: pulumi.Input[str] | None = None


class MTLSCertificate(pulumi.dynamic.Resource, module="cfmtls", name="MTLSCertificate"):
    """A CA certificate uploaded for mTLS client-certificate validation (``POST .../mtls_certificates``).

    Its ``id`` is the Cloudflare certificate id. A change of ``certificates`` (by content) or ``account_id``
    replaces it: the new CA is uploaded before the old one is deleted, so no hostname is without a CA. A change
    of ``name`` or ``private_key`` alone cannot be made that way (Cloudflare refuses the same certificate twice):
    it is refused at preview unless ``on_rename`` says ``"record_only"`` (the stack only) or ``"delete_first"``
    (delete, then upload: the hostnames have no CA in between).

    Example Usage::

        ca = MTLSCertificate("corp-ca", certificates=read_pem_file("ca.pem"), name="corp-ca")
        HostnameAssociation("corp-hosts", zone_id=zone_id, certificate=ca, hostnames=["api.example.com"])
        pulumi.export("subjectKeyIdentifier", ca.subject_key_identifier)

    Arguments: as keywords, or ``args=MTLSCertificateArgs(...)``; each is documented on :class:`MTLSCertificateArgs`.
    """

    certificates: pulumi.Output[str]
    name: pulumi.Output[str]
    account_id: pulumi.Output[str]
    certificate_id: pulumi.Output[str]
    issuer: pulumi.Output[str]
    serial_number: pulumi.Output[str]
    signature: pulumi.Output[str]
    expires_on: pulumi.Output[str]
    uploaded_on: pulumi.Output[str]
    fingerprint_sha256: pulumi.Output[str]
    subject_key_identifier: pulumi.Output[str]
    adopt_existing: pulumi.Output[bool]
    on_rename: pulumi.Output[str]
    #: The tag in the uploaded name that marks the upload as this resource's (see ``name``).
    ownership_tag: pulumi.Output[str]
    #: SHA-256 of the private key uploaded, if any (the key itself is never stored).
    private_key_sha256: pulumi.Output[str]
    #: New at every create (see :class:`MTLSCertificateState`); a HostnameAssociation given this CA reads it.
    revision: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        args: MTLSCertificateArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
        *,
        certificates: pulumi.Input[str] | None = None,
        name: pulumi.Input[str] | None = None,
        account_id: pulumi.Input[str] | None = None,
        private_key: pulumi.Input[str] | None = None,
        adopt_existing: pulumi.Input[bool] | None = None,
        on_rename: pulumi.Input[str] | None = None,
        private_key_file: pulumi.Input[str] | None = None,
    ) -> None:
        program_process.install()  # once per process: the linear wait, the stack traces at the program's line
        refuse_import("MTLSCertificate", resource_name, opts, ADOPT_INSTEAD)
        if args is None:
            if certificates is None:
                raise TypeError("MTLSCertificate needs certificates= (the CA's PEM text)")
            args = MTLSCertificateArgs(
                certificates, name, account_id, private_key, adopt_existing, on_rename, private_key_file
            )
        secret_opts = pulumi.ResourceOptions(additional_secret_outputs=["private_key"])
        certificates_input = args.certificates
        if key_material(certificates_input):
            # A private key pasted by mistake (recognised by content): encrypted wherever Pulumi shows or stores it.
            certificates_input = pulumi.Output.secret(certificates_input)
        props: dict[str, Any] = {
            **unset_outputs(MTLSCertificateState),
            "certificates": certificates_input,
            "name": args.name,
            "account_id": args.account_id,
            "private_key": pulumi.Output.secret(args.private_key) if args.private_key is not None else None,
            "adopt_existing": args.adopt_existing,
            "on_rename": args.on_rename,
            "ownership_tag": ownership_tag(resource_name),
            "private_key_file": args.private_key_file,
            # The provider's diff cannot see resource options: a replacement of this CA that deletes first must
            # take its HostnameAssociations with it (they are deleted first, and made again after the upload).
            "delete_before_replace": bool(opts is not None and opts.delete_before_replace),
            # What only the upload gives, not known before it: a preview shows it as "[unknown]" rather than, for a
            # replacement, as removed. Only at preview: outside one the engine refuses unknown inputs.
            **(dict.fromkeys(ASSIGNED_AT_UPLOAD, UNKNOWN) if pulumi.runtime.is_dry_run() else {}),
        }
        # The SDK pickles the provider here (see _base.py) and records the stack trace (see program_process.py).
        with sdk_pickler_restored(), program_process.registering():
            super().__init__(
                MTLSCertificateProvider(),
                resource_name,
                props,
                pulumi.ResourceOptions.merge(secret_opts, opts),
            )
        pulumi.Output.from_input(args.certificates).apply(lambda pem: _warn_about(self, resource_name, pem))
        if opts is not None and opts.delete_before_replace:
            pulumi.log.warn(
                f"MTLSCertificate {resource_name!r} has delete_before_replace=True: if this run replaces it, the "
                "old CA and its hostname associations are deleted before the new CA is uploaded, and its hostnames "
                "have no CA (the associations' rules block every client) until then. Remove the option after "
                "this run."
            )


def _warn_about(resource: pulumi.Resource, resource_name: str, pem: Any) -> None:
    """Expiry warnings show in `pulumi preview`, listed under the MTLSCertificate (the check reports refusals).
    A dynamic provider's check can only refuse, not warn, so the program side does it."""
    if not isinstance(pem, str):
        return
    try:
        bundle = parse_ca_bundle(pem)
    except CertificateError:
        return
    for warning in bundle.warnings:
        pulumi.log.warn(f"MTLSCertificate {resource_name!r}: {warning}", resource=resource)
