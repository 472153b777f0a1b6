"""GitHub App mode for the simulator: the App, its installations and their tokens.

An App is registered with its RSA public key; it authenticates with a short-lived
JWT signed with its private key (RS256, ``iss`` = the App id or client id,
``iat`` no later than GitHub's clock, ``exp`` at most ten minutes ahead) and
calls only the App endpoints with it. It trades that JWT for an installation
token (``ghs_...``, one hour) that reads and writes the repositories the
installation covers, with the installation's own rate limit. The JWT checks
and their messages are GitHub's.

PyJWT and cryptography are imported when a JWT or a key is handled, not on
import: the personal-token simulator keeps working without them.
"""

import copy
import json
import secrets
import string
import time
from dataclasses import dataclass, field
from pathlib import Path

# GitHub's answers to a JWT it will not take (401, documentation_url https://docs.github.com/rest).
UNDECODABLE = "A JSON web token could not be decoded"
IAT_INVALID = "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued."
EXP_TOO_FAR = "'Expiration time' claim ('exp') is too far in the future"
EXP_INVALID = (
    "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion "
    "expires."
)
JWT_MAX_LIFETIME = 600  # seconds: exp at most ten minutes after iat, and after GitHub's now

DEFAULT_PERMISSIONS = {
    "actions": "read",
    "administration": "write",
    "contents": "read",
    "issues": "write",
    "metadata": "read",
    "pull_requests": "write",
    "repository_hooks": "write",
}
DEFAULT_EVENTS = ["issues", "label", "pull_request", "push", "repository"]
TOKEN_ALPHABET = string.ascii_letters + string.digits

_BUILTIN_ACCOUNT = {
    "login": "Codertocat",
    "id": 21031067,
    "node_id": "MDQ6VXNlcjIxMDMxMDY3",
    "url": "https://api.github.com/users/Codertocat",
    "html_url": "https://github.com/Codertocat",
    "type": "User",
    "site_admin": False,
}
BUILTIN = {
    "app": (
        "Octocoders",
        {
            "id": 29310,
            "slug": "octocoders-linter",
            "node_id": "MDM6QXBwMjkzMTA=",
            "owner": {**_BUILTIN_ACCOUNT, "login": "Octocoders", "id": 38302899, "type": "Organization"},
            "name": "octocoders-linter",
            "description": "",
            "external_url": "https://octocoders.io",
            "html_url": "https://github.com/apps/octocoders-linter",
            "created_at": "2019-04-19T19:36:24Z",
            "updated_at": "2019-04-19T19:36:56Z",
            "permissions": {},
            "events": [],
        },
    ),
    "installation": (
        "Codertocat",
        {
            "id": 957387,
            "account": _BUILTIN_ACCOUNT,
            "repository_selection": "selected",
            "access_tokens_url": "https://api.github.com/app/installations/957387/access_tokens",
            "repositories_url": "https://api.github.com/installation/repositories",
            "html_url": "https://github.com/settings/installations/957387",
            "app_id": 29310,
            "target_id": 21031067,
            "target_type": "User",
            "permissions": {},
            "events": [],
            "created_at": 1557933591,
            "updated_at": 1557933591,
            "single_file_name": None,
            "suspended_at": None,
            "suspended_by": None,
        },
    ),
}


def _first(path, pick):
    try:
        return pick(json.loads(Path(path).read_text()))
    except (OSError, ValueError, KeyError, IndexError, TypeError):
        return None


def load_templates(samples_dir):
    """(source owner, body) for an App and an installation: recorded when available, built-in otherwise.

    The App comes from a check run's ``app`` (the example with a ``slug``), the
    installation from the ``installation/created`` webhook, the one example
    with the full object.
    """
    hooks = Path(samples_dir) / "webhooks"
    recorded = {
        "app": (
            "Octocoders",
            _first(hooks / "check_run" / "completed.1.payload.json", lambda d: d["check_run"]["app"]),
        ),
        "installation": (
            "Codertocat",
            _first(hooks / "installation" / "created.payload.json", lambda d: d["installation"]),
        ),
    }
    templates = {}
    for kind, (source, body) in recorded.items():
        templates[kind] = (source, body) if isinstance(body, dict) else BUILTIN[kind]
    templates["recorded"] = sorted(kind for kind, (_, body) in recorded.items() if isinstance(body, dict))
    return templates


# --- Keys and JWTs (the App's side, for tests) -----------------------------------------------


def generate_app_key():
    """A new RSA 2048 key pair as (private PEM, public PEM), like the .pem GitHub lets an App download."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    ).decode()
    public_pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private_pem, public_pem


def make_app_jwt(private_pem, iss, *, now=None, iat=None, exp=None, algorithm="RS256"):
    """An App JWT as GitHub's docs build it: iat 60 s in the past, exp 9 minutes ahead (of ``now``).

    ``iss`` is put in as given (int or str): PyJWT's own encoder refuses an
    integer issuer, so the claims are signed as JSON bytes.
    """
    import jwt

    now = int(time.time() if now is None else now)
    claims = {"iat": now - 60 if iat is None else iat, "exp": now + 540 if exp is None else exp, "iss": iss}
    return jwt.PyJWS().encode(json.dumps(claims).encode(), private_pem, algorithm=algorithm)


# --- State ---------------------------------------------------------------------------------------


@dataclass
class App:
    id: int
    slug: str
    name: str
    client_id: str
    public_key_pem: str
    owner: dict
    permissions: dict
    events: list
    info: dict  # GitHub's body for GET /app, without what is counted at request time
    deliveries: list = field(default_factory=list)  # the App's webhook deliveries, oldest first

    def issued_by(self, iss):
        if isinstance(iss, bool):
            return False
        return iss == self.id or iss == str(self.id) or iss == self.client_id


@dataclass
class Installation:
    id: int
    app_id: int
    account: dict  # login, id, type, ...
    repository_selection: str  # "all" or "selected"
    repositories: set  # (owner, name) lowercased, when "selected"
    permissions: dict
    events: list
    created_at: str
    updated_at: str
    suspended_at: str | None = None
    suspended_by: dict | None = None

    @property
    def login(self):
        return self.account["login"]

    def covers(self, owner, name):
        if self.repository_selection == "all":
            return owner.lower() == self.login.lower()
        return (owner.lower(), name.lower()) in self.repositories


@dataclass
class InstallationToken:
    installation_id: int
    expires_at: float  # on the simulator's clock
    permissions: dict
    repositories: set | None  # None: every repository the installation covers
    lag: int = 0  # requests still refused (replication lag right after creation)

    def covers(self, installation, owner, name):
        if not installation.covers(owner, name):
            return False
        return self.repositories is None or (owner.lower(), name.lower()) in self.repositories


def new_installation_token():
    return "ghs_" + "".join(secrets.choice(TOKEN_ALPHABET) for _ in range(36))


def new_client_id():
    return "Iv23li" + "".join(secrets.choice(TOKEN_ALPHABET) for _ in range(14))


def app_body(template, source_owner, *, app_id, slug, name, client_id, owner, owner_type, permissions, events):
    body = copy.deepcopy(template)
    owner_body = dict(body.get("owner") or {})
    for key, value in list(owner_body.items()):
        if isinstance(value, str):
            owner_body[key] = value.replace(source_owner, owner)
    owner_body.update(login=owner, type=owner_type)
    body.update(
        id=app_id,
        slug=slug,
        client_id=client_id,
        name=name,
        owner=owner_body,
        html_url=f"https://github.com/apps/{slug}",
        permissions=dict(permissions),
        events=list(events),
    )
    return body


# --- Verifying a JWT ---------------------------------------------------------------------------


def _claims(token, key=None):
    """The JWT's claims, the signature checked with ``key`` (not checked without one); None if unreadable."""
    import jwt

    try:
        if key is None:
            decoded = jwt.PyJWS().decode_complete(token, options={"verify_signature": False})
        else:
            decoded = jwt.PyJWS().decode_complete(token, key, algorithms=["RS256"])
        claims = json.loads(decoded["payload"])
    except (jwt.PyJWTError, ValueError, TypeError):
        return None
    return claims if isinstance(claims, dict) else None


def verify_app_jwt(token, apps, now):
    """(App, None) for a JWT GitHub would take at time ``now``, else (None, GitHub's message).

    Like GitHub: the issuer names the App (its id as an integer or a string,
    or its client id), the signature is RS256 with that App's key, ``iat`` is
    an integer not later than now, ``exp`` is at most ten minutes after ``iat``
    (so after now too: ``iat`` is not later than now) and not past.
    """
    unverified = _claims(token)
    if unverified is None:
        return None, UNDECODABLE
    app = next((app for app in apps if app.issued_by(unverified.get("iss"))), None)
    if app is None:
        return None, UNDECODABLE
    claims = _claims(token, app.public_key_pem)
    if claims is None:
        return None, UNDECODABLE
    iat, exp = claims.get("iat"), claims.get("exp")
    if not isinstance(iat, int) or isinstance(iat, bool) or iat > now:
        return None, IAT_INVALID
    if not isinstance(exp, (int, float)) or isinstance(exp, bool):
        return None, EXP_INVALID
    if exp - iat > JWT_MAX_LIFETIME or exp > now + JWT_MAX_LIFETIME:
        return None, EXP_TOO_FAR
    if exp <= now:
        return None, EXP_INVALID
    return app, None
