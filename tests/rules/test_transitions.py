"""Every plan of small worlds keeps the ordering guarantees after every write, whichever associated CA Cloudflare
verifies a client against, and ends exactly where the program asked.

The world: three CAs, three hostname patterns (two names and a wildcard), an association's lists and rule. Starts:
nothing at all (a first create), every state a successful run leaves, and states a failed run leaves part-way
through another plan. Ends: every intent (CA, hostnames, pinned or not, block or log) and deletion. Probes: hostnames
covered and not, a name two labels under the wildcard, upper case with a trailing dot, the bare domain; clients of
each CA and a client without a certificate.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator, Sequence

import pytest

from cfmtls_provider.transitions import (
    ClientCA,
    Enforcement,
    Intent,
    Observation,
    PutList,
    RuleState,
    VerifyPolicy,
    Write,
    WriteRule,
    admits,
    apply,
    final_rule,
    invariant_violations,
    plan,
)

CAS = (ClientCA("A", "AA", 1), ClientCA("B", "BB", 2), ClientCA("C", "CC", 3))
PATTERNS = ("a.x.com", "b.x.com", "*.x.com")
PROBES = ("a.x.com", "b.x.com", "c.x.com", "d.e.x.com", "A.X.COM.", "x.com")
POLICIES: tuple[VerifyPolicy, ...] = ("newest", "oldest", "any")
NOTHING = Enforcement({}, None)


def _subsets(items: Sequence[str]) -> Iterator[frozenset[str]]:
    for size in range(1, len(items) + 1):
        yield from (frozenset(combo) for combo in itertools.combinations(items, size))


INTENTS = [
    Intent(ca.id, hostnames, ca.ski if pinned else None, action)
    for ca in CAS
    for hostnames in _subsets(PATTERNS)
    for pinned in (True, False)
    for action in ("block", "log")
]


def _settled(intent: Intent) -> Enforcement:
    """What a successful run for ``intent`` leaves."""
    return Enforcement({intent.ca: intent.hostnames}, final_rule(intent))


SETTLED = [NOTHING, *(_settled(intent) for intent in INTENTS)]


def _states(start: Enforcement, writes: Sequence[Write]) -> list[Enforcement]:
    states = [start]
    for write in writes:
        states.append(apply(states[-1], write))
    return states


_SEEN: dict[tuple[object, ...], Observation] = {}


def _observe(state: Enforcement, policy: VerifyPolicy) -> Observation:
    key = (tuple(sorted(state.lists.items())), state.rule, policy)
    if key not in _SEEN:  # the same states recur across plans: observe each once
        _SEEN[key] = Observation(
            {
                (host, client.id if client else None): admits(state, host, client, CAS, policy)
                for host in PROBES
                for client in (None, *CAS)
            }
        )
    return _SEEN[key]


def _violations(states: Sequence[Enforcement], new_ca: str | None) -> list[str]:
    found = []
    for policy in POLICIES:
        timeline = [_observe(state, policy) for state in states]
        found += invariant_violations(timeline)
        for old in CAS:
            if new_ca is not None and old.id != new_ca:
                found += invariant_violations(timeline, rotation=(old.id, new_ca), hosts=PROBES)
    return found


@pytest.mark.parametrize("intent", INTENTS, ids=str)
def test_every_plan_from_a_settled_state_keeps_the_guarantees_and_ends_where_asked(intent: Intent) -> None:
    for start in SETTLED:
        writes = plan(start, intent)
        states = _states(start, writes)
        assert states[-1] == _settled(intent), (start, intent, writes)
        assert not _violations(states, intent.ca), (start, intent, writes, _violations(states, intent.ca)[:3])


def test_a_settled_state_needs_no_write() -> None:
    assert all(plan(_settled(intent), intent) == [] for intent in INTENTS)


def test_deleting_stops_requiring_before_it_dissociates_and_leaves_nothing() -> None:
    for start in SETTLED:
        writes = plan(start, None)
        states = _states(start, writes)
        assert states[-1] == NOTHING
        assert not _violations(states, None), (start, writes)


def _part_way_states(count: int) -> list[Enforcement]:
    """States a run leaves when it fails after some writes of a plan between two settled states."""
    chooser = random.Random(20261207)
    found: list[Enforcement] = []
    while len(found) < count:
        start, intent = chooser.choice(SETTLED), chooser.choice(INTENTS)
        writes = plan(start, intent)
        if len(writes) > 1:
            found.append(_states(start, writes)[chooser.randrange(1, len(writes))])
    return found


def test_a_run_failed_part_way_is_resumed_safely_towards_any_intent() -> None:
    chooser = random.Random(7)
    for start in _part_way_states(150):
        for intent in chooser.sample(INTENTS, 12):
            writes = plan(start, intent)
            states = _states(start, writes)
            assert states[-1] == _settled(intent)
            assert not _violations(states, intent.ca), (start, intent, writes)


def test_a_rotation_accepts_both_issuers_then_moves_then_empties_the_old_list_then_pins_the_new() -> None:
    old, new = Intent("A", frozenset({"a.x.com"}), "AA"), Intent("B", frozenset({"a.x.com"}), "BB")
    writes = plan(_settled(old), new)
    assert [type(write).__name__ for write in writes] == ["WriteRule", "PutList", "PutList", "WriteRule"]
    widened, associate, empty, pin = writes
    assert isinstance(widened, WriteRule) and widened.rule.issuers == frozenset({"AA", "BB"})
    assert widened.rule.journal == ("A", "B")  # the journal names the new CA before its list is written
    assert associate == PutList("B", frozenset({"a.x.com"}))
    assert empty == PutList("A", frozenset())
    assert isinstance(pin, WriteRule) and pin.rule.issuers == frozenset({"BB"}) and pin.rule.journal == ("B",)


def test_adding_a_hostname_associates_before_requiring_and_removing_one_stops_requiring_first() -> None:
    one, two = (Intent("A", frozenset(names), "AA") for names in ({"a.x.com"}, {"a.x.com", "b.x.com"}))
    assert [type(write).__name__ for write in plan(_settled(one), two)] == ["PutList", "WriteRule"]
    assert [type(write).__name__ for write in plan(_settled(two), one)] == ["WriteRule", "PutList"]


def test_the_invariants_catch_the_orders_this_package_used_to_get_wrong() -> None:
    """The checker is not vacuous: the 0.1 orders fail it."""
    old, new = Intent("A", frozenset({"a.x.com"}), "AA"), Intent("B", frozenset({"a.x.com"}), "BB")
    start = _settled(old)
    # A rotation without the handover: the new CA associated while the rule still pins the old issuer.
    unwired: list[Write] = [PutList("B", frozenset({"a.x.com"})), WriteRule(final_rule(new)), PutList("A", frozenset())]
    assert _violations(_states(start, unwired), "B")
    # Removing a hostname by dissociating it before the rule stops requiring it.
    two = Intent("A", frozenset({"a.x.com", "b.x.com"}), "AA")
    dissociate_first: list[Write] = [PutList("A", frozenset({"a.x.com"})), WriteRule(final_rule(old))]
    assert _violations(_states(_settled(two), dissociate_first), "A")


def test_every_rule_a_plan_writes_protects_a_hostname_so_that_it_has_an_expression() -> None:
    """Cloudflare's rule needs an expression, and the expression needs a hostname: a relaxed rule that would protect
    nothing (every hostname replaced) keeps its hostnames and logs instead of blocking."""
    for start in [*SETTLED, *_part_way_states(100)]:
        for intent in INTENTS:
            for write in plan(start, intent):
                assert not isinstance(write, WriteRule) or write.rule.hostnames, (start, intent, write)
    relaxed, *_ = plan(_settled(Intent("A", frozenset({"a.x.com"}), "AA")), Intent("A", frozenset({"b.x.com"}), "AA"))
    assert relaxed == WriteRule(RuleState(frozenset({"a.x.com"}), frozenset({"AA"}), "log", ("A",)))
