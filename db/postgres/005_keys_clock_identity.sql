-- Department log on PostgreSQL, schema version 5: what the SQLite log's schema 6 adds
-- (db/log/006_keys_clock_identity.sql, issue 25): the department key's hash of each version,
-- the clock's reading when it was behind the row before, the log's identity, and the
-- near-duplicate keys. The keys of episodes already saved are filled by `db init` in Python
-- (workbench/core/episodes/postgres/schema.py), exactly as a save computes them.

ALTER TABLE version ADD COLUMN mac text COLLATE "C";
ALTER TABLE version ADD COLUMN clock_at text COLLATE "C";

CREATE TABLE log_meta (
    key   text COLLATE "C" PRIMARY KEY,
    value text NOT NULL
);
INSERT INTO log_meta (key, value) VALUES ('log_id', md5(random()::text || clock_timestamp()::text))
    ON CONFLICT DO NOTHING;

CREATE TABLE episode_key (
    identity   text COLLATE "C" NOT NULL,
    start_date text COLLATE "C" NOT NULL,
    episode_id bigint NOT NULL,
    PRIMARY KEY (identity, start_date, episode_id)
);
