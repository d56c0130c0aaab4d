//go:build duckdb_arrow

package loader

import (
	"fmt"
	"strings"
)

// Parquet layouts other than the normalized one, mapped in SQL as the text
// forms of the same formats are mapped in Go (format_aws_vpc.go,
// format_ocsf.go). Column names here are fixed strings, never input.
const (
	FormatAWSVPCParquet = "aws-vpc-flow-parquet"
	FormatOCSFParquet   = "ocsf-network-parquet"
)

// parquetLayout is how one kind of Parquet file becomes batch_raw rows.
type parquetLayout struct {
	format string
	// columns: the SELECT list producing batch_raw's columns (before
	// input_id and row_no), given the file's column types.
	columns func(types map[string]string) []string
	// keep: the rows that are connection records; the others are skipped.
	keep string
}

// awsVPCParquet reads VPC flow logs as AWS delivers them in Parquet (the
// default fields, hyphens as underscores). Each row is a flow summary
// starting at `start`: NetworkFlow, as the text form.
var awsVPCParquet = parquetLayout{
	format: FormatAWSVPCParquet,
	columns: func(types map[string]string) []string {
		opt := func(col, expr, typ string) string {
			if _, ok := types[col]; ok {
				return expr
			}
			return "NULL::" + typ
		}
		noPort := `TRY_CAST(protocol AS INTEGER) IN (1, 58)`
		return []string{
			`make_timestamp(TRY_CAST(start AS BIGINT) * 1000000)`,
			`'NetworkFlow'`,
			`CAST(srcaddr AS VARCHAR)`,
			`CAST(dstaddr AS VARCHAR)`,
			`NULL::BOOLEAN`, `NULL::BOOLEAN`,
			`CASE WHEN ` + noPort + ` THEN NULL ELSE TRY_CAST(srcport AS INTEGER) END`,
			`CASE WHEN ` + noPort + ` THEN NULL ELSE TRY_CAST(dstport AS INTEGER) END`,
			opt("protocol", `CASE TRY_CAST(protocol AS INTEGER) WHEN 6 THEN 'tcp' WHEN 17 THEN 'udp' WHEN 1 THEN 'icmp' WHEN 58 THEN 'ipv6-icmp' ELSE CAST(protocol AS VARCHAR) END`, "VARCHAR"),
			`NULL::VARCHAR`, `NULL::VARCHAR`, `NULL::VARCHAR[]`,
			opt("action", `CASE upper(CAST(action AS VARCHAR)) WHEN 'ACCEPT' THEN true WHEN 'REJECT' THEN false END`, "BOOLEAN"),
			`'AWS'`, `'VPC Flow Logs'`, `'vpc-flow'`,
		}
	},
	keep: `srcaddr IS NOT NULL AND CAST(srcaddr AS VARCHAR) <> '-' AND start IS NOT NULL`,
}

// ocsfParquet reads OCSF Network Activity (class_uid 4001) as Amazon
// Security Lake stores it. Flow-log products are NetworkFlow, single
// connections Network, as format_ocsf.go decides for JSON.
var ocsfParquet = parquetLayout{
	format: FormatOCSFParquet,
	columns: func(types map[string]string) []string {
		// has tells whether a struct column's type names a field (DuckDB
		// quotes field names that are keywords, such as "user").
		has := func(col, field string) bool {
			return strings.Contains(types[col], field+" ") || strings.Contains(types[col], `"`+field+`" `)
		}
		field := func(col, path, leaf, typ string) string {
			if has(col, leaf) {
				return "CAST(" + col + "." + path + " AS " + typ + ")"
			}
			return "NULL::" + typ
		}
		product := "''"
		if has("metadata", "product") && has("metadata", "name") {
			product = `coalesce(lower(CAST(metadata."product"."name" AS VARCHAR)), '')`
		}
		when := `TRY_CAST("time" AS BIGINT)`
		if _, ok := types["start_time"]; ok {
			when = `coalesce(TRY_CAST(start_time AS BIGINT), TRY_CAST("time" AS BIGINT))`
		}
		success := "NULL::BOOLEAN"
		if _, ok := types["action_id"]; ok {
			success = `CASE action_id WHEN 1 THEN true WHEN 2 THEN false END`
		}
		proto := field("connection_info", "protocol_num", "protocol_num", "INTEGER")
		return []string{
			`make_timestamp(` + when + ` * 1000)`,
			`CASE WHEN ` + product + ` LIKE '%vpc%' OR ` + product + ` LIKE '%flow%' THEN 'NetworkFlow' ELSE 'Network' END`,
			`CAST(src_endpoint.ip AS VARCHAR)`,
			`CAST(dst_endpoint.ip AS VARCHAR)`,
			`NULL::BOOLEAN`, `NULL::BOOLEAN`,
			`CASE WHEN ` + proto + ` IN (1, 58) THEN NULL ELSE ` + field("src_endpoint", "port", "port", "INTEGER") + ` END`,
			`CASE WHEN ` + proto + ` IN (1, 58) THEN NULL ELSE ` + field("dst_endpoint", "port", "port", "INTEGER") + ` END`,
			`CASE ` + proto + ` WHEN 6 THEN 'tcp' WHEN 17 THEN 'udp' WHEN 1 THEN 'icmp' WHEN 58 THEN 'ipv6-icmp' ELSE CAST(` + proto + ` AS VARCHAR) END`,
			field("src_endpoint", "hostname", "hostname", "VARCHAR"),
			field("actor", `"user"."name"`, "user", "VARCHAR"),
			`NULL::VARCHAR[]`,
			success,
			`'OCSF'`, field("metadata", `"product"."name"`, "product", "VARCHAR"), `'4001'`,
		}
	},
	keep: `class_uid = 4001 AND src_endpoint.ip IS NOT NULL AND dst_endpoint.ip IS NOT NULL`,
}

// rawColumnNames are batch_raw's columns before input_id and row_no.
var rawColumnNames = []string{
	"timestamp", "objectType", "srcDevice_ip", "dstDevice_ip", "srcDevice_ip_isInternal",
	"dstDevice_ip_isInternal", "srcPort", "dstPort", "ipProtocol", "srcDevice_hostname",
	"user_username", "listMatches", "success", "metadata_vendor", "metadata_product", "metadata_deviceEventId",
}

// layoutFor recognizes a vendor Parquet layout by its columns.
func layoutFor(types map[string]string) *parquetLayout {
	has := func(cols ...string) bool {
		for _, c := range cols {
			if _, ok := types[c]; !ok {
				return false
			}
		}
		return true
	}
	switch {
	case has("srcaddr", "dstaddr", "dstport", "start"):
		return &awsVPCParquet
	case has("class_uid", "src_endpoint", "dst_endpoint", "time"):
		return &ocsfParquet
	}
	return nil
}

// selectList aliases a layout's expressions as batch_raw's columns.
func (l *parquetLayout) selectList(types map[string]string) string {
	cols := l.columns(types)
	if len(cols) != len(rawColumnNames) {
		panic(fmt.Sprintf("parquet layout %s: %d columns, want %d", l.format, len(cols), len(rawColumnNames)))
	}
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = fmt.Sprintf("%s AS %q", c, rawColumnNames[i])
	}
	return strings.Join(parts, ", ")
}
