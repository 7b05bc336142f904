import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(client):
    from tests.factories import StaffMemberFactory

    client.force_login(StaffMemberFactory().user)
    return client


@pytest.mark.parametrize("path", ["/api/v1/openapi.json", "/api/v1/docs/", "/api/v1/redoc/"])
def test_the_schema_and_its_documentation_need_a_signed_in_user(path):
    from django.test import Client

    response = Client().get(path)

    assert response.status_code in (401, 403)
    assert "paths" not in response.text


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
