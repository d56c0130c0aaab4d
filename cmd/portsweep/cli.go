package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/portsweep/portsweep/detect"
	"github.com/portsweep/portsweep/loader"
	psql "github.com/portsweep/portsweep/sql"
)

// Exit statuses.
const (
	exitOK         = 0
	exitInputError = 1 // an input could not be read, or the run failed
	exitUsage      = 2
)

const usageText = `portsweep finds internal port sweeps: one internal host contacting many
internal hosts on the same port within minutes (Sumo Logic THRESHOLD-S00081).

Usage:
  portsweep detect [flags] PATH...   analyse files, directories, globs or - (stdin), on their own
  portsweep run --inbox DIR          process the inbox's new files with the state in --db
  portsweep schedule --cron SPEC --inbox DIR   run on a schedule; --listen serves /metrics
  portsweep backfill [--from T] [--to T] PATH...   an archive in event-time order, resumable
  portsweep sql [--db FILE] QUERY    ad hoc SQL over signals, runs, inputs, funnel (read-only)
  portsweep signals [--since 24h]    recent signals as a table
  portsweep outbox [--retry-dead]    webhook deliveries pending or dead
  portsweep compile [rule flags]     print the compiled SQL
  portsweep formats                  list input formats with an example line

Run 'portsweep COMMAND -h' for a command's flags.
`

// errUsage marks errors that are the user's invocation.
var errUsage = errors.New("usage")

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usageText)
		return exitUsage
	}
	var err error
	code := exitOK
	switch args[0] {
	case "detect":
		code, err = cmdDetect(ctx, args[1:], stdin, stdout, stderr)
	case "run":
		code, err = cmdRun(ctx, args[1:], stdin, stdout, stderr)
	case "backfill":
		code, err = cmdBackfill(ctx, args[1:], stdin, stdout, stderr)
	case "schedule":
		code, err = cmdSchedule(ctx, args[1:], stdin, stdout, stderr)
	case "sql":
		err = cmdSQL(ctx, args[1:], stdout, stderr)
	case "signals":
		err = cmdSignals(ctx, args[1:], stdout, stderr)
	case "outbox":
		code, err = cmdOutbox(ctx, args[1:], stdout, stderr)
	case "compile":
		err = cmdCompile(args[1:], stdout, stderr)
	case "formats":
		err = cmdFormats(stdout)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usageText)
		return exitOK
	default:
		fmt.Fprintf(stderr, "portsweep: unknown command %q\n\n%s", args[0], usageText)
		return exitUsage
	}
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if errors.Is(err, errUsage) {
		fmt.Fprintf(stderr, "portsweep %s: %v\n", args[0], err)
		return exitUsage
	}
	if err != nil {
		fmt.Fprintf(stderr, "portsweep %s: %v\n", args[0], err)
		return exitInputError
	}
	return code
}

func usagef(format string, a ...any) error {
	return fmt.Errorf("%w: %s", errUsage, fmt.Sprintf(format, a...))
}

// parseInterleaved parses flags that may come before, between or after
// positional arguments, and returns the positional ones.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usagef("%v", err)
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}

// multiFlag collects a repeatable flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// ruleFlags are the rule's parameters (DESIGN §1 defaults come from the rule file).
type ruleFlags struct {
	rulePath         string
	threshold        int
	window           time.Duration
	ports            string
	recordTypes      string
	exclusionLists   string
	internalNetworks string
	matchLists       multiFlag
	suppression      time.Duration
}

func (r *ruleFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&r.rulePath, "rule", "", "rule file (default: the embedded Internal Port Sweep rule)")
	fs.IntVar(&r.threshold, "threshold", 0, "distinct destinations that make a sweep (default 20)")
	fs.DurationVar(&r.window, "window", 0, "sliding window (default 5m)")
	fs.StringVar(&r.ports, "ports", "", `destination ports, e.g. "1-1024,3389" (the default) or "all"`)
	fs.StringVar(&r.recordTypes, "record-types", "", `objectType values that qualify, comma separated (default "Network")`)
	fs.StringVar(&r.exclusionLists, "exclusion-lists", "", "match-list names that exclude a record (default proxy_servers,lan_scanner_exception_ips,nms_ips,vuln_scanners)")
	fs.StringVar(&r.internalNetworks, "internal-networks", "", "CIDRs that count as internal, comma separated; replaces the RFC 1918 default (IPv6 allowed)")
	fs.Var(&r.matchLists, "match-list", "NAME=FILE: a named list of IPs/CIDRs, one per line, # comments (repeatable)")
	fs.DurationVar(&r.suppression, "suppression", 0, "suppression period per source (default 72h, never shorter than the window)")
}

// compile loads the rule and applies the flags.
func (r *ruleFlags) compile() (*psql.Compiled, error) {
	rule, err := psql.LoadRule(r.rulePath, os.ReadFile)
	if err != nil {
		return nil, err
	}
	p := psql.Params{Threshold: r.threshold, Window: r.window, Suppression: r.suppression}
	if r.threshold < 0 {
		return nil, usagef("--threshold must be positive")
	}
	if r.ports != "" {
		ports, err := psql.ParsePorts(r.ports)
		if err != nil {
			return nil, usagef("--ports: %v", err)
		}
		p.Ports = &ports
	}
	if r.recordTypes != "" {
		p.RecordTypes = splitList(r.recordTypes)
	}
	if r.exclusionLists != "" {
		p.ExclusionLists = splitList(r.exclusionLists)
	}
	res, err := psql.Resolve(rule, p)
	if err != nil {
		return nil, usagef("%v", err)
	}
	return psql.Compile(res)
}

// enrichment reads the internal networks and match lists.
func (r *ruleFlags) enrichment() (*loader.Enrichment, error) {
	e := &loader.Enrichment{InternalNetworks: loader.DefaultInternalNetworks}
	if r.internalNetworks != "" {
		e.InternalNetworks = nil
		for _, s := range splitList(r.internalNetworks) {
			p, err := netip.ParsePrefix(s)
			if err != nil {
				p, err = loader.ParsePrefix(s)
				if err != nil {
					return nil, usagef("--internal-networks: %q is not a CIDR", s)
				}
			}
			e.InternalNetworks = append(e.InternalNetworks, p.Masked())
		}
	}
	for _, spec := range r.matchLists {
		name, path, ok := strings.Cut(spec, "=")
		if !ok || name == "" || path == "" {
			return nil, usagef("--match-list wants NAME=FILE, got %q", spec)
		}
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("match list %s: %w", name, err)
		}
		ml, err := loader.ParseMatchList(name, f)
		f.Close()
		if err != nil {
			return nil, usagef("%v", err)
		}
		e.MatchLists = append(e.MatchLists, ml)
	}
	return e, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// storeFlags choose and tune the database.
type storeFlags struct {
	db          string
	threads     int
	memoryLimit string
}

func (s *storeFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&s.db, "db", "portsweep.duckdb", "DuckDB database file")
	fs.IntVar(&s.threads, "threads", 0, "DuckDB threads (default: all cores)")
	fs.StringVar(&s.memoryLimit, "memory-limit", "768MB", "DuckDB memory limit (with the Go side, peak RSS stays near 1 GB on 10M records)")
}

func (s *storeFlags) open(ctx context.Context) (*detect.Store, error) {
	return detect.Open(ctx, s.db, detect.StoreOptions{Threads: s.threads, MemoryLimit: s.memoryLimit})
}

func newLogger(w io.Writer, format string) *slog.Logger {
	opts := &slog.HandlerOptions{}
	if os.Getenv("PORTSWEEP_DEBUG") != "" {
		opts.Level = slog.LevelDebug
	}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func cmdCompile(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("compile", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var rf ruleFlags
	rf.register(fs)
	configPath := fs.String("config", "", "YAML file whose keys are flag names; flags given on the command line win")
	rest, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("compile takes no arguments, got %q", rest)
	}
	if *configPath != "" {
		if err := applyConfig(fs, *configPath); err != nil {
			return err
		}
	}
	c, err := rf.compile()
	if err != nil {
		return err
	}
	_, err = fmt.Fprint(stdout, c.Script())
	return err
}

func cmdFormats(stdout io.Writer) error {
	fmt.Fprintf(stdout, "%-20s %s\n", "auto", "detect per file (Parquet by magic bytes; text by its first lines, per line for mixed syslog)")
	fmt.Fprintf(stdout, "%-20s %s\n", loader.FormatParquet, "normalized Parquet (read by DuckDB's read_parquet)")
	for _, f := range loader.Formats() {
		fmt.Fprintf(stdout, "%-20s %s\n", f.Name, f.Description)
		if f.Example != "" {
			fmt.Fprintf(stdout, "%-20s   e.g. %s\n", "", f.Example)
		}
	}
	return nil
}
