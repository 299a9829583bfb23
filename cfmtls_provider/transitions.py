"""How one ``HostnameAssociation`` moves Cloudflare from what it holds to what the program declares, write by write,
so that at no moment a client is refused that both the start and the end admit, or admitted that both refuse
(pure: no I/O, no Pulumi).

An association's world in its zone is the hostname lists it may write (one per CA: the CA it declares, and any CA a
failed earlier run of it was moving to) and its own WAF custom rule. :func:`plan` turns a start :class:`Enforcement`
and an end :class:`Intent` into the writes to make, in this order (each skipped when it changes nothing):

1. *relax* the rule: stop requiring hostnames the end does not protect, accept the new CA's issuer as well as the
   old ones, and name the new CA in the rule's description (the journal a later run reads to resume);
2. *associate* the end's hostnames with the end's CA (one PUT replaces its whole list);
3. *dissociate* every other CA of the world (PUT ``[]``);
4. *require*: the rule protects exactly the end's hostnames, accepts only the end CA's issuer, with the end's action.

Expanding is "associate, then require" (2 before 4); contracting is "stop requiring, then dissociate" (1 before 2
and 3); a rotation is "accept both issuers, associate the new CA, empty the old list, pin the new issuer". Step 3
comes before step 4, so the plan is safe whichever associated CA Cloudflare verifies a client against (it documents
"the most recently deployed", https://developers.cloudflare.com/ssl/client-certificates/byo-ca/#multiple-cas-for-one-hostname;
the emulator can also model "any" of them): until the old list is emptied the rule accepts both issuers.

:func:`admits` is the model of the edge the plan is proven against (``tests/rules/test_transitions.py`` checks the
invariants of :func:`invariant_violations` over every prefix of every plan of small worlds); the end-to-end suite
asks real TLS clients after every API write and checks the same invariants.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from .hostnames import canonical, covers

__all__ = [
    "BLOCKING_ACTIONS",
    "DeleteRule",
    "Enforcement",
    "Intent",
    "Observation",
    "PutList",
    "RuleState",
    "VerifyPolicy",
    "Write",
    "WriteRule",
    "admits",
    "apply",
    "common_cover",
    "final_rule",
    "invariant_violations",
    "plan",
]

#: Rule actions that stop a request (a challenge stops a client that runs no JavaScript, as an API client).
BLOCKING_ACTIONS = frozenset({"block", "challenge", "js_challenge", "managed_challenge"})


@dataclass(frozen=True)
class RuleState:
    """What the association's own rule says: requests to ``hostnames`` (patterns, as an association's) need a
    verified client certificate whose issuer is one of ``issuers`` (None: any issuer), else ``action``.
    ``journal`` names the CAs whose lists this association has written (its description at Cloudflare)."""

    hostnames: frozenset[str]
    issuers: frozenset[str] | None
    action: str
    journal: tuple[str, ...]

    def requires(self, hostname: str) -> bool:
        return any(covers(pattern, hostname) for pattern in self.hostnames)


@dataclass(frozen=True)
class Enforcement:
    """What one association holds at Cloudflare in its zone: its lists (CA id -> hostnames) and its rule."""

    lists: Mapping[str, frozenset[str]]
    rule: RuleState | None

    def associated(self, hostname: str) -> list[str]:
        """The CAs whose list covers ``hostname``, in the order of ``lists``."""
        return [ca for ca, names in self.lists.items() if any(covers(pattern, hostname) for pattern in names)]


@dataclass(frozen=True)
class Intent:
    """What the program declares: ``hostnames`` accept clients of CA ``ca`` (issuer SKI ``issuer``; None: any
    certificate Cloudflare verifies) and no one else, ``action`` for everyone else."""

    ca: str
    hostnames: frozenset[str]
    issuer: str | None
    action: str = "block"


@dataclass(frozen=True)
class PutList:
    """``PUT .../hostname_associations``: the whole list of one (zone, CA) pair."""

    ca: str
    hostnames: frozenset[str]


@dataclass(frozen=True)
class WriteRule:
    """Create the rule, or PATCH it, to say ``rule``."""

    rule: RuleState


@dataclass(frozen=True)
class DeleteRule:
    """``DELETE`` the rule."""


Write = PutList | WriteRule | DeleteRule


def _covered_by(pattern: str, patterns: frozenset[str]) -> bool:
    """Whether every hostname ``pattern`` covers is covered by ``patterns`` (a wildcard only by itself)."""
    if pattern.startswith("*."):
        return pattern in patterns
    return any(covers(other, pattern) for other in patterns)


def common_cover(a: frozenset[str], b: frozenset[str]) -> frozenset[str]:
    """Patterns covering exactly the hostnames both ``a`` and ``b`` cover (``*.x.com`` and ``api.x.com``:
    ``api.x.com``)."""
    return frozenset(p for p in a if _covered_by(p, b)) | frozenset(p for p in b if _covered_by(p, a))


def _relaxed(rule: RuleState, intent: Intent) -> RuleState:
    issuers = None if rule.issuers is None or intent.issuer is None else rule.issuers | {intent.issuer}
    journal = rule.journal if intent.ca in rule.journal else (*rule.journal, intent.ca)
    hostnames = common_cover(rule.hostnames, intent.hostnames)
    action = rule.action if intent.action in BLOCKING_ACTIONS else intent.action  # the end stops nobody: now
    if not hostnames:
        # Nothing stays protected, but a rule needs a hostname to have an expression (and it must stay: its
        # description is the journal): it keeps its hostnames (or takes the end's) and stops nobody.
        hostnames, action = rule.hostnames or intent.hostnames, "log"
    return RuleState(hostnames, issuers, action, journal)


def final_rule(intent: Intent) -> RuleState:
    issuers = None if intent.issuer is None else frozenset({intent.issuer})
    return RuleState(intent.hostnames, issuers, intent.action, (intent.ca,))


def plan(start: Enforcement, intent: Intent | None) -> list[Write]:
    """The writes from ``start`` to ``intent`` (None: the association is deleted: stop requiring, then dissociate)."""
    if intent is None:
        writes: list[Write] = [DeleteRule()] if start.rule is not None else []
        return writes + [PutList(ca, frozenset()) for ca, names in start.lists.items() if names]
    writes = []
    rule = start.rule
    if rule is not None and _relaxed(rule, intent) != rule:
        rule = _relaxed(rule, intent)
        writes.append(WriteRule(rule))
    if start.lists.get(intent.ca, frozenset()) != intent.hostnames:
        writes.append(PutList(intent.ca, intent.hostnames))
    writes += [PutList(ca, frozenset()) for ca, names in start.lists.items() if ca != intent.ca and names]
    if rule != final_rule(intent):
        writes.append(WriteRule(final_rule(intent)))
    return writes


def apply(state: Enforcement, write: Write) -> Enforcement:
    """The state after ``write`` (what Cloudflare holds once it answered)."""
    if isinstance(write, PutList):
        lists = {ca: names for ca, names in state.lists.items() if ca != write.ca}
        if write.hostnames:
            lists[write.ca] = write.hostnames
        return Enforcement(lists, state.rule)
    if isinstance(write, WriteRule):
        return Enforcement(state.lists, write.rule)
    return Enforcement(state.lists, None)


# -- the model of the edge, and the invariants --------------------------------------------------------------

#: Which of a hostname's associated CAs a client certificate is verified against: the most recently deployed
#: (Cloudflare's documented rule), the first deployed, or any of them. A safe plan is safe under all three.
VerifyPolicy = Literal["newest", "oldest", "any"]

#: One request: a hostname (as a Host header) and the CA whose client presents a certificate (None: none).
Client = str | None


@dataclass(frozen=True)
class ClientCA:
    """A CA whose clients probe the edge: its id, its clients' issuer SKI, and when it was uploaded (an order)."""

    id: str
    ski: str
    uploaded: int


def admits(
    state: Enforcement, host: str, client: ClientCA | None, cas: Sequence[ClientCA], policy: VerifyPolicy
) -> bool:
    """Whether the edge lets a request to ``host`` through when ``state`` is all there is in the zone."""
    hostname = canonical(host)
    associated = [ca for ca in cas if ca.id in state.associated(hostname)]
    ordered = sorted(associated, key=lambda ca: ca.uploaded)
    if policy == "newest":
        ordered = ordered[-1:]
    elif policy == "oldest":
        ordered = ordered[:1]
    verified = client is not None and any(ca.id == client.id for ca in ordered)
    rule = state.rule
    if rule is None or rule.action not in BLOCKING_ACTIONS or not rule.requires(hostname):
        return True
    accepted = verified and client is not None and (rule.issuers is None or client.ski in rule.issuers)
    return accepted


@dataclass(frozen=True)
class Observation:
    """What the clients saw at one moment: (host, client CA id or None) -> admitted."""

    admitted: Mapping[tuple[str, Client], bool] = field(default_factory=dict)


def invariant_violations(
    timeline: Sequence[Observation], rotation: tuple[str, str] | None = None, hosts: Iterable[str] | None = None
) -> list[str]:
    """What breaks the ordering guarantees over ``timeline`` (the start, the moment after each write, the end):

    - what both the start and the end admit is admitted at every moment;
    - what both refuse is refused at every moment (above all a request without a certificate to a hostname
      protected at the start and at the end);
    - in a rotation ``(old CA, new CA)``, on a hostname where the start admits the old CA's clients and the end the
      new CA's, one of the two is admitted at every moment.

    One sentence per violation, naming the moment; empty when the timeline keeps every guarantee."""
    if len(timeline) < 2:
        return []
    start, end = timeline[0].admitted, timeline[-1].admitted
    problems = []
    for moment, seen in enumerate(timeline[1:-1], start=1):
        for key, admitted in seen.admitted.items():
            host, client = key
            who = f"a client of CA {client}" if client else "a client without a certificate"
            if start.get(key) and end.get(key) and not admitted:
                problems.append(f"after write {moment}: {who} was refused on {host}; the start and the end admit it")
            if start.get(key) is False and end.get(key) is False and admitted:
                problems.append(f"after write {moment}: {who} was admitted to {host}; the start and the end refuse it")
        if rotation is not None:
            old, new = rotation
            for host in sorted(hosts or {h for h, _ in start}):
                moved = start.get((host, old)) and end.get((host, new))
                if moved and not (seen.admitted.get((host, old)) or seen.admitted.get((host, new))):
                    problems.append(f"after write {moment}: neither CA {old}'s nor CA {new}'s clients got into {host}")
    return problems
