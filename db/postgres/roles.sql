-- Roles and grants of the department log, applied by every `workbench db init` (idempotent).
-- workbench_coder: what a coder's login role is granted (db init --grant ROLE). It reads the
--   log, inserts versions and their rows, and changes only drafts and worklist items; it can
--   never update or delete a saved version (no grant, and the append-only triggers).
-- workbench_reader: an information team's reporting role: SELECT only.
-- Both are group roles (NOLOGIN); people log in as their own roles, members of one of them.

-- Roles belong to the whole server: an init of another database may be creating them at the
-- same moment, so "already there" is fine whichever way it is found.
DO $$
DECLARE
    name text;
BEGIN
    FOREACH name IN ARRAY ARRAY['workbench_coder', 'workbench_reader'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = name) THEN
            BEGIN
                EXECUTE format('CREATE ROLE %I NOLOGIN', name);
            EXCEPTION WHEN duplicate_object OR unique_violation THEN
                NULL;
            END;
        END IF;
    END LOOP;
END
$$;

REVOKE ALL ON SCHEMA workbench FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA workbench FROM PUBLIC, workbench_coder, workbench_reader;
GRANT USAGE ON SCHEMA workbench TO workbench_coder, workbench_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA workbench TO workbench_coder, workbench_reader;

-- The record: insert only.
GRANT INSERT ON episode, version, version_code, code_index, code_date, save_receipt, draft_consumed,
    audit_record, episode_key TO workbench_coder;
-- Work in progress: drafts come and go; worklist items change status.
GRANT INSERT, UPDATE, DELETE ON draft TO workbench_coder;
GRANT INSERT, UPDATE ON worklist_item, worklist_allocation, worklist_import, worklist_query TO workbench_coder;
GRANT INSERT ON worklist_event TO workbench_coder;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA workbench TO workbench_coder;
