"""A venue's dialect in the generated QuickFIX settings (issue 10): only the keys that differ from plain
FIX 4.4 are written into its [SESSION], and ``fix42_exec_types`` gives it a dictionary accepting ExecType 1/2."""

from __future__ import annotations

from pathlib import Path

from components.config.live import VenueDialect
from components.fix.settings import format_settings
from live.adapters.fix.settings import (FIX42_DICTIONARY, apply_dialects, dialect_settings, fix42_dictionary,
                                        render_initiator_settings, template_path)

SESSIONS = {"XA": ("127.0.0.1", 9001), "XB": ("127.0.0.1", 9002)}


def render(tmp_path: Path, dialects=None, text: str | None = None):
    return render_initiator_settings(text or template_path().read_text(), sender="BD", run_dir=tmp_path,
                                     venues=["XA", "XB"], sessions=SESSIONS, dialects=dialects)


def session(sections, venue: str) -> dict[str, str]:
    return next(keys for name, keys in sections if name == "SESSION" and keys.get("TargetCompID") == venue)


def test_a_plain_dialect_writes_nothing(tmp_path: Path):
    assert dialect_settings(VenueDialect(), tmp_path) == {}
    plain = render(tmp_path, {"XA": VenueDialect(), "XB": VenueDialect()})
    assert format_settings(plain) == format_settings(render(tmp_path))


def test_validation_switches_land_in_that_venues_session_only(tmp_path: Path):
    loose = VenueDialect(validate_user_defined_fields=False, allow_unknown_msg_fields=True,
                         validate_fields_have_values=False, validate_fields_out_of_order=False)
    sections = render(tmp_path, {"XA": loose})
    assert {k: v for k, v in session(sections, "XA").items() if k.startswith(("Validate", "Allow"))} == {
        "ValidateUserDefinedFields": "N", "AllowUnknownMsgFields": "Y", "ValidateFieldsHaveValues": "N",
        "ValidateFieldsOutOfOrder": "N"}
    assert not any(k.startswith(("Validate", "Allow")) for k in session(sections, "XB"))
    assert "ValidateFieldsOutOfRange" not in format_settings(sections)  # QuickFIX 1.16 (Python) has no such key


def test_fix42_exec_types_get_a_dictionary_listing_them(tmp_path: Path):
    sections = render(tmp_path, {"XB": VenueDialect(fix42_exec_types=True)})
    path = Path(session(sections, "XB")["DataDictionary"])
    assert path == tmp_path / FIX42_DICTIONARY and "DataDictionary" not in session(sections, "XA")
    text = path.read_text()
    execution = text[text.index("<field number='150' name='ExecType'"):]
    execution = execution[:execution.index("</field>")]
    assert "enum='1' description='PARTIAL_FILL'" in execution and "enum='2' description='FILL'" in execution
    assert "enum='F' description='TRADE'" in execution


def test_a_dictionary_without_exec_type_is_refused_by_name(tmp_path: Path):
    odd = tmp_path / "odd.xml"
    odd.write_text("<fix/>")
    try:
        fix42_dictionary(tmp_path, odd)
    except ValueError as exc:
        assert "no ExecType (150)" in str(exc) and str(odd) in str(exc)
    else:
        raise AssertionError("expected a ValueError")


def test_a_user_settings_file_is_given_the_dialect_in_place(tmp_path: Path):
    cfg = tmp_path / "initiator.cfg"
    cfg.write_text(format_settings(render(tmp_path)))
    before = cfg.read_text()
    apply_dialects(cfg, {"XA": VenueDialect()})
    assert cfg.read_text() == before  # plain dialects: the file is untouched
    apply_dialects(cfg, {"XA": VenueDialect(allow_unknown_msg_fields=True)})
    assert "AllowUnknownMsgFields=Y" in cfg.read_text() and cfg.read_text().count("AllowUnknownMsgFields") == 1
