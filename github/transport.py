"""Sending one request: a pooled session, transient failures retried with backoff (tenacity).

Connection errors and 500/502/503/504 are retried with exponential backoff
and jitter, bounded in attempts and total wait; a read timeout is retried
only for methods safe to send twice; other statuses are returned as they
are. What is left after the retries becomes ``GitHubUnavailable`` or
``GitHubTimeout``. Every exchange is timed and counted by endpoint template.
"""

import logging
import time

import requests
from requests.adapters import HTTPAdapter
from tenacity import Retrying, retry_if_exception, stop_after_attempt, stop_after_delay, wait_exponential_jitter

from . import metrics, signals
from .errors import GitHubTimeout, GitHubUnavailable
from .sansio import API_VERSION, IDEMPOTENT_METHODS, RETRY_STATUSES, parse_body

logger = logging.getLogger(__name__)


class _ServerError(Exception):
    """A retryable 5xx, carried through tenacity."""

    def __init__(self, response):
        super().__init__(response.status_code)
        self.response = response


def response_headers(response):
    """A requests response's headers as a dict with lower-case names."""
    return dict(response.headers.lower_items())


def response_body(response):
    return parse_body(response.content, response.headers.get("content-type", ""))


class Transport:
    def __init__(
        self,
        *,
        user_agent,
        connect_timeout,
        read_timeout,
        pool_size,
        retry_attempts,
        retry_backoff_initial,
        retry_backoff_max,
        retry_jitter,
        retry_max_total_wait,
        sleep,
    ):
        self.timeout = (connect_timeout, read_timeout)
        self.retry_attempts = max(1, retry_attempts)
        self.retry_backoff_initial = retry_backoff_initial
        self.retry_backoff_max = retry_backoff_max
        self.retry_jitter = retry_jitter
        self.retry_max_total_wait = retry_max_total_wait
        self.sleep = sleep
        self.session = requests.Session()
        adapter = HTTPAdapter(pool_connections=pool_size, pool_maxsize=pool_size, max_retries=0)
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)
        self.session.headers.update(
            {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": API_VERSION, "User-Agent": user_agent}
        )

    def close(self):
        self.session.close()

    def send(self, method, template, url, *, observe, **kwargs):
        """The response after transient failures were retried (any status but a final 5xx).

        ``observe(template, response)`` sees every response GitHub sends, retried ones too.
        """
        retrying = Retrying(
            stop=stop_after_attempt(self.retry_attempts) | stop_after_delay(self.retry_max_total_wait),
            wait=wait_exponential_jitter(
                multiplier=self.retry_backoff_initial, max=self.retry_backoff_max, jitter=self.retry_jitter
            ),
            retry=retry_if_exception(lambda exc: _is_transient(method, exc)),
            sleep=self.sleep,
            before_sleep=_count_retry,
            reraise=True,
        )
        try:
            return retrying(self._send_once, method, template, url, observe, **kwargs)
        except _ServerError as exc:
            response = exc.response
            metrics.GITHUB_API_ERRORS.labels(endpoint=template, kind="server_error").inc()
            raise GitHubUnavailable(
                f"GitHub answered {response.status_code} after retries",
                status=response.status_code,
                body=response_body(response),
                headers=response_headers(response),
            ) from None
        except requests.ConnectTimeout:
            metrics.GITHUB_API_ERRORS.labels(endpoint=template, kind="connection").inc()
            raise GitHubUnavailable("GitHub could not be reached (connect timeout)") from None
        except requests.Timeout:
            metrics.GITHUB_API_ERRORS.labels(endpoint=template, kind="timeout").inc()
            raise GitHubTimeout("GitHub did not answer in time") from None
        except requests.RequestException as exc:
            metrics.GITHUB_API_ERRORS.labels(endpoint=template, kind="connection").inc()
            # The exception text can hold the URL; the class name is enough.
            raise GitHubUnavailable(f"GitHub could not be reached ({exc.__class__.__name__})") from None

    def _send_once(self, method, template, url, observe, *, params=None, json=None, headers=None):
        started = time.perf_counter()
        status = "error"
        try:
            response = self.session.request(
                method, url, params=params, json=json, headers=headers, timeout=self.timeout
            )
            status = str(response.status_code)
        except requests.ConnectTimeout:
            status = "connection_error"
            raise
        except requests.Timeout:
            status = "timeout"
            raise
        except requests.RequestException:
            status = "connection_error"
            raise
        finally:
            metrics.GITHUB_API_REQUEST_DURATION.labels(method=method, endpoint=template).observe(
                time.perf_counter() - started
            )
            metrics.GITHUB_API_REQUESTS.labels(method=method, endpoint=template, status=status).inc()
            signals.response_received.send(sender=Transport, method=method, template=template, status=status)
        logger.debug("GitHub %s %s -> %s", method, template, status)
        observe(template, response)
        if response.status_code in RETRY_STATUSES:
            raise _ServerError(response)
        return response


def _is_transient(method, exc):
    if isinstance(exc, _ServerError):
        return True
    if isinstance(exc, requests.ConnectTimeout):
        return True
    if isinstance(exc, requests.Timeout):
        # The request may have been applied; only resend what is safe to repeat.
        return method in IDEMPOTENT_METHODS
    return isinstance(exc, requests.ConnectionError)


def _count_retry(retry_state):
    exc = retry_state.outcome.exception()
    if isinstance(exc, _ServerError):
        reason = "server_error"
    elif isinstance(exc, requests.Timeout) and not isinstance(exc, requests.ConnectTimeout):
        reason = "timeout"
    else:
        reason = "connection"
    metrics.GITHUB_API_RETRIES.labels(reason=reason).inc()
