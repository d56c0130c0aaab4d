-- Views for ad hoc SQL (`portsweep sql`): the processed inputs, and each
-- run's funnel as columns.
CREATE OR REPLACE VIEW inputs AS
SELECT path, size, mtime, sha256, rows_loaded, status, error, run_id, processed_at
FROM manifest;

CREATE OR REPLACE VIEW funnel AS
SELECT
    run_id,
    mode,
    started_at,
    CAST(funnel->>'records_read' AS BIGINT) AS records_read,
    CAST(funnel->>'records_skipped' AS BIGINT) AS records_skipped,
    CAST(funnel->>'records_rejected' AS BIGINT) AS records_rejected,
    CAST(funnel->>'records_late' AS BIGINT) AS records_late,
    CAST(funnel->>'records_qualifying' AS BIGINT) AS records_qualifying,
    CAST(funnel->>'groups' AS BIGINT) AS groups,
    CAST(funnel->>'episodes' AS BIGINT) AS episodes,
    CAST(funnel->>'signals' AS BIGINT) AS signals,
    CAST(funnel->>'suppressed' AS BIGINT) AS suppressed,
    funnel->'rejected_by_reason' AS rejected_by_reason,
    funnel->'dropped_by_condition' AS dropped_by_condition,
    funnel->'excluded_by_list' AS excluded_by_list,
    funnel->'formats' AS formats
FROM runs;
