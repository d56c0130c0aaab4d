{{- /* Enrich the batch: every record with its normalized columns as the
   rule's conditions read them, and why it is rejected, if it is.
   batch_raw holds the records as loaded; ip_dictionary maps the address
   texts that are invalid, not canonical, internal or in a match list to
   their canonical form, integer id, internal flag and lists (made in Go
   with net/netip); a text it lacks is a valid external address in no
   list. A record is rejected when it has no timestamp or an address that
   does not parse. It stays a view: the funnel and the work table each read
   it once, which costs less than materializing every record of a large
   batch. An empty address text is in ip_dictionary, invalid, so the
   reject reasons need no string comparison per record. */ -}}
CREATE OR REPLACE TEMP VIEW enriched AS (
    SELECT
        r.input_id,
        r.row_no,
        r.record_no,
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
            WHEN r.srcDevice_ip IS NULL OR (s.ip IS NULL AND s.raw = '') THEN 'missing srcDevice_ip'
            WHEN s.raw IS NOT NULL AND s.ip IS NULL THEN 'invalid srcDevice_ip'
            WHEN r.dstDevice_ip IS NULL OR (d.ip IS NULL AND d.raw = '') THEN 'missing dstDevice_ip'
            WHEN d.raw IS NOT NULL AND d.ip IS NULL THEN 'invalid dstDevice_ip'
            WHEN r.dstPort IS NOT NULL AND (r.dstPort < 0 OR r.dstPort > 65535) THEN 'dstPort out of range'
        END AS reject_reason
    FROM batch_raw r
    LEFT JOIN ip_dictionary s ON s.raw = r.srcDevice_ip
    LEFT JOIN ip_dictionary d ON d.raw = r.dstDevice_ip
);
