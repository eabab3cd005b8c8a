"""Every command's default output folder (``twin.run_folders``)."""

from pathlib import Path

from twin.cli_suite import DEFAULT_OUT
from twin.run_folders import OUT_ROOT, out_folder


def test_a_given_out_is_used_as_it_is():
    assert out_folder("somewhere/else", "smoke-42") == Path("somewhere/else")


def test_without_out_a_run_writes_under_reports_out_in_its_own_folder():
    assert out_folder(None, "smoke-42") == Path("reports") / "out" / "smoke-42"
    assert out_folder("", "smoke-42") == OUT_ROOT / "smoke-42"  # an empty --out is no folder either
    assert DEFAULT_OUT.parent == OUT_ROOT
