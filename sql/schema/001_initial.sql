-- State of a portsweep database, version 1.
CREATE TABLE IF NOT EXISTS runs (
    run_id VARCHAR PRIMARY KEY,
    mode VARCHAR NOT NULL,            -- detect, run, backfill, schedule
    started_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    status VARCHAR NOT NULL,          -- ok, partial (an input failed), failed
    error VARCHAR,
    rule_id VARCHAR,
    rule_version INTEGER,
    sql_hash VARCHAR,
    parameters JSON,
    records_read BIGINT,
    records_qualifying BIGINT,
    signals BIGINT,
    suppressed BIGINT,
    funnel JSON
);

-- Signals of every kind of run; detect runs are independent analyses, so a
-- signal id is unique per (mode class, id): stateful runs keep one row per
-- id, each detect run its own rows.
CREATE TABLE IF NOT EXISTS signals (
    signal_id VARCHAR NOT NULL,
    run_id VARCHAR NOT NULL,
    stateful BOOLEAN NOT NULL,
    rule_id VARCHAR,
    name VARCHAR,
    summary VARCHAR,
    severity INTEGER,
    stage VARCHAR,
    tags VARCHAR[],
    srcDevice_ip VARCHAR,
    dstPort INTEGER,
    srcDevice_hostname VARCHAR,
    user_username VARCHAR,
    entities STRUCT("type" VARCHAR, "value" VARCHAR)[],
    first_seen TIMESTAMP,
    crossed_at TIMESTAMP,
    distinct_dst_count INTEGER,
    dst_sample VARCHAR[],
    record_count BIGINT,
    suppressed BOOLEAN,
    suppressed_reason VARCHAR,
    rule_version INTEGER,
    sql_hash VARCHAR
);
