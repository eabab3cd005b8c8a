"""Reference accounts and advisor entitlements."""

from __future__ import annotations

import pytest

from components.reference.accounts import Account, AccountDirectory


def _acct(account_id: str = "A1", advisor_id: str = "ADV1", **kw) -> Account:
    base = dict(client_id="C1", client_name="Jane Client", cash=1_000_000, credit_limit=0)
    base.update(kw)
    return Account(account_id=account_id, advisor_id=advisor_id, **base)


def test_account_position_lookup() -> None:
    a = _acct(positions=(("AAPL", 100), ("MSFT", -5)))
    assert a.position("AAPL") == 100
    assert a.position("MSFT") == -5
    assert a.position("IBM") == 0


def test_account_rejects_float_money_and_duplicate_symbols() -> None:
    with pytest.raises(TypeError, match="cash"):
        _acct(cash=1.5)
    with pytest.raises(ValueError, match="credit_limit"):
        _acct(credit_limit=-1)
    with pytest.raises(ValueError, match="AAPL"):
        _acct(positions=(("AAPL", 1), ("AAPL", 2)))


def test_directory_get_and_entitlement() -> None:
    d = AccountDirectory([_acct("A1", "ADV1"), _acct("A2", "ADV2")], grants=[("SUP", "A2")])
    assert d.get("A1").advisor_id == "ADV1"
    assert d.get("nope") is None
    assert d.entitled("ADV1", "A1")
    assert not d.entitled("ADV1", "A2")
    assert d.entitled("SUP", "A2")
    assert not d.entitled("SUP", "A1")
    assert not d.entitled("ADV1", "nope")
    assert [a.account_id for a in d] == ["A1", "A2"]
    assert "A1" in d and len(d) == 2


def test_directory_rejects_duplicate_ids() -> None:
    with pytest.raises(ValueError, match="A1"):
        AccountDirectory([_acct("A1"), _acct("A1")])
