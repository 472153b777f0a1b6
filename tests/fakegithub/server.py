"""A small GitHub REST simulator: a real HTTP server on 127.0.0.1 with state that changes.

It serves what this service asks GitHub (repository info and settings, pulls,
issues, labels, workflows, webhooks and their deliveries, /rate_limit) the
way GitHub does: strong ``ETag`` on every 200 and ``304`` on a matching
``If-None-Match`` (or ``If-Modified-Since``) that costs nothing against the
limit, ``Link`` pagination, ``x-ratelimit-*`` headers from a per-token budget
that resets, a 403 when the budget is spent. Tests can inject secondary
limits, 5xx, dropped connections and slow answers, seed webhook deliveries,
change upstream data, and read back every request with what it cost.

    fake = FakeGitHub(token="t").start()
    fake.add_repo("octo", "hello")
    ... point the client at fake.url ...
    fake.stop()

It can also play GitHub for a GitHub App (see apps.py): ``register_app`` with
the App's public key, ``add_installation`` for an account, then the App's JWT
gets the App endpoints (``/app``, ``/app/installations``, installation
tokens, the App's hook deliveries) and each installation token
(``ghs_...``) reads what its installation covers, with its own rate limit,
until it expires. ``clock_skew`` moves the simulator's clock (the JWT checks,
token expiry, rate-limit resets and the ``Date`` header) away from the host's.
"""

import base64
import hashlib
import json
import re
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

from . import apps, bodies

SECONDARY_MESSAGE = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. "
    "If you reach out to GitHub Support for help, please include the request ID {request_id}."
)
DOCS = "https://docs.github.com/rest"
BAD_CREDENTIALS = {"message": "Bad credentials", "documentation_url": DOCS}
NOT_ACCESSIBLE = "Resource not accessible by integration"
# Paths only an App's JWT may call.
APP_PATH = re.compile(r"/app(/.*)?|/repos/[^/]+/[^/]+/installation|/(orgs|users)/[^/]+/installation")
APP_DOCS = f"{DOCS}/apps/apps"
HEX_COLOR = re.compile(r"[0-9a-fA-F]{6}")
REPO_FIELDS = (
    "name",
    "description",
    "homepage",
    "private",
    "visibility",
    "has_issues",
    "has_projects",
    "has_wiki",
    "is_template",
    "default_branch",
    "allow_squash_merge",
    "allow_merge_commit",
    "allow_rebase_merge",
    "allow_auto_merge",
    "delete_branch_on_merge",
    "allow_update_branch",
    "archived",
    "web_commit_signoff_required",
)


def iso(timestamp):
    return datetime.fromtimestamp(timestamp, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict
    headers: dict  # Authorization is replaced by its scheme: the simulator keeps no tokens
    body: object
    status: int = 0
    cost: int = 0  # what the request took off the primary rate limit
    resource: str = ""
    fault: str = ""
    client_port: int = 0  # the client's side of the TCP connection: same port, same pooled connection
    credential: str = ""  # "token", "app" (a JWT, taken or not), "installation" (a ghs_ token); "" if none
    app_id: int | None = None  # the App a JWT was taken for
    installation_id: int | None = None  # the installation a ghs_ token belongs to


@dataclass
class Credential:
    kind: str  # "anonymous", "token", "app", "installation"
    budget_key: str
    app: object = None
    installation: object = None
    access: object = None  # the InstallationToken


@dataclass
class Fault:
    kind: str  # "status", "secondary", "drop", "slow"
    remaining: int
    status: int = 502
    retry_after: int | None = None
    delay: float = 0.0
    path: str = ""  # prefix the request path must start with; "" matches all
    method: str = ""


@dataclass
class Budget:
    limit: int
    remaining: int
    reset: int
    used: int = 0


@dataclass
class Repo:
    owner: str
    name: str
    id: int
    info: dict
    pulls: list = field(default_factory=list)
    issues: list = field(default_factory=list)
    labels: list = field(default_factory=list)
    workflows: list = field(default_factory=list)
    hooks: dict = field(default_factory=dict)
    deliveries: dict = field(default_factory=dict)  # hook id -> list, oldest first
    modified: float = 0.0

    @property
    def full_name(self):
        return f"{self.owner}/{self.name}"


class FakeGitHub:
    def __init__(
        self,
        *,
        token=None,
        rate_limit=5000,
        reset_in=3600,
        primary_status=403,
        auto_create_repos=False,
        samples_dir=None,
        host="127.0.0.1",
        port=0,
    ):
        self.token = token
        self.rate_limit = rate_limit
        self.reset_in = reset_in
        self.primary_status = primary_status
        self.auto_create_repos = auto_create_repos
        self.host = host
        self.port = port
        self.templates = bodies.load_templates(samples_dir or bodies.SAMPLES_DIR)
        self.app_templates = apps.load_templates(samples_dir or bodies.SAMPLES_DIR)
        self.repos = {}
        self.requests = []
        self.faults = []
        self.budgets = {}
        self.redelivery_status_code = 200
        self.clock_skew = 0.0  # seconds the simulator's clock is ahead of (negative: behind) the host's
        self.installation_token_ttl = 3600
        self.apps = {}  # App id -> App
        self.installations = {}  # installation id -> Installation
        self.installation_tokens = {}  # ghs_ token -> InstallationToken
        self.tokens_created = {}  # installation id -> access tokens created
        self._token_lag = 0
        self._accounts = {}  # login, lowercased -> account id
        self.lock = threading.RLock()
        # Installation and account ids far from repository ids: mixing them up shows.
        self._ids = {"installation": 41_000_000, "account": 9_000_000}
        self._connections = set()
        self._server = None
        self._thread = None

    # --- Lifecycle ------------------------------------------------------------------

    def start(self):
        handler = type("Handler", (_Handler,), {"fake": self})
        self._server = ThreadingHTTPServer((self.host, self.port), handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fakegithub", daemon=True
        )
        self._thread.start()
        return self

    def stop(self):
        """Stop listening and cut open keep-alive connections: GitHub is gone."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        with self.lock:
            connections, self._connections = list(self._connections), set()
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def url(self):
        return f"http://{self.host}:{self.port}"

    def now(self):
        """The simulator's clock: the host's plus ``clock_skew``."""
        return time.time() + self.clock_skew

    # --- Seeding and changing state ------------------------------------------------

    def next_id(self, kind):
        with self.lock:
            self._ids[kind] = self._ids.get(kind, 1000) + 1
            return self._ids[kind]

    def add_repo(self, owner, name, *, pulls=3, issues=5, workflows=2, labels=None, private=False):
        with self.lock:
            repo_id = self.next_id("repo")
            source, template = self.templates["repository"]
            info = bodies.restamp(template, source, f"{owner}/{name}")
            info.update(id=repo_id, name=name, full_name=f"{owner}/{name}", private=private)
            info["visibility"] = "private" if private else "public"
            if isinstance(info.get("owner"), dict):
                info["owner"]["login"] = owner
            repo = Repo(owner=owner, name=name, id=repo_id, info=info, modified=float(int(time.time())))
            self.repos[(owner.lower(), name.lower())] = repo
            source, label_templates = self.templates["label"]
            for label in bodies.restamp(label_templates, source, repo.full_name):
                if labels is None or label["name"] in labels:
                    label["id"] = self.next_id("label")
                    repo.labels.append(label)
            for _ in range(pulls):
                self._new_pull(repo)
            for number in range(issues):
                self._new_issue(repo, labels=[repo.labels[number % len(repo.labels)]["name"]] if repo.labels else [])
            for _ in range(workflows):
                self._new_workflow(repo)
            self._touch(repo)
            return repo

    def repo(self, owner, name):
        with self.lock:
            repo = self.repos.get((owner.lower(), name.lower()))
            if repo is None and self.auto_create_repos:
                repo = self.add_repo(owner, name)
            return repo

    def _touch(self, repo):
        # Last-Modified has one-second resolution, like HTTP dates.
        repo.modified = max(float(int(time.time())), repo.modified + 1)
        repo.info["updated_at"] = iso(repo.modified)

    def _number(self, repo):
        return max([item["number"] for item in repo.pulls + repo.issues] or [0]) + 1

    def _new_pull(self, repo, **overrides):
        number = self._number(repo)
        source, template = self.templates["pull"]
        pull = bodies.restamp(template, source, repo.full_name)
        for name in bodies.PULL_DETAIL_ONLY:
            pull.pop(name, None)
        now = iso(time.time())
        pull.update(
            id=self.next_id("pull"),
            number=number,
            title=f"Pull request {number}",
            state="open",
            created_at=now,
            updated_at=now,
            url=f"https://api.github.com/repos/{repo.full_name}/pulls/{number}",
            html_url=f"https://github.com/{repo.full_name}/pull/{number}",
        )
        if isinstance(pull.get("head"), dict):
            pull["head"]["ref"] = f"feature-{number}"
            pull["head"]["label"] = f"{repo.owner}:feature-{number}"
        if isinstance(pull.get("base"), dict):
            pull["base"]["ref"] = repo.info.get("default_branch", "main")
            pull["base"]["label"] = f"{repo.owner}:{pull['base']['ref']}"
        pull.update(overrides)
        repo.pulls.append(pull)
        return pull

    def _new_issue(self, repo, labels=(), **overrides):
        number = self._number(repo)
        source, template = self.templates["issue"]
        issue = bodies.restamp(template, source, repo.full_name, [("/issues/13", f"/issues/{number}")])
        now = iso(time.time())
        issue.update(
            id=self.next_id("issue"),
            number=number,
            title=f"Issue {number}",
            state="open",
            created_at=now,
            updated_at=now,
            labels=[label for label in repo.labels if label["name"] in labels],
        )
        issue.update(overrides)
        repo.issues.append(issue)
        return issue

    def _new_workflow(self, repo, name=None):
        source, template = self.templates["workflow"]
        workflow = bodies.restamp(template, source, repo.full_name)
        workflow_id = self.next_id("workflow")
        name = name or f"ci-{workflow_id}"
        workflow.update(
            id=workflow_id,
            name=name,
            path=f".github/workflows/{name}.yml",
            url=f"https://api.github.com/repos/{repo.full_name}/actions/workflows/{workflow_id}",
        )
        repo.workflows.append(workflow)
        return workflow

    def change(self, owner, name, resource):
        """An upstream change someone else made on GitHub: the resource's ETag changes."""
        with self.lock:
            repo = self.repo(owner, name)
            if resource == "info":
                repo.info["description"] = f"Changed at {time.time():.6f}"
                repo.info["stargazers_count"] = repo.info.get("stargazers_count", 0) + 1
            elif resource == "pulls":
                self._new_pull(repo)
            elif resource == "issues":
                self._new_issue(repo)
            elif resource == "labels":
                label_id = self.next_id("label")
                repo.labels.append(
                    {
                        "id": label_id,
                        "name": f"label-{label_id}",
                        "color": "ededed",
                        "default": False,
                        "description": None,
                        "url": f"https://api.github.com/repos/{repo.full_name}/labels/label-{label_id}",
                    }
                )
            elif resource == "workflows":
                self._new_workflow(repo)
            else:
                raise ValueError(resource)
            if resource == "info":
                self._touch(repo)

    def seed_delivery(
        self,
        owner,
        name,
        hook_id,
        *,
        guid=None,
        status_code=200,
        event="push",
        action=None,
        redelivery=False,
        delivered_at=None,
    ):
        """A delivery GitHub made for a hook (failed when status_code is not 2xx); returns it."""
        with self.lock:
            repo = self.repo(owner, name)
            delivery = self._delivery_record(guid, status_code, event, action, redelivery, delivered_at)
            delivery["repository_id"] = repo.id
            repo.deliveries.setdefault(int(hook_id), []).append(delivery)
            return delivery

    def _delivery_record(self, guid, status_code, event, action, redelivery, delivered_at):
        return {
            "id": self.next_id("delivery"),
            "guid": guid or str(uuid.uuid4()),
            "delivered_at": iso(delivered_at or time.time()),
            "redelivery": redelivery,
            "duration": 0.27,
            "status": "OK" if 200 <= status_code < 300 else f"Invalid HTTP Response: {status_code}",
            "status_code": status_code,
            "event": event,
            "action": action,
            "installation_id": None,
            "repository_id": None,
            "throttled_at": None,
        }

    # --- GitHub Apps ------------------------------------------------------------------------

    def register_app(
        self,
        *,
        app_id,
        public_key_pem,
        slug="fake-app",
        name=None,
        client_id=None,
        owner="octo-org",
        owner_type="Organization",
        permissions=None,
        events=None,
    ):
        """An App GitHub knows, with the public half of its key; its JWTs are checked against it."""
        with self.lock:
            source, template = self.app_templates["app"]
            app = apps.App(
                id=int(app_id),
                slug=slug,
                name=name or slug,
                client_id=client_id or apps.new_client_id(),
                public_key_pem=public_key_pem,
                owner={"login": owner, "type": owner_type},
                permissions=dict(permissions or apps.DEFAULT_PERMISSIONS),
                events=list(apps.DEFAULT_EVENTS if events is None else events),
                info={},
            )
            app.info = apps.app_body(
                template,
                source,
                app_id=app.id,
                slug=slug,
                name=app.name,
                client_id=app.client_id,
                owner=owner,
                owner_type=owner_type,
                permissions=app.permissions,
                events=app.events,
            )
            app.owner = app.info["owner"]
            self.apps[app.id] = app
            return app

    def _app(self, app_id=None):
        if app_id is not None:
            return self.apps[int(app_id)]
        if len(self.apps) != 1:
            raise ValueError(f"{len(self.apps)} Apps registered: name one with app_id")
        return next(iter(self.apps.values()))

    def add_installation(
        self,
        account,
        *,
        account_type="Organization",
        repositories="all",
        permissions=None,
        events=None,
        app_id=None,
    ):
        """The App installed on an account, for all its repositories or the (owner, name) pairs given; its id."""
        with self.lock:
            app = self._app(app_id)
            if account.lower() not in self._accounts:
                self._accounts[account.lower()] = self.next_id("account")
            account_id = self._accounts[account.lower()]
            source, template = self.app_templates["installation"]
            account_body = bodies.restamp(template.get("account") or {}, source, account)
            account_body.update(login=account, id=account_id, type=account_type)
            now = iso(self.now())
            selected = repositories != "all"
            installation = apps.Installation(
                id=self.next_id("installation"),
                app_id=app.id,
                account=account_body,
                repository_selection="selected" if selected else "all",
                repositories={(o.lower(), n.lower()) for o, n in repositories} if selected else set(),
                permissions=dict(app.permissions if permissions is None else permissions),
                events=list(app.events if events is None else events),
                created_at=now,
                updated_at=now,
            )
            self.installations[installation.id] = installation
            return installation.id

    def installation(self, installation_id):
        with self.lock:
            return self.installations.get(int(installation_id))

    def suspend_installation(self, installation_id):
        """Suspended by the account: no new tokens, and its tokens are refused (403) until unsuspended."""
        with self.lock:
            installation = self.installations[int(installation_id)]
            installation.suspended_at = iso(self.now())
            installation.suspended_by = {"login": installation.login, "id": installation.account["id"], "type": "User"}

    def unsuspend_installation(self, installation_id):
        with self.lock:
            installation = self.installations[int(installation_id)]
            installation.suspended_at = installation.suspended_by = None

    def delete_installation(self, installation_id):
        """Uninstalled: the id is gone (404) and its tokens are bad credentials."""
        with self.lock:
            return self.installations.pop(int(installation_id))

    def reinstall(self, account, *, app_id=None):
        """Uninstalled and installed again on ``account`` with the same settings: the new installation id."""
        with self.lock:
            app = self._app(app_id)
            old = next(
                (i for i in self.installations.values() if i.app_id == app.id and i.login.lower() == account.lower()),
                None,
            )
            if old is None:
                raise KeyError(f"no installation of App {app.id} on {account}")
            self.delete_installation(old.id)
            return self.add_installation(
                old.login,
                account_type=old.account.get("type", "Organization"),
                repositories=sorted(old.repositories) if old.repository_selection == "selected" else "all",
                permissions=old.permissions,
                events=old.events,
                app_id=app.id,
            )

    def token_requests(self, installation_id):
        """How many installation tokens were created for the installation."""
        with self.lock:
            return self.tokens_created.get(int(installation_id), 0)

    def token_lag_next(self, count=1):
        """The next installation token created is refused (401 Bad credentials) for its first ``count`` requests.

        GitHub does this now and then right after creating a token, until the
        token has reached every replica.
        """
        with self.lock:
            self._token_lag = count

    def seed_app_delivery(
        self,
        *,
        app_id=None,
        guid=None,
        status_code=200,
        event="installation",
        action="created",
        installation_id=None,
        repository_id=None,
        redelivery=False,
        delivered_at=None,
    ):
        """A delivery GitHub made to the App's webhook (failed when status_code is not 2xx); returns it."""
        with self.lock:
            app = self._app(app_id)
            delivery = self._delivery_record(guid, status_code, event, action, redelivery, delivered_at)
            delivery.update(installation_id=installation_id, repository_id=repository_id)
            app.deliveries.append(delivery)
            return delivery

    # --- Rate limits and faults -----------------------------------------------------------

    def set_rate_limit(
        self, *, remaining=None, limit=None, reset_in=None, resource="core", token=None, installation=None, app=None
    ):
        """Change a budget now: a token's (default: the configured token), an installation's or an App's (JWT)."""
        with self.lock:
            if installation is not None:
                key = f"installation:{int(installation)}"
            elif app is not None:
                key = f"app:{int(app)}"
            else:
                key = token if token is not None else self.token or ""
            budget = self._budget(key, resource)
            if limit is not None:
                budget.limit = limit
            if remaining is not None:
                budget.remaining = remaining
                budget.used = budget.limit - remaining
            if reset_in is not None:
                budget.reset = int(self.now() + reset_in)
            return budget

    def _budget(self, token_key, resource):
        """The budget of one credential (a token, ``installation:<id>``, ``app:<id>``) for one resource."""
        now = self.now()
        budget = self.budgets.get((token_key, resource))
        if budget is None or now >= budget.reset:
            limit = (30 if resource == "search" else self.rate_limit) if token_key else 60
            budget = Budget(limit=limit, remaining=limit, reset=int(now + self.reset_in) + 1)
            self.budgets[(token_key, resource)] = budget
        return budget

    def inject(self, kind, count=1, *, status=502, retry_after=None, delay=0.0, path="", method=""):
        with self.lock:
            self.faults.append(Fault(kind, count, status, retry_after, delay, path, method.upper()))

    def fail_next(self, count=1, status=502, path=""):
        self.inject("status", count, status=status, path=path)

    def secondary_limit_next(self, count=1, retry_after=None, status=403, path="", method=""):
        self.inject("secondary", count, status=status, retry_after=retry_after, path=path, method=method)

    def drop_next(self, count=1, path=""):
        self.inject("drop", count, path=path)

    def slow_next(self, count=1, delay=1.0, path=""):
        self.inject("slow", count, delay=delay, path=path)

    def _take_fault(self, method, path):
        with self.lock:
            for fault in self.faults:
                if fault.remaining > 0 and path.startswith(fault.path) and fault.method in ("", method):
                    fault.remaining -= 1
                    return fault
        return None

    # --- Inspection ----------------------------------------------------------------------

    def stats(self):
        with self.lock:
            requests = list(self.requests)
        by_status = {}
        for request in requests:
            by_status[request.status] = by_status.get(request.status, 0) + 1
        return {
            "requests": len(requests),
            "counted": sum(request.cost for request in requests),
            "not_modified": by_status.get(304, 0),
            "by_status": by_status,
        }

    def reset_stats(self):
        with self.lock:
            self.requests.clear()

    def requests_to(self, path, method=None):
        with self.lock:
            return [r for r in self.requests if r.path == path and (method is None or r.method == method.upper())]

    def jwt_requests(self, path=None):
        """Requests that came with an App JWT (taken or refused), optionally to one path."""
        with self.lock:
            return [r for r in self.requests if r.credential == "app" and (path is None or r.path == path)]

    def installation_requests(self, installation_id):
        """Requests that came with a token of the installation."""
        with self.lock:
            return [r for r in self.requests if r.installation_id == int(installation_id)]

    # --- Request handling -------------------------------------------------------------------

    def handle(self, method, raw_path, headers, raw_body, client_port=0):
        """(status, headers, body bytes) for one request, or None to drop the connection."""
        parts = urlsplit(raw_path)
        path = parts.path.rstrip("/") or "/"
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        try:
            body = json.loads(raw_body) if raw_body else None
        except ValueError:
            body = raw_body.decode("utf-8", "replace")
        auth = headers.get("Authorization", "")
        scheme, _, token = auth.partition(" ")
        recorded_headers = {name: value for name, value in headers.items() if name.lower() != "authorization"}
        if auth:
            recorded_headers["Authorization"] = f"{scheme} <redacted>"
        record = RecordedRequest(method, path, query, recorded_headers, body, client_port=client_port)
        with self.lock:
            self.requests.append(record)
        request_id = f"{uuid.uuid4().hex[:4].upper()}:{uuid.uuid4().hex[:5].upper()}"
        response_headers = {"X-GitHub-Request-Id": request_id}

        fault = self._take_fault(method, path)
        if fault is not None:
            record.fault = fault.kind
            if fault.kind == "drop":
                record.status = 0
                return None
            if fault.kind == "slow":
                time.sleep(fault.delay)

        credential, refusal = self._authenticate(auth, scheme, token, headers, record)
        if refusal is None:
            refusal = self._scope(credential, path)
        if refusal is not None:
            status, payload = refusal
            return self._finish(record, status, payload, response_headers)

        resource = "search" if path.startswith("/search/") else "core"
        record.resource = resource
        with self.lock:
            budget = self._budget(credential.budget_key, resource)
            if fault is not None and fault.kind == "secondary":
                if fault.retry_after is not None:
                    response_headers["Retry-After"] = str(fault.retry_after)
                return self._finish(
                    record,
                    fault.status,
                    {
                        "message": SECONDARY_MESSAGE.format(request_id=request_id),
                        "documentation_url": (
                            f"{DOCS}/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"
                        ),
                    },
                    response_headers,
                    budget=budget,
                    resource=resource,
                )
            if fault is not None and fault.kind == "status":
                return self._finish(record, fault.status, {"message": "Server Error"}, response_headers)
            if path == "/rate_limit" and method == "GET":
                # Free: GET /rate_limit does not count against the limit.
                return self._finish(
                    record,
                    200,
                    self._rate_limit_body(credential.budget_key),
                    response_headers,
                    budget=budget,
                    resource=resource,
                )
            if budget.remaining <= 0:
                whose = (
                    f"installation ID {credential.installation.id}"
                    if credential.kind == "installation"
                    else "user ID 1"
                )
                return self._finish(
                    record,
                    self.primary_status,
                    {
                        "message": f"API rate limit exceeded for {whose}. If you reach out to GitHub Support for "
                        "help, please include the request ID " + request_id + ".",
                        "documentation_url": f"{DOCS}/overview/rate-limits-for-the-rest-api",
                    },
                    response_headers,
                    budget=budget,
                    resource=resource,
                )
            if APP_PATH.fullmatch(path):
                status, payload, extra = self._route_app(method, path, query, body, credential.app)
            else:
                status, payload, extra = self._route(method, path, query, body, credential)
            response_headers.update(extra)
            payload_bytes = b"" if payload is None else json.dumps(payload).encode()
            if status == 200 and method == "GET":
                etag = '"' + hashlib.sha256(payload_bytes).hexdigest()[:32] + '"'
                response_headers["ETag"] = etag
                if self._not_modified(headers, etag, extra.get("Last-Modified")):
                    # A 304 to an authorized conditional request is free.
                    status, payload_bytes = 304, b""
            if not (status == 304 and auth):
                budget.remaining -= 1
                budget.used += 1
                record.cost = 1
            return self._finish(record, status, payload_bytes, response_headers, budget=budget, resource=resource)

    def _authenticate(self, auth, scheme, token, headers, record):
        """(Credential, None), or (None, (status, body)) for credentials GitHub refuses."""
        if not auth:
            return Credential("anonymous", f"anonymous:{headers.get('X-Forwarded-For', '127.0.0.1')}"), None
        if scheme.lower() not in ("bearer", "token"):
            return None, (401, BAD_CREDENTIALS)
        if token.count(".") == 2:
            # A JWT: an App authenticating as itself.
            record.credential = "app"
            with self.lock:
                registered = list(self.apps.values())
            app, message = apps.verify_app_jwt(token, registered, self.now())
            if app is None:
                return None, (401, {"message": message, "documentation_url": DOCS})
            record.app_id = app.id
            return Credential("app", f"app:{app.id}", app=app), None
        if token.startswith("ghs_"):
            record.credential = "installation"
            with self.lock:
                access = self.installation_tokens.get(token)
                installation = self.installations.get(access.installation_id) if access is not None else None
                if installation is None or access.expires_at <= self.now():
                    return None, (401, BAD_CREDENTIALS)
                record.installation_id = installation.id
                if access.lag > 0:
                    access.lag -= 1
                    record.fault = "token_lag"
                    return None, (401, BAD_CREDENTIALS)
                if installation.suspended_at is not None:
                    return None, (403, {"message": "This installation has been suspended", "documentation_url": DOCS})
            return Credential(
                "installation", f"installation:{installation.id}", installation=installation, access=access
            ), None
        if self.token is not None and token != self.token:
            return None, (401, BAD_CREDENTIALS)
        record.credential = "token"
        return Credential("token", token), None

    @staticmethod
    def _scope(credential, path):
        """A JWT opens the App endpoints only, and only a JWT opens them: None, or (401, GitHub's body)."""
        app_path = APP_PATH.fullmatch(path) is not None
        if credential.kind == "app" and not app_path:
            return 401, BAD_CREDENTIALS
        if credential.kind != "app" and app_path:
            return 401, {"message": apps.UNDECODABLE, "documentation_url": DOCS}
        return None

    @staticmethod
    def _not_modified(headers, etag, last_modified):
        if_none_match = headers.get("If-None-Match")
        if if_none_match:
            tags = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
            return etag in tags or "*" in tags
        if_modified_since = headers.get("If-Modified-Since")
        if if_modified_since and last_modified:
            try:
                return parsedate_to_datetime(last_modified) <= parsedate_to_datetime(if_modified_since)
            except (TypeError, ValueError):
                return False
        return False

    def _finish(self, record, status, payload, headers, *, budget=None, resource="core"):
        record.status = status
        if isinstance(payload, (dict, list)):
            payload = json.dumps(payload).encode()
        headers = dict(headers)
        if payload:
            headers.setdefault("Content-Type", "application/json; charset=utf-8")
        if status in (200, 304):
            headers.setdefault("Cache-Control", "private, max-age=60, s-maxage=60")
            headers.setdefault("Vary", "Accept, Authorization, Cookie, X-GitHub-OTP")
        headers["X-GitHub-Media-Type"] = "github.v3; format=json"
        headers["X-GitHub-Api-Version-Selected"] = "2022-11-28"
        if budget is not None:
            headers.update(
                {
                    "X-RateLimit-Limit": str(budget.limit),
                    "X-RateLimit-Remaining": str(max(budget.remaining, 0)),
                    "X-RateLimit-Reset": str(budget.reset),
                    "X-RateLimit-Used": str(budget.used),
                    "X-RateLimit-Resource": resource,
                }
            )
        return status, headers, payload or b""

    def _rate_limit_body(self, token_key):
        resources = {}
        for resource in ("core", "search", "graphql", "integration_manifest", "code_search"):
            budget = self._budget(token_key, resource)
            resources[resource] = {
                "limit": budget.limit,
                "used": budget.used,
                "remaining": budget.remaining,
                "reset": budget.reset,
            }
        return {"resources": resources, "rate": resources["core"]}

    # --- Routes ---------------------------------------------------------------------------

    def _route(self, method, path, query, body, credential=None):
        installation = credential is not None and credential.kind == "installation"
        match = re.fullmatch(r"/repos/([^/]+)/([^/]+)(/.*)?", path)
        if not match:
            if installation and path == "/installation/repositories" and method == "GET":
                return self._installation_repositories(credential, query)
            if installation and (path == "/user" or path.startswith("/user/")):
                return 403, {"message": NOT_ACCESSIBLE, "documentation_url": f"{DOCS}/users/users"}, {}
            return 404, {"message": "Not Found", "documentation_url": DOCS}, {}
        repo = self.repo(unquote(match.group(1)), unquote(match.group(2)))
        if repo is None:
            return 404, {"message": "Not Found", "documentation_url": f"{DOCS}/repos/repos#get-a-repository"}, {}
        rest = match.group(3) or ""
        segments = [unquote(segment) for segment in rest.split("/")[1:]]
        if installation:
            refusal = self._installation_access(credential, repo, method, segments)
            if refusal is not None:
                return refusal
        routes = [
            ((), "GET", self._get_repo),
            ((), "PATCH", self._patch_repo),
            (("pulls",), "GET", self._list_pulls),
            (("issues",), "GET", self._list_issues),
            (("labels",), "GET", self._list_labels),
            (("labels",), "POST", self._create_label),
            (("labels", None), "GET", self._get_label),
            (("labels", None), "PATCH", self._update_label),
            (("labels", None), "DELETE", self._delete_label),
            (("actions", "workflows"), "GET", self._list_workflows),
            (("hooks",), "GET", self._list_hooks),
            (("hooks",), "POST", self._create_hook),
            (("hooks", None), "GET", self._get_hook),
            (("hooks", None), "PATCH", self._update_hook),
            (("hooks", None, "pings"), "POST", self._ping_hook),
            (("hooks", None, "deliveries"), "GET", self._list_deliveries),
            (("hooks", None, "deliveries", None), "GET", self._get_delivery),
            (("hooks", None, "deliveries", None, "attempts"), "POST", self._redeliver),
        ]
        path_matched = False
        for pattern, route_method, handler in routes:
            same_shape = len(pattern) == len(segments)
            if same_shape and all(p is None or p == s for p, s in zip(pattern, segments, strict=True)):
                path_matched = True
                if route_method == method:
                    args = [s for p, s in zip(pattern, segments, strict=True) if p is None]
                    return handler(repo, query, body, *args)
        if path_matched:
            return 404, {"message": "Not Found", "documentation_url": DOCS}, {}  # GitHub: no 405
        return 404, {"message": "Not Found", "documentation_url": DOCS}, {}

    # --- Installation tokens on repository endpoints ------------------------------------------

    # The permission a repository endpoint needs (any one of them), by its first segment after the repository.
    PERMISSIONS_BY_SEGMENT = {
        "pulls": ("pull_requests",),
        "issues": ("issues",),
        "labels": ("issues", "pull_requests"),
        "actions": ("actions",),
        "hooks": ("repository_hooks",),
    }
    PERMISSION_RANK = {"read": 1, "write": 2, "admin": 3}

    def _installation_access(self, credential, repo, method, segments):
        """None if the installation token may make this request, else GitHub's refusal."""
        if not credential.access.covers(credential.installation, repo.owner, repo.name):
            if repo.info.get("private"):
                # A private repository the token does not cover does not exist for it.
                return 404, {"message": "Not Found", "documentation_url": f"{DOCS}/repos/repos#get-a-repository"}, {}
            return 403, {"message": NOT_ACCESSIBLE, "documentation_url": f"{DOCS}/repos/repos#get-a-repository"}, {}
        level = "read" if method in ("GET", "HEAD") else "write"
        if not segments:
            names = ("metadata",) if level == "read" else ("administration",)
        else:
            names = self.PERMISSIONS_BY_SEGMENT.get(segments[0], ("metadata",))
        granted = credential.access.permissions
        if any(self.PERMISSION_RANK.get(granted.get(name), 0) >= self.PERMISSION_RANK[level] for name in names):
            return None
        accepted = "; ".join(f"{name}={level}" for name in names)
        return 403, {"message": NOT_ACCESSIBLE, "documentation_url": DOCS}, {"X-Accepted-GitHub-Permissions": accepted}

    def _installation_repositories(self, credential, query):
        covered = [
            repo.info
            for repo in self.repos.values()
            if credential.access.covers(credential.installation, repo.owner, repo.name)
        ]
        covered.sort(key=lambda info: info["id"])
        items, links = self._page(covered, query, "/installation/repositories")
        selection = "selected" if credential.access.repositories is not None else None
        body = {
            "total_count": len(covered),
            "repository_selection": selection or credential.installation.repository_selection,
            "repositories": items,
        }
        return 200, body, links

    # --- App endpoints (JWT) ----------------------------------------------------------------------

    def _route_app(self, method, path, query, body, app):
        routes = [
            (r"/app", "GET", self._get_app),
            (r"/app/installations", "GET", self._list_installations),
            (r"/app/installations/(\d+)", "GET", self._get_installation),
            (r"/app/installations/(\d+)/access_tokens", "POST", self._create_access_token),
            (r"/app/hook/deliveries", "GET", self._list_app_deliveries),
            (r"/app/hook/deliveries/(\d+)", "GET", self._get_app_delivery),
            (r"/app/hook/deliveries/(\d+)/attempts", "POST", self._redeliver_app_delivery),
            (r"/repos/([^/]+)/([^/]+)/installation", "GET", self._repo_installation),
            (r"/orgs/([^/]+)/installation", "GET", self._account_installation),
            (r"/users/([^/]+)/installation", "GET", self._account_installation),
        ]
        for pattern, route_method, handler in routes:
            match = re.fullmatch(pattern, path)
            if match and route_method == method:
                return handler(app, query, body, *[unquote(group) for group in match.groups()])
        return 404, {"message": "Not Found", "documentation_url": DOCS}, {}

    def _installations_of(self, app):
        return sorted((i for i in self.installations.values() if i.app_id == app.id), key=lambda i: i.id)

    def _get_app(self, app, query, body):
        return 200, {**app.info, "installations_count": len(self._installations_of(app))}, {}

    def _installation_body(self, installation):
        source, template = self.app_templates["installation"]
        body = bodies.restamp(template, source, installation.login)
        app = self.apps.get(installation.app_id)
        settings = (
            f"https://github.com/organizations/{installation.login}/settings/installations/{installation.id}"
            if installation.account.get("type") == "Organization"
            else f"https://github.com/settings/installations/{installation.id}"
        )
        body.update(
            id=installation.id,
            account=installation.account,
            repository_selection=installation.repository_selection,
            access_tokens_url=f"https://api.github.com/app/installations/{installation.id}/access_tokens",
            repositories_url="https://api.github.com/installation/repositories",
            html_url=settings,
            app_id=installation.app_id,
            app_slug=app.slug if app is not None else None,
            target_id=installation.account["id"],
            target_type=installation.account.get("type", "Organization"),
            permissions=dict(installation.permissions),
            events=list(installation.events),
            created_at=installation.created_at,
            updated_at=installation.updated_at,
            suspended_at=installation.suspended_at,
            suspended_by=installation.suspended_by,
        )
        return body

    def _list_installations(self, app, query, body):
        items, links = self._page(self._installations_of(app), query, "/app/installations")
        return 200, [self._installation_body(installation) for installation in items], links

    def _app_installation(self, app, installation_id):
        installation = self.installations.get(int(installation_id))
        return installation if installation is not None and installation.app_id == app.id else None

    def _get_installation(self, app, query, body, installation_id):
        installation = self._app_installation(app, installation_id)
        if installation is None:
            return (
                404,
                {
                    "message": "Not Found",
                    "documentation_url": f"{APP_DOCS}#get-an-installation-for-the-authenticated-app",
                },
                {},
            )
        return 200, self._installation_body(installation), {}

    def _repo_installation(self, app, query, body, owner, name):
        repo = self.repo(owner, name)
        for installation in self._installations_of(app):
            if repo is not None and installation.covers(repo.owner, repo.name):
                return 200, self._installation_body(installation), {}
        docs = f"{APP_DOCS}#get-a-repository-installation-for-the-authenticated-app"
        return 404, {"message": "Not Found", "documentation_url": docs}, {}

    def _account_installation(self, app, query, body, login):
        for installation in self._installations_of(app):
            if installation.login.lower() == login.lower():
                return 200, self._installation_body(installation), {}
        return 404, {"message": "Not Found", "documentation_url": APP_DOCS}, {}

    def _create_access_token(self, app, query, body, installation_id):
        docs = f"{APP_DOCS}#create-an-installation-access-token-for-an-app"
        installation = self._app_installation(app, installation_id)
        if installation is None:
            return 404, {"message": "Not Found", "documentation_url": docs}, {}
        if installation.suspended_at is not None:
            return 403, {"message": "This installation has been suspended", "documentation_url": docs}, {}
        body = body if isinstance(body, dict) else {}
        permissions = dict(installation.permissions)
        if isinstance(body.get("permissions"), dict):
            wanted = body["permissions"]
            rank = self.PERMISSION_RANK
            if any(
                rank.get(level, 9) > rank.get(installation.permissions.get(name), 0) for name, level in wanted.items()
            ):
                message = "The permissions requested are not granted to this installation."
                return 422, {"message": message, "documentation_url": docs}, {}
            permissions = {"metadata": "read", **wanted} if installation.permissions.get("metadata") else dict(wanted)
        repositories = None
        names, ids = body.get("repositories"), body.get("repository_ids")
        if names or ids:
            chosen = []
            for repo in self.repos.values():
                if repo.name in (names or []) or repo.id in (ids or []):
                    if installation.covers(repo.owner, repo.name):
                        chosen.append(repo)
            found = {repo.name for repo in chosen} | {repo.id for repo in chosen}
            if any(item not in found for item in [*(names or []), *(ids or [])]):
                message = (
                    "There is at least one repository that does not exist or is not accessible to the parent "
                    "installation."
                )
                return 422, {"message": message, "documentation_url": docs}, {}
            repositories = {(repo.owner.lower(), repo.name.lower()) for repo in chosen}
        token = apps.new_installation_token()
        expires_at = self.now() + self.installation_token_ttl
        self.installation_tokens[token] = apps.InstallationToken(
            installation_id=installation.id,
            expires_at=expires_at,
            permissions=permissions,
            repositories=repositories,
            lag=self._token_lag,
        )
        self._token_lag = 0
        self.tokens_created[installation.id] = self.tokens_created.get(installation.id, 0) + 1
        answer = {
            "token": token,
            "expires_at": iso(expires_at),
            "permissions": permissions,
            "repository_selection": "selected" if repositories is not None else installation.repository_selection,
        }
        if repositories is not None or installation.repository_selection == "selected":
            answer["repositories"] = [
                repo.info
                for repo in sorted(self.repos.values(), key=lambda repo: repo.id)
                if installation.covers(repo.owner, repo.name)
                and (repositories is None or (repo.owner.lower(), repo.name.lower()) in repositories)
            ]
        return 201, answer, {}

    def _list_app_deliveries(self, app, query, body):
        return self._deliveries_page(app.deliveries, query, "/app/hook/deliveries")

    def _app_delivery(self, app, delivery_id):
        return next((delivery for delivery in app.deliveries if str(delivery["id"]) == delivery_id), None)

    def _get_app_delivery(self, app, query, body, delivery_id):
        delivery = self._app_delivery(app, delivery_id)
        if delivery is None:
            return 404, {"message": "Not Found", "documentation_url": DOCS}, {}
        return (
            200,
            {**delivery, "request": {"headers": {}, "payload": {}}, "response": {"headers": {}, "payload": ""}},
            {},
        )

    def _redeliver_app_delivery(self, app, query, body, delivery_id):
        delivery = self._app_delivery(app, delivery_id)
        if delivery is None:
            return 404, {"message": "Not Found", "documentation_url": DOCS}, {}
        self.seed_app_delivery(
            app_id=app.id,
            guid=delivery["guid"],
            status_code=self.redelivery_status_code,
            event=delivery["event"],
            action=delivery["action"],
            installation_id=delivery["installation_id"],
            repository_id=delivery["repository_id"],
            redelivery=True,
        )
        return 202, {}, {}

    # --- Repository endpoints ---------------------------------------------------------------------

    def _last_modified(self, repo):
        return {"Last-Modified": formatdate(repo.modified, usegmt=True)}

    def _get_repo(self, repo, query, body):
        return 200, repo.info, self._last_modified(repo)

    def _patch_repo(self, repo, query, body):
        if not isinstance(body, dict):
            return 400, {"message": "Problems parsing JSON", "documentation_url": DOCS}, {}
        if "description" in body and not isinstance(body["description"], (str, type(None))):
            return 422, self._invalid("Repository", "description"), {}
        if "visibility" in body and body["visibility"] not in ("public", "private", "internal"):
            return 422, self._invalid("Repository", "visibility"), {}
        for name in REPO_FIELDS:
            if name in body:
                repo.info[name] = body[name]
        if "name" in body and body["name"] != repo.name:
            del self.repos[(repo.owner.lower(), repo.name.lower())]
            repo.name = body["name"]
            repo.info["full_name"] = repo.full_name
            self.repos[(repo.owner.lower(), repo.name.lower())] = repo
        self._touch(repo)
        return 200, repo.info, {}

    def _page(self, items, query, path, base_query=None):
        """One page of ``items`` and its Link header, GitHub style (page / per_page, max 100)."""
        try:
            per_page = min(max(int(query.get("per_page", 30)), 1), 100)
            page = max(int(query.get("page", 1)), 1)
        except ValueError:
            per_page, page = 30, 1
        last = max((len(items) + per_page - 1) // per_page, 1)
        links = []

        def link(number, rel):
            params = {**(base_query if base_query is not None else query), "per_page": per_page, "page": number}
            return f'<{self.url}{path}?{urlencode(params)}>; rel="{rel}"'

        if page < last:
            links += [link(page + 1, "next"), link(last, "last")]
        if page > 1:
            links += [link(page - 1, "prev"), link(1, "first")]
        return items[(page - 1) * per_page : page * per_page], ({"Link": ", ".join(links)} if links else {})

    @staticmethod
    def _sorted(items, query, default_sort="created"):
        sort = query.get("sort", default_sort)
        key = {"updated": "updated_at", "comments": "comments", "popularity": "comments"}.get(sort, "created_at")
        descending = query.get("direction", "desc") != "asc"
        # Number breaks ties: items created in one second keep their order.
        return sorted(items, key=lambda item: (item.get(key) or 0, item["number"]), reverse=descending)

    def _list_pulls(self, repo, query, body):
        state = query.get("state", "open")
        pulls = [pull for pull in repo.pulls if state == "all" or pull["state"] == state]
        if query.get("head"):
            pulls = [pull for pull in pulls if (pull.get("head") or {}).get("label") == query["head"]]
        if query.get("base"):
            pulls = [pull for pull in pulls if (pull.get("base") or {}).get("ref") == query["base"]]
        items, links = self._page(self._sorted(pulls, query), query, f"/repos/{repo.full_name}/pulls")
        return 200, items, links

    def _list_issues(self, repo, query, body):
        state = query.get("state", "open")
        issues = [issue for issue in repo.issues if state == "all" or issue["state"] == state]
        if query.get("labels"):
            wanted = {name.strip() for name in query["labels"].split(",") if name.strip()}
            issues = [i for i in issues if wanted <= {label["name"] for label in i.get("labels", [])}]
        assignee = query.get("assignee")
        if assignee == "none":
            issues = [issue for issue in issues if not issue.get("assignee")]
        elif assignee == "*":
            issues = [issue for issue in issues if issue.get("assignee")]
        elif assignee:
            issues = [issue for issue in issues if (issue.get("assignee") or {}).get("login") == assignee]
        if query.get("creator"):
            issues = [issue for issue in issues if (issue.get("user") or {}).get("login") == query["creator"]]
        if query.get("since"):
            issues = [issue for issue in issues if issue["updated_at"] >= query["since"]]
        items, links = self._page(self._sorted(issues, query), query, f"/repos/{repo.full_name}/issues")
        return 200, items, links

    def _find_label(self, repo, name):
        for label in repo.labels:
            if label["name"].lower() == name.lower():
                return label
        return None

    @staticmethod
    def _invalid(resource, field_name, code="invalid"):
        return {
            "message": "Validation Failed",
            "errors": [{"resource": resource, "code": code, "field": field_name}],
            "documentation_url": DOCS,
        }

    def _list_labels(self, repo, query, body):
        items, links = self._page(repo.labels, query, f"/repos/{repo.full_name}/labels")
        return 200, items, links

    def _get_label(self, repo, query, body, name):
        label = self._find_label(repo, name)
        if label is None:
            return 404, {"message": "Not Found", "documentation_url": DOCS}, {}
        return 200, label, {}

    def _label_url(self, repo, name):
        return f"https://api.github.com/repos/{repo.full_name}/labels/{quote(name, safe='')}"

    def _create_label(self, repo, query, body):
        if not isinstance(body, dict) or not isinstance(body.get("name"), str) or not body["name"].strip():
            return 422, self._invalid("Label", "name", "missing_field"), {}
        color = body.get("color", "ededed")
        if not isinstance(color, str) or not HEX_COLOR.fullmatch(color):
            return 422, self._invalid("Label", "color"), {}
        if self._find_label(repo, body["name"]) is not None:
            return 422, self._invalid("Label", "name", "already_exists"), {}
        label = {
            "id": self.next_id("label"),
            "node_id": "MDU6TGFiZWwx",
            "url": self._label_url(repo, body["name"]),
            "name": body["name"],
            "color": color,
            "default": False,
            "description": body.get("description"),
        }
        repo.labels.append(label)
        return 201, label, {"Location": label["url"]}

    def _update_label(self, repo, query, body, name):
        label = self._find_label(repo, name)
        if label is None:
            return 404, {"message": "Not Found", "documentation_url": DOCS}, {}
        body = body if isinstance(body, dict) else {}
        if "color" in body and not (isinstance(body["color"], str) and HEX_COLOR.fullmatch(body["color"])):
            return 422, self._invalid("Label", "color"), {}
        new_name = body.get("new_name")
        if new_name and new_name.lower() != label["name"].lower() and self._find_label(repo, new_name):
            return 422, self._invalid("Label", "name", "already_exists"), {}
        if new_name:
            label["name"] = new_name
            label["url"] = self._label_url(repo, new_name)
        for key in ("color", "description"):
            if key in body:
                label[key] = body[key]
        return 200, label, {}

    def _delete_label(self, repo, query, body, name):
        label = self._find_label(repo, name)
        if label is None:
            return 404, {"message": "Not Found", "documentation_url": DOCS}, {}
        repo.labels.remove(label)
        for issue in repo.issues:
            issue["labels"] = [item for item in issue.get("labels", []) if item["id"] != label["id"]]
        return 204, None, {}

    def _list_workflows(self, repo, query, body):
        items, links = self._page(repo.workflows, query, f"/repos/{repo.full_name}/actions/workflows")
        return 200, {"total_count": len(repo.workflows), "workflows": items}, links

    def _hook_body(self, repo, hook):
        base = f"https://api.github.com/repos/{repo.full_name}/hooks/{hook['id']}"
        config = {key: value for key, value in hook["config"].items() if key != "secret"}
        if "secret" in hook["config"]:
            config["secret"] = "********"
        return {
            **hook,
            "config": config,
            "url": base,
            "test_url": f"{base}/test",
            "ping_url": f"{base}/pings",
            "deliveries_url": f"{base}/deliveries",
        }

    def _list_hooks(self, repo, query, body):
        return 200, [self._hook_body(repo, hook) for hook in repo.hooks.values()], {}

    def _create_hook(self, repo, query, body):
        if not isinstance(body, dict) or not isinstance(body.get("config"), dict) or not body["config"].get("url"):
            return 422, self._invalid("Hook", "config", "missing_field"), {}
        now = iso(time.time())
        hook = {
            "type": "Repository",
            "id": self.next_id("hook"),
            "name": body.get("name", "web"),
            "active": bool(body.get("active", True)),
            "events": list(body.get("events") or ["push"]),
            "config": {"content_type": "form", "insecure_ssl": "0", **body["config"]},
            "updated_at": now,
            "created_at": now,
            "last_response": {"code": None, "status": "unused", "message": None},
        }
        repo.hooks[hook["id"]] = hook
        url = f"https://api.github.com/repos/{repo.full_name}/hooks/{hook['id']}"
        return 201, self._hook_body(repo, hook), {"Location": url}

    def _hook(self, repo, hook_id):
        return repo.hooks.get(int(hook_id)) if hook_id.isdigit() else None

    def _get_hook(self, repo, query, body, hook_id):
        hook = self._hook(repo, hook_id)
        if hook is None:
            return 404, {"message": "Not Found", "documentation_url": DOCS}, {}
        return 200, self._hook_body(repo, hook), {}

    def _update_hook(self, repo, query, body, hook_id):
        hook = self._hook(repo, hook_id)
        if hook is None:
            return 404, {"message": "Not Found", "documentation_url": DOCS}, {}
        body = body if isinstance(body, dict) else {}
        if isinstance(body.get("config"), dict):
            hook["config"].update(body["config"])
        if "events" in body:
            hook["events"] = list(body["events"])
        hook["events"] = sorted(set(hook["events"]) | set(body.get("add_events") or []))
        hook["events"] = [event for event in hook["events"] if event not in (body.get("remove_events") or [])]
        if "active" in body:
            hook["active"] = bool(body["active"])
        hook["updated_at"] = iso(time.time())
        return 200, self._hook_body(repo, hook), {}

    def _ping_hook(self, repo, query, body, hook_id):
        if self._hook(repo, hook_id) is None:
            return 404, {"message": "Not Found", "documentation_url": DOCS}, {}
        self.seed_delivery(repo.owner, repo.name, hook_id, event="ping")
        return 204, None, {}

    def _list_deliveries(self, repo, query, body, hook_id):
        if self._hook(repo, hook_id) is None:
            return 404, {"message": "Not Found", "documentation_url": DOCS}, {}
        path = f"/repos/{repo.full_name}/hooks/{hook_id}/deliveries"
        return self._deliveries_page(repo.deliveries.get(int(hook_id), []), query, path)

    def _deliveries_page(self, deliveries, query, path):
        """Newest first, ``per_page`` at a time, with GitHub's cursor pagination (Link rel="next")."""
        deliveries = sorted(deliveries, key=lambda d: d["id"], reverse=True)
        try:
            per_page = min(max(int(query.get("per_page", 30)), 1), 100)
        except ValueError:
            per_page = 30
        cursor = query.get("cursor")
        if cursor:
            try:
                before = int(base64.urlsafe_b64decode(cursor.encode() + b"==").decode())
            except ValueError:
                return 422, {"message": "Invalid cursor", "documentation_url": DOCS}, {}
            deliveries = [delivery for delivery in deliveries if delivery["id"] < before]
        page = deliveries[:per_page]
        headers = {}
        if len(deliveries) > per_page:
            next_cursor = base64.urlsafe_b64encode(str(page[-1]["id"]).encode()).decode().rstrip("=")
            params = urlencode({"per_page": per_page, "cursor": next_cursor})
            headers["Link"] = f'<{self.url}{path}?{params}>; rel="next"'
        return 200, page, headers

    def _delivery(self, repo, hook_id, delivery_id):
        for delivery in repo.deliveries.get(int(hook_id), []) if hook_id.isdigit() else []:
            if str(delivery["id"]) == delivery_id:
                return delivery
        return None

    def _get_delivery(self, repo, query, body, hook_id, delivery_id):
        delivery = self._delivery(repo, hook_id, delivery_id)
        if delivery is None:
            return 404, {"message": "Not Found", "documentation_url": DOCS}, {}
        return (
            200,
            {**delivery, "request": {"headers": {}, "payload": {}}, "response": {"headers": {}, "payload": ""}},
            {},
        )

    def _redeliver(self, repo, query, body, hook_id, delivery_id):
        delivery = self._delivery(repo, hook_id, delivery_id)
        if delivery is None:
            return 404, {"message": "Not Found", "documentation_url": DOCS}, {}
        self.seed_delivery(
            repo.owner,
            repo.name,
            hook_id,
            guid=delivery["guid"],
            status_code=self.redelivery_status_code,
            event=delivery["event"],
            action=delivery["action"],
            redelivery=True,
        )
        return 202, {}, {}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so the client's connection pool is exercised
    server_version = "GitHub.com"
    sys_version = ""
    fake = None  # set per server

    def date_time_string(self, timestamp=None):
        # The Date header every answer carries (send_response adds it) is GitHub's clock: the simulator's.
        return formatdate(self.fake.now() if timestamp is None else timestamp, usegmt=True)

    def setup(self):
        super().setup()
        # Headers and body go out in separate writes; without this, Nagle and
        # delayed ACKs add ~40 ms to every keep-alive exchange.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.fake.lock:
            self.fake._connections.add(self.connection)

    def finish(self):
        with self.fake.lock:
            self.fake._connections.discard(self.connection)
        try:
            super().finish()
        except OSError:
            pass

    def _dispatch(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw_body = self.rfile.read(length) if length else b""
        result = self.fake.handle(self.command, self.path, self.headers, raw_body, self.client_address[1])
        if result is None:
            # An injected dropped connection: no answer at all.
            self.close_connection = True
            self.connection.close()
            return
        status, headers, payload = result
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if status not in (204, 304):
            self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if status not in (204, 304) and self.command != "HEAD":
            try:
                self.wfile.write(payload)
            except OSError:
                # The client gave up (read timeout) before the answer.
                self.close_connection = True

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = do_HEAD = _dispatch

    def log_message(self, format, *args):
        pass
