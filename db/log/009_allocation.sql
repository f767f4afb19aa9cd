-- Log schema 9: allocation of worklist items. A manager assigns an item to a coder; a coder
-- claims the item they are coding, so that no one else codes it at the same time. A claim
-- lapses at claim_until (the claim time plus [worklist] claim_minutes). Work in progress,
-- not the record: rows are updated (assign, claim, release), never part of the hash chain.
-- A table of its own beside worklist_item, one row per item that was ever allocated.

CREATE TABLE worklist_allocation (
    item_id     INTEGER PRIMARY KEY REFERENCES worklist_item (id),
    assigned_to TEXT,                   -- the coder (OS login) it is allocated to, or NULL
    assigned_by TEXT,
    assigned_at TEXT,                   -- UTC, ISO 8601
    claimed_by  TEXT,                   -- who is coding it now, or NULL
    claimed_at  TEXT,
    claim_until TEXT                    -- the claim lapses then (UTC, ISO 8601)
);
CREATE INDEX worklist_assigned ON worklist_allocation (assigned_to);
CREATE INDEX worklist_claimed ON worklist_allocation (claimed_by);
