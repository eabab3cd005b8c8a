"""One world, two descriptions: a scenario for the twin <-> a live config for the live stack.

The live config reuses the scenario's sections (symbols, venues, risk,
liquidity, population), so the mapping is field by field: the same symbols,
venues and fees, the same limits, and the same generated population (the
scenario's seed is the live config's ``population_seed``, so account ids,
cash and positions are identical). Explicit live ``accounts`` have no
scenario counterpart and are refused.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime

from components.config.live import EventLogConfig, LiveConfig, VenueLinkConfig
from components.config.session import NEW_YORK, Session
from scenarios.config import OrderFlow, Scenario


def live_config_for(scenario: Scenario, *, event_log: EventLogConfig = EventLogConfig(kind="memory"),
                    venue_link: VenueLinkConfig = VenueLinkConfig(liquidity=False), run_dir: str = "") -> LiveConfig:
    """The live config of ``scenario``'s world: by default an in-memory log and embedded FIX
    venues without market makers (books as a script builds them)."""
    return LiveConfig(
        symbols=scenario.symbols, venues=scenario.venues, risk=scenario.risk, liquidity=scenario.liquidity,
        routing=scenario.routing,
        settlement_days=scenario.session.settlement_days, population=scenario.population,
        population_seed=scenario.seed, event_log=event_log, venue_link=venue_link, run_dir=run_dir,
    )


class NoScenarioForConfig(ValueError):
    """The live config describes something a scenario cannot (explicit accounts)."""


def scenario_for(config: LiveConfig, trade_date: date | None = None, name: str = "diff-live") -> Scenario:
    """The scenario of a live config's world, trading on ``trade_date`` (a weekday; default
    the scenario default). No generated order flow: a script supplies it."""
    if config.accounts:
        raise NoScenarioForConfig("the live config lists accounts; the twin can only generate a population "
                                  "(use [population] and population_seed)")
    session = Session(settlement_days=config.settlement_days)
    if trade_date is not None and trade_date.weekday() < 5:
        session = dataclasses.replace(session, date=trade_date)
    return Scenario(
        name=name, seed=config.population_seed, session=session, symbols=config.symbols, venues=config.venues,
        population=config.population, order_flow=OrderFlow(orders=0), risk=config.risk, routing=config.routing,
        liquidity=dataclasses.replace(config.liquidity, noise_traders=0),
    )


def trade_date_of(ns: int) -> date:
    """The New York date of a UTC nanosecond time."""
    return datetime.fromtimestamp(ns // 1_000_000_000, NEW_YORK).date()
