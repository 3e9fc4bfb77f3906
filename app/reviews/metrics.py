"""The review queue's length for Prometheus (loa_pending_submissions), counted when it scrapes."""
import logging

from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select
from sqlmodel import Session

from app.activities.models import Activity, ActivityStatus
from app.core.db import get_engine


class PendingSubmissions:
    """The review queue's length, counted with one query when Prometheus scrapes."""

    def collect(self):
        try:
            with Session(get_engine()) as session:
                count = session.execute(select(func.count()).select_from(Activity)
                                        .where(Activity.status == ActivityStatus.submitted)).scalar_one()
        except Exception as exc:  # noqa: BLE001 - the other metrics are still worth a scrape
            logging.getLogger("loa.metrics").warning("pending submissions not counted: %s", type(exc).__name__)
            return
        yield GaugeMetricFamily("loa_pending_submissions", "Activities submitted and waiting for review.", value=count)
