{{- /* The run's funnel over batch: one row per (outcome, key). */ -}}
SELECT 'rejected' AS outcome, reject_reason AS key, count(*) AS n
FROM batch WHERE reject_reason IS NOT NULL GROUP BY reject_reason
UNION ALL
SELECT 'dropped', dropped_by, count(*)
FROM batch WHERE dropped_by IS NOT NULL GROUP BY dropped_by
UNION ALL
SELECT 'excluded_by_list', list_name, count(*)
FROM (
    SELECT unnest(list_intersect(listMatches, {{.ExclusionSQL}})) AS list_name
    FROM batch
    WHERE reject_reason IS NULL AND dropped_by IS NOT DISTINCT FROM 'match_lists'
)
GROUP BY list_name
UNION ALL
SELECT 'qualifying', NULL, count(*)
FROM batch WHERE reject_reason IS NULL AND dropped_by IS NULL;
