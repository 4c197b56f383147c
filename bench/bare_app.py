"""The yardstick of bench_api.py: a bare FastAPI endpoint that returns an incident-shaped object from memory."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import FastAPI

from afteraction.domain.incidents import IncidentSummary


def create() -> FastAPI:
    """An app with only GET /api/v1/incidents/{incident_id}, answering the same shape without auth or database."""
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    started = datetime(2026, 3, 14, 10, 8, 10, tzinfo=UTC)

    @app.get("/api/v1/incidents/{incident_id}", response_model=IncidentSummary)
    async def get_incident(incident_id: str) -> IncidentSummary:
        return IncidentSummary(
            id=incident_id.upper(),
            title="Checkout latency above SLO after cache node restart",
            kind="incident",
            severity="SEV2",
            status="resolved",
            services=["checkout", "cache"],
            teams=["payments"],
            started_at=started,
            detected_at=started,
            postmortem_status="draft",
            version=1,
            created_at=started,
        )

    return app
