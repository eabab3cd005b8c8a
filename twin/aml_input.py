"""Reading an outside transaction file for ``twin aml score``: the documented columns, or the IBM AML layout.

Native layout (a header row; names case-insensitive, order free):

=================  ========  ===================================================================
column             required  meaning
=================  ========  ===================================================================
source             yes       the paying party (account id)
target             yes       the receiving party (account id, or an outside party)
amount             yes       decimal dollars, > 0, at most 4 decimals (``1250.50``)
timestamp          yes       ISO-8601 (``2026-05-29T14:03:00Z``; no zone means UTC) or epoch ns
transfer_id        no        unique id (default ``ROW-<line>``)
kind               no        DEPOSIT, WITHDRAWAL, INTERNAL (default), EXTERNAL
country            no        ISO 3166 alpha-2 of where it was instructed from
device             no        device id it was instructed from
=================  ========  ===================================================================

``--format ibm-aml``: the layout of the IBM "Transactions for Anti Money
Laundering" synthetic data sets (``Timestamp,From Bank,Account,To Bank,
Account,Amount Received,Receiving Currency,Amount Paid,Payment Currency,
Payment Format,Is Laundering``; columns by position, since the header names
"Account" twice). A party is ``<bank>:<account>``, the amount is "Amount
Paid" in its own currency (no conversion), every row is INTERNAL (both ends
are accounts), a row paying an account itself (a reinvestment) is skipped and
counted, and "Is Laundering" = 1 labels both of its accounts.

Accounts file (``--accounts``): ``account,label`` with label 1/0, true/false,
yes/no, or a typology name (positive). Every problem is one :class:`InputError`
naming the file, the line and the column; nothing is half-read.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from components.aml.transfers import Transfer, TransferKind, Typology
from components.domain.money import to_units

REQUIRED = ("source", "target", "amount", "timestamp")
OPTIONAL = ("transfer_id", "kind", "country", "device")
IBM_HEADER = ("timestamp", "from bank", "account", "to bank", "account", "amount received", "receiving currency",
              "amount paid", "payment currency", "payment format", "is laundering")
MAX_DOLLARS = 10**12
"""An amount above a trillion dollars is a broken cell (an exponent typo), not a transfer."""
TRUE = frozenset({"1", "true", "yes", "y"})
FALSE = frozenset({"0", "false", "no", "n", ""})


class InputError(ValueError):
    """One bad cell or header: ``FILE line N column C: problem``."""


@dataclass(frozen=True)
class TransactionFile:
    """What a transaction file gave: transfers in time order, labels it carried, rows skipped."""

    transfers: tuple[Transfer, ...]
    labelled: frozenset[str] = frozenset()
    """Accounts a laundering row names (ibm-aml only)."""
    has_labels: bool = False
    skipped_self: int = 0


def _where(path: Path, line: int, column: str) -> str:
    return f"{path.name} line {line} column {column}"


def parse_amount(text: str, where: str) -> int:
    try:
        units = to_units(text.strip())
    except (ValueError, TypeError) as exc:
        raise InputError(f"{where}: {text.strip()!r} is not a dollar amount ({exc})") from None
    if units <= 0:
        raise InputError(f"{where}: amount must be > 0, got {text.strip()!r}")
    if units > to_units(MAX_DOLLARS):
        raise InputError(f"{where}: {text.strip()!r} is above {MAX_DOLLARS:,} dollars")
    return units


def parse_timestamp(text: str, where: str) -> int:
    """Epoch nanoseconds from digits, ISO-8601 (no zone: UTC) or ``YYYY/MM/DD HH:MM`` (the IBM form)."""
    s = text.strip()
    if s.isdigit():
        return int(s)
    for parse in (datetime.fromisoformat, lambda v: datetime.strptime(v, "%Y/%m/%d %H:%M")):
        try:
            dt = parse(s)
        except ValueError:
            continue
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=timezone.utc)
        seconds = int(dt.timestamp())
        return seconds * 1_000_000_000 + dt.microsecond * 1_000
    raise InputError(f"{where}: {s!r} is not a timestamp (ISO-8601 or epoch nanoseconds)")


def _rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            reader = csv.reader(fh)
            try:
                for row in reader:
                    yield reader.line_num, row
            except csv.Error as exc:
                raise InputError(f"{path.name} line {reader.line_num}: not valid CSV ({exc})") from None
    except UnicodeDecodeError:
        raise InputError(f"{path.name}: not UTF-8 text") from None


def _header(path: Path, rows: Iterator[tuple[int, list[str]]]) -> list[str]:
    for _, row in rows:
        if any(cell.strip() for cell in row):
            return [cell.strip().lower() for cell in row]
    raise InputError(f"{path.name}: empty file (no header row)")


def _finish(path: Path, transfers: list[Transfer], lines: dict[str, int]) -> tuple[Transfer, ...]:
    if not transfers:
        raise InputError(f"{path.name}: no transaction rows after the header")
    return tuple(sorted(transfers, key=lambda t: (t.ts_ns, lines[t.transfer_id])))


def read_native(path: Path) -> TransactionFile:
    """The documented columns (module docstring)."""
    rows = _rows(path)
    header = _header(path, rows)
    for name in REQUIRED:
        if name not in header:
            raise InputError(f"{path.name} line 1 column {name}: required column missing "
                             f"(header has: {', '.join(header)})")
    unknown = [h for h in header if h not in REQUIRED + OPTIONAL]
    if unknown:
        raise InputError(f"{path.name} line 1 column {unknown[0]}: unknown column "
                         f"(known: {', '.join(REQUIRED + OPTIONAL)})")
    col = {name: header.index(name) for name in header}
    transfers: list[Transfer] = []
    lines: dict[str, int] = {}
    for line, row in rows:
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise InputError(f"{path.name} line {line}: {len(row)} cells, the header has {len(header)}")
        cell = {name: row[i].strip() for name, i in col.items()}
        for name in ("source", "target"):
            if not cell[name]:
                raise InputError(f"{_where(path, line, name)}: empty")
        if cell["source"] == cell["target"]:
            raise InputError(f"{_where(path, line, 'target')}: same party as the source ({cell['source']!r})")
        amount = parse_amount(cell["amount"], _where(path, line, "amount"))
        ts = parse_timestamp(cell["timestamp"], _where(path, line, "timestamp"))
        kind = TransferKind.INTERNAL
        if cell.get("kind"):
            try:
                kind = TransferKind(cell["kind"].upper())
            except ValueError:
                raise InputError(f"{_where(path, line, 'kind')}: {cell['kind']!r} is not one of "
                                 f"{', '.join(k.value for k in TransferKind)}") from None
        tid = cell.get("transfer_id") or f"ROW-{line}"
        if tid in lines:
            raise InputError(f"{_where(path, line, 'transfer_id')}: {tid!r} repeats line {lines[tid]}")
        lines[tid] = line
        transfers.append(Transfer(tid, ts, kind, cell["source"], cell["target"], amount,
                                  cell.get("device", ""), cell.get("country", "").upper()))
    return TransactionFile(_finish(path, transfers, lines))


def read_ibm_aml(path: Path) -> TransactionFile:
    """The IBM AML synthetic data layout (module docstring)."""
    rows = _rows(path)
    header = _header(path, rows)
    if tuple(h.split(".")[0] for h in header) != IBM_HEADER:
        raise InputError(f"{path.name} line 1: not the ibm-aml header (expected "
                         f"{','.join(h.title() for h in IBM_HEADER)})")
    names = ("Timestamp", "From Bank", "Account", "To Bank", "Account.1", "Amount Received", "Receiving Currency",
             "Amount Paid", "Payment Currency", "Payment Format", "Is Laundering")
    transfers: list[Transfer] = []
    lines: dict[str, int] = {}
    labelled: set[str] = set()
    skipped = 0
    for line, row in rows:
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(IBM_HEADER):
            raise InputError(f"{path.name} line {line}: {len(row)} cells, the ibm-aml layout has {len(IBM_HEADER)}")
        cell = [c.strip() for c in row]
        for i in (1, 2, 3, 4):
            if not cell[i]:
                raise InputError(f"{_where(path, line, names[i])}: empty")
        source, target = f"{cell[1]}:{cell[2]}", f"{cell[3]}:{cell[4]}"
        ts = parse_timestamp(cell[0], _where(path, line, names[0]))
        amount = parse_amount(cell[7], _where(path, line, names[7]))
        flag = cell[10].lower()
        if flag not in TRUE | FALSE:
            raise InputError(f"{_where(path, line, names[10])}: {cell[10]!r} is not 0 or 1")
        if source == target:
            skipped += 1
            continue
        if flag in TRUE:
            labelled.update((source, target))
        tid = f"ROW-{line}"
        lines[tid] = line
        transfers.append(Transfer(tid, ts, TransferKind.INTERNAL, source, target, amount))
    return TransactionFile(_finish(path, transfers, lines), frozenset(labelled), True, skipped)


def read_accounts(path: Path) -> dict[str, bool]:
    """``account,label`` rows: account -> labelled suspicious."""
    rows = _rows(path)
    header = _header(path, rows)
    for name in ("account", "label"):
        if name not in header:
            raise InputError(f"{path.name} line 1 column {name}: required column missing")
    ia, il = header.index("account"), header.index("label")
    typologies = {t.value for t in Typology}
    out: dict[str, bool] = {}
    for line, row in rows:
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise InputError(f"{path.name} line {line}: {len(row)} cells, the header has {len(header)}")
        account, label = row[ia].strip(), row[il].strip().lower()
        if not account:
            raise InputError(f"{_where(path, line, 'account')}: empty")
        if label in TRUE or label in typologies or label == "laundering":
            out[account] = True
        elif label in FALSE:
            out[account] = False
        else:
            raise InputError(f"{_where(path, line, 'label')}: {row[il].strip()!r} is not 1/0, true/false, "
                             f"yes/no or a typology ({', '.join(sorted(typologies))})")
    return out
