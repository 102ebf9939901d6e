import pytest

from ggzy.crypto import note
from ggzy.crypto.note_sm2 import SIGNERS, VERIFIERS, Sm2Signer

TEXT = b"ggzy.test/log\n5\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"


def test_sm2_line_beside_ed25519_and_key_round_trip():
    ed = note.Ed25519Signer.generate("ggzy.test/log")
    gm = Sm2Signer.generate("ggzy.test/log-sm2")
    signed = note.sign_note(TEXT.decode(), [ed, gm])
    # a verifier that only knows the Ed25519 key skips the SM2 line
    opened = note.open_note(signed, [note.parse_verifier_key(ed.verifier_key())])
    assert [s.name for s in opened.signatures] == ["ggzy.test/log"]
    # one that knows the SM2 key verifies it
    sm2_verifier = note.parse_verifier_key(gm.verifier().verifier_key(), extra_algorithms=VERIFIERS)
    opened = note.open_note(signed, [sm2_verifier])
    assert [s.name for s in opened.signatures] == ["ggzy.test/log-sm2"]
    # the signer key text parses back to the same key
    again = note.parse_signer_key(gm.signer_key(), extra_algorithms=SIGNERS)
    assert (again.name, again.key_id) == (gm.name, gm.key_id)
    assert sm2_verifier.verify(TEXT, again.sign(TEXT))


def test_tampered_text_or_signature_fails():
    gm = Sm2Signer.generate("ggzy.test/log-sm2")
    verifier = gm.verifier()
    sig = gm.sign(TEXT)
    assert verifier.verify(TEXT, sig)
    assert not verifier.verify(TEXT.replace(b"5", b"6"), sig)
    assert not verifier.verify(TEXT, sig[:-1] + bytes([sig[-1] ^ 1]))
    assert not verifier.verify(TEXT, sig[:63])
    signed = note.sign_note(TEXT.decode(), [gm]).replace(b"\n5\n", b"\n6\n")
    with pytest.raises(note.NoteError):
        note.open_note(signed, [verifier])
