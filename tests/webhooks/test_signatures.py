import pytest

from tests.conftest import sample_bytes
from webhooks.signatures import compute_signature, is_well_formed, verify_signature

GITHUB_DOC_SECRET = "It's a Secret to Everybody"
GITHUB_DOC_SIGNATURE = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"


def test_github_documented_test_vector():
    assert compute_signature(GITHUB_DOC_SECRET, b"Hello, World!") == GITHUB_DOC_SIGNATURE
    assert verify_signature([GITHUB_DOC_SECRET], b"Hello, World!", GITHUB_DOC_SIGNATURE)


@pytest.mark.parametrize(
    "relative, expected",
    [
        ("ping/payload.json", "sha256=1f8fee3383abea9afb51c250c9011bc3a9838f0e076f0ca886d89008dade0e74"),
        (
            "push/with-new-branch.payload.json",
            "sha256=801ba1d8199390be9430e9849f0e03284fe77e8604fcec6f99f72d01f985ee20",
        ),
        ("pull_request/opened.payload.json", "sha256=c2ffad1ff02fc60dbd05104f8894f7d7eb577d6b42ea86b59d194a1046401501"),
    ],
)
def test_known_answers_on_real_payloads(relative, expected):
    assert compute_signature("test-secret", sample_bytes(relative)) == expected


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "sha1=9a9f0305c9d734313619f456f97d71c1276ca31f",
        GITHUB_DOC_SIGNATURE[:-1],
        GITHUB_DOC_SIGNATURE + "0",
        GITHUB_DOC_SIGNATURE.replace("sha256=", "sha512="),
        "sha256=" + "z" * 64,
    ],
)
def test_malformed_signatures_never_verify(header):
    assert not verify_signature([GITHUB_DOC_SECRET], b"Hello, World!", header)


def test_one_changed_byte_fails():
    assert not verify_signature([GITHUB_DOC_SECRET], b"Hello, World?", GITHUB_DOC_SIGNATURE)


def test_uppercase_hex_is_accepted_and_any_of_several_secrets_matches():
    upper = "sha256=" + GITHUB_DOC_SIGNATURE.removeprefix("sha256=").upper()
    assert is_well_formed(upper)
    assert verify_signature(["other-secret", GITHUB_DOC_SECRET], b"Hello, World!", upper)
    assert not verify_signature(["other-secret", ""], b"Hello, World!", upper)
