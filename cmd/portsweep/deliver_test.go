package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// TestWebhookDeliversEachSignalOnce: a receiver that fails the first
// requests gets, after recovery, every unsuppressed signal exactly once,
// with a signature that verifies; suppressed signals are not sent.
func TestWebhookDeliversEachSignalOnce(t *testing.T) {
	const secret = "s3cret"
	t.Setenv("PORTSWEEP_WEBHOOK_SECRET", secret)
	var mu sync.Mutex
	seen := map[string]int{}
	requests := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		requests++
		if requests <= 3 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		sig := r.Header.Get("X-Portsweep-Signature")
		parts := strings.SplitN(sig, ",", 2)
		if len(parts) != 2 || !strings.HasPrefix(parts[0], "t=") || !strings.HasPrefix(parts[1], "v1=") {
			t.Errorf("signature header %q", sig)
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write([]byte(strings.TrimPrefix(parts[0], "t=") + "." + string(body)))
		if hex.EncodeToString(mac.Sum(nil)) != strings.TrimPrefix(parts[1], "v1=") {
			t.Errorf("signature does not verify")
		}
		var s struct {
			ID         string `json:"signal_id"`
			Suppressed bool   `json:"suppressed"`
		}
		json.Unmarshal(body, &s)
		if s.ID != r.Header.Get("Idempotency-Key") || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("headers: %v", r.Header)
		}
		if s.Suppressed {
			t.Errorf("a suppressed signal was sent")
		}
		seen[s.ID]++
	}))
	defer srv.Close()
	tmp := t.TempDir()
	db := filepath.Join(tmp, "db.duckdb")
	code, stdout, stderr := runCLI(t, "", "detect", "--db", db, "--out", tmp, "--json", "--webhook", srv.URL, "--webhook-backoff", "5ms",
		"--suppression", "30m", "../../fixtures/cases/recrossing-suppression/input.jsonl")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	signals := parseSignals(t, stdout)
	want := 0
	for _, s := range signals {
		if !s.Suppressed {
			want++
			if seen[s.SignalID] != 1 {
				t.Errorf("signal %s arrived %d times", s.SignalID, seen[s.SignalID])
			}
		}
	}
	if want != 2 || len(seen) != want {
		t.Errorf("receiver saw %d signals, want %d unsuppressed of %d", len(seen), want, len(signals))
	}
	// Running detect again over the same input sends nothing new.
	before := requests
	runCLI(t, "", "detect", "--db", db, "--out", tmp, "--webhook", srv.URL, "--suppression", "30m", "../../fixtures/cases/recrossing-suppression/input.jsonl")
	if requests != before {
		t.Errorf("a second detect sent %d more requests", requests-before)
	}
}

// TestWebhookDownLeavesDeliveriesPending: the run succeeds unless
// --webhook-required, and the next process delivers what is pending.
func TestWebhookDownLeavesDeliveriesPending(t *testing.T) {
	down := httptest.NewServer(http.NotFoundHandler())
	url := down.URL
	down.Close() // nothing listens there now
	tmp := t.TempDir()
	db := filepath.Join(tmp, "db.duckdb")
	input := "../../fixtures/cases/basic-sweep/input.jsonl"
	code, _, stderr := runCLI(t, "", "detect", "--db", db, "--out", tmp, "--webhook", url, "--webhook-wait", "50ms", "--webhook-backoff", "10ms", input)
	if code != 0 || !strings.Contains(stderr, "1 pending") {
		t.Fatalf("webhook down without --webhook-required: exit %d, %s", code, stderr)
	}
	code, _, stderr = runCLI(t, "", "detect", "--db", db, "--out", tmp, "--webhook", url, "--webhook-wait", "50ms", "--webhook-backoff", "10ms", "--webhook-required", input)
	if code != exitInputError || !strings.Contains(stderr, "webhook-required") {
		t.Fatalf("--webhook-required: exit %d, %s", code, stderr)
	}
	code, stdout, _ := runCLI(t, "", "outbox", "--db", db)
	if code != 0 || !strings.Contains(stdout, "pending") {
		t.Fatalf("outbox listing: %s", stdout)
	}
	var got int
	var mu sync.Mutex
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got++
		mu.Unlock()
	}))
	defer up.Close()
	// A receiver at another URL gets its own delivery of the signal.
	code, _, stderr = runCLI(t, "", "detect", "--db", db, "--out", tmp, "--webhook", up.URL, input)
	if code != 0 || got != 1 {
		t.Fatalf("delivery to a live receiver: exit %d, %d requests, %s", code, got, stderr)
	}
}

func TestDeadLetterOn400(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, "schema mismatch")
	}))
	defer srv.Close()
	tmp := t.TempDir()
	db := filepath.Join(tmp, "db.duckdb")
	code, _, stderr := runCLI(t, "", "detect", "--db", db, "--out", tmp, "--webhook", srv.URL, "../../fixtures/cases/basic-sweep/input.jsonl")
	if code != 0 || !strings.Contains(stderr, "1 dead") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	_, stdout, _ := runCLI(t, "", "outbox", "--db", db)
	if !strings.Contains(stdout, "dead") || !strings.Contains(stdout, "400") || !strings.Contains(stdout, "schema mismatch") {
		t.Fatalf("dead letter listing: %s", stdout)
	}
}

func TestSQLCommand(t *testing.T) {
	tmp := t.TempDir()
	db := filepath.Join(tmp, "db.duckdb")
	out := filepath.Join(tmp, "out")
	code, stdout, stderr := runCLI(t, "", "detect", "--db", db, "--out", out, "--json", "--suppression", "30m", "../../fixtures/cases/recrossing-suppression/input.jsonl")
	if code != 0 {
		t.Fatal(stderr)
	}
	n := len(parseSignals(t, stdout))
	code, stdout, stderr = runCLI(t, "", "sql", "--db", db, "--format", "csv", "SELECT count(*) AS n FROM signals")
	if code != 0 || strings.TrimSpace(stdout) != "n\n3" || n != 3 {
		t.Fatalf("count: exit %d %q %s (printed %d)", code, stdout, stderr, n)
	}
	for _, write := range []string{"DELETE FROM signals", "DELETE FROM runs", "INSERT INTO signal_log SELECT * FROM signal_log", "DROP TABLE runs"} {
		code, _, stderr = runCLI(t, "", "sql", "--db", db, write)
		if code == 0 || !strings.Contains(stderr, "read-only") {
			t.Fatalf("%s must be refused: exit %d %s", write, code, stderr)
		}
	}
	for _, q := range []string{"SELECT * FROM runs", "SELECT * FROM funnel", "SELECT * FROM inputs", "SELECT signal_id, crossed_at, dst_sample FROM signals"} {
		if code, _, stderr := runCLI(t, "", "sql", "--db", db, "--format", "json", q); code != 0 {
			t.Errorf("%s: %s", q, stderr)
		}
	}
	// The Parquet dataset reads back equal to the table.
	const cols = "signal_id, srcDevice_ip, dstPort, first_seen, crossed_at, distinct_dst_count, dst_sample, record_count, suppressed, suppressed_reason, tags, entities"
	_, fromDB, _ := runCLI(t, "", "sql", "--db", db, "--format", "json", "SELECT "+cols+" FROM signals ORDER BY signal_id")
	code, fromParquet, stderr := runCLI(t, "", "sql", "--signals", out, "--format", "json", "SELECT "+cols+" FROM signals ORDER BY signal_id")
	if code != 0 || fromDB != fromParquet || strings.Count(fromDB, "\n") != 3 {
		t.Fatalf("Parquet dataset differs from the table:\n%s\n%s\n%s", fromDB, fromParquet, stderr)
	}
	code, partitions, _ := runCLI(t, "", "sql", "--signals", out, "--format", "csv", "SELECT DISTINCT date FROM signals")
	if code != 0 || !strings.Contains(partitions, "2024-05-01") {
		t.Fatalf("hive partition column: %q", partitions)
	}
	export := filepath.Join(tmp, "export.parquet")
	if code, _, stderr := runCLI(t, "", "sql", "--db", db, "--format", "parquet", "--output", export, "SELECT * FROM signals"); code != 0 {
		t.Fatal(stderr)
	}
	if st, err := os.Stat(export); err != nil || st.Size() == 0 {
		t.Fatalf("parquet export: %v", err)
	}
	code, stdout, _ = runCLI(t, "", "signals", "--db", db)
	if code != 0 || strings.Count(stdout, "10.8.0.1") != 3 || !strings.Contains(stdout, "suppressed") {
		t.Fatalf("signals table: %s", stdout)
	}
	// A second detect: the signals view still shows each signal once.
	runCLI(t, "", "detect", "--db", db, "--out", out, "--suppression", "30m", "../../fixtures/cases/recrossing-suppression/input.jsonl")
	if _, stdout, _ := runCLI(t, "", "sql", "--db", db, "--format", "csv", "SELECT count(*) AS n FROM signals"); strings.TrimSpace(stdout) != "n\n3" {
		t.Fatalf("after a second detect: %q", stdout)
	}
}
