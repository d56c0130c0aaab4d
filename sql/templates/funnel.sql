{{- /* The run's funnel in one pass over classified: one row per outcome.
   outcome is the reject reason, the first condition that dropped the
   record, 'outside_range' for a record outside [$1, $2) (a backfill's
   range), or NULL when it qualifies; late counts qualifying records older
   than $3. Lists are kept only for records a list excluded, so the
   caller can count each exclusion list. */ -}}
SELECT
    reject_reason IS NOT NULL AS rejected,
    outcome,
    listMatches,
    count(*) AS n,
    count(*) FILTER (WHERE outcome IS NULL AND "timestamp" < $3) AS late
FROM (
    SELECT
        reject_reason,
        CASE
            WHEN reject_reason IS NOT NULL THEN reject_reason
            WHEN dropped_by IS NOT NULL THEN dropped_by
            WHEN "timestamp" < $1 OR "timestamp" >= $2 THEN 'outside_range'
        END AS outcome,
        CASE WHEN dropped_by = 'match_lists' THEN list_intersect(listMatches, {{.ExclusionSQL}}) END AS listMatches,
        "timestamp"
    FROM classified
)
GROUP BY ALL;
