package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"
)

func cmdOutbox(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	fs := flag.NewFlagSet("outbox", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var sf storeFlags
	sf.register(fs)
	retryDead := fs.Bool("retry-dead", false, "put dead deliveries back in the pending set")
	var wf webhookFlags
	wf.register(fs)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: portsweep outbox [--db FILE] [--retry-dead] [--webhook URL]")
		fmt.Fprintln(stderr, "Lists webhook deliveries that are pending or dead; with --webhook, delivers the pending ones now.")
		fs.PrintDefaults()
	}
	rest, err := parseInterleaved(fs, args)
	if err != nil {
		return 0, err
	}
	if len(rest) > 0 {
		return 0, usagef("outbox takes no arguments")
	}
	store, err := sf.open(ctx)
	if err != nil {
		return 0, err
	}
	defer store.Close()
	if *retryDead {
		n, err := store.RetryDead(ctx, time.Now())
		if err != nil {
			return 0, err
		}
		fmt.Fprintf(stderr, "%d dead deliveries are pending again\n", n)
	}
	if wf.url != "" {
		if err := wf.deliver(ctx, store, newLogger(stderr, "text"), stderr); err != nil {
			return exitInputError, err
		}
	}
	rows, err := store.DB.QueryContext(ctx, `SELECT status, signal_id, url, attempts, next_attempt, last_status, last_error
		FROM outbox WHERE status <> 'delivered' ORDER BY status, next_attempt, signal_id`)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	return exitOK, writeRows(rows, "table", stdout)
}
