"""``twin.cli_replay.replay_scenario``: ``--scenario S.yaml`` lends its venues, fees, risk and accounts, and
its own ``replay`` section is replaced by the day given, so that section's files need not exist."""

from __future__ import annotations

from twin.cli_replay import replay_scenario


def test_the_scenarios_own_replay_files_need_not_exist(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("name: x\nreplay: {quotes: old/q.parquet, trades: old/t.parquet}\n")
    scenario = replay_scenario(tmp_path / "day" / "quotes.parquet", tmp_path / "day" / "trades.parquet", str(path))
    assert scenario.replay.quotes == str(tmp_path / "day" / "quotes.parquet") and scenario.order_flow.orders == 0
