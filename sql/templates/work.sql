{{- /* The qualifying records of the batch, reduced to what detection reads:
   addresses as ip_ids ids. Records older than $1 (late) or outside
   [$2, $3) (a backfill's range) stay out; without .Bounded there are no
   time tests and no parameters. The conditions are one
   conjunction, so that DuckDB tests those on input columns before the
   dictionary joins. */ -}}
INSERT INTO work
SELECT
    src_id AS entity,
    {{ident .GroupColumn}} AS grp,
    {{if eq .DistinctColumn "srcDevice_ip"}}src_id{{else}}dst_id{{end}} AS dst,
    "timestamp" AS ts,
    coalesce(srcDevice_hostname, '') AS hostname,
    coalesce(user_username, '') AS username
FROM enriched
WHERE reject_reason IS NULL
{{- range .Conditions}}
  AND coalesce({{.SQL}}, false)
{{- end}}
{{- if .Bounded}}
  AND "timestamp" >= $1 AND "timestamp" >= $2 AND "timestamp" < $3
{{- end}};
