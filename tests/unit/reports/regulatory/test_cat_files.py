"""CAT JSON files: validated against the derived schema; a rejection file round-trips to a repair."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from components.regulatory.cat import Rejection, cat_events, check_linkage, repair
from components.regulatory.orders import collect_orders
from reports.regulatory.cat_files import (
    cat_schema,
    read_cat_file,
    read_rejections,
    validate_cat,
    write_cat_file,
    write_rejections,
)
from tests.unit.components.regulatory.test_cat import day


@pytest.fixture()
def built():
    return cat_events(collect_orders(day().events).values(), "TWIN")


def test_records_validate_and_round_trip_through_the_file(built, tmp_path):
    records, _x = built
    assert validate_cat(records) == []
    path = write_cat_file(records, tmp_path / "cat.json")
    assert read_cat_file(path) == records
    assert "v4.0.0 r18" in cat_schema()["description"]


def test_a_record_missing_a_required_field_is_refused(built, tmp_path):
    records, _x = built
    broken = [dict(r) for r in records]
    route = next(r for r in broken if r["type"] == "MEOR")
    del route["routedOrderID"]
    errors = validate_cat(broken)
    assert errors and route["firmROEID"] in errors[0] and "routedOrderID" in errors[0]
    with pytest.raises(ValueError, match="cat.json: record"):
        write_cat_file(broken, tmp_path / "cat.json")


def test_a_new_record_may_not_carry_an_error_roe_id_and_a_repair_must(built):
    records, _x = built
    assert validate_cat([{**records[0], "errorROEID": 5}])
    assert validate_cat([{**records[0], "actionType": "RPR"}])
    assert validate_cat([{**records[0], "actionType": "RPR", "errorROEID": 5}]) == []


def test_rejection_file_round_trips_to_a_valid_repair(built, tmp_path):
    records, executions = built
    submitted = [dict(r) for r in records]
    dropped_new = next(r for r in submitted if r["type"] == "MENO" and r["orderID"] == "X1")
    submitted.remove(dropped_new)  # X1's New Order never went out: CAT rejects its route for linkage
    route = next(r for r in submitted if r["type"] == "MEOR" and r["orderID"] == "X1")
    assert check_linkage(submitted, executions)
    path = write_rejections("TWIN", [Rejection(route["firmROEID"], 123456, ("2506",))], tmp_path / "rej.json")
    rejections = read_rejections(path)
    assert rejections == [Rejection(route["firmROEID"], 123456, ("2506",))]
    (fix,) = repair(rejections, submitted, records)
    sent = [r["type"] for r in fix.records]
    assert sent == ["MENO", "MEOR"]  # the missing parent, then the repaired route
    assert fix.records[1]["actionType"] == "RPR" and fix.records[1]["errorROEID"] == 123456
    assert validate_cat(list(fix.records)) == []
    accepted = [r for r in submitted if r["firmROEID"] != route["firmROEID"]] + list(fix.records)
    assert check_linkage(accepted, executions) == []


@pytest.mark.parametrize("doc, message", [
    ("not json", "not JSON"),
    ('{"rows": []}', "'rejections' list"),
    ('{"rejections": [{"firmROEID": "a", "errorROEID": "7", "errorCode": []}]}', r"rejections\[0\]"),
])
def test_a_malformed_rejection_file_is_refused_in_one_line(tmp_path, doc, message):
    path = tmp_path / "rej.json"
    path.write_text(doc)
    with pytest.raises(ValueError, match=message) as exc:
        read_rejections(path)
    assert "\n" not in str(exc.value) and "rej.json" in str(exc.value)


def test_schema_is_valid_json_schema():
    import jsonschema

    jsonschema.Draft202012Validator.check_schema(cat_schema())
    assert json.dumps(cat_schema())


@settings(max_examples=60, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner,
                                                                                max_size=3), max_leaves=8))
def test_any_json_rejection_file_reads_or_is_refused_in_one_line(tmp_path_factory, doc):
    path = tmp_path_factory.mktemp("rej") / "r.json"
    path.write_text(json.dumps({"rejections": doc} if isinstance(doc, list) else doc))
    try:
        rejections = read_rejections(path)
    except ValueError as exc:
        assert str(exc).startswith("r.json: ") and "\n" not in str(exc)
    else:
        assert all(isinstance(r.error_roe_id, int) for r in rejections)
