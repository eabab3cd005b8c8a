"""CAT files: the JSON Schema derived from the spec, the submission file, and feedback files.

The schema is derived from *CAT Reporting Technical Specifications for Industry
Members* v4.0.0 r18 (``components.regulatory.cat.SPEC_VERSION``): for each event
type we produce, the fields we write, which are required there, and the
spec's data types (Timestamp as integer nanoseconds, Price a number, Whole
Quantity an integer, Choice fields as enumerations of the values we use).
It is a subset of the spec, not all of it: fields the twin cannot fill are
absent (docs/regulatory_reporting.md).

Submission file: a JSON array of records (the spec's JSON form is one record per
line; ``write_cat_file`` writes one record per line inside the array so both read it).

Feedback (rejection) file, in the shape of CAT's rejection feedback: a JSON object
``{"CATReporterIMID": ..., "rejections": [{"firmROEID": ..., "errorROEID": int,
"errorCode": [codes]}]}``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterable, Mapping

import jsonschema

from components.regulatory.cat import SPEC_VERSION, Rejection

_TS = {"type": "integer", "minimum": 0}
_QTY = {"type": "integer", "minimum": 0}
_PRICE = {"type": "number", "minimum": 0}
_BOOL = {"type": "boolean"}
_TEXT64 = {"type": "string", "minLength": 1, "maxLength": 64}
_SIDE = {"enum": ["B", "SL", "SS", "SX"]}
_KEY = {"type": "object", "required": ["orderKeyDate", "orderID", "side"],
        "properties": {"orderKeyDate": _TS, "orderID": _TEXT64, "side": _SIDE}, "additionalProperties": False}
COMMON = {"actionType": {"enum": ["NEW", "RPR", "COR", "DEL"]}, "errorROEID": {"type": "integer"},
          "firmROEID": _TEXT64, "type": {"enum": ["MENO", "MEOR", "MEOC", "MEOF", "MEPA"]},
          "CATReporterIMID": {"type": "string", "maxLength": 7}, "symbol": {"type": "string", "maxLength": 22},
          "eventTimestamp": _TS, "manualFlag": _BOOL}
ORDER = {"orderKeyDate": _TS, "orderID": _TEXT64, "side": _SIDE, "price": _PRICE, "quantity": _QTY,
         "orderType": {"enum": ["MKT", "LMT"]},
         "timeInForce": {"type": "object", "minProperties": 1, "maxProperties": 1,
                         "properties": {"DAY": {"type": "integer"}, "IOC": _BOOL}, "additionalProperties": False},
         "tradingSession": {"enum": ["PRE", "REG", "POST", "ALL"]}, "affiliateFlag": _BOOL}
BY_TYPE: dict[str, tuple[dict[str, Any], list[str]]] = {
    "MENO": ({**ORDER, "deptType": {"enum": ["A", "T", "O"]}, "custDspIntrFlag": _BOOL,
              "firmDesignatedID": {"type": "string", "minLength": 1, "maxLength": 40},
              "accountHolderType": {"enum": ["A", "E", "I", "O", "V", "P", "X"]},
              "representativeInd": {"enum": ["N", "YE", "YF", "OA"]},
              "aggregatedOrders": {"type": "array", "items": {
                  "type": "object", "required": ["orderKeyDate", "orderID"], "additionalProperties": False,
                  "properties": {"orderKeyDate": _TS, "orderID": _TEXT64, "quantity": _QTY}}}},
             ["orderKeyDate", "orderID", "deptType", "side", "quantity", "orderType", "timeInForce",
              "tradingSession", "custDspIntrFlag", "firmDesignatedID", "accountHolderType", "affiliateFlag",
              "representativeInd"]),
    "MEOR": ({**ORDER, "senderIMID": {"type": "string"}, "destination": {"type": "string", "minLength": 1},
              "destinationType": {"enum": ["F", "E", "P"]}, "routedOrderID": _TEXT64,
              "session": {"type": "string"}, "isoInd": {"enum": ["Y", "N", "NA"]}, "routeRejectedFlag": _BOOL},
             ["orderKeyDate", "orderID", "senderIMID", "destination", "destinationType", "routedOrderID",
              "side", "quantity", "orderType", "timeInForce", "tradingSession", "isoInd", "routeRejectedFlag"]),
    "MEOC": ({"orderKeyDate": _TS, "orderID": _TEXT64, "cancelQty": _QTY, "leavesQty": _QTY,
              "initiator": {"enum": ["C", "F"]}},
             ["orderKeyDate", "orderID", "cancelQty", "leavesQty", "initiator"]),
    "MEOF": ({"fillKeyDate": _TS, "fulfillmentID": _TEXT64, "fulfillmentLinkType": {"enum": ["Y", "YE", "YP", "N"]},
              "quantity": _QTY, "price": _PRICE, "capacity": {"enum": ["A", "P", "R"]},
              "clientDetails": _KEY, "firmDetails": _KEY},
             ["fillKeyDate", "fulfillmentID", "fulfillmentLinkType", "quantity", "price", "capacity",
              "clientDetails", "firmDetails"]),
    "MEPA": ({"allocationKeyDate": _TS, "allocationID": _TEXT64, "orderKeyDate": _TS, "orderID": _TEXT64,
              "side": _SIDE, "price": _PRICE, "quantity": _QTY,
              "firmDesignatedID": {"type": "string", "minLength": 1, "maxLength": 40},
              "tradeDate": {"type": "integer"}, "allocationType": {"enum": ["CUST", "PROP", "FIRM", "DVP"]},
              "institutionFlag": _BOOL},
             ["allocationKeyDate", "allocationID", "orderKeyDate", "orderID", "side", "price", "quantity",
              "firmDesignatedID", "tradeDate", "allocationType", "institutionFlag"]),
}


def cat_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of a CAT submission file as this project writes it."""
    variants = []
    for t, (props, required) in BY_TYPE.items():
        variants.append({"if": {"properties": {"type": {"const": t}}},
                         "then": {"properties": {**COMMON, **props}, "additionalProperties": False,
                                  "required": ["actionType", "firmROEID", "type", "CATReporterIMID", "symbol",
                                               "eventTimestamp", "manualFlag", *required]}})
    record = {"type": "object", "required": ["type"], "properties": {"type": COMMON["type"]},
              "allOf": variants,
              # A repair carries CAT's errorROEID; a new event must not.
              "if": {"properties": {"actionType": {"const": "RPR"}}},
              "then": {"required": ["errorROEID"]}, "else": {"not": {"required": ["errorROEID"]}}}
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": "CAT Industry Member order events (subset)", "description": f"Derived from {SPEC_VERSION}",
            "type": "array", "items": record}


def validate_cat(records: list[Mapping[str, Any]]) -> list[str]:
    """Schema errors, one line each naming the record (empty when valid)."""
    validator = jsonschema.Draft202012Validator(cat_schema())
    out = []
    for err in sorted(validator.iter_errors(list(records)), key=lambda e: list(e.absolute_path)):
        path = list(err.absolute_path)
        ref = records[path[0]].get("firmROEID", "?") if path and isinstance(path[0], int) else "?"
        out.append(f"record {ref} {'/'.join(map(str, path[1:]))}: {err.message}")
    return out


def write_cat_file(records: list[Mapping[str, Any]], path: Path) -> Path:
    """Validate then write; ``ValueError`` with the first errors when a record does not conform."""
    errors = validate_cat(records)
    if errors:
        raise ValueError(f"{Path(path).name}: " + "; ".join(errors[:3]))
    body = ",\n".join(json.dumps(r, sort_keys=True, separators=(",", ":")) for r in records)
    Path(path).write_text(f"[\n{body}\n]\n", encoding="utf-8")
    return Path(path)


def read_cat_file(path: Path) -> list[dict[str, Any]]:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def read_rejections(path: Path) -> list[Rejection]:
    """Parse a rejection feedback file; a malformed entry raises ``ValueError`` naming its index."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{Path(path).name}: not JSON: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("rejections"), list):
        raise ValueError(f"{Path(path).name}: expected an object with a 'rejections' list")
    out = []
    for i, r in enumerate(doc["rejections"]):
        if not isinstance(r, dict) or not isinstance(r.get("firmROEID"), str) \
                or type(r.get("errorROEID")) is not int or not isinstance(r.get("errorCode"), list):
            raise ValueError(f"{Path(path).name}: rejections[{i}]: needs firmROEID (text), errorROEID (integer), "
                             "errorCode (list)")
        out.append(Rejection(r["firmROEID"], r["errorROEID"], tuple(str(c) for c in r["errorCode"])))
    return out


def write_rejections(reporter: str, rejections: Iterable[Rejection], path: Path) -> Path:
    doc = {"CATReporterIMID": reporter,
           "rejections": [{"firmROEID": r.firm_roe_id, "errorROEID": r.error_roe_id, "errorCode": list(r.error_codes)}
                          for r in rejections]}
    Path(path).write_text(json.dumps(doc, indent=1), encoding="utf-8")
    return Path(path)
