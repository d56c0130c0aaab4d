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
	engine      string
	// stateful commands only
	lateness      time.Duration
	emitFinalOnly bool
	webhook       webhookFlags
}

// webhookFlags configure delivery of signals to a webhook.
type webhookFlags struct {
	url               string
	format            string
	includeSuppressed bool
	required          bool
	timeout           time.Duration
	wait              time.Duration
	backoff           time.Duration
}

func (w *webhookFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&w.url, "webhook", "", "POST each new signal to this URL (durable outbox, retries); PORTSWEEP_WEBHOOK_SECRET signs requests")
	fs.StringVar(&w.format, "webhook-format", sink.BodyNative, "webhook body: native (the signal) or ocsf (OCSF 1.x Detection Finding)")
	fs.BoolVar(&w.includeSuppressed, "webhook-include-suppressed", false, "also send suppressed signals")
	fs.BoolVar(&w.required, "webhook-required", false, "exit non-zero when a delivery is still pending or dead after --webhook-wait")
	fs.DurationVar(&w.timeout, "webhook-timeout", sink.DefaultWebhookTimeout, "timeout of one webhook request")
	fs.DurationVar(&w.backoff, "webhook-backoff", sink.DefaultWebhookBaseBackoff, "first retry delay; doubles per attempt up to 5m, with jitter")
	fs.DurationVar(&w.wait, "webhook-wait", 30*time.Second, "how long to keep retrying deliveries before leaving them to the next run")
}

func (w *webhookFlags) target() *detect.Webhook {
	if w.url == "" {
		return nil
	}
	return &detect.Webhook{URL: w.url, Format: w.format, IncludeSuppressed: w.includeSuppressed}
}

// deliver drains the outbox for the webhook; it fails only when the
// webhook is required and something is left undelivered.
func (w *webhookFlags) deliver(ctx context.Context, store *detect.Store, log *slog.Logger, stderr io.Writer) error {
	if w.url == "" {
		return nil
	}
	var secret []byte
	if s := os.Getenv("PORTSWEEP_WEBHOOK_SECRET"); s != "" {
		secret = []byte(s)
	}
	sender := sink.NewSender(sink.WebhookConfig{URL: w.url, Secret: secret, Timeout: w.timeout, BaseBackoff: w.backoff, Logger: log}, store.Outbox(w.url))
	stats, err := sender.Drain(ctx, w.wait)
	fmt.Fprintf(stderr, "  webhook: %d delivered, %d pending (retried by the next run), %d dead\n", stats.Sent, stats.Pending, stats.Dead)
	if err != nil {
		log.Error("webhook delivery stopped", "err", err)
	}
	if stats.LastError != "" && (stats.Pending > 0 || stats.Dead > 0) {
		log.Warn("webhook not fully delivered", "last_error", stats.LastError)
	}
	if w.required && (err != nil || stats.Pending > 0 || stats.Dead > 0) {
		return fmt.Errorf("--webhook-required: %d deliveries pending and %d dead (see `portsweep outbox`)", stats.Pending, stats.Dead)
	}
	return nil
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
	fs.StringVar(&c.engine, "engine", detect.EngineGo, "what finds the crossings: go (one pass over the records, fast) or sql (the compiled SQL that `portsweep compile` prints, step by step); both give the same signals")
	c.webhook.register(fs)
	if stateful {
		fs.DurationVar(&c.lateness, "allowed-lateness", detect.DefaultAllowedLateness, "records older than the latest processed event time minus this are late: counted, not analysed")
		fs.BoolVar(&c.emitFinalOnly, "emit-final-only", false, "hold back a signal until no record within the allowed lateness could change it (exact for out-of-order files; emits up to the lateness later)")
	}
}

// newCommand makes the flag set of an analysing command with the common
// flags registered and usage lines printed before the flags.
func newCommand(name string, stateful bool, stderr io.Writer, usage ...string) (*flag.FlagSet, *commonFlags) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	cf := &commonFlags{}
	cf.register(fs, stateful)
	fs.Usage = func() {
		for _, line := range usage {
			fmt.Fprintln(stderr, line)
		}
		fs.PrintDefaults()
	}
	return fs, cf
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
	if c.webhook.format != sink.BodyNative && c.webhook.format != sink.BodyOCSF {
		return nil, usagef("--webhook-format must be native or ocsf")
	}
	if c.engine != detect.EngineGo && c.engine != detect.EngineSQL {
		return nil, usagef("unknown --engine %q: go or sql", c.engine)
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
		Parse: &loader.ParseContext{}, Stdin: stdin, Log: log, Webhook: c.webhook.target(), Engine: c.engine,
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
