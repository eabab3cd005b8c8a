"""Regulatory reporting logic (pure): Rule 606(a)(1) figures, CAT order events and
their linkage checks, reconciliation with the event log, and the sign-off state
machine of a report package. File formats (XML, JSON, HTML) live in
``reports.regulatory``; this package only decides what the figures are."""
