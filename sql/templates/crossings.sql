{{- /* Threshold crossings over work(entity, grp, dst, ts, hostname, username),
   exact in continuous time (DESIGN §1). entity and dst are ip_ids ids.

   A record at r counts for every t in [r, r + window]. Per destination, the
   records no more than one window apart form a run whose coverage is the
   closed interval [first, last + window]; count(t) is the number of runs
   covering t. lag/lead over one sort find where runs start and end, with no
   DISTINCT window. A running sum of +1 per start and -1 per end, starts
   ordered before ends at the same instant (the intervals are closed), gives
   count(t); a crossing is a start instant that lifts it from below the
   threshold to at least the threshold. $1 is the earliest crossing of
   interest.

   Pruning, exact: a crossing at t needs at least threshold distinct
   destinations, so at least threshold records, within [t - window, t]. In
   time order per entity and group, the record threshold-1 places before
   the last record at t is then no older than t - window: one lag over one
   sort marks the records where a crossing is possible at all. Time is cut
   into buckets one window long, so the window of a crossing at t in bucket
   k lies in buckets k-1 and k; only those buckets of marked records are
   analysed. On the kept records the count at a marked instant, and just
   before it, equals the count on all records (its whole window is kept);
   elsewhere it can only be lower, and unmarked instants stay below the
   threshold anyway. The details of each crossing are read from work,
   through the buckets of its window. */ -}}
WITH marked AS (
    SELECT entity, grp, floor(epoch_us(ts) / {{.WindowMicros}})::BIGINT AS bucket
    FROM (
        SELECT entity, grp, ts,
            lag(ts, {{.Threshold}} - 1) OVER (PARTITION BY entity, grp ORDER BY ts) AS earlier_ts
        FROM work
    )
    WHERE earlier_ts >= ts - {{.Window}} AND ts >= $1
),
candidate_buckets AS (
    SELECT DISTINCT entity, grp, unnest([bucket - 1, bucket]) AS bucket
    FROM marked
),
kept AS (
    SELECT w.entity, w.grp, w.dst, w.ts
    FROM work w
    SEMI JOIN candidate_buckets c
      ON w.entity = c.entity AND w.grp = c.grp AND floor(epoch_us(w.ts) / {{.WindowMicros}})::BIGINT = c.bucket
),
edges AS MATERIALIZED (
    SELECT
        w.entity, w.grp, w.ts,
        lag(w.ts) OVER per_destination AS previous_ts,
        lead(w.ts) OVER per_destination AS next_ts
    FROM kept w
    WINDOW per_destination AS (PARTITION BY w.entity, w.grp, w.dst ORDER BY w.ts)
),
changes AS (
    -- One row per run start and one per run end, as two sort keys: the
    -- group (entity in the high 32 bits, grp in the low 32) and the
    -- instant in µs times two plus is_end (0 for a start, +1; 1 for an
    -- end, -1), so that starts sort before ends at the same instant.
    -- Two BIGINT keys sort about a fifth faster than four columns.
    SELECT (entity::BIGINT << 32) | (grp::BIGINT & 4294967295) AS grp_key, epoch_us(ts) * 2 AS time_key
    FROM edges
    WHERE previous_ts IS NULL OR ts > previous_ts + {{.Window}}
    UNION ALL
    SELECT (entity::BIGINT << 32) | (grp::BIGINT & 4294967295), epoch_us(ts + {{.Window}}) * 2 + 1
    FROM edges
    WHERE next_ts IS NULL OR next_ts > ts + {{.Window}}
),
levels AS (
    -- Each run adds one and takes one away within its own group, so the
    -- rows of earlier groups sum to zero and a running sum over all rows
    -- in key order is each group's count. Over an ordered subquery, a
    -- window with an empty OVER keeps the order (DuckDB's documented
    -- order preservation) and DuckDB streams it; the partitioned form
    -- builds a segment tree and took 2-3 times longer here.
    SELECT grp_key, time_key,
        sum(1 - 2 * (time_key & 1)) OVER (ROWS UNBOUNDED PRECEDING) AS level
    FROM (SELECT * FROM changes ORDER BY grp_key, time_key)
),
crossings AS (
    -- Starts move the count up one at a time, all starts at an instant
    -- before its ends, so the count rises from below the threshold to at
    -- least the threshold at an instant exactly when one of its start
    -- rows brings it to the threshold itself. Ids are not negative; the
    -- low 32 bits are grp in two's complement; a start's time_key is even.
    SELECT
        (grp_key >> 32)::INTEGER AS entity,
        ((grp_key & 4294967295) - CASE WHEN (grp_key & 2147483648) <> 0 THEN 4294967296 ELSE 0 END)::INTEGER AS grp,
        make_timestamp(time_key // 2) AS crossed_at
    FROM levels
    WHERE (time_key & 1) = 0 AND level = {{.Threshold}} AND time_key >= epoch_us($1::TIMESTAMP) * 2
),
per_destination AS (
    SELECT
        c.entity, c.grp, c.crossed_at, w.dst,
        min(w.ts) AS first_ts,
        count(*) AS records,
        max(w.ts) FILTER (WHERE w.hostname <> '') AS hostname_ts,
        arg_max(w.hostname, struct_pack(t := w.ts, v := w.hostname)) FILTER (WHERE w.hostname <> '') AS hostname,
        max(w.ts) FILTER (WHERE w.username <> '') AS username_ts,
        arg_max(w.username, struct_pack(t := w.ts, v := w.username)) FILTER (WHERE w.username <> '') AS username
    FROM (
        -- A crossing's window lies in its bucket and the one before.
        SELECT *, unnest([floor(epoch_us(crossed_at) / {{.WindowMicros}})::BIGINT - 1, floor(epoch_us(crossed_at) / {{.WindowMicros}})::BIGINT]) AS bucket
        FROM crossings
    ) c
    JOIN (SELECT *, floor(epoch_us(ts) / {{.WindowMicros}})::BIGINT AS bucket FROM work) w
      ON w.entity = c.entity AND w.grp = c.grp AND w.bucket = c.bucket
     AND w.ts BETWEEN c.crossed_at - {{.Window}} AND c.crossed_at
    GROUP BY ALL
),
named AS (
    SELECT p.*, i.ip AS dst_ip
    FROM per_destination p
    JOIN ip_ids i ON i.id = p.dst
)
SELECT
    e.ip AS entity,
    grp,
    crossed_at,
    min(first_ts) AS first_seen,
    count(*) AS distinct_dst_count,
    sum(records)::BIGINT AS record_count,
    list(dst_ip ORDER BY first_ts, dst_ip)[1:100] AS dst_sample,
    coalesce(arg_max(hostname, struct_pack(t := hostname_ts, v := hostname)) FILTER (WHERE hostname IS NOT NULL), '') AS hostname,
    coalesce(arg_max(username, struct_pack(t := username_ts, v := username)) FILTER (WHERE username IS NOT NULL), '') AS username
FROM named
JOIN ip_ids e ON e.id = named.entity
GROUP BY e.ip, grp, crossed_at
ORDER BY crossed_at, e.ip, grp;
