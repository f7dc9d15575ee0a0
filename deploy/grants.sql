-- Milia Clinic: what each database role may do (README "Audit").
--
-- Run as the owner of the tables (the role that runs `migrate`) after every `migrate`, with the
-- app's role and the checkpoint job's role named here (replace milia_app and milia_checkpoint):
--     psql -v ON_ERROR_STOP=1 -d milia -f deploy/grants.sql
--
-- The audit trail's tables belong to the `audit` app but keep the names they were created with
-- (treatments_auditevent, treatments_auditcheckpoint), with their append-only triggers.

-- The app: reads and writes its own tables ...
GRANT USAGE ON SCHEMA public TO milia_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO milia_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO milia_app;

-- ... but only appends to the audit trail. The columns it may update are the link to a user,
-- which deleting that user clears (on_delete=SET_NULL), and the seal, which the sealer
-- (`manage.py audit_seal`, run as this role) sets once; the trigger refuses any other change.
REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON treatments_auditevent FROM milia_app;
GRANT UPDATE (actor_id, seq, prev_hash, hash) ON treatments_auditevent TO milia_app;

-- ... and only reads the signed checkpoints.
REVOKE INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER
    ON treatments_auditcheckpoint FROM milia_app;

-- The checkpoint job (`manage.py audit_checkpoint`, from cron): reads the trail and the earlier
-- checkpoints, appends checkpoints, nothing else.
GRANT USAGE ON SCHEMA public TO milia_checkpoint;
GRANT SELECT ON treatments_auditevent, treatments_auditcheckpoint TO milia_checkpoint;
GRANT INSERT ON treatments_auditcheckpoint TO milia_checkpoint;
