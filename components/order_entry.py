"""Order entry: the ``POST /v1/orders`` request shape, validated field by field.

A request either becomes an ``OrderSpec`` or raises ``OrderRequestError``
listing every bad field with its problem, so an HTTP adapter can answer 422
naming the fields and the twin can record why a request was refused.
Idempotency lives in ``OrderEntry``: the same (account_id, client_order_id)
always returns the order created the first time.
"""

from __future__ import annotations

import re
from collections.abc import Mapping  # isinstance() against typing.Mapping is several times slower
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator

from .domain.fast_init import fast_frozen_init
from .domain.money import PRICE_SCALE
from .domain.orders import Order, OrderSpec, OrderType, Side, TimeInForce

REQUEST_FIELDS = (
    "account_id",
    "symbol",
    "side",
    "quantity",
    "order_type",
    "limit_price",
    "time_in_force",
    "advisor_id",
    "client_order_id",
)
REQUIRED_FIELDS = tuple(f for f in REQUEST_FIELDS if f != "limit_price")
_REQUEST_FIELD_SET = frozenset(REQUEST_FIELDS)
MAX_QUANTITY = 1_000_000
PRICE_PATTERN = r"^([1-9][0-9]{0,5}(\.[0-9]{1,2}0{0,2})?|0\.(0[1-9]|[1-9][0-9]?)0{0,2})$"
"""A limit price on the wire: a positive decimal string below 1,000,000 with at most 4 places on a
one-cent tick ("190.25", "0.05", "190.2500"); no sign, exponent, leading zero or bare point."""
_PRICE = re.compile(PRICE_PATTERN)
_DECIMAL_TEXT = re.compile(r"[0-9]+(\.[0-9]+)?")
_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str
    problem: str


class OrderRequestError(ValueError):
    """A request that cannot become an order; ``errors`` names each bad field."""

    def __init__(self, errors: Iterable[FieldError]):
        self.errors = tuple(errors)
        super().__init__("; ".join(f"{e.field}: {e.problem}" for e in self.errors))

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(e.field for e in self.errors)


class NotEntitled(PermissionError):
    """The advisor may not act on this account."""


class IdempotencyConflict(ValueError):
    """A client_order_id was reused with a different request body."""


# Account and advisor ids already found to match ``_ID_PATTERN``: the same few thousand come with
# every order, and a set hit is several times cheaper than the regex. Bounded: emptied when full.
_MATCHED_IDS: set[str] = set()
_MATCHED_IDS_MAX = 65_536


_JSON_TYPES = {type(None): "null", bool: "a boolean", int: "a number", float: "a number", str: "a string",
               list: "an array", tuple: "an array", dict: "an object"}


def json_type(value: Any) -> str:
    """What a client sent, in JSON's words ("null", "an array", ...), for errors an API client reads."""
    return _JSON_TYPES.get(type(value), "an object" if isinstance(value, Mapping) else type(value).__name__)


def _text(body: Mapping[str, Any], name: str, errors: list[FieldError], recurring: bool = False) -> str | None:
    """The id field ``name``; ``recurring``: a value seen on many requests (an account or an advisor),
    whose pattern match is remembered."""
    value = body.get(name)
    if recurring and type(value) is str and value in _MATCHED_IDS:
        return value
    if not isinstance(value, str):
        errors.append(FieldError(name, f"must be a string, got {json_type(value)}"))
        return None
    if not _ID_PATTERN.fullmatch(value):
        errors.append(FieldError(name, "must be 1-64 letters, digits or ._:- starting with a letter or digit"))
        return None
    if recurring and type(value) is str:  # a str subclass is not remembered: its hash may not be str's
        if len(_MATCHED_IDS) >= _MATCHED_IDS_MAX:
            _MATCHED_IDS.clear()
        _MATCHED_IDS.add(value)
    return value


# Each enum's members by value: a dict hit is ~10x cheaper than calling the
# Enum class, and it is the same look-up the Enum makes first. Anything not
# found there (wrong value, unhashable value) still goes through the class, so
# what is accepted and every error message stay exactly the Enum's.
_MEMBERS: dict[type, dict[Any, Any]] = {kind: {m.value: m for m in kind} for kind in (Side, OrderType, TimeInForce)}
_LIMIT = OrderType.LIMIT  # bound once: Enum class attribute access is slow on Python 3.11
_MARKET = OrderType.MARKET


def _enum(body: Mapping[str, Any], name: str, kind: type, errors: list[FieldError]):
    value = body.get(name)
    try:
        return _MEMBERS[kind][value]
    except (KeyError, TypeError):
        pass
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(m.value for m in kind)
        errors.append(FieldError(name, f"must be one of {allowed}, got {value!r}"))
        return None


def _quantity(body: Mapping[str, Any], errors: list[FieldError]) -> int | None:
    value = body.get("quantity")
    if type(value) is float and value.is_integer():
        value = int(value)  # JSON's 100.0 is the integer 100 (as JSON Schema's "integer" says)
    if isinstance(value, bool) or not isinstance(value, int):
        errors.append(FieldError("quantity", f"must be a whole number of shares, got {value!r}"))
        return None
    if value <= 0:
        errors.append(FieldError("quantity", f"must be positive, got {value}"))
        return None
    if value > MAX_QUANTITY:
        errors.append(FieldError("quantity", f"must be at most {MAX_QUANTITY}, got {value}"))
        return None
    return value


def parse_price(value: Any) -> int:
    """A price as the API writes it, a decimal string, to units on a cent tick.

    Accepted exactly when ``PRICE_PATTERN`` matches (the OpenAPI document
    publishes the same pattern): plain digits, at most 4 decimal places on a
    one-cent tick, positive, below $1,000,000; no sign, exponent, spaces or
    JSON number (a float never reaches the ledger). The error says which rule
    the value broke.
    """
    if not isinstance(value, str):
        raise ValueError(f"must be a decimal string like \"190.25\", got {value!r}")
    if _PRICE.fullmatch(value):
        whole, _, frac = value.partition(".")
        return int(whole) * PRICE_SCALE + int(frac.ljust(4, "0")) * (PRICE_SCALE // 10_000)
    if not _DECIMAL_TEXT.fullmatch(value):
        raise ValueError(f"must be a decimal string like \"190.25\" (digits, an optional point and at most "
                         f"4 places; no sign, exponent or spaces), got {value!r}")
    whole, _, frac = value.partition(".")
    if len(frac) > 4:
        raise ValueError(f"must have at most 4 decimal places, got {value!r}")
    if frac[2:].strip("0"):
        raise ValueError(f"must be on a one-cent tick, got {value!r}")
    if not (whole + frac).strip("0"):
        raise ValueError(f"must be a positive amount, got {value!r}")
    if len(whole.lstrip("0")) > 6:
        raise ValueError(f"must be below $1,000,000, got {value!r}")
    raise ValueError(f"must be written without leading zeros, got {value!r}")


def parse_order_request(body: Any, known_symbols: Callable[[str], bool]) -> OrderSpec:
    """Validate a request body; return the spec or raise OrderRequestError."""
    if not isinstance(body, Mapping):
        raise OrderRequestError([FieldError("body", f"must be a JSON object, got {json_type(body)}")])
    errors: list[FieldError] = []
    if not _REQUEST_FIELD_SET.issuperset(body):  # cheap test first: most bodies are clean
        for name in sorted(set(body) - _REQUEST_FIELD_SET, key=str):
            errors.append(FieldError(str(name), "unknown field"))
    for name in REQUIRED_FIELDS:
        if name not in body:
            errors.append(FieldError(name, "is required"))
    reported = {e.field for e in errors} if errors else ()  # not checked again below

    account_id = _text(body, "account_id", errors, True) if "account_id" not in reported else None
    advisor_id = _text(body, "advisor_id", errors, True) if "advisor_id" not in reported else None
    client_order_id = _text(body, "client_order_id", errors) if "client_order_id" not in reported else None
    symbol = None
    if "symbol" not in reported:
        raw = body["symbol"]
        if not isinstance(raw, str):
            errors.append(FieldError("symbol", f"must be a string, got {json_type(raw)}"))
        elif not known_symbols(raw):
            errors.append(FieldError("symbol", f"unknown symbol {raw!r}"))
        else:
            symbol = raw
    side = _enum(body, "side", Side, errors) if "side" not in reported else None
    order_type = _enum(body, "order_type", OrderType, errors) if "order_type" not in reported else None
    tif = _enum(body, "time_in_force", TimeInForce, errors) if "time_in_force" not in reported else None
    quantity = _quantity(body, errors) if "quantity" not in reported else None

    limit_price = None
    raw_price = body.get("limit_price")
    if order_type is _LIMIT and raw_price is None:
        errors.append(FieldError("limit_price", "is required for a LIMIT order"))
    elif order_type is _MARKET and raw_price is not None:
        errors.append(FieldError("limit_price", "must be absent for a MARKET order"))
    elif raw_price is not None:
        try:
            limit_price = parse_price(raw_price)
        except ValueError as exc:
            errors.append(FieldError("limit_price", str(exc)))
    if errors:
        raise OrderRequestError(errors)
    return OrderSpec(
        account_id=account_id,
        symbol=symbol,
        side=side,
        quantity=quantity,
        order_type=order_type,
        limit_price=limit_price,
        time_in_force=tif,
        advisor_id=advisor_id,
        client_order_id=client_order_id,
    )


@fast_frozen_init
@dataclass(frozen=True, slots=True)
class Accepted:
    """The outcome of a submission: the order, and whether it is a replay."""

    order: Order
    replayed: bool


class OrderEntry:
    """Validates, authorizes and de-duplicates submissions, then opens orders.

    ``open_order`` is the OMS's ``create`` (any callable taking the spec and the
    submit time, and ``details`` by keyword when there are any, returning an Order).
    """

    def __init__(
        self,
        known_symbols: Callable[[str], bool],
        entitled: Callable[[str, str], bool],
        open_order: Callable[..., Order],
    ):
        self._known_symbols = known_symbols
        self._entitled = entitled
        self._open_order = open_order
        # account -> client order id -> order: a dict per account rather than one keyed by
        # (account, client order id) pairs, so no key tuple is kept per order (~56 bytes each).
        self._by_account: dict[str, dict[str, Order]] = {}
        self.block_of: dict[tuple[str, str], str] = {}
        """(account, client order id) -> the block the order joined, for orders that joined one."""

    def remember(self, account_id: str, client_order_id: str, order: Order) -> None:
        """Hold ``order`` as the one ``(account_id, client_order_id)`` opened (``submit``, a rebuild's replay)."""
        orders = self._by_account.get(account_id)
        if orders is None:
            orders = self._by_account[account_id] = {}
        orders[client_order_id] = order

    def known(self) -> Iterator[tuple[tuple[str, str], Order]]:
        """Every ``((account, client order id), order)`` held, account by account, each in entry order."""
        for account_id, orders in self._by_account.items():
            for client_order_id, order in orders.items():
                yield (account_id, client_order_id), order

    def forget(self) -> None:
        """Hold no order (a rebuild's starting point)."""
        self._by_account = {}

    def lookup(self, account_id: str, client_order_id: str) -> Order | None:
        """The order a client knows by its client_order_id, if any."""
        orders = self._by_account.get(account_id)
        return None if orders is None else orders.get(client_order_id)

    def submit(self, body: Any, submitted_ns: int, details: Mapping[str, Any] | None = None) -> Accepted:
        """Open the order ``body`` asks for (``details`` recorded with it), or return the one a
        resubmission names; raises ``OrderRequestError``, ``NotEntitled``, ``IdempotencyConflict``."""
        spec = parse_order_request(body, self._known_symbols)
        if not self._entitled(spec.advisor_id, spec.account_id):
            raise NotEntitled(f"advisor {spec.advisor_id} is not entitled to account {spec.account_id}")
        known = self.lookup(spec.account_id, spec.client_order_id)
        block_ref = details.get("block_ref", "") if details else ""
        if known is not None:
            # A resubmission is the same request: the same order, in (or out of) the same block.
            if known.spec != spec or self.block_of.get((spec.account_id, spec.client_order_id), "") != block_ref:
                raise IdempotencyConflict(
                    f"client_order_id {spec.client_order_id} was already used for a different order"
                )
            return Accepted(known, replayed=True)
        order = self._open_order(spec, submitted_ns, details=details) if details else self._open_order(spec, submitted_ns)
        self.remember(spec.account_id, spec.client_order_id, order)
        if block_ref:
            self.block_of[(spec.account_id, spec.client_order_id)] = block_ref
        return Accepted(order, replayed=False)
