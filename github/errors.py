"""What a GitHub call raises. The API maps them to HTTP answers in one place (``api.exceptions``)."""


class GitHubError(Exception):
    """GitHub refused a request: ``status`` and ``body`` are GitHub's (``errors`` for 422)."""

    def __init__(self, message, *, status=None, body=None, headers=None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.body = body
        self.headers = headers or {}

    @property
    def errors(self):
        return self.body.get("errors", []) if isinstance(self.body, dict) else []

    @property
    def documentation_url(self):
        return self.body.get("documentation_url", "") if isinstance(self.body, dict) else ""


class RateLimited(GitHubError):
    """A rate limit stopped the request. ``retry_after`` is whole seconds until it is worth retrying.

    ``kind`` is "primary" (``reset_at`` is GitHub's x-ratelimit-reset) or
    "secondary". ``sent`` is False when the client refused without asking GitHub.
    """

    def __init__(self, message, *, kind, resource="core", reset_at=None, retry_after=0, sent=True, **kwargs):
        super().__init__(message, **kwargs)
        self.kind = kind
        self.resource = resource
        self.reset_at = reset_at
        self.retry_after = retry_after
        self.sent = sent


class GitHubUnavailable(GitHubError):
    """GitHub could not be reached or kept answering 5xx after the retries (``status`` None or 5xx)."""


class GitHubTimeout(GitHubUnavailable):
    """GitHub did not answer within the timeouts, after the retries."""


class InstallationUnavailable(GitHubError):
    """No usable installation of the App covers the repository (not installed: 404; suspended: 403). Nothing sent."""
