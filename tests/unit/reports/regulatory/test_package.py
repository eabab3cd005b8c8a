"""Report packages on disk: prepare (pending), sign, file; refusals; the `twin reports` commands."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from components.eventstore.sqlite import write_log_file
from reports.regulatory.inputs import parse_venues, read_run_events
from reports.regulatory.package import (
    LOG,
    file_package,
    package_state,
    parse_period,
    prepare_package,
    sign_package,
)
from tests.unit.components.regulatory.test_cat import day
from tests.unit.components.regulatory.test_rule606 import quarter_log

AT = "2027-01-05T10:00:00Z"


@pytest.fixture()
def runs(tmp_path):
    """Two run folders (one per 'day'), written the way `twin run` writes its event log."""
    folders = []
    for name, builder in (("q", quarter_log()), ("d", day())):
        folder = tmp_path / name
        folder.mkdir()
        write_log_file(folder / "events.sqlite", builder.events)
        folders.append(folder)
    return folders


@pytest.fixture()
def pkg(runs, tmp_path):
    out = tmp_path / "pkg"
    summary = prepare_package(runs, "2026Q4", out, AT)
    assert summary["failed_checks"] == 0, json.loads((out / "checks.json").read_text())
    return out


def test_prepare_writes_a_pending_package_with_every_file(pkg):
    assert package_state(pkg) == "PENDING"
    for name in ("rule606.xml", "rule606.html", "cat.json", "cat.schema.json", "checks.json", "summary.json",
                 "manifest.json"):
        assert (pkg / name).is_file(), name
    manifest = json.loads((pkg / "manifest.json").read_text())
    assert set(manifest) >= {"rule606.xml", "cat.json"} and all(len(h) == 64 for h in manifest.values())
    summary = json.loads((pkg / "summary.json").read_text())
    assert summary["orders"] == len(quarter_log()._orders) + len(day()._orders)
    assert not summary["rule605"] and "Rule 605 left out" in summary["notes"][-1]  # no market timeline
    assert not (pkg / "rule605.csv").exists()


def test_unsigned_package_is_not_filed_and_signed_one_is(pkg):
    refused = file_package(pkg, "ops", AT)
    assert refused.reason == "NOT_SIGNED"
    signed = sign_package(pkg, "Jane Doe", AT)
    assert signed.actor == "Jane Doe"
    assert file_package(pkg, "ops", AT).kind.value == "PackageFiled"
    lines = [json.loads(x) for x in (pkg / LOG).read_text().splitlines()]
    assert [x["event"] for x in lines] == ["PackagePrepared", "PackageSigned", "PackageFiled"]
    assert lines[1]["manifest_sha256"] == lines[0]["manifest_sha256"]


def test_a_file_changed_after_signing_blocks_filing(pkg):
    sign_package(pkg, "Jane Doe", AT)
    (pkg / "rule606.html").write_text("edited")
    assert file_package(pkg, "ops", AT).reason == "CHANGED_AFTER_SIGNING"
    assert package_state(pkg) == "SIGNED"


def test_dropping_a_file_from_the_manifest_blocks_filing(pkg):
    sign_package(pkg, "Jane Doe", AT)
    manifest = json.loads((pkg / "manifest.json").read_text())
    manifest["extra.txt"] = "0" * 64  # the manifest now lists a file that is not there
    (pkg / "manifest.json").write_text(json.dumps(manifest))
    assert file_package(pkg, "ops", AT).reason == "CHANGED_AFTER_SIGNING"


def test_prepare_refuses_an_existing_package_and_a_bad_period(pkg, runs):
    with pytest.raises(ValueError, match="already there"):
        prepare_package(runs, "2026Q4", pkg, AT)
    with pytest.raises(ValueError, match="--period '2026-4'"):
        parse_period("2026-4")


def test_a_tampered_event_log_is_refused(runs):
    from tests.unit.components.eventstore import tamper

    db = runs[0] / "events.sqlite"
    # The store refuses UPDATE through triggers; an attacker with the file drops them first (tamper.change).
    assert tamper.decode(tamper.rows(db)[0][1]).quantity == 100
    tamper.change(db, 0, lambda data: tamper.edited(db, data, quantity=101))
    with pytest.raises(ValueError, match="hash chain broken at offset 0"):
        read_run_events(runs[0])


def test_venue_file_errors_name_the_row():
    with pytest.raises(ValueError, match="v line 2: mic 'xn' must be"):
        parse_venues("venue,name,mic,material_aspects\nXNAS,Nasdaq,xn,text\n", "v")
    with pytest.raises(ValueError, match="v line 1: header"):
        parse_venues("a,b\n", "v")


def test_cli_prepare_sign_file(runs, tmp_path, capsys):
    from twin.cli import main

    out = tmp_path / "cli-pkg"
    args = ["reports", "prepare", "--period", "2026Q4", "--out", str(out)]
    for r in runs:
        args += ["--run", str(r)]
    assert main(args) == 0
    assert main(["reports", "file", "--package", str(out)]) == 1
    assert "refused: NOT_SIGNED" in capsys.readouterr().err
    assert main(["reports", "sign", "--package", str(out), "--officer", "Jane Doe"]) == 0
    assert main(["reports", "file", "--package", str(out)]) == 0
    assert main(["reports", "prepare", "--run", str(tmp_path), "--period", "2026Q4", "--out",
                 str(tmp_path / "x")]) == 2
    assert "no events.sqlite" in capsys.readouterr().err


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=120))
def test_venue_file_parses_or_names_a_line(text):
    try:
        venues = parse_venues("venue,name,mic,material_aspects\n" + text, "v")
    except ValueError as exc:
        assert str(exc).startswith("v line ") and "\n" not in str(exc)
    else:
        assert all(len(v.mic) == 4 for v in venues.values())
