-- State that stateful runs (run, schedule, backfill) carry between runs.

-- Every input seen: a file is known by its content hash; status is ok or
-- failed (retried by the next run).
CREATE TABLE IF NOT EXISTS manifest (
    path VARCHAR NOT NULL,
    size BIGINT,
    mtime TIMESTAMP,
    sha256 VARCHAR NOT NULL,
    rows_loaded BIGINT,
    status VARCHAR NOT NULL,
    error VARCHAR,
    run_id VARCHAR,
    processed_at TIMESTAMP
);

-- The recent qualifying records: at least one window plus the allowed
-- lateness behind the watermark, only the columns detection reads. Open
-- episodes are a function of these records and are recomputed from them.
CREATE TABLE IF NOT EXISTS tail (
    entity VARCHAR,
    grp INTEGER,
    dst VARCHAR,
    ts TIMESTAMP,
    hostname VARCHAR,
    username VARCHAR
);

-- The latest event time of the qualifying records processed so far, and
-- the earliest crossing time held back as not yet final (emit-final-only).
CREATE TABLE IF NOT EXISTS watermark (
    event_time TIMESTAMP,
    sql_hash VARCHAR,
    updated_run_id VARCHAR,
    pending_since TIMESTAMP
);

-- Whether a stateful signal was printed by `run --json` (crash-safe stdout).
ALTER TABLE signals ADD COLUMN printed BOOLEAN DEFAULT true;
