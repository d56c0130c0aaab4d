{{- /* A record's funnel outcome code, shared by funnel.sql and records.sql
   over the view enriched: 0 rejected, 1..N the first rule condition that
   drops it, N+1 outside the time range [$1, $2) (only when .Bounded), 255
   qualifying; Compiled.Outcome names the codes. */ -}}
{{define "outcome_code" -}}
CASE
            WHEN reject_reason IS NOT NULL THEN 0
{{- range $i, $c := .Conditions}}
            WHEN NOT coalesce({{$c.SQL}}, false) THEN {{add $i 1}}
{{- end}}
{{- if .Bounded}}
            WHEN "timestamp" < $1 OR "timestamp" >= $2 THEN {{add (len .Conditions) 1}}
{{- end}}
            ELSE 255
        END::UTINYINT
{{- end}}
