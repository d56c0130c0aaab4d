// Package loader owns reading inputs into Arrow record batches in the
// normalized schema (DESIGN §3): normalized Parquet and JSON lines, the
// vendors' own log formats (mapped as in MAPPINGS.md), compression, the
// enrichment that turns raw addresses into canonical ones with their
// internal flag and match lists, and the quarantine of bad records.
//
// A vendor format is a Format registered from its own file (format_*.go).
// Line formats implement ParseLine; whole-stream formats implement Stream.
// Both report to an Emitter, so one driver counts, quarantines and batches
// records for every format alike.
package loader
