package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/portsweep/portsweep/detect"
	"github.com/portsweep/portsweep/loader"
	"github.com/portsweep/portsweep/sink"
)

func cmdDetect(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	fs := flag.NewFlagSet("detect", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var rf ruleFlags
	var sf storeFlags
	rf.register(fs)
	sf.register(fs)
	format := fs.String("format", loader.FormatAuto, "input format: auto, normalized, or a name from `portsweep formats`")
	outDir := fs.String("out", "out", "output directory: signals/ (Parquet) and quarantine/")
	asJSON := fs.Bool("json", false, "print every signal as one JSON object per line on stdout")
	summaryPath := fs.String("summary", "", "write the run's funnel as JSON to this file")
	logFormat := fs.String("log-format", "text", "log format: text or json")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: portsweep detect [flags] PATH...   (files, directories, globs, - for stdin)")
		fs.PrintDefaults()
	}
	paths, err := parseInterleaved(fs, args)
	if err != nil {
		return 0, err
	}
	if len(paths) == 0 {
		return 0, usagef("no input given (PATH... or - for standard input)")
	}
	if *format != loader.FormatAuto {
		if _, ok := loader.LookupFormat(*format); !ok {
			return 0, usagef("unknown --format %q (see `portsweep formats`)", *format)
		}
	}
	compiled, err := rf.compile()
	if err != nil {
		return 0, err
	}
	enrich, err := rf.enrichment()
	if err != nil {
		return 0, err
	}
	inputs, pathErrs := loader.ExpandPaths(paths)
	log := newLogger(stderr, *logFormat)
	for _, e := range pathErrs {
		log.Error("input not found", "err", e)
	}
	store, err := sf.open(ctx)
	if err != nil {
		return 0, err
	}
	defer store.Close()
	out, err := store.Detect(ctx, inputs, detect.Config{
		Compiled: compiled, Enrichment: enrich, Format: *format, OutDir: *outDir,
		Parse: &loader.ParseContext{}, Stdin: stdin, Log: log,
	})
	if err != nil {
		return 0, err
	}
	for _, e := range pathErrs {
		out.Summary.Inputs = append(out.Summary.Inputs, detect.InputSummary{Path: "", Status: "failed", Error: e.Error()})
	}
	if *asJSON {
		if err := sink.WriteJSONLines(stdout, out.Signals); err != nil {
			return 0, fmt.Errorf("write signals: %w", err)
		}
	}
	out.Summary.Print(stderr)
	if *summaryPath != "" {
		b, _ := json.MarshalIndent(out.Summary, "", "  ")
		if err := os.WriteFile(*summaryPath, append(b, '\n'), 0o644); err != nil {
			return 0, fmt.Errorf("write summary: %w", err)
		}
	}
	if len(out.InputErrors) > 0 || len(pathErrs) > 0 {
		return exitInputError, nil
	}
	return exitOK, nil
}
