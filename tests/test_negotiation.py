"""Content negotiation (api.negotiation): DRF's answers, with a short cut when nothing is asked for."""

import pytest
from rest_framework.negotiation import DefaultContentNegotiation


@pytest.mark.django_db
@pytest.mark.parametrize("accept", [None, "*/*"])
def test_no_preference_gets_json_without_parsing_anything(staff_client, accept, monkeypatch):
    def parse_accept(*args):
        raise AssertionError("DRF parsed the Accept header")

    monkeypatch.setattr(DefaultContentNegotiation, "_get_parsed_accept_list", parse_accept)
    headers = {"HTTP_ACCEPT": accept} if accept else {}
    response = staff_client.get("/api/v1/webhooks/configs", **headers)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json()["results"] == []


@pytest.mark.django_db
def test_an_accept_header_is_still_negotiated(staff_client):
    indented = staff_client.get("/api/v1/webhooks/configs", HTTP_ACCEPT="application/json; indent=4")
    assert indented.status_code == 200
    assert b'\n    "count": 0' in indented.content

    refused = staff_client.get("/api/v1/webhooks/configs", HTTP_ACCEPT="application/xml")
    assert refused.status_code == 406
    assert "detail" in refused.json()


@pytest.mark.django_db
def test_the_format_parameter_is_still_honoured(staff_client):
    assert staff_client.get("/api/v1/webhooks/configs?format=json").status_code == 200
    unknown = staff_client.get("/api/v1/webhooks/configs?format=xml")
    assert unknown.status_code == 404
    assert "detail" in unknown.json()
