"""Regulatory report files: Rule 606 XML/HTML, Rule 605 tables, CAT JSON, and report packages with
their sign-off log. The figures are decided in ``components.regulatory``; docs/regulatory_reporting.md."""
