package detect

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/portsweep/portsweep/loader"
	"github.com/portsweep/portsweep/sink"
)

// RunOptions configure a stateful run (run, schedule, backfill).
type RunOptions struct {
	Mode string // recorded in runs.mode
	// AllowedLateness: qualifying records older than the watermark minus
	// this are late: counted and reported, not analysed.
	AllowedLateness time.Duration
	// From and To bound the records a backfill analyses; zero: open.
	From, To time.Time
	// Printing marks new signals as not yet printed, for `run --json`.
	Printing bool
	// EmitFinalOnly holds back a crossing until no record the allowed
	// lateness still accepts could change it (its time is older than the
	// watermark minus the lateness): exact even when files arrive out of
	// order, at the price of emitting up to the lateness later. Flush emits
	// what is held back (the end of an archive).
	EmitFinalOnly bool
	Flush         bool
}

// DefaultAllowedLateness is the --allowed-lateness default.
const DefaultAllowedLateness = 10 * time.Minute

// tailMargin keeps the tail a little longer than strictly needed: the count
// just before an instant t reads records back to t - window - 1µs.
const tailMargin = time.Second

// manifestEntry is one input as the manifest knows it.
type manifestEntry struct {
	path   string
	size   int64
	mtime  time.Time
	sha256 string
}

// ErrChangedInput marks an input whose content differs from what an
// earlier run processed under the same path.
var ErrChangedInput = errors.New("changed since it was processed")

// Run is one stateful step: it processes the inputs not yet in the
// manifest as one batch together with the carried tail, emits the signals
// that no earlier run emitted, and commits signals, manifest, tail and
// watermark in one transaction (DESIGN §2).
func (s *Store) Run(ctx context.Context, inputs []loader.Input, cfg Config, ro RunOptions) (*Outcome, error) {
	conn, err := s.DB.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	started := cfg.now()
	runID := NewRunID(started)
	log := cfg.log().With("run", runID)

	todo, entries, skipped, inputErrs, err := s.selectNew(ctx, conn, inputs)
	if err != nil {
		return nil, err
	}
	for _, p := range skipped {
		log.Info("already processed, skipped", "path", p)
	}
	st, watermark, err := s.loadCarried(ctx, conn, &cfg, ro)
	if err != nil {
		return nil, err
	}
	a, err := analyze(ctx, conn, todo, &cfg, runID, ro.Mode, st)
	if err != nil {
		return nil, err
	}
	a.inputErrs = append(inputErrs, a.inputErrs...)
	for _, e := range inputErrs {
		a.summary.Inputs = append(a.summary.Inputs, InputSummary{Status: "failed", Error: e.Error()})
	}
	newWatermark := watermark
	if a.maxTime.After(newWatermark) {
		newWatermark = a.maxTime
	}
	horizon := newWatermark.Add(-cfg.Compiled.Resolved.Window - ro.AllowedLateness - tailMargin)
	if cfg.Engine != EngineSQL && !newWatermark.IsZero() {
		if err := a.stageFresh(ctx, conn, horizon); err != nil {
			return nil, err
		}
	}
	if err := stageSignals(ctx, conn, a, true, !ro.Printing); err != nil {
		return nil, err
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	commit := func() error {
		if err := recordRun(ctx, tx, &cfg, a, ro.Mode, started, true, !ro.Printing); err != nil {
			return err
		}
		for i, res := range a.results {
			e := entries[i]
			status, errText := "ok", ""
			if res.Err != nil {
				status, errText = "failed", res.Err.Error()
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM manifest WHERE path = ?`, e.path); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO manifest VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				e.path, e.size, e.mtime, e.sha256, res.Records, status, errText, runID, cfg.now()); err != nil {
				return fmt.Errorf("record %s in the manifest: %w", e.path, err)
			}
		}
		if newWatermark.IsZero() {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM tail WHERE ts < ?`, horizon); err != nil {
			return fmt.Errorf("prune the tail: %w", err)
		}
		if !a.minTime.IsZero() {
			if _, err := tx.ExecContext(ctx, `INSERT INTO tail
				SELECT s.ip, f.grp, d.ip, f.ts, f.hostname, f.username
				FROM fresh f JOIN ip_ids s ON s.id = f.entity JOIN ip_ids d ON d.id = f.dst
				WHERE f.ts >= ?`, horizon); err != nil {
				return fmt.Errorf("extend the tail: %w", err)
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM watermark`); err != nil {
			return err
		}
		var pendingSince any // NULL: nothing held back
		if a.pending > 0 {
			pendingSince = newWatermark.Add(-ro.AllowedLateness)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO watermark VALUES (?, ?, ?, ?)`, newWatermark, cfg.Compiled.Hash, runID, pendingSince)
		return err
	}
	if err := commit(); err != nil {
		tx.Rollback()
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("commit run %s: %w", runID, err)
	}
	out, err := a.committed(&cfg)
	log.Info("run committed", "inputs", len(todo), "skipped", len(skipped), "signals", len(a.signals), "late", a.summary.RecordsLate, "watermark", newWatermark)
	return out, err
}

// selectNew hashes the inputs and keeps those the manifest does not hold
// as processed. A file whose content was processed before (under any
// path) is skipped; a path processed before with other content is an error.
func (s *Store) selectNew(ctx context.Context, conn *sql.Conn, inputs []loader.Input) (todo []loader.Input, entries []manifestEntry, skipped []string, errs []error, err error) {
	seen := map[string]string{}
	for _, in := range inputs {
		if in.Path == loader.StdinPath {
			errs = append(errs, fmt.Errorf("standard input cannot be tracked in the manifest: use detect, or write it to a file"))
			continue
		}
		e, herr := hashFile(in.Path)
		if herr != nil {
			errs = append(errs, fmt.Errorf("read %s: %w", in.Path, herr))
			continue
		}
		if first, dup := seen[e.sha256]; dup {
			skipped = append(skipped, in.Path+" (same content as "+first+")")
			continue
		}
		seen[e.sha256] = in.Path
		var byHash int
		if err := conn.QueryRowContext(ctx, `SELECT count(*) FROM manifest WHERE sha256 = ? AND status = 'ok'`, e.sha256).Scan(&byHash); err != nil {
			return nil, nil, nil, nil, fmt.Errorf("read the manifest: %w", err)
		}
		if byHash > 0 {
			skipped = append(skipped, in.Path)
			continue
		}
		var oldHash sql.NullString
		err := conn.QueryRowContext(ctx, `SELECT sha256 FROM manifest WHERE path = ? AND status = 'ok'`, e.path).Scan(&oldHash)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, nil, nil, nil, fmt.Errorf("read the manifest: %w", err)
		}
		if oldHash.Valid && oldHash.String != e.sha256 {
			errs = append(errs, fmt.Errorf("%s: %w (a processed file must not be rewritten; give new data a new name)", in.Path, ErrChangedInput))
			continue
		}
		todo = append(todo, in)
		entries = append(entries, e)
	}
	return todo, entries, skipped, errs, nil
}

func hashFile(path string) (manifestEntry, error) {
	f, err := os.Open(path)
	if err != nil {
		return manifestEntry{}, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return manifestEntry{}, err
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return manifestEntry{}, err
	}
	return manifestEntry{path: path, size: st.Size(), mtime: st.ModTime().UTC(), sha256: hex.EncodeToString(h.Sum(nil))}, nil
}

// loadCarried reads the watermark, the last unsuppressed signal of each
// entity, the recently emitted ids, and prepares the tail.
func (s *Store) loadCarried(ctx context.Context, conn *sql.Conn, cfg *Config, ro RunOptions) (*carried, time.Time, error) {
	var wm sql.NullTime
	var pending sql.NullTime
	if err := conn.QueryRowContext(ctx, `SELECT max(event_time), max(pending_since) FROM watermark`).Scan(&wm, &pending); err != nil {
		return nil, time.Time{}, fmt.Errorf("read the watermark: %w", err)
	}
	st := &carried{stateful: true, prior: map[string]priorSignal{}, emitted: map[string]bool{}, from: ro.From, to: ro.To}
	if wm.Valid {
		st.lateBefore = wm.Time.Add(-ro.AllowedLateness)
	}
	if pending.Valid {
		st.pendingSince = pending.Time
	}
	if ro.EmitFinalOnly && !ro.Flush {
		st.holdFrom = func(batchMax time.Time) time.Time {
			w := wm.Time
			if batchMax.After(w) {
				w = batchMax
			}
			return w.Add(-ro.AllowedLateness)
		}
	}
	rows, err := conn.QueryContext(ctx, `SELECT srcDevice_ip, arg_max(signal_id, crossed_at), max(crossed_at)
		FROM signal_log WHERE stateful AND NOT suppressed GROUP BY srcDevice_ip`)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("read earlier signals: %w", err)
	}
	for rows.Next() {
		var entity string
		var p priorSignal
		if err := rows.Scan(&entity, &p.ID, &p.CrossedAt); err != nil {
			rows.Close()
			return nil, time.Time{}, err
		}
		st.prior[entity] = p
	}
	rows.Close()
	since := farPast
	if wm.Valid {
		since = wm.Time.Add(-ro.AllowedLateness - cfg.Compiled.Resolved.Window - tailMargin)
	}
	rows, err = conn.QueryContext(ctx, `SELECT signal_id FROM signal_log WHERE stateful AND crossed_at >= ?`, since)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("read emitted signals: %w", err)
	}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, time.Time{}, err
		}
		st.emitted[id] = true
	}
	rows.Close()
	return st, wm.Time, nil
}

// Unprinted returns the stateful signals not yet printed, in crossing
// order, and MarkPrinted records that they were.
func (s *Store) Unprinted(ctx context.Context) ([]sink.Signal, error) {
	return s.querySignals(ctx, `WHERE stateful AND NOT printed ORDER BY crossed_at, srcDevice_ip, dstPort`)
}

// MarkPrinted records that these signals were printed.
func (s *Store) MarkPrinted(ctx context.Context, signals []sink.Signal) error {
	for _, sg := range signals {
		if _, err := s.DB.ExecContext(ctx, `UPDATE signal_log SET printed = true WHERE stateful AND signal_id = ?`, sg.SignalID); err != nil {
			return err
		}
	}
	return nil
}
