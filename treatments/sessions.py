"""Database sessions read by a query written once per process (SESSION_ENGINE without Redis).

Django's database session store builds its query with the ORM on every request; building it
costs more than running it, and every signed-in request reads its session. The query here is
the same (the session's row by its key, unless expired) as plain SQL with two parameters,
prepared once per PostgreSQL connection (milia_clinic.prepared.server_side).
Writing, expiring and deleting sessions are Django's own.
"""

from functools import cache

from django.contrib.sessions.backends import db
from django.db import router
from django.utils import timezone

from milia_clinic.prepared import server_side


@cache
def _session_sql(table: str) -> str:
    # The table's name comes from the model's metadata; key and time are parameters.
    return (
        f"SELECT session_key, session_data, expire_date FROM {table}"  # nosec B608
        " WHERE session_key = %s AND expire_date > %s"
    )


class SessionStore(db.SessionStore):
    def _get_session_from_db(self):
        model = self.model
        if self.session_key is None:  # no cookie, or one of the wrong shape
            return None
        using = router.db_for_read(model)
        rows = model.objects.db_manager(using).raw(
            server_side(_session_sql(model._meta.db_table), using),
            [self.session_key, timezone.now()],
        )
        session = next(iter(rows), None)
        if session is None:
            self._session_key = None
        return session
