{{- /* Every record of the batch in one pass, for the crossing engine in Go
   (detect/engine.go): its funnel code as in funnel.sql, and what the
   engine reads of it: the entity and destination ids, the group, the
   time in µs and ref, which finds the record again (input_id in the high
   bits, its ordinal within the input in the low 40) for the details of a
   crossing window. Reading the records once, instead of a funnel pass
   and a pass that fills a work table, is most of what the default engine
   saves. lists, for a record the match_lists condition dropped, has bit i
   set when it is in exclusion list i. Without .Bounded the time range
   test and its parameters are left out; late records are told apart in
   Go, from ts_us. */ -}}
SELECT
    code,
    {{if .ListConditionCode}}CASE WHEN code = {{.ListConditionCode}} THEN 0::UBIGINT
{{- range $i, $l := .ExclusionLists}} | (list_contains(listMatches, {{quote $l}})::UBIGINT << {{$i}}){{end}} END{{else}}NULL::UBIGINT{{end}} AS lists,
    entity,
    grp,
    dst,
    ts_us,
    ref
FROM (
    SELECT
        {{template "outcome_code" .}} AS code,
        listMatches,
        src_id AS entity,
        {{ident .GroupColumn}} AS grp,
        {{if eq .DistinctColumn "srcDevice_ip"}}src_id{{else}}dst_id{{end}} AS dst,
        epoch_us("timestamp") AS ts_us,
        (input_id::BIGINT << 40) | record_no AS ref
    FROM enriched
);
