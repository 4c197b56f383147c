"""What follows from a whole timeline, refreshed in the transaction of a bulk change of it (an import, a failed
import undone, an import undone by hand, a bulk delete, a webhook delivery): the one highlight of each alert, the key
moments and their durations, and the stored picture's staleness."""

from __future__ import annotations

from sqlalchemy.orm import Session

from afteraction.timeline.highlights import refresh_alert_highlights
from afteraction.timeline.moments import refresh_moments_of
from afteraction.timeline.picture import picture_changed


def after_bulk_change(session: Session, incident_row_id: int) -> None:
    """Refresh what follows from an incident's timeline after many of its events were added or removed: once per
    change, with aggregates, never per event."""
    refresh_alert_highlights(session, incident_row_id)
    refresh_moments_of(session, incident_row_id)
    picture_changed(session, incident_row_id)
