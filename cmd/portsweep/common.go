package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/goccy/go-yaml"

	"github.com/portsweep/portsweep/detect"
	"github.com/portsweep/portsweep/loader"
	"github.com/portsweep/portsweep/sink"
)

// commonFlags are shared by detect, run, backfill and schedule.
type commonFlags struct {
	rule        ruleFlags
	store       storeFlags
	format      string
	outDir      string
	json        bool
	summaryPath string
	logFormat   string
	configPath  string
	// stateful commands only
	lateness      time.Duration
	emitFinalOnly bool
}

func (c *commonFlags) register(fs *flag.FlagSet, stateful bool) {
	c.rule.register(fs)
	c.store.register(fs)
	fs.StringVar(&c.format, "format", loader.FormatAuto, "input format: auto, normalized, or a name from `portsweep formats`")
	fs.StringVar(&c.outDir, "out", "out", "output directory: signals/ (Parquet) and quarantine/")
	fs.BoolVar(&c.json, "json", false, "print signals as JSON lines on stdout")
	fs.StringVar(&c.summaryPath, "summary", "", "write the run's funnel as JSON to this file")
	fs.StringVar(&c.logFormat, "log-format", "text", "log format: text or json")
	fs.StringVar(&c.configPath, "config", "", "YAML file whose keys are flag names; flags given on the command line win")
	if stateful {
		fs.DurationVar(&c.lateness, "allowed-lateness", detect.DefaultAllowedLateness, "records older than the latest processed event time minus this are late: counted, not analysed")
		fs.BoolVar(&c.emitFinalOnly, "emit-final-only", false, "hold back a signal until no record within the allowed lateness could change it (exact for out-of-order files; emits up to the lateness later)")
	}
}

// parse parses args and applies the config file under the explicit flags.
func (c *commonFlags) parse(fs *flag.FlagSet, args []string) ([]string, error) {
	rest, err := parseInterleaved(fs, args)
	if err != nil {
		return nil, err
	}
	if c.configPath != "" {
		if err := applyConfig(fs, c.configPath); err != nil {
			return nil, err
		}
	}
	if c.format != loader.FormatAuto {
		if _, ok := loader.LookupFormat(c.format); !ok {
			return nil, usagef("unknown --format %q (see `portsweep formats`)", c.format)
		}
	}
	return rest, nil
}

// applyConfig sets every flag the file names that the command line did not.
func applyConfig(fs *flag.FlagSet, path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("config %s: %w", path, err)
	}
	var values map[string]any
	if err := yaml.NewDecoder(bytes.NewReader(b)).Decode(&values); err != nil {
		return usagef("config %s: %v", path, err)
	}
	explicit := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { explicit[f.Name] = true })
	for key, v := range values {
		if strings.Contains(strings.ToLower(key), "secret") {
			return usagef("config %s: %q: secrets come only from the environment (PORTSWEEP_WEBHOOK_SECRET)", path, key)
		}
		if fs.Lookup(key) == nil {
			return usagef("config %s: unknown setting %q (keys are flag names)", path, key)
		}
		if explicit[key] {
			continue
		}
		list, isList := v.([]any)
		if !isList {
			list = []any{v}
		}
		if key != "match-list" && isList {
			parts := make([]string, len(list))
			for i, x := range list {
				parts[i] = fmt.Sprint(x)
			}
			list = []any{strings.Join(parts, ",")}
		}
		for _, x := range list {
			if err := fs.Set(key, fmt.Sprint(x)); err != nil {
				return usagef("config %s: %s: %v", path, key, err)
			}
		}
	}
	return nil
}

// setup compiles the rule, reads the lists and opens the database.
func (c *commonFlags) setup(ctx context.Context, stdin io.Reader, stderr io.Writer) (*detect.Store, detect.Config, *slog.Logger, error) {
	compiled, err := c.rule.compile()
	if err != nil {
		return nil, detect.Config{}, nil, err
	}
	enrich, err := c.rule.enrichment()
	if err != nil {
		return nil, detect.Config{}, nil, err
	}
	log := newLogger(stderr, c.logFormat)
	store, err := c.store.open(ctx)
	if err != nil {
		return nil, detect.Config{}, nil, err
	}
	return store, detect.Config{
		Compiled: compiled, Enrichment: enrich, Format: c.format, OutDir: c.outDir,
		Parse: &loader.ParseContext{}, Stdin: stdin, Log: log,
	}, log, nil
}

func (c *commonFlags) runOptions(mode string, printing bool) detect.RunOptions {
	return detect.RunOptions{Mode: mode, AllowedLateness: c.lateness, EmitFinalOnly: c.emitFinalOnly, Printing: printing}
}

// report prints the funnel and writes the summary file.
func (c *commonFlags) report(s *detect.Summary, stderr io.Writer) error {
	s.Print(stderr)
	if c.summaryPath == "" {
		return nil
	}
	b, _ := json.MarshalIndent(s, "", "  ")
	if err := os.WriteFile(c.summaryPath, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write summary: %w", err)
	}
	return nil
}

// printUnprinted writes the stateful signals not yet printed (this run's,
// and any a crash kept from being printed) and marks them printed.
func printUnprinted(ctx context.Context, store *detect.Store, stdout io.Writer) error {
	signals, err := store.Unprinted(ctx)
	if err != nil {
		return err
	}
	if err := sink.WriteJSONLines(stdout, signals); err != nil {
		return fmt.Errorf("write signals: %w", err)
	}
	return store.MarkPrinted(ctx, signals)
}
