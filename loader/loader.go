//go:build duckdb_arrow

package loader

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"strings"
)

// FormatAuto asks the loader to detect each input's format.
const FormatAuto = "auto"

// FormatParquet names normalized Parquet input in counts.
const FormatParquet = "normalized-parquet"

// FormatStats are one format's counts in an input (the summary's formats).
type FormatStats struct {
	Read        int64 `json:"read"`
	Connections int64 `json:"connections"`
	Skipped     int64 `json:"skipped"`
	Quarantined int64 `json:"quarantined"`
}

func (s *FormatStats) add(o FormatStats) {
	s.Read += o.Read
	s.Connections += o.Connections
	s.Skipped += o.Skipped
	s.Quarantined += o.Quarantined
}

// Result is what loading one input gave.
type Result struct {
	Path          string
	InputID       int32
	Formats       map[string]*FormatStats
	SkippedByWhy  map[string]int64
	Records       int64 // records inserted into batch_raw
	Err           error // the input could not be read (the run goes on)
	DetectedAs    []string
	QuarantinedTo string
}

// MergeFormats adds every result's per-format counts together.
func MergeFormats(results []Result) map[string]*FormatStats {
	out := map[string]*FormatStats{}
	for _, r := range results {
		for name, s := range r.Formats {
			if out[name] == nil {
				out[name] = &FormatStats{}
			}
			out[name].add(*s)
		}
	}
	return out
}

// Options configure a Loader.
type Options struct {
	Format     string // FormatAuto, FormatNormalized or a registered format
	Parse      *ParseContext
	Quarantine *Quarantine
	Stdin      io.Reader
}

// Loader reads inputs into batch_raw on one reserved connection.
type Loader struct {
	sink    *ArrowSink
	conn    *sql.Conn
	opts    Options
	parquet []string // SELECTs of the Parquet inputs, read in place
	tmp     []string // files to remove on Close
}

// New prepares conn to receive a batch.
func New(ctx context.Context, conn *sql.Conn, opts Options) (*Loader, error) {
	if opts.Format == "" {
		opts.Format = FormatAuto
	}
	if opts.Format != FormatAuto {
		if _, ok := LookupFormat(opts.Format); !ok {
			return nil, fmt.Errorf("unknown format %q (see `portsweep formats`)", opts.Format)
		}
	}
	if opts.Quarantine == nil {
		opts.Quarantine = NewQuarantine("", "")
	}
	if opts.Stdin == nil {
		opts.Stdin = os.Stdin
	}
	sink, err := NewArrowSink(ctx, conn)
	if err != nil {
		return nil, err
	}
	return &Loader{sink: sink, conn: conn, opts: opts}, nil
}

// Sink is the Arrow sink the loader writes through.
func (l *Loader) Sink() *ArrowSink { return l.sink }

// Close releases the loader's buffers and temporary files.
func (l *Loader) Close() {
	l.sink.Close()
	for _, p := range l.tmp {
		os.Remove(p)
	}
}

// Finish makes batch_raw: the parsed records with the Parquet inputs.
func (l *Loader) Finish(ctx context.Context) error {
	q := "CREATE OR REPLACE TEMP VIEW " + RawView + " AS SELECT * FROM " + ParsedTable
	for _, sel := range l.parquet {
		q += "\nUNION ALL BY NAME " + sel
	}
	if _, err := l.conn.ExecContext(ctx, q); err != nil {
		return fmt.Errorf("create batch_raw: %w", err)
	}
	return nil
}

// Load reads one input into batch_raw. A failure to read the input is
// returned in Result.Err; an error return means the database failed.
func (l *Loader) Load(ctx context.Context, in Input, inputID int32) (Result, error) {
	res := Result{Path: in.Path, InputID: inputID, Formats: map[string]*FormatStats{}, SkippedByWhy: map[string]int64{}}
	o, err := openInput(in.Path, l.opts.Stdin)
	if err != nil {
		res.Err = fmt.Errorf("open %s: %w", in.Path, err)
		return res, nil
	}
	defer o.Close()
	if o.parquet {
		return l.loadParquetInput(ctx, in, o, res)
	}
	em := &emitter{l: l, ctx: ctx, res: &res, inputID: inputID}
	head, _ := o.r.Peek(64 << 10)
	var formats []*Format
	if l.opts.Format == FormatAuto {
		formats = DetectFormats(head)
		if len(formats) == 0 && bytes.HasPrefix(head, []byte("ElfFile\x00")) {
			res.Err = fmt.Errorf("%s: a Windows .evtx file is not read directly; export it as Event XML or JSON (e.g. with evtx_dump) and read that", in.Path)
			return res, nil
		}
		if len(formats) == 0 {
			res.Err = fmt.Errorf("%s: no known format recognized in its first lines (force one with --format; `portsweep formats` lists them)", in.Path)
			return res, nil
		}
	} else {
		f, _ := LookupFormat(l.opts.Format)
		formats = []*Format{f}
	}
	for _, f := range formats {
		res.DetectedAs = append(res.DetectedAs, f.Name)
	}
	var readErr error
	if len(formats) == 1 {
		em.format = formats[0].Name
		readErr = ReadFormat(l.opts.Parse, formats[0], o.r, em)
	} else {
		readErr = ReadMixedLines(l.opts.Parse, formats, o.r, em, func(_ []byte, f *Format) {
			em.format = "unrecognized"
			if f != nil {
				em.format = f.Name
			}
		})
	}
	if em.err != nil {
		return res, em.err
	}
	if err := l.sink.Flush(ctx); err != nil {
		return res, err
	}
	if readErr != nil {
		res.Err = fmt.Errorf("read %s: %w", in.Path, readErr)
	}
	return res, nil
}

func (l *Loader) loadParquetInput(ctx context.Context, in Input, o *opened, res Result) (Result, error) {
	path := in.Path
	if path == StdinPath {
		tmp, err := os.CreateTemp("", "portsweep-stdin-*.parquet")
		if err != nil {
			return res, err
		}
		l.tmp = append(l.tmp, tmp.Name()) // read when the batch is analysed
		if _, err := io.Copy(tmp, o.r); err != nil {
			tmp.Close()
			res.Err = fmt.Errorf("read standard input: %w", err)
			return res, nil
		}
		tmp.Close()
		path = tmp.Name()
	}
	sel, stats, format, err := parquetSelect(ctx, l.conn, path, res.InputID)
	if err != nil {
		res.Err = err
		return res, nil
	}
	l.parquet = append(l.parquet, sel)
	res.DetectedAs = []string{format}
	res.Records = stats.Connections
	res.Formats[format] = &stats
	return res, nil
}

// emitter feeds parsed records to the Arrow sink and counts per format.
type emitter struct {
	l       *Loader
	ctx     context.Context
	res     *Result
	inputID int32
	format  string
	pos     int64
	ordinal int64
	err     error
}

func (e *emitter) stats() *FormatStats {
	s := e.res.Formats[e.format]
	if s == nil {
		s = &FormatStats{}
		e.res.Formats[e.format] = s
	}
	return s
}

func (e *emitter) SetPos(pos int64) { e.pos = pos }

func (e *emitter) Emit(r *Record) {
	s := e.stats()
	s.Read++
	s.Connections++
	e.ordinal++
	pos := e.pos
	if pos == 0 {
		pos = e.ordinal
	}
	e.res.Records++
	if e.err == nil {
		e.err = e.l.sink.Append(e.ctx, r, e.inputID, pos, e.ordinal)
	}
}

func (e *emitter) Skip(reason string) {
	s := e.stats()
	s.Read++
	s.Skipped++
	e.res.SkippedByWhy[reason]++
}

func (e *emitter) Quarantine(pos int64, raw []byte, reason string) {
	s := e.stats()
	s.Read++
	s.Quarantined++
	if err := e.l.opts.Quarantine.Add(e.res.Path, pos, raw, reason); err != nil && e.err == nil {
		e.err = err
	}
}

// DescribeDetected renders what auto-detection chose for the summary.
func (r Result) DescribeDetected() string { return strings.Join(r.DetectedAs, "+") }
