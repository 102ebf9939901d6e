"""Every JSON proof vector of transparency-dev/merkle (see data/tlog-vectors/SOURCE.md).

Four folders, all run:

* ``inclusion`` / ``consistency``: RFC 9162 proofs, checked with
  ``verify_inclusion`` / ``verify_consistency``.
* ``subtreeinclusion`` / ``subtreeconsistency``: the subtree proofs of the
  Merkle Tree Certificates draft, a strict generalisation of RFC 9162 (with
  ``start == 0`` they are the RFC 9162 proofs), checked with
  ``verify_subtree_inclusion`` / ``verify_subtree_consistency``.

Eight must-succeed vectors are refused on purpose, because our verifier is
stricter than the Go library that produced them; they are listed in
``STRICTER`` with the reason, and the test asserts we refuse exactly those.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from ggzy.ledger.merkle import (
    ProofError,
    Subtree,
    verify_consistency,
    verify_inclusion,
    verify_subtree_consistency,
    verify_subtree_inclusion,
)

DATA = Path(__file__).parent / "data" / "tlog-vectors"
VECTORS = sorted(p.relative_to(DATA).as_posix() for p in DATA.rglob("*.json"))

_SHORT_ROOTS = "roots are 12-byte placeholders ('don't care'); we require 32-byte hashes"
_EMPTY_SUBTREE = "an empty range [k, k) is not a subtree (MTC draft: start < end)"
STRICTER = {
    "consistency/additional/sizes-are-equal-one-and-proof-is-empty.json": _SHORT_ROOTS,
    "subtreeconsistency/additional/sizes-are-equal-one-and-proof-is-empty.json": _SHORT_ROOTS,
    **{
        f"subtreeconsistency/additional/subtree-is-empty-{name}.json": _EMPTY_SUBTREE
        for name in (
            "sizes-are-equal-one-subtree-root-valid-proof-is-empty",
            "sizes-are-equal-one-subtree-root-valid-tree-root-random-proof-is-empty",
            "sizes-are-equal-zero-subtree-root-valid-proof-is-empty",
            "sizes-are-equal-zero-subtree-root-valid-tree-root-random-proof-is-empty",
            "subtree-root-valid-proof-is-empty",
            "subtree-root-valid-tree-root-random-proof-is-empty",
        )
    },
}


def _b(text: str) -> bytes:
    return base64.b64decode(text)


def _check(kind: str, v: dict[str, Any]) -> None:
    proof = [_b(p) for p in v["proof"] or []]
    if kind == "inclusion":
        verify_inclusion(_b(v["leafHash"]), v["leafIdx"], v["treeSize"], proof, _b(v["root"]))
    elif kind == "consistency":
        verify_consistency(v["size1"], v["size2"], proof, _b(v["root1"]), _b(v["root2"]))
    elif kind == "subtreeinclusion":
        subtree = Subtree(v["start"], v["end"])
        verify_subtree_inclusion(_b(v["leafHash"]), v["leafIdx"], subtree, proof, _b(v["root"]))
    else:
        subtree = Subtree(v["start"], v["end"])
        verify_subtree_consistency(subtree, v["size"], proof, _b(v["root1"]), _b(v["root2"]))


def test_all_four_folders_are_present() -> None:
    kinds = {name.split("/")[0] for name in VECTORS}
    assert kinds == {"inclusion", "consistency", "subtreeinclusion", "subtreeconsistency"}
    assert len(VECTORS) == 518


def test_stricter_list_names_real_must_succeed_vectors() -> None:
    for name in STRICTER:
        assert json.loads((DATA / name).read_text())["wantErr"] is False


@pytest.mark.parametrize("name", VECTORS)
def test_vector(name: str) -> None:
    vector = json.loads((DATA / name).read_text())
    kind = name.split("/", maxsplit=1)[0]
    if vector["wantErr"] or name in STRICTER:
        with pytest.raises(ProofError):
            _check(kind, vector)
    else:
        _check(kind, vector)
