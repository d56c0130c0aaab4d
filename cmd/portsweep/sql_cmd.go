package main

import (
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/portsweep/portsweep/detect"
	"github.com/portsweep/portsweep/sink"
)

func cmdSQL(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sql", flag.ContinueOnError)
	fs.SetOutput(stderr)
	db := fs.String("db", "portsweep.duckdb", "DuckDB database (opened read-only)")
	signalsDir := fs.String("signals", "", "query the Parquet signal dataset under DIR/signals instead of the database")
	format := fs.String("format", "table", "output: table, csv, json (one object per line) or parquet (needs --output)")
	output := fs.String("output", "", "write to this file instead of stdout")
	fs.Usage = func() {
		fmt.Fprintln(stderr, `Usage: portsweep sql [--db FILE | --signals DIR] [--format table|csv|json|parquet] [--output FILE] QUERY
Views: signals, runs, inputs, funnel (see README). The database is opened read-only.`)
		fs.PrintDefaults()
	}
	rest, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usagef("give exactly one QUERY (quote it)")
	}
	query := rest[0]
	switch *format {
	case "table", "csv", "json":
	case "parquet":
		if *output == "" {
			return usagef("--format parquet needs --output FILE")
		}
	default:
		return usagef("unknown --format %q", *format)
	}
	var store *detect.Store
	if *signalsDir != "" {
		store, err = detect.Open(ctx, ":memory:", detect.StoreOptions{})
		if err != nil {
			return err
		}
		glob := filepath.Join(*signalsDir, "signals", "**", "*.parquet")
		if matches, _ := filepath.Glob(filepath.Join(*signalsDir, "signals", "*", "*.parquet")); len(matches) == 0 {
			return fmt.Errorf("no signal files under %s", filepath.Join(*signalsDir, "signals"))
		}
		if _, err := store.DB.ExecContext(ctx, `DROP VIEW signals; CREATE VIEW signals AS SELECT * FROM read_parquet(`+sqlString(glob)+`, hive_partitioning = true)`); err != nil {
			return fmt.Errorf("open the signal dataset: %w", err)
		}
	} else {
		if _, err := os.Stat(*db); err != nil {
			return fmt.Errorf("database %s: %w (run `portsweep detect` or `portsweep run` first, or pass --db)", *db, err)
		}
		store, err = detect.Open(ctx, *db, detect.StoreOptions{ReadOnly: true})
		if err != nil {
			return err
		}
	}
	defer store.Close()
	if *format == "parquet" {
		_, err := store.DB.ExecContext(ctx, `COPY (`+query+`) TO `+sqlString(*output)+` (FORMAT parquet)`)
		return explainReadOnly(err)
	}
	w := stdout
	if *output != "" {
		f, err := os.Create(*output)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	rows, err := store.DB.QueryContext(ctx, query)
	if err != nil {
		return explainReadOnly(err)
	}
	defer rows.Close()
	return writeRows(rows, *format, w)
}

// explainReadOnly turns DuckDB's refusal of a write into advice: the
// database is read-only, and signals, inputs and funnel are views.
func explainReadOnly(err error) error {
	if err == nil {
		return nil
	}
	msg := strings.ToLower(err.Error())
	if strings.Contains(msg, "read-only") || strings.Contains(msg, "base table") {
		return fmt.Errorf("refused: `portsweep sql` opens the database read-only, so statements that write are not allowed (%v)", err)
	}
	return err
}

func sqlString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func writeRows(rows *sql.Rows, format string, w io.Writer) error {
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	var tw *tabwriter.Writer
	var cw *csv.Writer
	enc := json.NewEncoder(w)
	switch format {
	case "table":
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, strings.Join(cols, "\t"))
	case "csv":
		cw = csv.NewWriter(w)
		cw.Write(cols)
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		switch format {
		case "json":
			obj := make(map[string]any, len(cols))
			for i, c := range cols {
				obj[c] = jsonValue(vals[i])
			}
			if err := enc.Encode(obj); err != nil {
				return err
			}
		default:
			text := make([]string, len(cols))
			for i := range vals {
				text[i] = textValue(vals[i])
			}
			if tw != nil {
				fmt.Fprintln(tw, strings.Join(text, "\t"))
			} else {
				cw.Write(text)
			}
		}
	}
	if err := rows.Err(); err != nil {
		return explainReadOnly(err)
	}
	if tw != nil {
		return tw.Flush()
	}
	if cw != nil {
		cw.Flush()
		return cw.Error()
	}
	return nil
}

func jsonValue(v any) any {
	switch x := v.(type) {
	case time.Time:
		return x.UTC().Format(sink.TimeLayout)
	case []byte:
		return string(x)
	}
	return v
}

func textValue(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case time.Time:
		return x.UTC().Format(sink.TimeLayout)
	case string:
		return x
	case []any, map[string]any:
		b, _ := json.Marshal(x)
		return string(b)
	}
	return fmt.Sprint(v)
}

func cmdSignals(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("signals", flag.ContinueOnError)
	fs.SetOutput(stderr)
	db := fs.String("db", "portsweep.duckdb", "DuckDB database (opened read-only)")
	since := fs.Duration("since", 24*time.Hour, "signals whose crossing is this recent (by event time, relative to the newest signal)")
	rest, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("signals takes no arguments")
	}
	if _, err := os.Stat(*db); err != nil {
		return fmt.Errorf("database %s: %w", *db, err)
	}
	store, err := detect.Open(ctx, *db, detect.StoreOptions{ReadOnly: true})
	if err != nil {
		return err
	}
	defer store.Close()
	rows, err := store.DB.QueryContext(ctx, `SELECT crossed_at, srcDevice_ip, dstPort, distinct_dst_count AS dsts, record_count AS records,
		srcDevice_hostname AS hostname, user_username AS "user", CASE WHEN suppressed THEN 'suppressed' ELSE '' END AS note, signal_id
		FROM signals
		WHERE crossed_at >= (SELECT max(crossed_at) FROM signals) - to_microseconds(?)
		ORDER BY crossed_at DESC`, since.Microseconds())
	if err != nil {
		return err
	}
	defer rows.Close()
	return writeRows(rows, "table", stdout)
}
