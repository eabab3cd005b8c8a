"""`twin aml score`: an outside transaction file scored from the command line, bad input refused whole."""

from __future__ import annotations

import contextlib
import io
import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from twin.cli import main

FIXTURES = Path(__file__).parent / "fixtures" / "aml"
HEADER = "source,target,amount,timestamp,kind,country,device"


def good_rows() -> list[str]:
    rows = []
    for i in range(5):  # five mules pay one collector within hours: a fan-in
        rows.append(f"MULE{i},COLLECT,{4000 + 100 * i}.00,2026-05-29T{10 + i:02d}:00:00Z,INTERNAL,US,DV-{i}")
    for day in range(1, 4):  # ordinary traffic over a few days
        for j in range(8):
            rows.append(f"C{j},C{(j + 1) % 8},{120 + j}.50,2026-05-{28 + day:02d}T{8 + j:02d}:30:00Z,INTERNAL,US,DV-C{j}")
    rows.append("BR-001,C1,9400,1780200000000000000,DEPOSIT,,")
    return rows


def run(args: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main(args)
    return rc, out.getvalue(), err.getvalue()


def test_scores_a_file_and_reports_precision_recall_with_labels(tmp_path):
    tx = tmp_path / "tx.csv"
    tx.write_text("\n".join([HEADER, *good_rows()]) + "\n")
    accounts = tmp_path / "accounts.csv"
    accounts.write_text("account,label\nCOLLECT,fan_in\n" + "".join(f"MULE{i},1\n" for i in range(5)) + "C3,0\n")
    out = tmp_path / "out"
    rc, stdout, stderr = run(["aml", "score", str(tx), "--accounts", str(accounts), "--out", str(out)])
    assert rc == 0, stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["transfers"] == len(good_rows()) and summary["alerts"] >= 1
    labels = summary["labels"]
    assert labels["labelled_positive"] == 6 and labels["tp"] >= 1
    assert f"precision {labels['precision']:.3f}" in stdout
    alerts = json.loads((out / "alerts.json").read_text())
    assert any(a["account"] == "COLLECT" and a["findings"][0]["detector"] == "graph:fan_in" for a in alerts)
    assert (out / "scores.csv").read_text().startswith("account,score,rule,graph,anomaly")


def test_the_ibm_aml_layout_is_read_by_position_and_its_labels_used(tmp_path):
    out = tmp_path / "out"
    rc, stdout, stderr = run(["aml", "score", str(FIXTURES / "ibm_aml_sample.csv"), "--format", "ibm-aml",
                              "--out", str(out)])
    assert rc == 0, stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["skipped_self_transfers"] == 4  # a reinvestment pays the same account
    assert summary["labels"]["labelled_positive"] == 10  # 6 mules + collector + 3-account ring
    assert summary["labels"]["recall"] >= 0.8 and summary["labels"]["precision"] >= 0.8
    assert set(summary["alerts_by_typology"]) >= {"cycle", "fan_in"}
    alerts = json.loads((out / "alerts.json").read_text())
    assert any("044:9COLLECT" in a["accounts"] for a in alerts)


def test_ibm_layout_refuses_a_native_file(tmp_path):
    tx = tmp_path / "tx.csv"
    tx.write_text("\n".join([HEADER, *good_rows()]) + "\n")
    rc, _, stderr = run(["aml", "score", str(tx), "--format", "ibm-aml", "--out", str(tmp_path / "o")])
    assert rc == 2 and "not the ibm-aml header" in stderr and not (tmp_path / "o").exists()


def test_a_missing_column_and_a_bad_label_name_the_file_and_column(tmp_path):
    tx = tmp_path / "tx.csv"
    tx.write_text("source,target,timestamp\nA,B,2026-05-29T10:00:00Z\n")
    rc, _, stderr = run(["aml", "score", str(tx), "--out", str(tmp_path / "o")])
    assert rc == 2 and stderr.strip() == ("invalid: tx.csv line 1 column amount: required column missing "
                                          "(header has: source, target, timestamp)")
    good = tmp_path / "good.csv"
    good.write_text("\n".join([HEADER, *good_rows()]) + "\n")
    acc = tmp_path / "acc.csv"
    acc.write_text("account,label\nA,maybe\n")
    rc, _, stderr = run(["aml", "score", str(good), "--accounts", str(acc), "--out", str(tmp_path / "o")])
    assert rc == 2 and "acc.csv line 2 column label: 'maybe'" in stderr and not (tmp_path / "o").exists()


BAD_CELLS = {
    "amount": st.sampled_from(["", "abc", "-5", "0", "1e400", "12.345678", "NaN", "$100", "1,000"]),
    "timestamp": st.sampled_from(["", "yesterday", "2026-13-01T00:00:00", "29/05/2026", "12:00", "-1"]),
    "kind": st.sampled_from(["TRANSFER", "wire", "?"]),
    "source": st.just(""),
}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_bad_cell_is_one_line_naming_file_line_and_column_and_nothing_is_written(data):
    column = data.draw(st.sampled_from(sorted(BAD_CELLS)))
    bad = data.draw(BAD_CELLS[column])
    rows = good_rows()
    index = data.draw(st.integers(0, len(rows) - 1))
    cells = rows[index].split(",")
    cells[HEADER.split(",").index(column)] = '"' + bad.replace('"', '""') + '"'  # quoted: "1,000" is one cell
    rows[index] = ",".join(cells)
    with tempfile.TemporaryDirectory() as tmp:
        tx = Path(tmp) / "messy.csv"
        tx.write_text("\n".join([HEADER, *rows]) + "\n")
        out = Path(tmp) / "out"
        rc, stdout, stderr = run(["aml", "score", str(tx), "--out", str(out)])
        assert rc == 2
        lines = stderr.strip().splitlines()
        assert len(lines) == 1, stderr
        assert lines[0].startswith(f"invalid: messy.csv line {index + 2} column {column}:"), lines[0]
        assert not out.exists() and sorted(p.name for p in Path(tmp).iterdir()) == ["messy.csv"]


def test_an_existing_output_folder_is_replaced_whole(tmp_path):
    tx = tmp_path / "tx.csv"
    tx.write_text("\n".join([HEADER, *good_rows()]) + "\n")
    out = tmp_path / "out"
    out.mkdir()
    (out / "stale.txt").write_text("old run")
    rc, _, stderr = run(["aml", "score", str(tx), "--out", str(out)])
    assert rc == 0, stderr
    assert sorted(p.name for p in out.iterdir()) == ["alerts.json", "scores.csv", "summary.json"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "tx.csv"]  # no temporary folder left


def test_evaluate_writes_the_scores_and_the_precision_recall_plot(tmp_path):
    out = tmp_path / "eval"
    rc, stdout, stderr = run(["aml", "evaluate", "--seed", "5", "--model-seed", "6", "--clients", "150",
                              "--days", "3", "--episodes", "1", "--out", str(out)])
    assert rc == 0, stderr
    result = json.loads((out / "aml_eval.json").read_text())
    assert result["seed"] == 5 and result["model"]["seed"] == 6
    assert set(result["default"]["typologies"]) >= {"cycle", "structuring", "geo_device_shift"}
    assert (out / "aml_pr.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "structuring" in stdout and "SAR workflow" in stdout
    rc, _, stderr = run(["aml", "evaluate", "--seed", "5", "--model-seed", "5", "--out", str(out)])
    assert rc == 2 and "--model-seed must differ" in stderr


def test_evaluate_a_run_folder_uses_its_executed_transfers_and_labels(tmp_path):
    import pandas as pd

    from components.aml.transfers import Typology, TypologyLabel
    from tests.unit.components.aml.aml_kit import tr

    mules = [tr(i * 0.2, f"M{i}", "HUB", 4_000) for i in range(5)]
    ordinary = [tr(h, f"C{h % 7}", f"C{(h + 1) % 7}", 150) for h in range(1, 60)]
    blocked = tr(2, "HUB", "EXT-SDN", 9_000, tid="BLOCKED-1")
    rows = [{**t.to_record(), "executed": True, "status": "EXECUTED"} for t in mules + ordinary]
    rows.append({**blocked.to_record(), "executed": False, "status": "BLOCKED"})
    run_dir = tmp_path / "aml_day-25"
    run_dir.mkdir()
    pd.DataFrame(rows).to_parquet(run_dir / "transfers.parquet")
    label = TypologyLabel("ML-1", Typology.FAN_IN, ("HUB", *[f"M{i}" for i in range(5)]),
                          tuple(t.transfer_id for t in mules), mules[0].ts_ns, mules[-1].ts_ns)
    (run_dir / "aml_labels.json").write_text(json.dumps({"labels": [label.to_record()], "sanctioned_attempts": []}))
    rc, stdout, stderr = run(["aml", "evaluate", "--run", str(run_dir)])
    assert rc == 0, stderr
    result = json.loads((run_dir / "aml" / "aml_eval.json").read_text())
    assert result["transfers"] == len(mules) + len(ordinary)  # the blocked one never moved money
    assert result["default"]["typologies"]["fan_in"]["recall"] == 1.0
    assert "run aml_day-25" in stdout
    rc, _, stderr = run(["aml", "evaluate", "--run", str(tmp_path)])
    assert rc == 2 and "no transfers.parquet" in stderr
