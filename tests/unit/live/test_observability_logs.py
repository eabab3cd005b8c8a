"""JSON log lines and the scrubber: every PII field of the domain goes through the logger, none comes out."""

from __future__ import annotations

import io
import json
import logging

import numpy as np
import pytest

from components.reference.sanctions import sdn_individual_names
from live.observability.logs import JsonFormatter, Scrubber, log_format
from scenarios.config import builtin_scenario_path, load_scenario
from scenarios.population import build_population

TOKENS = ("static-api-token-0123456789abcdef", "demo-aB3dE5fG7hJ9kL1mN3pQ5",
          "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJBRFYtMDAxIn0.c2lnbmF0dXJl")


@pytest.fixture(scope="module")
def population():
    scenario = load_scenario(builtin_scenario_path("trading_day"))
    return build_population(scenario, np.random.default_rng(42), list(sdn_individual_names(50)))


def _pii(population) -> list[str]:
    """Every personal or secret value of the domain: account and client ids, client and advisor names
    (faker and sanctions-list names), and tokens."""
    values = [v for a in population.accounts for v in (a.account_id, a.client_id, a.client_name)]
    values += [adv.name for adv in population.advisors] + list(TOKENS)
    return values


def _logger(scrub: Scrubber) -> tuple[logging.Logger, io.StringIO]:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter(scrub))
    logger = logging.getLogger("test.observability.pii")
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    return logger, out


def test_no_pii_field_of_the_domain_survives_the_json_logger(population):
    pii = _pii(population)
    accounts = population.accounts
    scrub = Scrubber.of([i for a in accounts for i in (a.account_id, a.client_id)],
                        [a.client_name for a in accounts] + [adv.name for adv in population.advisors], TOKENS)
    log, out = _logger(scrub)
    for value in pii:  # in the message, in %-args, in the correlation fields and in a traceback
        log.info("order for %s accepted", value, extra={"trace_id": "tr-1", "order_id": "ORD-1", "actor": value})
        log.warning(f"raw {value} in text; account_id={value}; Authorization: Bearer {value}")
        try:
            raise RuntimeError(f"failed on {value}")
        except RuntimeError:
            log.exception("handler failed", extra={"trace_id": value})
    text = out.getvalue()
    lines = [json.loads(line) for line in text.splitlines()]
    assert len(lines) == 3 * len(pii)
    for value in pii:
        assert value not in text, value
    assert lines[0]["trace_id"] == "tr-1" and lines[0]["order_id"] == "ORD-1" and lines[0]["level"] == "INFO"


def test_scrubbing_keeps_what_correlates():
    scrub = Scrubber.of(["AC-00017"], ["Ada Lovelace"], ["tok-secret-123"])
    assert scrub("AC-00017 by Ada Lovelace with tok-secret-123 on ORD-9") == "***17 by ***ce with [REDACTED] on ORD-9"


def test_the_format_comes_from_the_environment_and_a_bad_one_is_named():
    assert log_format({}) == "text" and log_format({"TWIN_LOG_FORMAT": "JSON"}) == "json"
    with pytest.raises(ValueError, match="TWIN_LOG_FORMAT='xml': must be one of text, json"):
        log_format({"TWIN_LOG_FORMAT": "xml"})
