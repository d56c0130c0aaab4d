{{- /* Enrich the batch and decide each record's fate in one pass.
   batch_raw holds the records as loaded; ip_dictionary maps every address
   text seen to its canonical form, internal flag and match lists (made in
   Go with net/netip). A record is rejected when it has no timestamp or an
   address that does not parse; otherwise dropped_by names the first rule
   condition it fails, in the rule's order, or is NULL when it qualifies.
   Only the columns that later steps read are kept. */ -}}
CREATE OR REPLACE TEMP TABLE batch AS
WITH enriched AS (
    SELECT
        r.input_id,
        r.row_no,
        r."timestamp",
        r.objectType,
        s.ip AS srcDevice_ip,
        d.ip AS dstDevice_ip,
        coalesce(r.srcDevice_ip_isInternal, s.internal) AS srcDevice_ip_isInternal,
        coalesce(r.dstDevice_ip_isInternal, d.internal) AS dstDevice_ip_isInternal,
        r.srcPort,
        r.dstPort,
        r.ipProtocol,
        r.srcDevice_hostname,
        r.user_username,
        CASE
            WHEN r.listMatches IS NULL AND s.lists IS NULL AND d.lists IS NULL THEN []::VARCHAR[]
            ELSE list_sort(list_distinct(list_concat(coalesce(r.listMatches, []::VARCHAR[]), coalesce(s.lists, []::VARCHAR[]), coalesce(d.lists, []::VARCHAR[]))))
        END AS listMatches,
        r.success,
        r.metadata_vendor,
        r.metadata_product,
        r.metadata_deviceEventId,
        CASE
            WHEN r."timestamp" IS NULL THEN 'missing or invalid timestamp'
            WHEN r.srcDevice_ip IS NULL OR r.srcDevice_ip = '' THEN 'missing srcDevice_ip'
            WHEN s.ip IS NULL THEN 'invalid srcDevice_ip'
            WHEN r.dstDevice_ip IS NULL OR r.dstDevice_ip = '' THEN 'missing dstDevice_ip'
            WHEN d.ip IS NULL THEN 'invalid dstDevice_ip'
            WHEN r.dstPort IS NOT NULL AND (r.dstPort < 0 OR r.dstPort > 65535) THEN 'dstPort out of range'
        END AS reject_reason
    FROM batch_raw r
    LEFT JOIN ip_dictionary s ON s.raw = r.srcDevice_ip
    LEFT JOIN ip_dictionary d ON d.raw = r.dstDevice_ip
)
SELECT
    input_id,
    row_no,
    "timestamp",
    srcDevice_ip,
    dstDevice_ip,
    {{ident .GroupColumn}},
    srcDevice_hostname,
    user_username,
    listMatches,
    reject_reason,
    CASE
        WHEN reject_reason IS NOT NULL THEN NULL
{{- range .Conditions}}
        WHEN NOT coalesce({{.SQL}}, false) THEN '{{.Name}}'
{{- end}}
    END AS dropped_by
FROM enriched;
