import pytest

pytestmark = pytest.mark.django_db


def test_the_openapi_schema_lists_every_endpoint(client):
    response = client.get("/api/v1/openapi.json")

    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in [
        "/api/v1/slots",
        "/api/v1/patients",
        "/api/v1/appointments",
        "/api/v1/appointments/{id}",
        "/api/v1/appointments/{id}/reschedule",
        "/api/v1/appointments/{id}/cancel",
        "/api/v1/appointments/{id}/transitions",
    ]:
        assert path in paths
    assert "tokenAuth" in response.json()["components"]["securitySchemes"]


def test_the_interactive_docs_load_their_scripts_from_this_site_not_a_cdn(client):
    response = client.get("/api/v1/docs/")

    assert response.status_code == 200
    html = response.text
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower()
