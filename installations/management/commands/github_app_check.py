"""Check the GitHub App's configuration against GitHub: the key (GET /app) and the installations."""

from django.core.management.base import BaseCommand, CommandError

from github.app import AppKeyError
from github.client import GitHubClient
from github.errors import GitHubError, GitHubUnavailable
from installations.credentials import app_credentials


class Command(BaseCommand):
    help = "Verify GITHUB_APP_ID and the App's private key with GET /app, and list the App's installations."

    def handle(self, *args, **options):
        try:
            credentials = app_credentials()
        except AppKeyError as exc:
            raise CommandError(f"GitHub App: {exc}.") from None
        client = GitHubClient.from_settings(credentials=credentials)
        try:
            app = client.get("/app").body
            installations = client.get("/app/installations", params={"per_page": 100}).body
        except GitHubUnavailable as exc:
            raise CommandError(f"GitHub could not be reached at the configured GITHUB_API_URL: {exc.message}") from None
        except GitHubError as exc:
            if exc.status == 401:
                raise CommandError(
                    f"GitHub refused the App's JWT ({exc.message}): check GITHUB_APP_ID "
                    "and that the private key is this App's."
                ) from None
            if exc.status == 404:
                raise CommandError(f"GitHub knows no App with id {credentials.app_id}: check GITHUB_APP_ID.") from None
            raise CommandError(f"GitHub answered {exc.status}: {exc.message}") from None
        finally:
            client.close()
        owner = (app.get("owner") or {}).get("login", "?")
        self.stdout.write(
            f"App {app.get('slug') or app.get('name')} (id {app.get('id')}, owned by {owner}): key verified."
        )
        if not installations:
            self.stdout.write("No installations: install the App on an account or repositories first.")
        for installation in installations or []:
            account = installation.get("account") or {}
            suspended = ", suspended" if installation.get("suspended_at") else ""
            self.stdout.write(
                f"installation {installation.get('id')}: {account.get('login')} ({account.get('type')}), "
                f"repositories: {installation.get('repository_selection')}{suspended}"
            )
