package detect

import (
	"context"
	"crypto/rand"
	"database/sql"
	"database/sql/driver"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/portsweep/portsweep/loader"
	"github.com/portsweep/portsweep/sink"
	psql "github.com/portsweep/portsweep/sql"
)

// Config is what one detection step needs besides its inputs.
type Config struct {
	Compiled   *psql.Compiled
	Enrichment *loader.Enrichment
	Format     string
	OutDir     string // quarantine and signal Parquet go under it; "" writes none
	Parse      *loader.ParseContext
	Stdin      io.Reader
	Now        func() time.Time
	Log        *slog.Logger
	// Webhook, when set, queues each new signal in the outbox in the
	// transaction that records it.
	Webhook *Webhook
	// Engine finds the crossings: EngineGo ("" too) or EngineSQL.
	Engine string
}

func (c *Config) now() time.Time {
	if c.Now != nil {
		return c.Now().UTC()
	}
	return time.Now().UTC()
}

func (c *Config) log() *slog.Logger {
	if c.Log != nil {
		return c.Log
	}
	return slog.New(slog.DiscardHandler)
}

// Outcome is what a step found and recorded.
type Outcome struct {
	RunID       string
	Signals     []sink.Signal // new signals, in crossing order
	Summary     *Summary
	InputErrors []error
	ParquetOut  []string
	Quarantined string // quarantine file, when anything was quarantined
}

// carried is the state a step starts from; the zero value is a fresh,
// independent analysis (detect).
type carried struct {
	lateBefore time.Time              // records older than this are late; zero: none are
	since      time.Time              // earliest crossing to consider; zero: all
	prior      map[string]priorSignal // last unsuppressed signal per entity
	emitted    map[string]bool        // ids already emitted
	// stateful runs look only at crossings at or after their earliest new
	// record (earlier ones cannot change), keep the new records (table
	// fresh) for the tail, and add the carried tail to the records.
	stateful bool
	// range limits which records a backfill analyses; zero: open.
	from, to time.Time
	// holdFrom, when set, holds back crossings at or after it: later
	// records within the allowed lateness could still change them. The
	// caller passes a function of the batch's latest record time.
	holdFrom func(batchMax time.Time) time.Time
	// pendingSince is the earliest crossing an earlier run held back.
	pendingSince time.Time
}

// stageTimer logs, at debug level, how long each stage of a step took.
func stageTimer(log *slog.Logger, runID string) func(name string) {
	last := time.Now()
	return func(name string) {
		now := time.Now()
		log.Debug("stage done", "run", runID, "stage", name, "seconds", now.Sub(last).Seconds())
		last = now
	}
}

// NewRunID returns a sortable, unique run id.
func NewRunID(now time.Time) string {
	var b [3]byte
	rand.Read(b[:])
	return now.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}

// analysis is a step's result before it is recorded.
type analysis struct {
	runID     string
	summary   *Summary
	signals   []sink.Signal
	results   []loader.Result
	inputErrs []error
	minTime   time.Time  // earliest accepted qualifying record
	maxTime   time.Time  // latest accepted record
	pending   int        // crossings held back until they are final
	fresh     [][]record // the engine in Go: the batch's qualifying records (stateful)
}

// analyze loads inputs into the connection's temporary tables and finds
// the signals that the carried state does not already hold.
func analyze(ctx context.Context, conn *sql.Conn, inputs []loader.Input, cfg *Config, runID, mode string, st *carried) (*analysis, error) {
	c := cfg.Compiled
	a := &analysis{runID: runID, summary: newSummary(runID, mode)}
	for _, cond := range c.Resolved.Rule.Conditions {
		a.summary.Conditions = append(a.summary.Conditions, cond.Name)
	}
	stage := stageTimer(cfg.log(), runID)
	q := loader.NewQuarantine(cfg.OutDir, runID)
	defer q.Close()
	ld, err := loader.New(ctx, conn, loader.Options{Format: cfg.Format, Parse: cfg.Parse, Quarantine: q, Stdin: cfg.Stdin})
	if err != nil {
		return nil, err
	}
	defer ld.Close()
	for i, in := range inputs {
		res, err := ld.Load(ctx, in, int32(i+1))
		if err != nil {
			return nil, fmt.Errorf("load %s: %w", in.Path, err)
		}
		a.results = append(a.results, res)
		is := InputSummary{Path: in.Path, Format: res.DescribeDetected(), Records: res.Records, Status: "ok"}
		if res.Err != nil {
			a.inputErrs = append(a.inputErrs, res.Err)
			is.Status, is.Error = "failed", res.Err.Error()
			cfg.log().Error("input could not be read", "path", in.Path, "err", res.Err)
		}
		for why, n := range res.SkippedByWhy {
			a.summary.SkippedByReason[why] += n
		}
		a.summary.Inputs = append(a.summary.Inputs, is)
	}
	a.summary.Formats = loader.MergeFormats(a.results)
	for _, f := range a.summary.Formats {
		a.summary.RecordsRead += f.Read
		a.summary.RecordsSkipped += f.Skipped
		if f.Quarantined > 0 {
			a.summary.RejectedByReason["unparseable line or row"] += f.Quarantined
			a.summary.RecordsRejected += f.Quarantined
		}
	}
	if err := ld.Finish(ctx); err != nil {
		return nil, err
	}
	stage("load")
	if _, err := ld.Sink().BuildDictionary(ctx, cfg.Enrichment, st.stateful); err != nil {
		return nil, err
	}
	stage("dictionary")
	if _, err := conn.ExecContext(ctx, c.Classify); err != nil {
		return nil, fmt.Errorf("classify records: %w", err)
	}
	if !st.from.IsZero() || !st.to.IsZero() {
		a.summary.Conditions = append(a.summary.Conditions, "outside_range")
	}
	rejectedAt := func() (map[string]int64, error) { return quarantineRejected(ctx, conn, q, inputs) }
	if cfg.Engine != EngineSQL {
		if err := a.analyzeInGo(ctx, conn, ld.Sink(), cfg, st, rejectedAt, stage); err != nil {
			return nil, err
		}
		return a, nil
	}
	rejected, err := a.readFunnel(ctx, conn, c, st)
	if err != nil {
		return nil, err
	}
	if rejected > 0 {
		if _, err := rejectedAt(); err != nil {
			return nil, err
		}
	}
	stage("funnel")
	if err := a.buildWork(ctx, conn, c, st, stage); err != nil {
		return nil, err
	}
	stage("work")
	if err := a.findSignals(ctx, conn, c, st); err != nil {
		return nil, err
	}
	stage("crossings")
	return a, nil
}

// readFunnel counts the batch's records by outcome in one pass and
// returns how many were rejected.
func (a *analysis) readFunnel(ctx context.Context, conn *sql.Conn, c *psql.Compiled, st *carried) (int64, error) {
	query, args := c.FunnelOpen, []any(nil)
	if st.bounded() {
		from, to := st.timeRange()
		query, args = c.Funnel, []any{from, to, st.lateBound()}
	}
	rows, err := conn.QueryContext(ctx, query, args...)
	if err != nil {
		return 0, fmt.Errorf("funnel: %w", err)
	}
	defer rows.Close()
	lists := c.Resolved.ExclusionLists
	var rejected int64
	for rows.Next() {
		var code int
		var reason sql.NullString
		var n, late int64
		perList := make([]int64, len(lists))
		dest := []any{&code, &reason, &n, &late}
		for i := range perList {
			dest = append(dest, &perList[i])
		}
		if err := rows.Scan(dest...); err != nil {
			return 0, fmt.Errorf("read the funnel: %w", err)
		}
		rejected += a.countOutcome(c, st, code, reason.String, n, late, perList)
	}
	return rejected, rows.Err()
}

// countOutcome adds n records of one funnel code to the summary (late of
// them older than the lateness bound, perList of them in each exclusion
// list) and returns how many of them were rejected.
func (a *analysis) countOutcome(c *psql.Compiled, st *carried, code int, reason string, n, late int64, perList []int64) (rejected int64) {
	name, isRejected, qualifying := c.Outcome(code)
	switch {
	case isRejected:
		if reason != "" {
			a.summary.RejectedByReason[reason] += n
		}
		a.summary.RecordsRejected += n
		return n
	case qualifying:
		a.summary.RecordsQualifying += n
		if !st.lateBefore.IsZero() {
			a.summary.RecordsLate += late
		}
	default:
		a.summary.DroppedByCondition[name] += n
		if name == psql.ListCondition {
			for i, k := range perList {
				if k > 0 {
					a.summary.ExcludedByList[c.Resolved.ExclusionLists[i]] += k
				}
			}
		}
	}
	return 0
}

// quarantineRejected sets aside records that parsed but cannot be used (no
// timestamp, an address that is not an IP), with their input and row, and
// counts them by reason.
func quarantineRejected(ctx context.Context, conn *sql.Conn, q *loader.Quarantine, inputs []loader.Input) (map[string]int64, error) {
	rows, err := conn.QueryContext(ctx, `SELECT input_id, row_no, reject_reason FROM enriched WHERE reject_reason IS NOT NULL ORDER BY input_id, row_no`)
	if err != nil {
		return nil, fmt.Errorf("rejected records: %w", err)
	}
	defer rows.Close()
	type rejected struct {
		id     int32
		row    int64
		reason string
	}
	var all []rejected
	for rows.Next() {
		var r rejected
		if err := rows.Scan(&r.id, &r.row, &r.reason); err != nil {
			return nil, err
		}
		all = append(all, r)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	byReason := map[string]int64{}
	for _, r := range all {
		byReason[r.reason]++
		raw, err := rejectedRaw(ctx, conn, r.id, r.row)
		if err != nil {
			return nil, err
		}
		if err := q.Add(inputs[r.id-1].Path, r.row, raw, r.reason); err != nil {
			return nil, err
		}
	}
	return byReason, nil
}

func rejectedRaw(ctx context.Context, conn *sql.Conn, inputID int32, row int64) ([]byte, error) {
	var raw string
	err := conn.QueryRowContext(ctx, `SELECT to_json(r)::VARCHAR FROM (SELECT * EXCLUDE (record_no) FROM batch_raw WHERE input_id = ? AND row_no = ? LIMIT 1) r`, inputID, row).Scan(&raw)
	if err != nil {
		return nil, fmt.Errorf("read rejected row %d: %w", row, err)
	}
	return []byte(raw), nil
}

func (a *analysis) buildWork(ctx context.Context, conn *sql.Conn, c *psql.Compiled, st *carried, stage func(string)) error {
	if _, err := conn.ExecContext(ctx, `CREATE OR REPLACE TEMP TABLE work (entity INTEGER, grp INTEGER, dst INTEGER, ts TIMESTAMP, hostname VARCHAR, username VARCHAR)`); err != nil {
		return fmt.Errorf("create work: %w", err)
	}
	query, args := c.WorkOpen, []any(nil)
	if st.bounded() {
		from, to := st.timeRange()
		query, args = c.Work, []any{st.lateBound(), from, to}
	}
	if _, err := conn.ExecContext(ctx, query, args...); err != nil {
		return fmt.Errorf("collect qualifying records: %w", err)
	}
	stage("work-insert")
	var minT, maxT sql.NullTime
	var groups int64
	if err := conn.QueryRowContext(ctx, `SELECT min(ts), max(ts), count(DISTINCT (entity, grp)) FROM work`).Scan(&minT, &maxT, &groups); err != nil {
		return fmt.Errorf("summarize work: %w", err)
	}
	a.minTime, a.maxTime, a.summary.Groups = minT.Time, maxT.Time, groups
	if st.stateful {
		if _, err := conn.ExecContext(ctx, `CREATE OR REPLACE TEMP TABLE fresh AS SELECT * FROM work`); err != nil {
			return fmt.Errorf("keep new records: %w", err)
		}
	}
	if st.stateful {
		if _, err := conn.ExecContext(ctx, `INSERT INTO work `+tailWithIDs); err != nil {
			return fmt.Errorf("load the tail: %w", err)
		}
	}
	return nil
}

// crossingBounds returns the earliest crossing of interest (false: none
// can be new) and the time from which crossings are held back (zero: none).
func (a *analysis) crossingBounds(st *carried) (since, holdFrom time.Time, ok bool) {
	since = st.since
	if st.stateful {
		since = a.minTime
		if !st.pendingSince.IsZero() && (since.IsZero() || st.pendingSince.Before(since)) {
			since = st.pendingSince
		}
		if since.IsZero() {
			return since, holdFrom, false // nothing new and nothing pending: nothing can cross
		}
	}
	if st.holdFrom != nil {
		holdFrom = st.holdFrom(a.maxTime)
	}
	if since.IsZero() {
		since = farPast
	}
	return since, holdFrom, true
}

// findSignals runs the crossings SQL (--engine sql) over work.
func (a *analysis) findSignals(ctx context.Context, conn *sql.Conn, c *psql.Compiled, st *carried) error {
	since, holdFrom, ok := a.crossingBounds(st)
	if !ok {
		return nil
	}
	rows, err := conn.QueryContext(ctx, c.Crossings, since)
	if err != nil {
		return fmt.Errorf("find crossings: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var x Crossing
		var sample duckdb.Composite[[]string]
		if err := rows.Scan(&x.Entity, &x.Group, &x.CrossedAt, &x.FirstSeen, &x.DistinctDstCount, &x.RecordCount, &sample, &x.Hostname, &x.Username); err != nil {
			return fmt.Errorf("read crossing: %w", err)
		}
		x.DstSample = sample.Get()
		a.addCrossing(c, st, holdFrom, x)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	a.finishSignals(c, st)
	return nil
}

// addCrossing counts an episode and keeps its signal unless it is held
// back or was emitted before.
func (a *analysis) addCrossing(c *psql.Compiled, st *carried, holdFrom time.Time, x Crossing) {
	a.summary.Episodes++
	if !holdFrom.IsZero() && !x.CrossedAt.Before(holdFrom) {
		a.pending++
		return
	}
	s := newSignal(c, x)
	if st.emitted[s.SignalID] {
		return
	}
	a.signals = append(a.signals, s)
}

// finishSignals applies suppression to the kept signals, in crossing
// order, and counts them.
func (a *analysis) finishSignals(c *psql.Compiled, st *carried) {
	prior := st.prior
	if prior == nil {
		prior = map[string]priorSignal{}
	}
	suppress(a.signals, c.Resolved.Suppression, prior)
	for _, s := range a.signals {
		a.summary.Signals++
		if s.Suppressed {
			a.summary.Suppressed++
		}
	}
}

// Detect analyses inputs on their own (DESIGN §2's one-shot mode): no
// state is read, and the state of stateful runs is not touched. The run,
// its funnel and its signals are recorded; signals go to OutDir as Parquet.
func (s *Store) Detect(ctx context.Context, inputs []loader.Input, cfg Config) (*Outcome, error) {
	conn, err := s.DB.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	started := cfg.now()
	runID := NewRunID(started)
	a, err := analyze(ctx, conn, inputs, &cfg, runID, "detect", &carried{})
	if err != nil {
		return nil, err
	}
	stage := stageTimer(cfg.log(), runID)
	if err := stageSignals(ctx, conn, a, false, true); err != nil {
		return nil, err
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	if err := recordRun(ctx, tx, &cfg, a, "detect", started, false, true); err != nil {
		tx.Rollback()
		return nil, err
	}
	stage("record")
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("commit run %s: %w", runID, err)
	}
	stage("commit")
	defer stage("signal-parquet")
	return a.committed(&cfg)
}

// committed is the outcome of a committed step; the new signals go to the
// Parquet dataset.
func (a *analysis) committed(cfg *Config) (*Outcome, error) {
	out := &Outcome{RunID: a.runID, Signals: a.signals, Summary: a.summary, InputErrors: a.inputErrs}
	if cfg.OutDir != "" && len(a.signals) > 0 {
		var err error
		if out.ParquetOut, err = sink.WriteParquet(cfg.OutDir, a.runID, a.signals); err != nil {
			return out, err
		}
	}
	return out, nil
}

// timeRange is the range of record times a backfill analyses, open ends
// made concrete for SQL; records outside it are dropped as "outside_range".
func (st *carried) timeRange() (from, to time.Time) {
	from, to = st.from, st.to
	if from.IsZero() {
		from = farPast
	}
	if to.IsZero() {
		to = farFuture
	}
	return from, to
}

// bounded reports whether records are tested against a time range or a
// lateness bound at all.
func (st *carried) bounded() bool {
	return !st.from.IsZero() || !st.to.IsZero() || !st.lateBefore.IsZero()
}

// lateBound is the time before which a qualifying record is late.
func (st *carried) lateBound() time.Time {
	if st.lateBefore.IsZero() {
		return farPast
	}
	return st.lateBefore
}

// farPast stands for "no lower bound" where SQL wants a time.
var farPast = time.Date(1, 1, 2, 0, 0, 0, 0, time.UTC)

// farFuture stands for "no upper bound".
var farFuture = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

// stageSignals appends a step's signals to the temporary table
// signals_staged, shaped as signal_log, through DuckDB's Appender:
// binding 24 parameters per signal, lists and structs among them, took a
// second for 5000 signals (a dense network), the Appender a few
// milliseconds. recordRun then copies them within its transaction.
func stageSignals(ctx context.Context, conn *sql.Conn, a *analysis, stateful, printed bool) error {
	if len(a.signals) == 0 {
		return nil
	}
	if _, err := conn.ExecContext(ctx, `CREATE OR REPLACE TEMP TABLE signals_staged AS SELECT * FROM signal_log LIMIT 0`); err != nil {
		return fmt.Errorf("stage signals: %w", err)
	}
	err := appendRows(conn, "signals_staged", len(a.signals), func(i int) []driver.Value {
		s := a.signals[i]
		entities := make([]any, len(s.Entities))
		for i, e := range s.Entities {
			entities[i] = map[string]any{"type": e.Type, "value": e.Value}
		}
		return []driver.Value{s.SignalID, a.runID, stateful, s.RuleID, s.Name, s.Summary, int32(s.Severity), s.Stage, stringsAsAny(s.Tags),
			s.SrcDeviceIP, s.DstPort, s.SrcHostname, s.Username, entities, s.FirstSeen, s.CrossedAt,
			int32(s.DistinctDstCount), stringsAsAny(s.DstSample), s.RecordCount, s.Suppressed, s.SuppressedReason, int32(s.RuleVersion), s.SQLHash, printed}
	})
	if err != nil {
		return fmt.Errorf("stage signals: %w", err)
	}
	return nil
}

func stringsAsAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// recordRun inserts the run and the staged signals within tx.
func recordRun(ctx context.Context, tx *sql.Tx, cfg *Config, a *analysis, mode string, started time.Time, stateful, printed bool) error {
	c := cfg.Compiled
	funnel, _ := json.Marshal(a.summary)
	params, _ := json.Marshal(map[string]any{
		"threshold": c.Resolved.Threshold, "window": c.Resolved.Window.String(), "ports": c.Resolved.Ports.String(),
		"record_types": c.Resolved.RecordTypes, "exclusion_lists": c.Resolved.ExclusionLists,
		"suppression": c.Resolved.Suppression.String(),
	})
	status := "ok"
	if len(a.inputErrs) > 0 {
		status = "partial"
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO runs (run_id, mode, started_at, finished_at, status, rule_id, rule_version, sql_hash,
		parameters, records_read, records_qualifying, signals, suppressed, funnel) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		a.runID, mode, started, cfg.now(), status, c.Resolved.Rule.ID, c.Resolved.Rule.Version, c.Hash,
		string(params), a.summary.RecordsRead, a.summary.RecordsQualifying, a.summary.Signals, a.summary.Suppressed, string(funnel))
	if err != nil {
		return fmt.Errorf("record run: %w", err)
	}
	if len(a.signals) > 0 {
		if _, err := tx.ExecContext(ctx, `INSERT INTO signal_log SELECT * FROM signals_staged`); err != nil {
			return fmt.Errorf("record signals: %w", err)
		}
	}
	return enqueue(ctx, tx, cfg.Webhook, a.signals, cfg.now())
}
