{{- /* Enrich the batch and decide each record's fate in one pass.
   batch_raw holds the records as loaded; ip_dictionary maps the address
   texts that are invalid, not canonical, internal or in a match list to
   their canonical form, integer id, internal flag and lists (made in Go
   with net/netip); a text it lacks is a valid external address in no list. A record is rejected when it has no timestamp or an
   address that does not parse; otherwise dropped_by names the first rule
   condition it fails, in the rule's order, or is NULL when it qualifies.
   Only the columns that later steps read are kept. */ -}}
CREATE OR REPLACE TEMP VIEW classified AS
WITH enriched AS (
    SELECT
        r.input_id,
        r.row_no,
        r."timestamp",
        r.objectType,
        CASE WHEN s.raw IS NULL THEN r.srcDevice_ip ELSE s.ip END AS srcDevice_ip,
        CASE WHEN d.raw IS NULL THEN r.dstDevice_ip ELSE d.ip END AS dstDevice_ip,
        s.id AS src_id,
        d.id AS dst_id,
        coalesce(r.srcDevice_ip_isInternal, s.internal, false) AS srcDevice_ip_isInternal,
        coalesce(r.dstDevice_ip_isInternal, d.internal, false) AS dstDevice_ip_isInternal,
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
            WHEN s.raw IS NOT NULL AND s.ip IS NULL THEN 'invalid srcDevice_ip'
            WHEN r.dstDevice_ip IS NULL OR r.dstDevice_ip = '' THEN 'missing dstDevice_ip'
            WHEN d.raw IS NOT NULL AND d.ip IS NULL THEN 'invalid dstDevice_ip'
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
    src_id,
    dst_id,
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

-- Every record, narrow: what a record does not need downstream is NULL
-- (positions only for rejected records, lists only for those a list
-- excluded), so the batch stays in memory, and the funnel counts it
-- without reading the inputs again.
CREATE OR REPLACE TEMP TABLE batch AS
SELECT
    CASE WHEN reject_reason IS NOT NULL THEN input_id END AS input_id,
    CASE WHEN reject_reason IS NOT NULL THEN row_no END AS row_no,
    "timestamp",
    src_id,
    dst_id,
    {{ident .GroupColumn}},
    srcDevice_hostname,
    user_username,
    CASE WHEN dropped_by = 'match_lists' THEN listMatches END AS listMatches,
    reject_reason,
    dropped_by
FROM classified;
