package main

import (
	"context"
	"fmt"
	"io"

	"github.com/portsweep/portsweep/detect"
	"github.com/portsweep/portsweep/loader"
	"github.com/portsweep/portsweep/sink"
)

func cmdDetect(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	fs, cf := newCommand("detect", false, stderr,
		"Usage: portsweep detect [flags] PATH...   (files, directories, globs, - for stdin)",
		"Analyses only the inputs given, independent of earlier runs.",
	)
	paths, err := cf.parse(fs, args)
	if err != nil {
		return 0, err
	}
	if len(paths) == 0 {
		return 0, usagef("no input given (PATH... or - for standard input)")
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
	log.Debug("opened", "db", cf.store.db)
	out, err := store.Detect(ctx, inputs, cfg)
	if err != nil {
		return 0, err
	}
	log.Debug("detected")
	for _, e := range pathErrs {
		out.Summary.Inputs = append(out.Summary.Inputs, detect.InputSummary{Status: "failed", Error: e.Error()})
	}
	if cf.json {
		if err := sink.WriteJSONLines(stdout, out.Signals); err != nil {
			return 0, fmt.Errorf("write signals: %w", err)
		}
	}
	if err := cf.report(out.Summary, stderr); err != nil {
		return 0, err
	}
	if err := cf.webhook.deliver(ctx, store, log, stderr); err != nil {
		return 0, err
	}
	if len(out.InputErrors) > 0 || len(pathErrs) > 0 {
		return exitInputError, nil
	}
	return exitOK, nil
}
