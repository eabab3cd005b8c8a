"""Locust users sending FIX 4.4 order flow over a QuickFIX initiator, timed to the venue's first answer.

    twin venue serve --venue XLOAD --port 9101 --liquidity --symbols AAPL &
    locust -f loadtests/locustfile_fix.py --headless -u 10 -r 10 -t 60s --host tcp://127.0.0.1:9101 \\
        --fix-venue XLOAD --csv out/fix --html out/fix.html

One FIX session per locust process (SenderCompID BD, TargetCompID ``--fix-venue``, as the
shipped acceptor template expects), shared by every user: a venue sees one broker
connection, as from the live gateway. Each user sends NewOrderSingles (60 market, 30
passive limit buys ``--fix-passive-price`` under the makers' quotes) and cancels of its
resting limits (10), and each request's response time is from the send to the first
ExecutionReport (or OrderCancelReject) for its ClOrdID, reported through locust's
``request`` event. A venue Reject (ExecType 8) or no answer within ``--fix-timeout`` s is
a failure; a cancel answered "too late" (the order had filled) is not. The messages are
the live gateway's own (``live.adapters.fix.messages``). Loopback only; the SLO check is
the HTTP locustfile's (``--slo-*``), applied at the end.

Why polling: QuickFIX calls back on its own native threads, where gevent's patched locks
must not be used; the callback only stamps the time and appends to a deque (atomic under
the GIL), and the waiting greenlet polls it every 0.5 ms. The stamp is taken in the
callback, so polling adds nothing to the measured time.
"""

from __future__ import annotations

import collections
import itertools
import shutil
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import gevent
from locust import User, between, events, task

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository, when run from elsewhere
import quickfix as fix  # noqa: E402

from components.domain.orders import OrderType, Side, TimeInForce  # noqa: E402
from components.domain.venues import ChildOrder  # noqa: E402
from components.fix import wire as w  # noqa: E402
from live.adapters.fix import messages as m  # noqa: E402
from live.adapters.fix.settings import write_initiator_settings  # noqa: E402
from loadtests.loopback import NotLoopback, require_loopback  # noqa: E402
from loadtests.locust_slo import add_slo_options, check_slo_options, judge  # noqa: E402
from loadtests.slo_check import SloError  # noqa: E402
from venues_sim.quickfix_io import to_message  # noqa: E402

SENDER = "BD"  # the shipped acceptor template's counterparty
POLL_S = 0.0005


@events.init_command_line_parser.add_listener
def _options(parser) -> None:
    parser.add_argument("--fix-venue", default="XLOAD", help="the venue's CompID (twin venue serve --venue)")
    parser.add_argument("--fix-symbol", default="AAPL", help="symbol to trade (one the venue serves)")
    parser.add_argument("--fix-passive-price", default="150.00", help="limit price of resting buys, dollars")
    parser.add_argument("--fix-timeout", type=float, default=10.0, help="seconds to wait for an answer")
    add_slo_options(parser)


class _Answers(fix.Application):
    """QuickFIX callbacks: stamp each answer and queue it; nothing else runs on QuickFIX's threads."""

    def __init__(self) -> None:
        super().__init__()
        self.answers: collections.deque = collections.deque()  # (ClOrdID, msg type, ExecType, ns)
        self.logged_on = False
        self.session: fix.SessionID | None = None

    def onCreate(self, sessionID):  # noqa: N802, N803 - QuickFIX names
        self.session = sessionID

    def onLogon(self, sessionID):  # noqa: N802, N803
        self.logged_on = True

    def onLogout(self, sessionID):  # noqa: N802, N803
        self.logged_on = False

    def toAdmin(self, message, sessionID):  # noqa: N802, N803
        pass

    def fromAdmin(self, message, sessionID):  # noqa: N802, N803
        pass

    def toApp(self, message, sessionID):  # noqa: N802, N803
        pass

    def fromApp(self, message, sessionID):  # noqa: N802, N803
        now = time.perf_counter_ns()
        try:
            msg_type = message.getHeader().getField(w.MSG_TYPE)
            cl = message.getField(w.CL_ORD_ID) if message.isSetField(w.CL_ORD_ID) else ""
            exec_type = message.getField(w.EXEC_TYPE) if message.isSetField(w.EXEC_TYPE) else ""
            self.answers.append((cl, msg_type, exec_type, now))
        except Exception:  # must not escape into QuickFIX
            pass


class _Session:
    """The one initiator of this process, started by the first user and stopped at the end."""

    def __init__(self, host: str, port: int, venue: str) -> None:
        self.run_dir = run_dir = Path(tempfile.mkdtemp(prefix="locust-fix-"))  # settings, store, FIX logs
        path = write_initiator_settings(run_dir, sender=SENDER, venues=[venue], sessions={venue: (host, port)})
        self.app = _Answers()
        settings = fix.SessionSettings(str(path))
        store, logs = fix.FileStoreFactory(settings), fix.FileLogFactory(settings)
        self.initiator = fix.SocketInitiator(self.app, store, settings, logs)
        self._keep = (settings, store, logs)  # the initiator holds raw C++ references to them
        self.initiator.start()
        self.first: dict[str, tuple[str, str, int]] = {}  # ClOrdID -> its first answer

    def wait_logon(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while not self.app.logged_on:
            if time.monotonic() > deadline:
                raise RuntimeError("FIX session did not log on")
            gevent.sleep(0.05)

    def send(self, msg_type: str, body) -> None:
        if not fix.Session.sendToTarget(to_message(msg_type, body), self.app.session):
            raise RuntimeError("not sent (session down)")

    def answer(self, cl_ord_id: str, timeout_s: float) -> tuple[str, str, int] | None:
        """The first answer for ``cl_ord_id``: (msg type, ExecType, perf_counter ns), or None on timeout."""
        deadline = time.monotonic() + timeout_s
        while cl_ord_id not in self.first:
            while self.app.answers:
                cl, msg_type, exec_type, ns = self.app.answers.popleft()
                self.first.setdefault(cl, (msg_type, exec_type, ns))
            if cl_ord_id in self.first or time.monotonic() > deadline:
                break
            gevent.sleep(POLL_S)
        return self.first.pop(cl_ord_id, None)


_session: _Session | None = None
_ids = itertools.count(1)


@events.init.add_listener
def _check_host(environment, **_kwargs) -> None:
    try:
        require_loopback(environment.host)
        if environment.parsed_options is not None:
            check_slo_options(environment.parsed_options)
    except (NotLoopback, SloError) as exc:
        print(f"refused: {exc}", file=sys.stderr)
        sys.exit(2)


@events.quitting.add_listener
def _stop_and_judge(environment, **_kwargs) -> None:
    if _session is not None:
        _session.initiator.stop()
        shutil.rmtree(_session.run_dir, ignore_errors=True)
    judge(environment)


class FixOrderUser(User):
    """A broker desk sending orders to one venue over the shared FIX session."""

    wait_time = between(0.01, 0.1)

    def on_start(self) -> None:
        global _session
        options = self.environment.parsed_options
        target = urlsplit(require_loopback(self.host))
        if _session is None:
            _session = _Session(target.hostname, target.port, options.fix_venue)
        _session.wait_logon(options.fix_timeout)
        self.options = options
        self.resting: list[ChildOrder] = []
        self.passive_units = w.money_units(options.fix_passive_price)

    def _child(self, order_type: OrderType) -> ChildOrder:
        cl = f"LF{next(_ids)}-{time.time_ns() % 10**9}"
        return ChildOrder(cl, cl, self.options.fix_venue, self.options.fix_symbol, Side.BUY, 100, order_type,
                          self.passive_units if order_type is OrderType.LIMIT else None, TimeInForce.DAY)

    def _request(self, name: str, cl_ord_id: str, outbound, ok) -> tuple[str, str] | None:
        """Send ``outbound``, wait for the answer to ``cl_ord_id``, report it; the answer if ``ok`` says so."""
        start = time.perf_counter_ns()
        error: Exception | None = None
        answer = None
        try:
            _session.send(*outbound)
            answer = _session.answer(cl_ord_id, self.options.fix_timeout)
            if answer is None:
                error = TimeoutError(f"no answer within {self.options.fix_timeout:g} s")
            elif not ok(answer[0], answer[1]):
                error = RuntimeError(f"answered 35={answer[0]} 150={answer[1]}")
        except RuntimeError as exc:
            error = exc
        end = answer[2] if answer else time.perf_counter_ns()
        self.environment.events.request.fire(request_type="FIX", name=name, response_time=(end - start) / 1e6,
                                             response_length=0, exception=error, context={})
        return None if error else answer[:2]

    @task(60)
    def market_order(self) -> None:
        child = self._child(OrderType.MARKET)
        self._request("NewOrderSingle MARKET", child.child_id, m.new_order_single(child, time.time_ns()),
                      lambda t, e: t == w.EXECUTION_REPORT and e != w.EXEC_REJECTED)

    @task(30)
    def passive_limit(self) -> None:
        child = self._child(OrderType.LIMIT)
        if self._request("NewOrderSingle LIMIT", child.child_id, m.new_order_single(child, time.time_ns()),
                         lambda t, e: t == w.EXECUTION_REPORT and e != w.EXEC_REJECTED):
            self.resting.append(child)

    @task(10)
    def cancel(self) -> None:
        if not self.resting:
            return self.passive_limit()
        child = self.resting.pop(0)
        cancel_id = f"{child.child_id}-C"
        # an OrderCancelReject (35=9) is a correct answer for an order that filled meanwhile
        self._request("OrderCancelRequest", cancel_id, m.order_cancel_request(cancel_id, child, time.time_ns()),
                      lambda t, e: t == w.ORDER_CANCEL_REJECT or (t == w.EXECUTION_REPORT and e == w.EXEC_CANCELED))
