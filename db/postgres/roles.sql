-- Roles and grants of the department log, applied by every `workbench db init` (idempotent).
-- workbench_coder: what a coder's login role is granted (db init --grant ROLE). It reads the
--   log, inserts versions and their rows, and changes only drafts and worklist items; it can
--   never update or delete a saved version (no grant, and the append-only triggers).
-- workbench_reader: an information team's reporting role: SELECT only.
-- Both are group roles (NOLOGIN); people log in as their own roles, members of one of them.

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'workbench_coder') THEN
        CREATE ROLE workbench_coder NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'workbench_reader') THEN
        CREATE ROLE workbench_reader NOLOGIN;
    END IF;
END
$$;

REVOKE ALL ON SCHEMA workbench FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA workbench FROM PUBLIC, workbench_coder, workbench_reader;
GRANT USAGE ON SCHEMA workbench TO workbench_coder, workbench_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA workbench TO workbench_coder, workbench_reader;

-- The record: insert only.
GRANT INSERT ON episode, version, version_code, code_index, code_date, save_receipt, draft_consumed
    TO workbench_coder;
-- Work in progress: drafts come and go; worklist items change status.
GRANT INSERT, UPDATE, DELETE ON draft TO workbench_coder;
GRANT INSERT, UPDATE ON worklist_item TO workbench_coder;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA workbench TO workbench_coder;
