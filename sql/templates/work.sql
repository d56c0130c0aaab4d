{{- /* The qualifying records of the batch, reduced to what detection reads:
   addresses as ip_ids ids. */ -}}
INSERT INTO work
SELECT
    src_id AS entity,
    {{ident .GroupColumn}} AS grp,
    {{if eq .DistinctColumn "srcDevice_ip"}}src_id{{else}}dst_id{{end}} AS dst,
    "timestamp" AS ts,
    coalesce(srcDevice_hostname, '') AS hostname,
    coalesce(user_username, '') AS username
FROM batch
WHERE reject_reason IS NULL AND dropped_by IS NULL AND "timestamp" >= $1;
