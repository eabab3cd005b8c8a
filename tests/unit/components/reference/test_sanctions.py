"""Sanctions screening: name normalization, the OFAC legacy CSV loader, the packaged list."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from components.reference.sanctions import (
    ListedName,
    SanctionsList,
    default_sanctions_list,
    load_ofac_sdn,
    normalize_name,
    sdn_individual_names,
)


@pytest.mark.parametrize(
    "a, b",
    [
        ("SMITH, John", "John Smith"),
        ("john   smith", "SMITH JOHN"),
        ("Smith,John.", "john smith"),
        ("  Jöhn Smíth ", "JOHN SMITH"),
        ("O'Brien, Seán", "sean obrien"),
        ("AL-QAIDA", "al qaida"),
        ("CRUZ, Juan M. de la", "Juan M. De La Cruz"),
    ],
)
def test_normalize_name_ignores_order_punctuation_case_accents(a: str, b: str) -> None:
    assert normalize_name(a) == normalize_name(b)


def test_normalize_name_canonical_form() -> None:
    assert normalize_name("SMITH, John") == "JOHN SMITH"
    assert normalize_name("  ..,, ") == ""


def test_normalize_name_keeps_different_names_apart() -> None:
    assert normalize_name("John Smith") != normalize_name("Jon Smith")
    assert normalize_name("John Smith") != normalize_name("John Smith Jr")


def test_sanctions_list_matches_and_reports_listed_form() -> None:
    sl = SanctionsList(["SMITH, John", "ACME TRADING LLC"])
    assert sl.is_sanctioned("john smith")
    assert sl.matched("John  SMITH") == "SMITH, John"
    assert sl.matched("Acme Trading, L.L.C") is None  # exact tokens only: LLC != L L C
    assert sl.matched("acme trading llc") == "ACME TRADING LLC"
    assert not sl.is_sanctioned("Jane Smith")
    assert sl.matched("") is None
    assert len(sl) == 2


def test_sanctions_list_empty_names_ignored() -> None:
    sl = SanctionsList(["", " - ", "X"])
    assert len(sl) == 1
    assert not sl.is_sanctioned("-")


def _write(path, text: str):
    path.write_text(text, encoding="utf-8")
    return path


def test_load_ofac_sdn_legacy_layout(tmp_path) -> None:
    sdn = _write(
        tmp_path / "sdn.csv",
        '36,"AEROCARIBBEAN AIRLINES",-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \n'
        '587,"CRUZ, Juan M. de la","individual","CUBA","Director",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,'
        '"Director, Banco Nacional de Cuba."\n'
        "\n"
        '999,-0- ,-0- ,"X",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \n'
        "\x1a",
    )
    alt = _write(tmp_path / "alt.csv", '36,12,"aka","AERO-CARIBBEAN",-0- \n587,13,"fka","CRUZ, Juanito",-0-')
    only_sdn = load_ofac_sdn(sdn)
    assert len(only_sdn) == 2
    assert only_sdn.matched("Juan M. de la Cruz") == "CRUZ, Juan M. de la"
    assert only_sdn.is_sanctioned("Aerocaribbean Airlines")
    assert not only_sdn.is_sanctioned("Aero Caribbean")
    assert not only_sdn.is_sanctioned("-0-")

    with_alt = load_ofac_sdn(str(sdn), str(alt))
    assert len(with_alt) == 4
    assert with_alt.matched("aero caribbean") == "AERO-CARIBBEAN"
    assert with_alt.is_sanctioned("Juanito Cruz")


def test_packaged_files_are_package_data() -> None:
    base = resources.files("components.reference")
    assert (base / "data/sanctions/sdn.csv").is_file()
    assert (base / "data" / "sanctions" / "alt.csv").is_file()
    provenance = (base / "data" / "sanctions" / "PROVENANCE.md").read_text(encoding="utf-8")
    assert "public domain" in provenance and "moov-io/watchman" in provenance


def test_default_list_matches_known_sdn_individual() -> None:
    sl = default_sanctions_list()
    assert len(sl) > 10_000
    assert sl.matched("Manuel Antonio Noriega") == "NORIEGA, Manuel Antonio"
    assert sl.is_sanctioned("juan m de la cruz")
    assert sl.is_sanctioned("national bank of cuba")  # an alt.csv name
    assert not sl.is_sanctioned("Jane Q. Public")
    assert default_sanctions_list() is sl  # loaded once


def test_sdn_individual_names_in_file_order_and_all_listed() -> None:
    names = sdn_individual_names(5)
    assert names == (
        "CRUZ, Juan M. de la",
        "GUTIERREZ REYES, Jose",
        "NORIEGA, Manuel Antonio",
        "SIEIRO DE NORIEGA, Felicidad",
        "ABBAS, Abu",
    )
    sl = default_sanctions_list()
    for name in sdn_individual_names(50):
        assert sl.is_sanctioned(name)
    assert sdn_individual_names(0) == ()
    with pytest.raises(ValueError):
        sdn_individual_names(-1)


def test_loaded_entries_carry_entity_number_type_and_alias_kind(tmp_path) -> None:
    sdn = _write(tmp_path / "sdn.csv", '587,"CRUZ, Juan M. de la","individual","CUBA",-0- \n')
    alt = _write(tmp_path / "alt.csv", '587,13,"fka","CRUZ, Juanito",-0-\n')
    sl = load_ofac_sdn(sdn, alt, list_name="MY LIST")
    assert sl.list_name == "MY LIST"
    assert sl.entries == (ListedName("CRUZ, Juan M. de la", "587", "individual", ""),
                          ListedName("CRUZ, Juanito", "587", "individual", "fka"))  # fmt: skip
    assert default_sanctions_list().list_name == "OFAC SDN"


@pytest.mark.parametrize("sdn_text, alt_text, message", [
    ('36,"ACME"\n', None, r"sdn.csv line 1: 2 fields, the OFAC layout needs at least 3"),
    ('36,"ACME",-0-\nX1,"B",-0-\n', None, r"sdn.csv line 2: ent_num 'X1' is not an integer"),
    ('36,"ACME",-0-\n', '36,1,"aka"\n', r"alt.csv line 1: 3 fields, the OFAC layout needs at least 4"),
])  # fmt: skip
def test_malformed_rows_name_the_file_and_line(tmp_path, sdn_text, alt_text, message) -> None:
    sdn = _write(tmp_path / "sdn.csv", sdn_text)
    alt = None if alt_text is None else _write(tmp_path / "alt.csv", alt_text)
    with pytest.raises(ValueError, match=message):
        load_ofac_sdn(sdn, alt)


@given(st.text(alphabet="0123456789,\"-x \n", max_size=80))
def test_any_sdn_text_loads_or_fails_with_a_located_error(tmp_path_factory, text) -> None:
    path = tmp_path_factory.mktemp("sdn") / "sdn.csv"
    path.write_text(text, encoding="utf-8")
    try:
        sl = load_ofac_sdn(path)
    except ValueError as err:
        assert str(err).startswith(f"{path} line ")
    else:
        assert all(e.ent_num.isdigit() for e in sl.entries)


def test_packaged_copy_equals_the_shared_snapshot() -> None:
    """The packaged files are the public snapshot in ../shared/data/sanctions/, copied unchanged."""
    shared = Path(__file__).resolve().parents[5] / "shared" / "data" / "sanctions"
    if not shared.is_dir():
        pytest.skip("no shared snapshot beside this checkout")
    base = resources.files("components.reference") / "data" / "sanctions"
    for name in ("sdn.csv", "alt.csv"):
        assert (base / name).read_bytes() == (shared / name).read_bytes(), name
