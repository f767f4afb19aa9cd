-- Department log on PostgreSQL, schema version 2: allocation of worklist items (the SQLite
-- log's schema 9, db/log/009_allocation.sql). Updated rows, not the record: coders may
-- insert and update them (db/postgres/roles.sql), and they are not under the append-only guard.

CREATE TABLE worklist_allocation (
    item_id     bigint PRIMARY KEY REFERENCES worklist_item (id),
    assigned_to text COLLATE "C",
    assigned_by text,
    assigned_at text COLLATE "C",
    claimed_by  text COLLATE "C",
    claimed_at  text COLLATE "C",
    claim_until text COLLATE "C"
);
CREATE INDEX worklist_assigned ON worklist_allocation (assigned_to);
CREATE INDEX worklist_claimed ON worklist_allocation (claimed_by);
