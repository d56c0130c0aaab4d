{{- /* Threshold crossings over work(entity, grp, dst, ts, hostname, username),
   exact in continuous time (DESIGN §1).

   A record at r counts for every t in [r, r + window]. Per destination, the
   records no more than one window apart form a run whose coverage is the
   closed interval [first, last + window]; count(t) is the number of runs
   covering t. lag/lead over one sort find where runs start and end, with no
   DISTINCT window. A running sum of +starts/-ends, starts ordered before ends
   at the same instant (the intervals are closed), gives count(t) just after
   each instant; a crossing is a start instant that lifts it from below the
   threshold to at least the threshold. Groups whose whole input has fewer
   distinct destinations than the threshold cannot cross and are left out
   first. $1 is the earliest crossing of interest. */ -}}
WITH candidate_groups AS (
    SELECT entity, grp
    FROM work
    GROUP BY entity, grp
    HAVING count(DISTINCT dst) >= {{.Threshold}}
),
edges AS (
    SELECT
        w.entity, w.grp, w.ts,
        lag(w.ts) OVER per_destination AS previous_ts,
        lead(w.ts) OVER per_destination AS next_ts
    FROM work w
    SEMI JOIN candidate_groups c ON w.entity = c.entity AND w.grp = c.grp
    WINDOW per_destination AS (PARTITION BY w.entity, w.grp, w.dst ORDER BY w.ts)
),
changes AS (
    SELECT entity, grp, ts AS instant, 0 AS is_end, count(*) AS delta
    FROM edges
    WHERE previous_ts IS NULL OR ts > previous_ts + {{.Window}}
    GROUP BY ALL
    UNION ALL
    SELECT entity, grp, ts + {{.Window}}, 1, -count(*)
    FROM edges
    WHERE next_ts IS NULL OR next_ts > ts + {{.Window}}
    GROUP BY ALL
),
levels AS (
    SELECT entity, grp, instant, is_end, delta,
        sum(delta) OVER (PARTITION BY entity, grp ORDER BY instant, is_end ROWS UNBOUNDED PRECEDING) AS level
    FROM changes
),
crossings AS (
    SELECT entity, grp, instant AS crossed_at
    FROM levels
    WHERE is_end = 0 AND level >= {{.Threshold}} AND level - delta < {{.Threshold}} AND instant >= $1
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
    FROM crossings c
    JOIN work w
      ON w.entity = c.entity AND w.grp = c.grp
     AND w.ts BETWEEN c.crossed_at - {{.Window}} AND c.crossed_at
    GROUP BY ALL
)
SELECT
    entity,
    grp,
    crossed_at,
    min(first_ts) AS first_seen,
    count(*) AS distinct_dst_count,
    sum(records)::BIGINT AS record_count,
    list(dst ORDER BY first_ts, dst)[1:100] AS dst_sample,
    coalesce(arg_max(hostname, struct_pack(t := hostname_ts, v := hostname)) FILTER (WHERE hostname IS NOT NULL), '') AS hostname,
    coalesce(arg_max(username, struct_pack(t := username_ts, v := username)) FILTER (WHERE username IS NOT NULL), '') AS username
FROM per_destination
GROUP BY entity, grp, crossed_at
ORDER BY crossed_at, entity, grp;
