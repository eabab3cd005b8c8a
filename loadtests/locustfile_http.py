"""Locust users for the live order API (``twin serve``): advisors placing and reading orders.

    locust -f loadtests/locustfile_http.py --headless -u 20 -r 10 -t 60s \\
        --host http://127.0.0.1:8080 --advisors-file RUN/advisors.json --csv out/load --html out/load.html

``make load`` (``loadtests/run_load.py``) starts a server, writes the advisors file and runs this.

Each simulated user is one advisor with its own bearer token and accounts, read from
``--advisors-file`` (JSON: ``{"symbols": {"AAPL": "190.00"}, "advisors": [{"advisor_id",
"token", "accounts": [...]}, ...]}``); users take advisors in turn, so with more users
than advisors some advisors have two sessions. The mix (task weights out of 100):

    30 market order      20 passive limit order (rests; later canceled)
     8 cancel            17 order read       14 positions read
     4 block (2-3 of the advisor's accounts)  7 bad request (422, 401, 403, 404)

A response is a success when it is the one the API documents for that request: 201 for
a new order or block, 202 or 409 (already filled) for a cancel, 200 for reads, and for
the bad requests exactly the refusal expected (so a 201 to an invalid order is a failure).
Only loopback hosts are accepted. At the end the run is checked against the SLO
(``loadtests/slo_check.py``; ``--slo-file``, ``--slo-p99-ms``, ``--slo-max-error-rate``) and
locust's exit code says the verdict: 0 met, 1 breached.
"""

from __future__ import annotations

import itertools
import json
import random
import sys
import uuid
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from locust import HttpUser, between, events, task

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository, when run from elsewhere
from loadtests.loopback import NotLoopback, require_loopback  # noqa: E402
from loadtests.locust_slo import add_slo_options, check_slo_options, judge  # noqa: E402
from loadtests.slo_check import SloError  # noqa: E402

_CENT = Decimal("0.01")
PASSIVE_OFFSET = Decimal("0.98")
"""Passive limit buys sit 2% under the reference price: inside the 5% price collar, away from the offers."""


@dataclass(frozen=True, slots=True)
class Advisor:
    """One advisor the server knows: its token and the accounts it is entitled to."""

    advisor_id: str
    token: str
    accounts: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Deployment:
    """What the users may trade: the advisors (with secrets) and the symbols' reference prices."""

    advisors: tuple[Advisor, ...]
    reference_prices: dict[str, Decimal]


def read_advisors(path: str | Path) -> Deployment:
    """The advisors file ``run_load.py`` writes; a bad file is a one-line error naming it and the field."""
    path = Path(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        advisors = tuple(Advisor(a["advisor_id"], a["token"], tuple(a["accounts"])) for a in raw["advisors"])
        prices = {s: Decimal(p) for s, p in raw["symbols"].items()}
    except OSError as exc:
        raise ValueError(f"--advisors-file {path}: cannot read: {exc.strerror}") from None
    except (ValueError, KeyError, TypeError, ArithmeticError) as exc:
        raise ValueError(f"--advisors-file {path}: not an advisors file: {exc!r}") from None
    if not advisors or any(not a.accounts for a in advisors) or not prices:
        raise ValueError(f"--advisors-file {path}: needs advisors, each with accounts, and symbols")
    return Deployment(advisors, prices)


@events.init_command_line_parser.add_listener
def _options(parser) -> None:
    parser.add_argument("--advisors-file", env_var="LOAD_ADVISORS_FILE", default="",
                        help="JSON advisors file (tokens, accounts, symbols) written by loadtests/run_load.py")
    add_slo_options(parser)


_deployment: Deployment | None = None
_next_advisor = itertools.count()


@events.init.add_listener
def _check_setup(environment, **_kwargs) -> None:
    """Refuse a non-loopback host or an unusable advisors file before any user starts (exit status 2)."""
    global _deployment
    options = environment.parsed_options
    try:
        require_loopback(environment.host)
        if options is not None:
            check_slo_options(options)
            _deployment = read_advisors(options.advisors_file) if options.advisors_file else None
    except (NotLoopback, SloError, ValueError) as exc:
        print(f"refused: {exc}", file=sys.stderr)
        sys.exit(2)  # SystemExit passes through locust's event hooks; an Exception would only be logged
    if _deployment is None:
        print("refused: --advisors-file is required (loadtests/run_load.py writes one)", file=sys.stderr)
        sys.exit(2)


@events.quitting.add_listener
def _slo_verdict(environment, **_kwargs) -> None:
    """Set the exit code from the SLO: 0 met, 1 breached (expected refusals are not failures)."""
    judge(environment)


def _price(value: Decimal) -> str:
    return str(value.quantize(_CENT, rounding=ROUND_HALF_UP))


class AdvisorUser(HttpUser):
    """One advisor at a desk: a few seconds' think time would be realistic; the load test uses
    10-100 ms so a handful of users makes a measurable load."""

    wait_time = between(0.01, 0.1)

    def on_start(self) -> None:
        require_loopback(self.host)
        assert _deployment is not None  # _check_setup exits otherwise
        self.deployment = _deployment
        self.advisor = _deployment.advisors[next(_next_advisor) % len(_deployment.advisors)]
        self.client.headers["Authorization"] = f"Bearer {self.advisor.token}"
        self.orders: list[str] = []  # recent order ids, for reads
        self.resting: list[str] = []  # passive limit orders, for cancels

    # -- bodies ------------------------------------------------------------------------------
    def _order(self, order_type: str, side: str | None = None, limit_price: str | None = None) -> dict:
        symbol = random.choice(list(self.deployment.reference_prices))
        body = {"account_id": random.choice(self.advisor.accounts), "symbol": symbol,
                "side": side or random.choice(("BUY", "SELL")), "quantity": random.choice((10, 25, 50, 100)),
                "order_type": order_type, "time_in_force": "DAY", "advisor_id": self.advisor.advisor_id,
                "client_order_id": f"L-{uuid.uuid4().hex[:20]}"}
        if limit_price is not None:
            body["limit_price"] = limit_price
        return body

    def _expect(self, method: str, path: str, name: str, expected: tuple[int, ...], **kwargs):
        """One request; success iff its status is one of ``expected`` (so a correct 4xx can be one)."""
        with self.client.request(method, path, name=name, catch_response=True, **kwargs) as response:
            if response.status_code in expected:
                response.success()
            else:
                response.failure(f"{response.status_code} (expected {'/'.join(map(str, expected))}): "
                                 f"{response.text[:200]}")
            return response

    def _remember(self, response, into: list[str]) -> None:
        if response.status_code in (200, 201):
            into.append(response.json()["order_id"])
            del into[:-50]

    # -- the mix -----------------------------------------------------------------------------
    @task(30)
    def market_order(self) -> None:
        r = self._expect("POST", "/v1/orders", "POST /v1/orders MARKET", (201,), json=self._order("MARKET"))
        self._remember(r, self.orders)

    @task(20)
    def passive_limit_order(self) -> None:
        body = self._order("LIMIT", side="BUY")
        body["limit_price"] = _price(self.deployment.reference_prices[body["symbol"]] * PASSIVE_OFFSET)
        r = self._expect("POST", "/v1/orders", "POST /v1/orders LIMIT", (201,), json=body)
        self._remember(r, self.orders)
        self._remember(r, self.resting)

    @task(8)
    def cancel(self) -> None:
        if not self.resting:
            return self.passive_limit_order()
        order_id = self.resting.pop(random.randrange(len(self.resting)))
        # 409: the order had already ended (filled, or canceled by the session close): a correct answer
        self._expect("POST", f"/v1/orders/{order_id}/cancel", "POST /v1/orders/[id]/cancel", (202, 409))

    @task(17)
    def read_order(self) -> None:
        if not self.orders:
            return self.market_order()
        self._expect("GET", f"/v1/orders/{random.choice(self.orders)}", "GET /v1/orders/[id]", (200,))

    @task(14)
    def read_positions(self) -> None:
        account = random.choice(self.advisor.accounts)
        self._expect("GET", f"/v1/accounts/{account}/positions", "GET /v1/accounts/[id]/positions", (200,))

    @task(4)
    def block(self) -> None:
        accounts = random.sample(self.advisor.accounts, min(len(self.advisor.accounts), random.choice((2, 3))))
        body = {"block_ref": f"B-{uuid.uuid4().hex[:20]}", "advisor_id": self.advisor.advisor_id,
                "symbol": random.choice(list(self.deployment.reference_prices)), "side": "BUY",
                "policy": "pro_rata", "order_type": "MARKET", "time_in_force": "DAY",
                "members": [{"account_id": a, "quantity": random.choice((100, 200, 300))} for a in accounts]}
        self._expect("POST", "/v1/blocks", "POST /v1/blocks", (201,), json=body)

    @task(7)
    def bad_request(self) -> None:
        """What a buggy client sends; the server must refuse each with the documented status."""
        kind = random.randrange(4)
        if kind == 0:
            body = self._order("LIMIT")  # LIMIT without a limit_price
            self._expect("POST", "/v1/orders", "BAD POST /v1/orders (422)", (422,), json=body)
        elif kind == 1:
            self._expect("POST", "/v1/orders", "BAD POST /v1/orders unknown token (401)", (401,),
                         json=self._order("MARKET"), headers={"Authorization": "Bearer not-a-token"})
        elif kind == 2:
            other = [a for a in self.deployment.advisors if a.advisor_id != self.advisor.advisor_id]
            if not other:
                return
            body = {**self._order("MARKET"), "account_id": random.choice(other).accounts[0]}
            self._expect("POST", "/v1/orders", "BAD POST /v1/orders other's account (403)", (403,), json=body)
        else:
            self._expect("GET", f"/v1/orders/NO-SUCH-{uuid.uuid4().hex[:8]}", "BAD GET /v1/orders/[unknown] (404)",
                         (404,))
