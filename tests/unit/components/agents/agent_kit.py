"""Builders for the agent tests: proposals by hand, a recording order port, an agent."""

from __future__ import annotations

from components.agents import AgentConfig, HardLimits, TradeExecutionAgent
from components.domain.money import to_units
from components.domain.orders import Side
from components.memory import SequentialIds
from components.portfolio.proposals import ProposalReason, ProposedTrade, RebalanceProposal

PRICES = {"AAPL": to_units("190.00"), "SPY": to_units("560.00"), "MSFT": to_units("415.00")}


def trade(account: str, symbol: str = "AAPL", qty: int = 100, side: Side = Side.BUY, price: int = 0) -> ProposedTrade:
    return ProposedTrade(account, symbol, side, qty, ProposalReason.DRIFT, f"{symbol} under target", est_price=price)


def proposal(*trades: ProposedTrade, pid: str = "PROP-1", advisor: str = "ADV-1", household: str = "HH-1",
             as_of: int = 0) -> RebalanceProposal:
    return RebalanceProposal(pid, household, advisor, as_of, tuple(trades), "drift back to the model")


class RecordingPort:
    """The order port as a list: every SubmitBlock sent, with the agent's state when it was sent."""

    def __init__(self) -> None:
        self.sent: list = []
        self.agent: TradeExecutionAgent | None = None
        self.fail = False

    def submit_block(self, command):
        if self.fail:
            raise ConnectionError("gateway down")
        self.sent.append((command, None if self.agent is None else self.agent.killed))
        return None


def limits(order: str = "100000", account: str = "150000", day: str = "400000") -> HardLimits:
    return HardLimits(to_units(order), to_units(account), to_units(day))


def agent(port: RecordingPort | None = None, timeout_ns: int = 1_000, **kw) -> tuple[TradeExecutionAgent, RecordingPort]:
    port = port or RecordingPort()
    a = TradeExecutionAgent(AgentConfig(kw.pop("lim", limits()), timeout_ns, **kw), port, SequentialIds(),
                            PRICES.__getitem__)
    port.agent = a
    return a, port
