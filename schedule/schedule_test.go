package schedule

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portsweep/portsweep/detect"
	"github.com/portsweep/portsweep/loader"
	psql "github.com/portsweep/portsweep/sql"
)

func newRunner(t *testing.T) (*Runner, string) {
	t.Helper()
	dir := t.TempDir()
	store, err := detect.Open(context.Background(), filepath.Join(dir, "db.duckdb"), detect.StoreOptions{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	rule, _ := psql.LoadRule("", nil)
	res, _ := psql.Resolve(rule, psql.Params{})
	compiled, err := psql.Compile(res)
	if err != nil {
		t.Fatal(err)
	}
	inbox := filepath.Join(dir, "inbox")
	os.MkdirAll(inbox, 0o755)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	return &Runner{
		Store: store, Inbox: inbox, Log: log, Metrics: NewMetrics(),
		Config:  detect.Config{Compiled: compiled, Enrichment: &loader.Enrichment{InternalNetworks: loader.DefaultInternalNetworks}, Format: loader.FormatAuto, Log: log},
		Options: detect.RunOptions{Mode: "schedule", AllowedLateness: detect.DefaultAllowedLateness},
	}, inbox
}

// sweepFile writes 25 destinations on port 445 from src within a minute.
func sweepFile(t *testing.T, path, src string, start time.Time) {
	t.Helper()
	var b strings.Builder
	for i := 0; i < 25; i++ {
		b.WriteString(`{"timestamp":"` + start.Add(time.Duration(i)*2*time.Second).Format(time.RFC3339) +
			`","objectType":"Network","srcDevice_ip":"` + src + `","dstDevice_ip":"10.2.0.` + itoa(i+1) + `","dstPort":445}` + "\n")
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

// TestCronPicksUpAFileWithinOneTick drives the real cron schedule and job
// chain with a synthetic clock: the ticks come from the library's own
// Schedule.Next, and each tick runs the job as cron would.
func TestCronPicksUpAFileWithinOneTick(t *testing.T) {
	r, inbox := newRunner(t)
	var emitted atomic.Int64
	r.After = func(_ context.Context, out *detect.Outcome) error {
		emitted.Add(int64(len(out.Signals)))
		return nil
	}
	spec, err := ParseSpec("*/5 * * * *")
	if err != nil {
		t.Fatal(err)
	}
	job := Job(r)
	clock := time.Date(2024, 6, 1, 12, 1, 0, 0, time.UTC)
	tick := func() time.Time {
		clock = spec.Next(clock)
		job.Run()
		return clock
	}
	if first := tick(); !first.Equal(time.Date(2024, 6, 1, 12, 5, 0, 0, time.UTC)) {
		t.Fatalf("first tick at %v, want 12:05 UTC", first)
	}
	if emitted.Load() != 0 {
		t.Fatalf("an empty inbox emitted signals")
	}
	sweepFile(t, filepath.Join(inbox, "drop.jsonl"), "10.1.0.1", time.Date(2024, 6, 1, 12, 6, 0, 0, time.UTC))
	if next := tick(); !next.Equal(time.Date(2024, 6, 1, 12, 10, 0, 0, time.UTC)) {
		t.Fatalf("second tick at %v", next)
	}
	if emitted.Load() != 1 {
		t.Fatalf("the dropped file was not picked up at the next tick: %d signals", emitted.Load())
	}
	tick()
	if emitted.Load() != 1 {
		t.Fatalf("a later tick emitted the signal again")
	}
}

func TestPanicIsRecoveredAndTheScheduleGoesOn(t *testing.T) {
	r, _ := newRunner(t)
	var calls atomic.Int64
	r.After = func(context.Context, *detect.Outcome) error {
		if calls.Add(1) == 1 {
			panic("boom")
		}
		return nil
	}
	job := Job(r)
	job.Run() // panics inside, recovered
	job.Run() // must run: the skip lock was released
	if calls.Load() != 2 {
		t.Fatalf("after a panic the job ran %d times, want 2", calls.Load())
	}
}

func TestRunsNeverOverlap(t *testing.T) {
	r, _ := newRunner(t)
	release := make(chan struct{})
	started := make(chan struct{})
	var calls atomic.Int64
	r.After = func(context.Context, *detect.Outcome) error {
		if calls.Add(1) == 1 {
			close(started)
			<-release
		}
		return nil
	}
	job := Job(r)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); job.Run() }()
	<-started
	job.Run() // a tick while the first run is going: skipped
	close(release)
	wg.Wait()
	if calls.Load() != 1 {
		t.Fatalf("overlapping tick ran: %d runs", calls.Load())
	}
}

func TestMetricsAndHealth(t *testing.T) {
	r, inbox := newRunner(t)
	sweepFile(t, filepath.Join(inbox, "a.jsonl"), "10.1.0.1", time.Date(2024, 6, 1, 12, 6, 0, 0, time.UTC))
	if _, err := r.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(Handler(r))
	defer srv.Close()
	for path, want := range map[string]string{
		"/metrics": `portsweep_signals_total{suppressed="false"} 1`,
		"/healthz": "ok",
	} {
		resp, err := srv.Client().Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), want) {
			t.Errorf("%s: %d %q lacks %q", path, resp.StatusCode, body, want)
		}
	}
}

func TestServeStopsOnCancel(t *testing.T) {
	r, _ := newRunner(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, r, ServeOptions{Spec: "@every 1h", Grace: time.Minute}) }()
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Serve after cancel: %v", err)
	}
}
