"""Rule 606(a)(1) report files: the SEC's XML (written, validated, read back) and an HTML page.

``write_606_xml`` validates every document it writes against the SEC schema
(``data/sec606/oh-20191231.xsd``, copied with its provenance) and refuses to
write an invalid one. ``read_606_xml`` parses any heldOrderRoutingPublicReport,
ours or the SEC's samples, into the same ``Published606`` that
``components.regulatory.rule606.summarize`` adds up.
"""

from __future__ import annotations

import html
import xml.etree.ElementTree as ET
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

import xmlschema

from components.regulatory.rule606 import (
    OrderClass,
    Published606,
    PublishedSection,
    PublishedVenue,
)

DATA_DIR = Path(__file__).parent / "data"
SEC606_DIR = DATA_DIR / "sec606"
SCHEMA_PATH = SEC606_DIR / "oh-20191231.xsd"
SCHEMA_VERSION = "1.3"
_CLASS_TAG = {  # order type -> (section pct tag, venue pct tag, payment tag stem)
    OrderClass.MARKET: ("ndoMarketPct", "marketPct", "MarketOrders"),
    OrderClass.MARKETABLE_LIMIT: ("ndoMarketableLimitPct", "marketableLimitPct", "MarketableLimitOrders"),
    OrderClass.NON_MARKETABLE_LIMIT: ("ndoNonmarketableLimitPct", "nonMarketableLimitPct", "NonMarketableLimitOrders"),
    OrderClass.OTHER: ("ndoOtherPct", "otherPct", "OtherOrders"),
}
SECTION_TITLES = {"rSP500": "S&P 500 stocks", "rOtherStocks": "Other NMS stocks", "rOptions": "Options"}


@lru_cache(maxsize=1)
def schema() -> xmlschema.XMLSchema:
    """The SEC 606 schema (parsed once)."""
    return xmlschema.XMLSchema(str(SCHEMA_PATH))


def _fmt(value: Decimal | None) -> str:
    return "" if value is None else str(value)  # "" is the schema's NmType: not meaningful


def to_xml(report: Published606, timestamp: str) -> bytes:
    """The report as heldOrderRoutingPublicReport XML; ``timestamp`` is YYYY-MM-DDTHH:MM:SSZ."""
    root = ET.Element("heldOrderRoutingPublicReport")
    for tag, text in (("version", SCHEMA_VERSION), ("bd", report.bd), ("year", str(report.year)),
                      ("qtr", str(report.quarter)), ("timestamp", timestamp)):
        ET.SubElement(root, tag).text = text
    for month in report.months:
        monthly = ET.SubElement(root, "rMonthly")
        ET.SubElement(monthly, "year").text = str(report.year)
        ET.SubElement(monthly, "mon").text = str(month)
        for s in (s for s in report.sections if s.month == month):
            sec = ET.SubElement(monthly, s.section)
            ET.SubElement(sec, "ndoPct").text = _fmt(s.ndo_pct)
            for c in OrderClass:
                ET.SubElement(sec, _CLASS_TAG[c][0]).text = _fmt(s.class_pct[c])
            rvenues = ET.SubElement(sec, "rVenues")
            for v in s.venues:
                rv = ET.SubElement(rvenues, "rVenue")
                ET.SubElement(rv, "name").text = v.name
                ET.SubElement(rv, "mic").text = v.mic
                ET.SubElement(rv, "orderPct").text = _fmt(v.order_pct)
                for c in OrderClass:
                    ET.SubElement(rv, _CLASS_TAG[c][1]).text = _fmt(v.pct[c])
                for c in OrderClass:
                    stem = _CLASS_TAG[c][2]
                    ET.SubElement(rv, f"netPmtPaidRecv{stem}Usd").text = _fmt(v.net_usd[c])
                    ET.SubElement(rv, f"netPmtPaidRecv{stem}Cph").text = _fmt(v.net_cph[c])
                ET.SubElement(rv, "materialAspects").text = v.material_aspects
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def validate_606_xml(data: bytes) -> list[str]:
    """Schema errors of a 606 document, one line each (empty when valid)."""
    root = ET.fromstring(data)
    return [f"{e.path}: {e.reason}" for e in schema().iter_errors(root)]


def write_606_xml(report: Published606, path: Path, timestamp: str) -> Path:
    """Write the report's XML after validating it; ``ValueError`` with the first errors if invalid."""
    data = to_xml(report, timestamp)
    errors = validate_606_xml(data)
    if errors:
        raise ValueError(f"{path.name}: not valid against {SCHEMA_PATH.name}: " + "; ".join(errors[:3]))
    path.write_bytes(data)
    return path


def _dec(el: ET.Element | None, tag: str) -> Decimal | None:
    node = None if el is None else el.find(tag)
    text = "" if node is None or node.text is None else node.text.strip()
    return Decimal(text) if text else None


def read_606_xml(path: Path) -> Published606:
    """Parse a heldOrderRoutingPublicReport (validated first: ``ValueError`` naming the file if not)."""
    data = Path(path).read_bytes()
    errors = validate_606_xml(data)
    if errors:
        raise ValueError(f"{Path(path).name}: not a valid 606(a)(1) report: {errors[0]}")
    root = ET.fromstring(data)
    if root.tag != "heldOrderRoutingPublicReport":
        raise ValueError(f"{Path(path).name}: root is {root.tag}, not heldOrderRoutingPublicReport")
    sections, months = [], []
    for monthly in root.findall("rMonthly"):
        year, month = int(monthly.findtext("year")), int(monthly.findtext("mon"))
        months.append(month)
        for tag in ("rSP500", "rOtherStocks", "rOptions"):
            sec = monthly.find(tag)
            if sec is None:
                continue
            venues = []
            for rv in sec.find("rVenues").findall("rVenue"):
                venues.append(PublishedVenue(
                    (rv.findtext("name") or "").strip(), (rv.findtext("mic") or "").strip(),
                    _dec(rv, "orderPct"),
                    {c: _dec(rv, _CLASS_TAG[c][1]) for c in OrderClass},
                    {c: _dec(rv, f"netPmtPaidRecv{_CLASS_TAG[c][2]}Usd") for c in OrderClass},
                    {c: _dec(rv, f"netPmtPaidRecv{_CLASS_TAG[c][2]}Cph") for c in OrderClass},
                    (rv.findtext("materialAspects") or "").strip()))
            sections.append(PublishedSection(year, month, tag, _dec(sec, "ndoPct"),
                                             {c: _dec(sec, _CLASS_TAG[c][0]) for c in OrderClass},
                                             tuple(venues)))
    return Published606(root.findtext("bd") or "", int(root.findtext("year")), int(root.findtext("qtr")),
                        tuple(months), tuple(sections))


def to_html(report: Published606, notes: list[str]) -> str:
    """A self-contained HTML page of the report (one table per month and section)."""
    e = html.escape
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>Rule 606(a)(1) {report.year} Q{report.quarter}"
             "</title><style>body{font-family:sans-serif}table{border-collapse:collapse;margin:1em 0}"
             "td,th{border:1px solid #999;padding:2px 6px;text-align:right}</style></head><body>",
             f"<h1>{e(report.bd)}: held order routing public report, {report.year} Q{report.quarter}</h1>"]
    parts += [f"<p>{e(n)}</p>" for n in notes]
    for s in report.sections:
        parts.append(f"<h2>{report.year}-{s.month:02d}: {e(SECTION_TITLES.get(s.section, s.section))}</h2>"
                     "<table><tr><th>Non-directed %</th><th>Market %</th><th>Marketable limit %</th>"
                     "<th>Non-marketable limit %</th><th>Other %</th></tr><tr>"
                     + "".join(f"<td>{_fmt(x)}</td>" for x in (s.ndo_pct, *s.class_pct.values())) + "</tr></table>")
        head = "".join(f"<th>{c.value} %</th>" for c in OrderClass)
        pay = "".join(f"<th>Net {c.value} USD</th><th>Net {c.value} per 100 sh (cents)</th>" for c in OrderClass)
        parts.append(f"<table><tr><th>Venue</th><th>MIC</th><th>Orders %</th>{head}{pay}</tr>")
        for v in s.venues:
            cells = [_fmt(v.order_pct), *(_fmt(v.pct[c]) for c in OrderClass)]
            for c in OrderClass:
                cells += [_fmt(v.net_usd[c]), _fmt(v.net_cph[c])]
            parts.append(f"<tr><td>{e(v.name)}</td><td>{e(v.mic)}</td>" + "".join(f"<td>{x}</td>" for x in cells)
                         + "</tr>")
        parts.append("</table><h3>Material aspects</h3><ul>"
                     + "".join(f"<li><b>{e(v.name)}</b>: {e(v.material_aspects)}</li>" for v in s.venues) + "</ul>")
    parts.append("</body></html>")
    return "\n".join(parts)
