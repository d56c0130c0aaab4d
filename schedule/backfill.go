package schedule

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/portsweep/portsweep/detect"
	"github.com/portsweep/portsweep/loader"
	"github.com/portsweep/portsweep/sink"
)

// BackfillOptions configure Backfill.
type BackfillOptions struct {
	Chunk    time.Duration // event-time span of one step (default 1h)
	Progress io.Writer     // where progress goes
	Terminal bool          // draw a bar instead of plain lines
	Log      *slog.Logger
	// After is called with each committed step (print, deliver).
	After func(ctx context.Context, out *detect.Outcome) error
}

// BackfillResult sums a backfill's steps.
type BackfillResult struct {
	Steps       int
	Files       int
	Records     int64
	Signals     []sink.Signal
	InputErrors []error
}

// Backfill processes an archive in event-time order: files are ordered by
// the first record time of their head, grouped into chunks of Chunk, and
// each chunk is one stateful run (the same code path as `run`), holding
// back crossings that later files could still change; a last step flushes
// them. Already processed files are skipped, so an interrupted backfill
// resumes where it stopped.
func Backfill(ctx context.Context, store *detect.Store, cfg detect.Config, ro detect.RunOptions, inputs []loader.Input, opts BackfillOptions) (*BackfillResult, error) {
	if opts.Chunk <= 0 {
		opts.Chunk = time.Hour
	}
	type dated struct {
		in    loader.Input
		start time.Time
	}
	files := make([]dated, len(inputs))
	for i, in := range inputs {
		start, _ := loader.PeekStart(cfg.Parse, in.Path)
		files[i] = dated{in, start}
	}
	sort.SliceStable(files, func(i, j int) bool { return files[i].start.Before(files[j].start) })
	var chunks [][]loader.Input
	var current time.Time
	for i, f := range files {
		bucket := f.start.Truncate(opts.Chunk)
		if i == 0 || !bucket.Equal(current) {
			chunks = append(chunks, nil)
			current = bucket
		}
		chunks[len(chunks)-1] = append(chunks[len(chunks)-1], f.in)
	}
	res := &BackfillResult{}
	progress := newProgress(opts, len(inputs))
	began := time.Now()
	ro.EmitFinalOnly = true
	step := func(chunk []loader.Input, flush bool) error {
		r := ro
		r.Flush = flush
		out, err := store.Run(ctx, chunk, cfg, r)
		if err != nil {
			return err
		}
		res.Steps++
		res.Files += len(chunk)
		res.Records += out.Summary.RecordsRead
		res.Signals = append(res.Signals, out.Signals...)
		res.InputErrors = append(res.InputErrors, out.InputErrors...)
		progress(len(chunk), res, began)
		if opts.After != nil {
			return opts.After(ctx, out)
		}
		return nil
	}
	for _, chunk := range chunks {
		if err := ctx.Err(); err != nil {
			return res, fmt.Errorf("backfill interrupted after %d of %d files (run it again to resume): %w", res.Files, len(inputs), err)
		}
		if err := step(chunk, false); err != nil {
			return res, err
		}
	}
	return res, step(nil, true)
}

// newProgress reports files, records and the time left, as a bar on a
// terminal and as plain lines elsewhere.
func newProgress(opts BackfillOptions, total int) func(done int, res *BackfillResult, began time.Time) {
	if opts.Progress == nil {
		return func(int, *BackfillResult, time.Time) {}
	}
	if opts.Terminal {
		bar := progressbar.NewOptions(total, progressbar.OptionSetWriter(opts.Progress),
			progressbar.OptionSetDescription("backfill"), progressbar.OptionShowCount(),
			progressbar.OptionSetPredictTime(true), progressbar.OptionShowElapsedTimeOnFinish())
		return func(done int, res *BackfillResult, _ time.Time) {
			bar.Describe(fmt.Sprintf("backfill: %d records, %d signals", res.Records, len(res.Signals)))
			bar.Add(done)
		}
	}
	return func(_ int, res *BackfillResult, began time.Time) {
		eta := "unknown"
		if res.Files > 0 {
			left := time.Duration(float64(time.Since(began)) / float64(res.Files) * float64(total-res.Files))
			eta = left.Round(time.Second).String()
		}
		fmt.Fprintf(opts.Progress, "backfill: %d/%d files, %d records, %d signals, ETA %s\n", res.Files, total, res.Records, len(res.Signals), eta)
	}
}
