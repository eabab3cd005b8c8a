"""606 XML: schema-valid on every write, read back equal, and the SEC's samples summed the same way."""

from __future__ import annotations

import dataclasses
import re
from decimal import Decimal as D

import pytest

from components.regulatory.orders import collect_orders
from components.regulatory.rule606 import OrderClass, compute_606, summarize
from reports.regulatory.rule606_xml import SEC606_DIR, read_606_xml, to_html, to_xml, validate_606_xml, write_606_xml
from tests.unit.components.regulatory.test_rule606 import VENUES, quarter_log

TS = "2027-01-05T12:00:00Z"
SAMPLE = SEC606_DIR / "606a1_held_order_public_report.xml"


@pytest.fixture(scope="module")
def report():
    orders = collect_orders(quarter_log().events)
    return compute_606([orders.values()], bd="Test BD", year=2026, quarter=4, sp500=frozenset({"AAPL"}),
                       venues=VENUES)


def test_written_xml_validates_and_reads_back_equal(report, tmp_path):
    path = write_606_xml(report, tmp_path / "r.xml", TS)
    assert validate_606_xml(path.read_bytes()) == []
    back = read_606_xml(path)
    assert back == report
    assert summarize(back) == summarize(report)


def test_an_invalid_report_is_refused_and_not_written(report, tmp_path):
    s = report.sections[0]
    bad_venue = dataclasses.replace(s.venues[0], name="x" * 81)  # the schema allows 80 characters
    bad = dataclasses.replace(report, sections=(dataclasses.replace(s, venues=(bad_venue,)), *report.sections[1:]))
    with pytest.raises(ValueError, match="r.xml: not valid against oh-20191231.xsd"):
        write_606_xml(bad, tmp_path / "r.xml", TS)
    assert not (tmp_path / "r.xml").exists()
    assert validate_606_xml(to_xml(bad, TS))


def test_sec_sample_read_and_summed_the_same_way():
    sample = read_606_xml(SAMPLE)
    assert (sample.bd, sample.year, sample.quarter, sample.months) == ("B. Roker", 2020, 1, (1, 2, 3))
    totals = {(t.month, t.section): t for t in summarize(sample)}
    assert len(totals) == 9  # three months x (S&P 500, other stocks, options)
    # Independently of the reader: the orderPct values of January's S&P 500 section, by regex.
    text = SAMPLE.read_text()
    jan_sp500 = text[text.index("<rSP500>"):text.index("</rSP500>")]
    by_hand = sum(D(x) for x in re.findall(r"<orderPct>([0-9.]+)</orderPct>", jan_sp500))
    assert totals[(1, "rSP500")].order_pct_sum == by_hand
    assert totals[(1, "rSP500")].venues == jan_sp500.count("<rVenue>")
    # The 2022 revision made the four order-type percentages add to 100.00 in every section.
    assert all(t.class_pct_sum == D("100.00") for t in totals.values())
    # Each venue row reports $1000 per order type: nine venues -> $9000.
    assert totals[(1, "rSP500")].net_usd[OrderClass.MARKET] == D("9000")


def test_empty_sample_has_no_sections():
    empty = read_606_xml(SEC606_DIR / "606a1_empty.xml")
    assert empty.months == (3,) and summarize(empty) == ()


def test_a_file_that_is_not_a_606_report_is_refused_with_its_name(tmp_path):
    bad = tmp_path / "bad.xml"
    bad.write_text("<heldOrderRoutingPublicReport><version>9</version></heldOrderRoutingPublicReport>")
    with pytest.raises(ValueError, match="bad.xml: not a valid 606"):
        read_606_xml(bad)


def test_html_shows_every_venue_and_the_material_aspects(report):
    page = to_html(report, ["note one"])
    assert "note one" in page and "about WHSL" in page and page.count("<h2>") == len(report.sections)
