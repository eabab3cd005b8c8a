"""The directory-backed ModelStore, and the registry catching an artefact changed on disk."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from components.governance.fairness import FairnessCheck
from components.governance.registry import ModelCard, ModelRegistry, ModelVersion, RegistryError, TrainingScope
from components.governance.store import artefact_of, content_hash
from twin.governance_store import DirectoryModelStore


def test_put_get_and_refusals(tmp_path):
    store = DirectoryModelStore(tmp_path)
    store.put("churn", "v1", b"abc")
    assert store.get("churn", "v1") == b"abc" and (tmp_path / "churn" / "v1.pkl").exists()
    with pytest.raises(ValueError, match=r"^version: churn v1 already stored"):
        store.put("churn", "v1", b"abc")
    with pytest.raises(KeyError):
        store.get("churn", "v2")
    with pytest.raises(ValueError, match=r"^model: '\.\./x' is not a safe file name"):
        store.put("../x", "v1", b"")


def test_the_registry_refuses_an_artefact_edited_on_disk(tmp_path):
    store = DirectoryModelStore(tmp_path)
    registry = ModelRegistry(store)
    blob = artefact_of({"weights": [1, 2, 3]})
    version = ModelVersion("churn", "v1", 0, TrainingScope("t", 1, 0, 0), ("x",), (), (), content_hash(blob))
    registry.register(version, blob, ModelCard("o", "u", (), (FairnessCheck("dp", "g", 0.0, 0.1, ()),)), "me")
    assert registry.load("churn", "v1") == blob
    (tmp_path / "churn" / "v1.pkl").write_bytes(blob + b"!")
    with pytest.raises(RegistryError, match=r"^content_hash: stored artefact of churn v1 hashes to"):
        registry.load("churn", "v1")


@settings(max_examples=80, deadline=None)
@given(st.text(min_size=1, max_size=12))
def test_any_user_given_name_is_stored_safely_or_refused_in_one_line(tmp_path_factory, name):
    root = tmp_path_factory.mktemp("store")
    store = DirectoryModelStore(root)
    try:
        store.put(name, "v1", b"x")
    except ValueError as exc:
        assert str(exc).startswith("model: ") and "\n" not in str(exc)
    else:
        path = root / name / "v1.pkl"
        assert path.resolve().parent.parent == root.resolve() and store.get(name, "v1") == b"x"
