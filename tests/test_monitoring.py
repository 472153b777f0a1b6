"""What operators run beside the service: the alert rules (checked and unit-tested with promtool), the
Grafana dashboard (every query names a metric the service exports), and ``/`` for people."""

import json
import re
import shutil
import subprocess

import pytest
import yaml

from tests.conftest import ROOT, TEST_SECRET, post_delivery, sample_bytes

DEPLOY = ROOT / "deploy"
DASHBOARD = DEPLOY / "grafana" / "dashboards" / "ghsvc.json"
# PromQL's own words, and the series Prometheus itself makes (not the service's).
PROMQL_WORDS = {"sum", "min", "max", "avg", "count", "rate", "increase", "by", "without", "histogram_quantile", "le"}
PROMETHEUS_SERIES = {"up"}


def promtool(*arguments):
    binary = shutil.which("promtool")
    if binary is None:
        pytest.fail("promtool is needed: run `sh deploy/install-test-tools.sh` (make test does)")
    return subprocess.run([binary, *arguments], cwd=DEPLOY, capture_output=True, text=True, timeout=60)


def test_the_alert_rules_are_valid():
    result = promtool("check", "rules", "alerts.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 9 rules found" in result.stdout


def test_the_alert_rules_fire_as_their_unit_tests_say():
    result = promtool("test", "rules", "alerts.test.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_has_a_summary_and_a_runbook():
    rules = yaml.safe_load((DEPLOY / "alerts.yml").read_text())["groups"][0]["rules"]
    for rule in rules:
        assert rule["annotations"]["summary"] and rule["annotations"]["runbook"], rule["alert"]
    readme = (ROOT / "README.md").read_text()
    assert all(f"`{rule['alert']}`" in readme for rule in rules), "each alert has its runbook line in the README"


def metric_names(expression):
    """The metric names a PromQL expression reads (label matchers and grouping labels left out)."""
    bare = re.sub(r"\{[^}]*\}", "", expression)
    bare = re.sub(r"\b(by|without)\s*\([^)]*\)", "", bare)
    bare = re.sub(r"\[[^\]]*\]", "", bare)
    names = set(re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*", bare))
    return {name for name in names if name not in PROMQL_WORDS and not re.fullmatch(r"[0-9.e]+", name)}


def exported_names(text):
    return {line.split("{")[0].split(" ")[0] for line in text.splitlines() if line and not line.startswith("#")}


@pytest.mark.django_db
def test_every_dashboard_and_alert_query_reads_metrics_the_service_exports(client, staff_client, fake_github, settings):
    settings.GITHUB_WEBHOOK_SECRET = TEST_SECRET
    # Traffic that makes the labelled series appear: a delivery, a GitHub read, a scrape.
    assert post_delivery(client, "issues", sample_bytes("issues/opened.payload.json")).status_code == 202
    assert staff_client.get("/api/v1/github/octocat/hello-world/info").status_code == 200
    assert staff_client.get("/api/v1/github/octocat/nowhere/info").status_code == 404  # an error counted
    exported = exported_names(staff_client.get("/metrics").content.decode())

    dashboard = json.loads(DASHBOARD.read_text())
    expressions = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    rules = yaml.safe_load((DEPLOY / "alerts.yml").read_text())["groups"][0]["rules"]
    expressions += [rule["expr"] for rule in rules]
    read = set().union(*(metric_names(expression) for expression in expressions)) - PROMETHEUS_SERIES
    assert read and read <= exported, f"not exported: {sorted(read - exported)}"
    assert {panel["datasource"]["uid"] for panel in dashboard["panels"]} == {"prometheus"}


def test_the_dashboard_is_provisioned_beside_prometheus():
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    grafana = compose["services"]["grafana"]
    assert "./deploy/grafana/dashboards:/var/lib/grafana/dashboards:ro" in grafana["volumes"]
    assert "./deploy/alerts.yml:/etc/prometheus/alerts.yml:ro" in compose["services"]["prometheus"]["volumes"]
    assert yaml.safe_load((DEPLOY / "prometheus.yml").read_text())["rule_files"] == ["alerts.yml"]


@pytest.mark.django_db
def test_the_root_sends_staff_to_the_admin_and_anyone_else_to_its_login(client, django_user_model):
    anonymous = client.get("/")
    assert anonymous.status_code == 302 and anonymous["Location"] == "/admin/login/?next=/admin/"
    client.force_login(django_user_model.objects.create_user("someone", password="someone-password-01"))
    assert client.get("/")["Location"] == "/admin/login/?next=/admin/"
    client.force_login(django_user_model.objects.create_superuser("boss", "b@example.test", "boss-password-0123"))
    assert client.get("/")["Location"] == "/admin/"
