// Package detect owns one detection step over a DuckDB database: it loads
// a batch through the loader, runs the compiled rule with whatever state
// the mode carries (its crossings found by the Go engine over one pass of
// the records, or by the compiled crossings SQL), turns crossings into
// signals (ids, suppression), and
// records signals, runs and state in one transaction.
package detect
