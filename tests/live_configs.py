"""``live.toml`` fragments the live integration tests compose, so each test file
states only what it is about (its accounts, tokens, symbols) and the quiet
test market is written once."""

from __future__ import annotations

QUIET_MARKET = """
[[venues]]
name = "XNAS"
latency_ms = 0.2
[[venues]]
name = "BATS"
latency_ms = 0.3

[risk]
duplicate_window_s = 0.0
concentration_max_bps = 10000

[liquidity]
noise_traders = 0
requote_s = {requote_s}

[rate_limit]
rate_per_s = 100000.0
burst = 100000
unauthenticated_rate_per_s = 100000.0
unauthenticated_burst = 100000
"""
"""Two venues, risk that refuses nothing by accident, market makers only, no rate limit in the way."""

IN_PROCESS = """
[event_log]
kind = "memory"

[venue_link]
mode = "direct"
"""
"""No files and no FIX: an event log in memory and venues called in process."""


def quiet_market(requote_s: float = 0.5) -> str:
    return QUIET_MARKET.format(requote_s=requote_s)


def symbols(**reference_prices: str) -> str:
    """``[[symbols]]`` tables: ``symbols(AAPL="190.00")``."""
    return "".join(f'\n[[symbols]]\nsymbol = "{s}"\nreference_price = "{p}"\n' for s, p in reference_prices.items())


def account(account_id: str, client_id: str, advisor_id: str, cash: str = "5000000.00", extra: str = "") -> str:
    """One ``[[accounts]]`` table (``extra``: more ``key = value`` lines)."""
    return (f'\n[[accounts]]\naccount_id = "{account_id}"\nclient_id = "{client_id}"\n'
            f'advisor_id = "{advisor_id}"\ncash = "{cash}"\n' + (extra + "\n" if extra else ""))


def tokens(**token_of_advisor: str) -> str:
    """``[[tokens]]`` tables: ``tokens(ADV_1=...)``; underscores in the advisor id become hyphens."""
    return "".join(f'\n[[tokens]]\nadvisor_id = "{a.replace("_", "-")}"\ntoken = "{t}"\n'
                   for a, t in token_of_advisor.items())


REBATE_VENUES = """
[[venues]]
name = "XNAS"
maker_rebate = "0.0030"
[[venues]]
name = "BATS"
maker_rebate = "0.0020"
[risk]
duplicate_window_s = 0.0
concentration_max_bps = 10000
"""
"""Two venues where XNAS pays the better maker rebate (an order with no better price rests there)."""


def one_venue_market(account_id: str = "ACCT-1", cash: str = "1000000.00") -> str:
    """AAPL at 190.00 on XNAS alone, one account of ADV-1's, no market makers: the books
    hold only what a test puts there."""
    return ('\n[venue_link]\nliquidity = false\n' + symbols(AAPL="190.00") + '\n[[venues]]\nname = "XNAS"\n'
            + account(account_id, "CL-1", "ADV-1", cash=cash))


REMOTE_ARCX = """run_dir = "{run_dir}"
[event_log]
kind = "memory"
[venue_link]
mode = "fix"
sessions = [{{ venue = "ARCX", host = "127.0.0.1", port = {port} }}]
[[venues]]
name = "ARCX"
"""
"""One remote FIX venue, ARCX on loopback: a template for ``.format(run_dir=..., port=...)``."""
