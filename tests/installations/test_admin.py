"""Installations in the admin: listed with their repositories, read-only."""

from installations.models import Installation


def test_installations_are_listed_and_shown_read_only(admin_client):
    installation = Installation.objects.create(id=77, account_login="octo-org", account_type="Organization")
    installation.repositories.create(full_name="octo-org/tools", repository_id=5)
    listing = admin_client.get("/admin/installations/installation/")
    assert listing.status_code == 200 and "octo-org" in listing.content.decode()
    page = admin_client.get("/admin/installations/installation/77/change/")
    assert page.status_code == 200 and "octo-org/tools" in page.content.decode()
    assert admin_client.get("/admin/installations/installation/add/").status_code == 403
    assert admin_client.post("/admin/installations/installation/77/delete/", {"post": "yes"}).status_code == 403
    assert Installation.objects.filter(id=77).exists()


def test_the_admin_shows_token_expiry_and_budget_never_the_token(github_app, staff_client, admin_client):
    assert staff_client.get("/api/v1/github/octocat/hello-world/info").status_code == 200
    page = admin_client.get("/admin/installations/installation/").content.decode()
    assert "Token expires" in page and "Core requests left" in page
    assert "ghs_" not in page
    row = page[page.index(f">{github_app.installation_id}<") :]
    assert "–" not in row.split("</tr>")[0]  # both known once a call was made
