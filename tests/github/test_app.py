"""The App's JWT: claims on GitHub's clock, the key's errors, the clock learnt from a refusal."""

import email.utils

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from github import sansio
from github.app import AppCredentials, AppKeyError, load_private_key

NOW = 1_700_000_000
IAT_REFUSED = "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued."


@pytest.fixture(scope="module")
def key_pair():
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return pem, private.public_key()


def claims_of(authorization, public_key):
    scheme, _, token = authorization.partition(" ")
    assert scheme == "Bearer"
    return jwt.decode(token, public_key, algorithms=["RS256"], options={"verify_exp": False, "verify_iat": False})


@pytest.mark.parametrize("now, iat, exp", [(NOW, NOW - 60, NOW + 480), (NOW + 0.9, NOW - 60, NOW + 480)])
def test_app_jwt_claims_are_backdated_and_live_under_ten_minutes(now, iat, exp):
    assert sansio.app_jwt_claims(42, now) == {"iat": iat, "exp": exp, "iss": "42"}
    assert exp - iat < 600


@pytest.mark.parametrize(
    "status, body, refused",
    [
        (
            401,
            {"message": IAT_REFUSED},
            True,
        ),
        (401, {"message": "'Expiration time' claim ('exp') is too far in the future"}, True),
        (401, {"message": "A JSON web token could not be decoded"}, False),
        (401, {"message": "Bad credentials"}, False),
        (403, {"message": "'Expiration time' claim ('exp') is too far in the future"}, False),
        (401, None, False),
    ],
)
def test_a_refusal_of_the_time_claims_is_told_from_other_401s(status, body, refused):
    assert sansio.is_jwt_clock_refusal(status, body) is refused


def test_server_time_from_the_date_header():
    assert sansio.server_time({"date": email.utils.formatdate(NOW, usegmt=True)}) == NOW
    assert sansio.server_time({"date": "yesterday"}) is None
    assert sansio.server_time({}) is None


def test_the_key_is_read_from_pem_text_with_literal_newlines(key_pair):
    pem, public = key_pair
    assert load_private_key(pem.replace("\n", "\\n")).public_key().public_numbers() == public.public_numbers()


@pytest.mark.parametrize(
    "pem, cause",
    [
        ("", "no GitHub App private key"),
        ("-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWJ1dC1ub3QtYS1rZXk=\n-----END PRIVATE KEY-----", "not a readable PEM"),
        (
            ec.generate_private_key(ec.SECP256R1())
            .private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
            .decode(),
            "not an RSA key",
        ),
    ],
)
def test_a_bad_key_is_a_clear_error_that_never_holds_the_key(pem, cause):
    with pytest.raises(AppKeyError) as raised:
        load_private_key(pem)
    assert cause in str(raised.value)
    for line in pem.splitlines()[1:-1]:
        assert line not in str(raised.value)


def test_a_jwt_is_signed_for_the_app_and_reused_until_near_its_expiry(key_pair):
    pem, public = key_pair
    clock = [float(NOW)]
    credentials = AppCredentials(42, pem, clock=lambda: clock[0])
    first = credentials.authorization()
    assert claims_of(first, public) == {"iat": NOW - 60, "exp": NOW + 480, "iss": "42"}
    clock[0] += 400
    assert credentials.authorization() == first
    clock[0] += 30  # within a minute of exp: a new one
    assert claims_of(credentials.authorization(), public)["iat"] == NOW + 430 - 60
    assert "BEGIN" not in repr(credentials) and credentials.key == "app:42"


def test_a_clock_refusal_moves_the_jwt_onto_githubs_clock(key_pair):
    pem, public = key_pair
    credentials = AppCredentials(7, pem, clock=lambda: NOW)
    credentials.authorization()
    github_is_behind = {"date": email.utils.formatdate(NOW - 300, usegmt=True)}
    refusal = {"message": IAT_REFUSED}
    assert credentials.correct_clock(401, github_is_behind, refusal) is True
    assert credentials.clock_offset == -300
    assert claims_of(credentials.authorization(), public)["iat"] == NOW - 300 - 60
    assert credentials.correct_clock(401, github_is_behind, {"message": "Bad credentials"}) is False
    assert credentials.correct_clock(401, {}, refusal) is False  # no Date: nothing to learn
