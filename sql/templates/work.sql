{{- /* The qualifying records of the batch, reduced to what detection reads. */ -}}
INSERT INTO work
SELECT
    srcDevice_ip AS entity,
    {{ident .GroupColumn}} AS grp,
    {{ident .DistinctColumn}} AS dst,
    "timestamp" AS ts,
    coalesce(srcDevice_hostname, '') AS hostname,
    coalesce(user_username, '') AS username
FROM batch
WHERE reject_reason IS NULL AND dropped_by IS NULL AND "timestamp" >= $1;
