"""Shamir k-of-n sharing of the opening key (开标密钥分片)."""

from __future__ import annotations

import dataclasses
import itertools
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ggzy.crypto import shamir
from ggzy.crypto.errors import ErrorCode, InvalidParameterError, ShareError
from ggzy.crypto.shamir import CommitmentHash, Share, combine, split


@st.composite
def splits(draw: st.DrawFn) -> tuple[bytes, int, int, list[Share]]:
    n = draw(st.integers(min_value=1, max_value=7))
    k = draw(st.integers(min_value=1, max_value=n))
    secret = draw(st.binary(min_size=1, max_size=70))
    hash_alg = draw(st.sampled_from(CommitmentHash))
    return secret, k, n, split(secret, k, n, hash_alg=hash_alg)


@settings(max_examples=40, deadline=None)
@given(data=splits(), choice=st.randoms(use_true_random=False))
def test_any_k_of_n_shares_recover_the_secret(
    data: tuple[bytes, int, int, list[Share]], choice: random.Random
) -> None:
    secret, k, n, shares = data
    assert len(shares) == n
    assert [s.x for s in shares] == list(range(1, n + 1))
    picked = choice.sample(shares, k)
    assert combine(picked) == secret
    assert combine(shares) == secret  # more than k is fine too


@settings(max_examples=40, deadline=None)
@given(data=splits(), choice=st.randoms(use_true_random=False))
def test_fewer_than_k_shares_neither_combine_nor_reveal(
    data: tuple[bytes, int, int, list[Share]], choice: random.Random
) -> None:
    secret, k, _n, shares = data
    if k == 1:
        return  # one share *is* enough; nothing to hide
    picked = choice.sample(shares, k - 1)
    with pytest.raises(ShareError) as info:
        combine(picked)
    assert info.value.code == ErrorCode.SHARES_INSUFFICIENT
    # Interpolating k-1 points gives a value unrelated to the secret: compare a whole
    # 16-byte block (zero-padded secret), so a chance match has probability 2^-128.
    assert shamir._interpolate(picked)[:16] != (secret + bytes(16))[:16]


def test_all_k_subsets_recover() -> None:
    secret = bytes(range(32))  # an X25519 opening key
    shares = split(secret, 3, 5)
    for subset in itertools.combinations(shares, 3):
        assert combine(subset) == secret
        assert combine(reversed(subset)) == secret


def test_parameters_are_checked() -> None:
    with pytest.raises(InvalidParameterError):
        split(b"secret", 4, 3)  # k > n
    with pytest.raises(InvalidParameterError):
        split(b"secret", 0, 3)
    with pytest.raises(InvalidParameterError):
        split(b"secret", 2, 256)
    with pytest.raises(InvalidParameterError):
        split(b"", 2, 3)
    with pytest.raises(InvalidParameterError):
        split(bytes(shamir.MAX_SECRET_SIZE + 1), 2, 3)


def test_duplicate_shares_are_refused() -> None:
    shares = split(b"opening key", 2, 3)
    with pytest.raises(ShareError) as info:
        combine([shares[0], shares[0]])
    assert info.value.code == ErrorCode.SHARES_DUPLICATE


def test_shares_from_different_splits_are_refused() -> None:
    one = split(b"opening key", 2, 3)
    two = split(b"opening key", 2, 3)
    with pytest.raises(ShareError) as info:
        combine([one[0], two[1]])
    assert info.value.code == ErrorCode.SHARES_MISMATCH


def test_forged_share_with_copied_metadata_is_detected() -> None:
    one = split(b"opening key", 2, 3)
    two = split(b"opening key", 2, 3)
    forged = dataclasses.replace(two[1], split_id=one[1].split_id, commitment=one[1].commitment)
    with pytest.raises(ShareError) as info:
        combine([one[0], forged])
    assert info.value.code == ErrorCode.SHARES_INCONSISTENT


def test_corrupted_share_is_skipped_when_enough_good_shares_remain() -> None:
    secret = bytes(range(32))
    shares = split(secret, 2, 4)
    y = bytearray(shares[0].y)
    y[0] ^= 0xFF
    bad = dataclasses.replace(shares[0], y=bytes(y))
    with pytest.raises(ShareError) as info:
        combine([bad, shares[1]])
    assert info.value.code == ErrorCode.SHARES_INCONSISTENT
    assert combine([bad, shares[1], shares[2]]) == secret


@pytest.mark.parametrize("hash_alg", list(CommitmentHash))
def test_share_serialisation_round_trips(hash_alg: CommitmentHash) -> None:
    secret = bytes(range(97))  # an SM2 private key blob is 97 bytes
    shares = split(secret, 2, 3, hash_alg=hash_alg)
    as_bytes = [Share.from_bytes(s.to_bytes()) for s in shares]
    as_text = [Share.from_text(s.to_text()) for s in shares]
    assert as_bytes == shares
    assert as_text == shares
    assert shares[0].to_text().startswith("ggzy-share-1:")
    assert len(shares[0].to_bytes()) == 59 + 16 * (7 + 1) + 4
    # paper copies: spaces, line breaks and lower case are tolerated
    text = shares[1].to_text()
    spaced = text[:20] + "\n  " + text[20:40].lower() + " " + text[40:]
    assert Share.from_text(spaced) == shares[1]
    assert combine(as_text[1:]) == secret


def test_share_bytes_are_checked() -> None:
    data = bytearray(split(b"opening key", 2, 3)[0].to_bytes())
    for position in (0, 4, 5, 30, 70, len(data) - 1):
        altered = bytearray(data)
        altered[position] ^= 0x01
        with pytest.raises(ShareError):
            Share.from_bytes(bytes(altered))
    with pytest.raises(ShareError):
        Share.from_bytes(bytes(data[:-5]))
    with pytest.raises(ShareError):
        Share.from_text("ggzy-share-1:" + "1" * 40)  # '1' is not Base32
    with pytest.raises(ShareError):
        Share.from_text("share:ABC")


def test_repr_hides_share_value() -> None:
    share = split(b"opening key", 2, 3)[0]
    assert share.y.hex() not in repr(share)
