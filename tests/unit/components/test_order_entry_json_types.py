"""Order entry's errors name what a client sent in JSON's words ("got null", "got an array"), not Python's
("got NoneType", "got list"): the API's clients write JSON."""

from __future__ import annotations

import pytest

from components.order_entry import OrderRequestError, json_type, parse_order_request


@pytest.mark.parametrize("value, word", [(None, "null"), (True, "a boolean"), (3, "a number"), (2.5, "a number"),
                                         ("x", "a string"), ([1], "an array"), ({"a": 1}, "an object")])
def test_json_words(value, word):
    assert json_type(value) == word


def test_a_body_that_is_not_an_object_and_a_symbol_that_is_not_a_string():
    with pytest.raises(OrderRequestError) as raised:
        parse_order_request([1, 2], lambda s: True)
    assert [(e.field, e.problem) for e in raised.value.errors] == [("body", "must be a JSON object, got an array")]
    with pytest.raises(OrderRequestError) as raised:
        parse_order_request({"symbol": None}, lambda s: True)
    assert ("symbol", "must be a string, got null") in [(e.field, e.problem) for e in raised.value.errors]
