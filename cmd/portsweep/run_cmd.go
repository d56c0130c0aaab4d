package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"golang.org/x/term"

	"github.com/portsweep/portsweep/detect"
	"github.com/portsweep/portsweep/loader"
	"github.com/portsweep/portsweep/schedule"
)

func cmdRun(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	fs, cf := newCommand("run", true, stderr,
		"Usage: portsweep run --inbox DIR [flags]",
		"Processes the inbox's new files with the state kept in --db, then exits.",
	)
	inbox := fs.String("inbox", "", "directory of inputs; those not yet in the manifest are processed")
	flush := fs.Bool("flush", false, "with --emit-final-only: emit what is held back (the data is complete)")
	rest, err := cf.parse(fs, args)
	if err != nil {
		return 0, err
	}
	if *inbox == "" || len(rest) > 0 {
		return 0, usagef("run takes --inbox DIR and no other arguments")
	}
	store, cfg, log, err := cf.setup(ctx, stdin, stderr)
	if err != nil {
		return 0, err
	}
	defer store.Close()
	ro := cf.runOptions("run", cf.json)
	ro.Flush = *flush
	r := &schedule.Runner{Store: store, Config: cfg, Options: ro, Inbox: *inbox, Log: log}
	out, err := r.RunOnce(ctx)
	if err != nil {
		return 0, err
	}
	if cf.json {
		if err := printUnprinted(ctx, store, stdout); err != nil {
			return 0, err
		}
	}
	if err := cf.report(out.Summary, stderr); err != nil {
		return 0, err
	}
	if err := cf.webhook.deliver(ctx, store, log, stderr); err != nil {
		return 0, err
	}
	if len(out.InputErrors) > 0 {
		return exitInputError, nil
	}
	return exitOK, nil
}

func cmdBackfill(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	fs, cf := newCommand("backfill", true, stderr,
		"Usage: portsweep backfill [--from T] [--to T] [--chunk 1h] [flags] PATH...",
		"Processes an archive in event-time order with the state kept in --db; interrupt and rerun to resume.",
	)
	from := fs.String("from", "", "analyse records at or after this time (RFC 3339)")
	to := fs.String("to", "", "analyse records before this time (RFC 3339)")
	chunk := fs.Duration("chunk", time.Hour, "event-time span of files processed per step")
	paths, err := cf.parse(fs, args)
	if err != nil {
		return 0, err
	}
	if len(paths) == 0 {
		return 0, usagef("no input given")
	}
	ro := cf.runOptions("backfill", cf.json)
	for _, b := range []struct {
		text string
		dst  *time.Time
		name string
	}{{*from, &ro.From, "--from"}, {*to, &ro.To, "--to"}} {
		if b.text == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, b.text)
		if err != nil {
			return 0, usagef("%s %q: want RFC 3339, e.g. 2024-03-01T00:00:00Z", b.name, b.text)
		}
		*b.dst = t.UTC()
	}
	store, cfg, log, err := cf.setup(ctx, stdin, stderr)
	if err != nil {
		return 0, err
	}
	defer store.Close()
	inputs, pathErrs := loader.ExpandPaths(paths)
	for _, e := range pathErrs {
		log.Error("input not found", "err", e)
	}
	isTerminal := false
	if f, ok := stderr.(*os.File); ok {
		isTerminal = term.IsTerminal(int(f.Fd()))
	}
	res, err := schedule.Backfill(ctx, store, cfg, ro, inputs, schedule.BackfillOptions{
		Chunk: *chunk, Progress: stderr, Terminal: isTerminal, Log: log,
	})
	if cf.json {
		if perr := printUnprinted(context.WithoutCancel(ctx), store, stdout); perr != nil && err == nil {
			err = perr
		}
	}
	if err != nil {
		if errors.Is(err, context.Canceled) {
			fmt.Fprintln(stderr, err)
			return exitInputError, nil
		}
		return 0, err
	}
	fmt.Fprintf(stderr, "backfill: %d steps, %d files, %d records, %d signals\n", res.Steps, res.Files, res.Records, len(res.Signals))
	if err := cf.webhook.deliver(ctx, store, log, stderr); err != nil {
		return 0, err
	}
	if len(res.InputErrors) > 0 || len(pathErrs) > 0 {
		for _, e := range res.InputErrors {
			fmt.Fprintln(stderr, "  failed:", e)
		}
		return exitInputError, nil
	}
	return exitOK, nil
}

func cmdSchedule(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	fs, cf := newCommand("schedule", true, stderr,
		"Usage: portsweep schedule --cron SPEC --inbox DIR [flags]",
	)
	spec := fs.String("cron", "*/5 * * * *", "cron spec (UTC), 5 fields or @every 1m")
	inbox := fs.String("inbox", "", "directory of inputs")
	listen := fs.String("listen", "", "serve /metrics and /healthz on this address, e.g. :9108")
	grace := fs.Duration("grace", 2*time.Minute, "on SIGINT/SIGTERM, how long the current run may take to finish")
	rest, err := cf.parse(fs, args)
	if err != nil {
		return 0, err
	}
	if *inbox == "" || len(rest) > 0 {
		return 0, usagef("schedule takes --inbox DIR and no other arguments")
	}
	if _, err := schedule.ParseSpec(*spec); err != nil {
		return 0, usagef("%v", err)
	}
	store, cfg, log, err := cf.setup(ctx, stdin, stderr)
	if err != nil {
		return 0, err
	}
	defer store.Close()
	r := &schedule.Runner{Store: store, Config: cfg, Options: cf.runOptions("schedule", cf.json), Inbox: *inbox, Log: log, Metrics: schedule.NewMetrics()}
	r.After = func(ctx context.Context, out *detect.Outcome) error {
		log.Info("run done", "run", out.RunID, "signals", len(out.Signals), "records", out.Summary.RecordsRead, "late", out.Summary.RecordsLate)
		if cf.json {
			if err := printUnprinted(ctx, store, stdout); err != nil {
				return err
			}
		}
		return cf.webhook.deliver(ctx, store, log, stderr)
	}
	if err := schedule.Serve(ctx, r, schedule.ServeOptions{Spec: *spec, Listen: *listen, Grace: *grace, RunAtStart: true}); err != nil {
		return 0, err
	}
	return exitOK, nil
}
