"""Audit events are sealed into the chain after they are committed (issue 14): a request inserts
its event with no lock; ``audit_seal`` later sets its ``seq``, ``prev_hash`` and ``hash``.

- ``seq``, the event's place in the chain, is new; ``prev_hash`` and ``hash`` may be empty (not
  sealed yet), the three together (a check constraint: code from before this migration, which
  chained at insert, is refused rather than leaving events the sealer cannot seal). Every event
  already stored was chained in the order of its id: it gets that place, so every stored chain
  and signed checkpoint still verifies.
- The append-only trigger lets one more update through: sealing an unsealed event, once, with
  nothing else changed. It still lets deleting a user clear the link to it, and refuses any
  other change, and (PostgreSQL) any delete, sealed or not.

Going back needs every event sealed and the chain in the order of the ids (as it was before).
"""

from django.db import migrations, models

TABLE = "treatments_auditevent"
TRIGGER = "treatments_auditevent_append_only"
MESSAGE = "audit events are append-only"
SEAL = ("seq", "prev_hash", "hash")
# Every column but the link to the user (which deleting the user clears) and the seal.
CONTENT = (
    "id",
    "at",
    "actor_username",
    "remote_addr",
    "action",
    "patient_id",
    "object_type",
    "object_id",
    "summary",
    "detail",
)

POSTGRESQL_INSTALL = f"""
CREATE OR REPLACE FUNCTION {TRIGGER}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.actor_id IS NULL
       AND to_jsonb(NEW) - 'actor_id' = to_jsonb(OLD) - 'actor_id' THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'UPDATE'
       AND OLD.seq IS NULL AND OLD.prev_hash IS NULL AND OLD.hash IS NULL
       AND NEW.seq IS NOT NULL AND NEW.prev_hash IS NOT NULL AND NEW.hash IS NOT NULL
       AND to_jsonb(NEW) - 'seq' - 'prev_hash' - 'hash'
           = to_jsonb(OLD) - 'seq' - 'prev_hash' - 'hash' THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION '{MESSAGE} (% refused)', TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END
$$;
CREATE TRIGGER {TRIGGER} BEFORE UPDATE OR DELETE ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION {TRIGGER}();
"""
POSTGRESQL_UNINSTALL = f"""
DROP TRIGGER IF EXISTS {TRIGGER} ON {TABLE};
DROP FUNCTION IF EXISTS {TRIGGER}();
"""


def _same(columns) -> str:
    return " AND ".join(f'NEW."{column}" IS OLD."{column}"' for column in columns)


SQLITE_INSTALL = f"""
CREATE TRIGGER {TRIGGER} BEFORE UPDATE ON {TABLE}
WHEN NOT (
    (NEW.actor_id IS NULL AND {_same(CONTENT + SEAL)})
    OR (OLD.seq IS NULL AND OLD.prev_hash IS NULL AND OLD.hash IS NULL
        AND NEW.seq IS NOT NULL AND NEW.prev_hash IS NOT NULL AND NEW.hash IS NOT NULL
        AND {_same(CONTENT + ("actor_id",))})
)
BEGIN
    SELECT RAISE(ABORT, '{MESSAGE}');
END;
"""
SQLITE_UNINSTALL = f"DROP TRIGGER IF EXISTS {TRIGGER};"

# The trigger as migration 0005 of treatments made it, for going back.
_BEFORE_SQLITE = f"""
CREATE TRIGGER {TRIGGER} BEFORE UPDATE ON {TABLE}
WHEN NOT (NEW.actor_id IS NULL AND {_same(CONTENT + SEAL[1:])})
BEGIN
    SELECT RAISE(ABORT, '{MESSAGE}');
END;
"""
_BEFORE_POSTGRESQL = f"""
CREATE OR REPLACE FUNCTION {TRIGGER}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.actor_id IS NULL
       AND to_jsonb(NEW) - 'actor_id' = to_jsonb(OLD) - 'actor_id' THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION '{MESSAGE} (% refused)', TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END
$$;
CREATE TRIGGER {TRIGGER} BEFORE UPDATE OR DELETE ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION {TRIGGER}();
"""


def _run(connection, sql_by_vendor: dict) -> None:
    sql = sql_by_vendor.get(connection.vendor)
    if sql is not None:
        with connection.cursor() as cursor:
            cursor.execute(sql)


def install_triggers(connection) -> None:
    """Create the append-only trigger (which lets the sealer seal) on this connection's
    database."""
    _run(connection, {"postgresql": POSTGRESQL_INSTALL, "sqlite": SQLITE_INSTALL})


def uninstall_triggers(connection) -> None:
    _run(connection, {"postgresql": POSTGRESQL_UNINSTALL, "sqlite": SQLITE_UNINSTALL})


def drop_triggers(apps, schema_editor):
    uninstall_triggers(schema_editor.connection)


def create_triggers(apps, schema_editor):
    install_triggers(schema_editor.connection)


def create_triggers_as_before(apps, schema_editor):
    _run(schema_editor.connection, {"postgresql": _BEFORE_POSTGRESQL, "sqlite": _BEFORE_SQLITE})


def place_stored_events(apps, schema_editor):
    """Every stored event was chained in the order of its id: that is its place."""
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {TABLE} SET seq = placed.position FROM "
            f"(SELECT id, row_number() OVER (ORDER BY id) AS position FROM {TABLE}) AS placed "
            f"WHERE {TABLE}.id = placed.id"
        )


def refuse_unless_chained_by_id(apps, schema_editor):
    """Before this migration the chain ran in the order of the ids, and every event was in it."""
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {TABLE} WHERE seq IS NULL")
        (unsealed,) = cursor.fetchone()
        cursor.execute(
            f"SELECT count(*) FROM (SELECT seq, row_number() OVER (ORDER BY id) AS position "
            f"FROM {TABLE}) AS placed WHERE seq <> position"
        )
        (out_of_order,) = cursor.fetchone()
    if unsealed:
        raise RuntimeError(
            f"{unsealed} audit events are not sealed yet: run `manage.py audit_seal` first."
        )
    if out_of_order:
        raise RuntimeError(
            "The audit chain does not run in the order of the event ids, as the format before "
            "this migration needs: it cannot go back without breaking the chain."
        )


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(drop_triggers, create_triggers_as_before),
        migrations.AlterField(
            model_name="auditevent",
            name="prev_hash",
            field=models.CharField(
                editable=False, max_length=64, null=True, verbose_name="previous hash"
            ),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="hash",
            field=models.CharField(editable=False, max_length=64, null=True),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="seq",
            field=models.BigIntegerField(
                editable=False, null=True, unique=True, verbose_name="chain position"
            ),
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(
                condition=models.Q(("seq__isnull", True)),
                fields=["id"],
                name="auditevent_unsealed",
            ),
        ),
        migrations.RunPython(place_stored_events, refuse_unless_chained_by_id),
        migrations.AddConstraint(
            model_name="auditevent",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("hash__isnull", True), ("prev_hash__isnull", True), ("seq__isnull", True)),
                    models.Q(("hash__isnull", False), ("prev_hash__isnull", False), ("seq__isnull", False)),
                    _connector="OR",
                ),
                name="auditevent_sealed_whole",
            ),
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
