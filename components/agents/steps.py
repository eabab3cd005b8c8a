"""The agents' step log: every plan, tool call, observation and decision, hash-chained.

An agent never acts without writing down what it did first or right after: each step is one
``Step`` appended to a ``StepLog``. The log is append-only (no method removes or edits a step;
steps are frozen) and hash-chained with the event store's chain (``components.eventstore.chain``:
``hash = SHA-256(parent_hash + payload)``, the first parent ``GENESIS``), so a step changed,
dropped or reordered after the fact is found by ``verify`` or ``verify_records`` (a log read back
from ``agent_steps.jsonl``), which name the first offending step.

The payload is the step's canonical JSON (sorted keys, no spaces): its sequence number, time,
kind, name, plan and details. Times are business time passed in by the caller; the log has no clock.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import Enum
from typing import Any, Iterable, Mapping

from ..eventstore.chain import GENESIS, VerifyResult, link_hash, verify


class StepKind(str, Enum):
    """What a step records (the seed's agent audit vocabulary)."""

    PLAN = "plan"
    """The agent decided what it intends to do (a trade list, block orders)."""
    TOOL_CALL = "tool_call"
    """The agent called something outside itself (a price lookup, the order port)."""
    OBSERVATION = "observation"
    """Something the agent saw: a proposal, a tool's answer, an approval event arriving."""
    DECISION = "decision"
    """A gate's verdict: approved, rejected, expired, refused, cancelled, submitted, kill switch."""


def _frozen(value: Any, where: str) -> Any:
    """``value`` as immutable JSON-able data (tuples for lists, sorted pairs for mappings)."""
    if isinstance(value, Enum):  # before str: a str enum is kept as its plain value
        return value.value
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, (list, tuple)):
        return tuple(_frozen(v, where) for v in value)
    if isinstance(value, Mapping):
        return tuple(sorted((str(k), _frozen(v, where)) for k, v in value.items()))
    raise TypeError(f"Step.detail.{where}: must be JSON-able (str, int, bool, None, list, mapping), "
                    f"got {type(value).__name__}")


@dataclass(frozen=True, slots=True)
class Step:
    """One recorded step; ``hash`` chains it to the step before (``parent_hash``)."""

    seq: int
    at_ns: int
    kind: StepKind
    name: str
    """What happened, e.g. ``proposal_received``, ``assemble_blocks``, ``submit_block``, ``approved``."""
    plan_id: str
    """The plan the step belongs to; empty for steps about the agent itself (the kill switch)."""
    detail: tuple[tuple[str, Any], ...]
    """Sorted (key, value) pairs, values JSON-able and immutable (a mapping value is kept, and
    written, as sorted [key, value] pairs)."""
    parent_hash: str
    hash: str

    def get(self, key: str, default: Any = None) -> Any:
        """One detail value (lists come back as tuples)."""
        return dict(self.detail).get(key, default)

    def body(self) -> dict[str, Any]:
        """The hashed fields as JSON-able data (the payload is its canonical JSON)."""
        return {"seq": self.seq, "at_ns": self.at_ns, "kind": self.kind.value, "name": self.name,
                "plan_id": self.plan_id, "detail": {k: _json(v) for k, v in self.detail}}

    def payload(self) -> bytes:
        return canonical(self.body())

    def to_record(self) -> dict[str, Any]:
        """One line of ``agent_steps.jsonl``: the body plus ``parent_hash`` and ``hash``."""
        return {**self.body(), "parent_hash": self.parent_hash, "hash": self.hash}


def _json(value: Any) -> Any:
    return [_json(v) for v in value] if isinstance(value, tuple) else value


def canonical(body: Mapping[str, Any]) -> bytes:
    """Canonical JSON bytes: sorted keys, no whitespace, ASCII."""
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


class StepLog:
    """An append-only, hash-chained list of steps (see the module docstring)."""

    __slots__ = ("_steps",)

    def __init__(self) -> None:
        self._steps: list[Step] = []

    def append(self, at_ns: int, kind: StepKind, name: str, plan_id: str = "", **detail: Any) -> Step:
        """Record one step at ``at_ns`` (never earlier than the last step) and return it."""
        if type(at_ns) is not int or at_ns < 0:
            raise ValueError(f"Step.at_ns: must be an int >= 0, got {at_ns!r}")
        if self._steps and at_ns < self._steps[-1].at_ns:
            raise ValueError(f"Step.at_ns: {at_ns} is before the previous step's {self._steps[-1].at_ns}")
        if not isinstance(kind, StepKind):
            raise ValueError(f"Step.kind: must be a StepKind, got {kind!r}")
        if not isinstance(name, str) or not name:
            raise ValueError(f"Step.name: must be a non-empty str, got {name!r}")
        frozen = tuple(sorted((k, _frozen(v, k)) for k, v in detail.items()))
        parent = self.head
        step = Step(len(self._steps), at_ns, kind, name, plan_id, frozen, parent, "")
        step = Step(step.seq, at_ns, kind, name, plan_id, frozen, parent, link_hash(parent, step.payload()))
        self._steps.append(step)
        return step

    @property
    def head(self) -> str:
        """The last step's hash (``GENESIS`` when empty): keep it elsewhere to detect a cut tail."""
        return self._steps[-1].hash if self._steps else GENESIS

    @property
    def steps(self) -> tuple[Step, ...]:
        return tuple(self._steps)

    def __len__(self) -> int:
        return len(self._steps)

    def of_plan(self, plan_id: str) -> tuple[Step, ...]:
        return tuple(s for s in self._steps if s.plan_id == plan_id)

    def verify(self, expected_head: str | None = None) -> VerifyResult:
        """Walk the chain once; the first broken step's ``seq`` is the result's ``offset``."""
        return verify(((s.seq, s.payload(), s.parent_hash, s.hash) for s in self._steps), expected_head)

    def to_jsonl(self) -> str:
        """The log as JSON lines (``agent_steps.jsonl``)."""
        return "".join(json.dumps(s.to_record(), sort_keys=True, separators=(",", ":")) + "\n" for s in self._steps)


def verify_records(records: Iterable[Mapping[str, Any]], expected_head: str | None = None) -> VerifyResult:
    """Verify steps read back as records (``Step.to_record``, e.g. ``agent_steps.jsonl`` lines): the
    payload is recomputed from each record's fields, so an edited field breaks its hash."""
    def chain() -> Iterable[tuple[int, bytes, str, str]]:
        for i, r in enumerate(records):
            try:
                body = {k: r[k] for k in ("seq", "at_ns", "kind", "name", "plan_id", "detail")}
                yield r["seq"], canonical(body), r["parent_hash"], r["hash"]
            except (KeyError, TypeError):
                yield i, b"", "", ""  # a record missing a field cannot match any hash
    return verify(chain(), expected_head)
