{{- /* The run's funnel in one pass over enriched: one row per outcome code.
   Code 0 is a rejected record (reject_reason says why), 1..N the first
   rule condition that dropped it, N+1 a record outside [$1, $2) (a
   backfill's range), 255 a qualifying record; Compiled.Outcome names
   them. Small integer codes keep the per-record work and the grouping
   cheap; names are attached to the few result rows. late counts records
   older than $3, per exclusion list the records it holds (read for the
   condition named match_lists). Without .Bounded (no range, no lateness:
   detect) the time tests and their parameters are left out: they cost a
   conversion per record. */ -}}
SELECT
    code,
    reject_reason,
    count(*) AS n,
    {{if .Bounded}}count(*) FILTER (WHERE "timestamp" < $3){{else}}0{{end}} AS late
{{- range .ExclusionLists}},
    {{if $.ListConditionCode}}count(*) FILTER (WHERE code = {{$.ListConditionCode}} AND list_contains(listMatches, {{quote .}})){{else}}0{{end}}
{{- end}}
FROM (
    SELECT
        reject_reason,
        "timestamp",
        listMatches,
        {{template "outcome_code" .}} AS code
    FROM enriched
)
GROUP BY ALL;
