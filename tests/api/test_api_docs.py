"""The OpenAPI docs are served at /api/v2/docs and describe both credentials."""

from __future__ import annotations


def test_docs_and_spec(client) -> None:
    docs = client.get("/api/v2/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    spec = client.get("/api/v2/openapi.json").json()
    schemes = spec["components"]["securitySchemes"]
    assert schemes["APIKeyHeader"]["name"] == "X-API-Key"
    assert schemes["HTTPBearer"]["scheme"] == "bearer"
    assert spec["paths"]["/api/v2/chains/{underlying}"]["get"]["x-permission"] == "market:read"
    assert client.get("/api/v2/redoc").status_code == 404
