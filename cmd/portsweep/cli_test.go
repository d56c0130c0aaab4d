package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portsweep/portsweep/sink"
)

var update = flag.Bool("update", false, "rewrite golden files under fixtures/")

// runCLI runs the command as main does and returns its outputs.
func runCLI(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func parseSignals(t *testing.T, jsonl string) []sink.Signal {
	t.Helper()
	var out []sink.Signal
	for _, line := range strings.Split(strings.TrimSpace(jsonl), "\n") {
		if line == "" {
			continue
		}
		var s sink.Signal
		if err := json.Unmarshal([]byte(line), &s); err != nil {
			t.Fatalf("signal line %q: %v", line, err)
		}
		out = append(out, s)
	}
	return out
}

// TestCases runs detect on every fixtures/cases/<case>/input.jsonl (with the
// flags in its args file) and compares the JSON lines with expected.jsonl.
func TestCases(t *testing.T) {
	dirs, err := filepath.Glob("../../fixtures/cases/*")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no fixture cases: %v", err)
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			tmp := t.TempDir()
			args := []string{"detect", "--db", filepath.Join(tmp, "db.duckdb"), "--out", tmp, "--json"}
			if b, err := os.ReadFile(filepath.Join(dir, "args")); err == nil {
				args = append(args, strings.Fields(string(b))...)
			}
			args = append(args, filepath.Join(dir, "input.jsonl"))
			code, stdout, stderr := runCLI(t, "", args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			golden := filepath.Join(dir, "expected.jsonl")
			if *update {
				if err := os.WriteFile(golden, []byte(stdout), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if string(want) != stdout {
				t.Errorf("signals differ from %s\ngot:\n%s", golden, stdout)
			}
		})
	}
}

func TestExitStatus(t *testing.T) {
	tmp := t.TempDir()
	db := filepath.Join(tmp, "db.duckdb")
	good := "../../fixtures/cases/basic-sweep/input.jsonl"
	tests := []struct {
		name     string
		args     []string
		want     int
		inStderr string
	}{
		{"no command", nil, exitUsage, "Usage"},
		{"unknown command", []string{"bogus"}, exitUsage, "unknown command"},
		{"unknown flag", []string{"detect", "--bogus", good}, exitUsage, "bogus"},
		{"no input", []string{"detect", "--db", db}, exitUsage, "no input"},
		{"bad ports", []string{"detect", "--db", db, "--ports", "99999", good}, exitUsage, "port"},
		{"bad format", []string{"detect", "--db", db, "--format", "nope", good}, exitUsage, "unknown --format"},
		{"bad internal network", []string{"detect", "--db", db, "--internal-networks", "10.0.0.0/33", good}, exitUsage, "internal-networks"},
		{"bad engine", []string{"detect", "--db", db, "--engine", "spark", good}, exitUsage, "unknown --engine"},
		{"sql engine", []string{"detect", "--db", db, "--out", tmp, "--engine", "sql", good}, exitOK, "signals"},
		{"missing input among good ones", []string{"detect", "--db", db, "--out", tmp, filepath.Join(tmp, "nope.jsonl"), good}, exitInputError, "nope.jsonl"},
		{"help", []string{"detect", "-h"}, exitOK, "Usage"},
		{"ok", []string{"detect", "--db", db, "--out", tmp, good}, exitOK, "signals"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, "", tt.args...)
			if code != tt.want || !strings.Contains(stderr, tt.inStderr) {
				t.Errorf("exit %d (want %d), stderr %q should contain %q", code, tt.want, stderr, tt.inStderr)
			}
		})
	}
}

func TestMissingInputStillProcessesOthers(t *testing.T) {
	tmp := t.TempDir()
	code, stdout, _ := runCLI(t, "", "detect", "--db", filepath.Join(tmp, "db"), "--out", tmp, "--json",
		filepath.Join(tmp, "absent.jsonl"), "../../fixtures/cases/basic-sweep/input.jsonl")
	if code != exitInputError || len(parseSignals(t, stdout)) != 1 {
		t.Errorf("exit %d, signals %q: want exit 1 and the good file's signal", code, stdout)
	}
}

func TestStdinAndCompressedInputs(t *testing.T) {
	tmp := t.TempDir()
	input, err := os.ReadFile("../../fixtures/cases/basic-sweep/input.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCLI(t, string(input), "detect", "--db", filepath.Join(tmp, "db"), "--out", tmp, "--json", "-")
	if code != 0 || len(parseSignals(t, stdout)) != 1 {
		t.Fatalf("stdin: exit %d, %s %s", code, stdout, stderr)
	}
	for _, name := range []string{"in.jsonl.gz", "in.jsonl.zst"} {
		p := filepath.Join(tmp, name)
		if err := compress(p, input); err != nil {
			t.Fatal(err)
		}
		code, stdout, stderr := runCLI(t, "", "detect", "--db", filepath.Join(tmp, "db"), "--out", tmp, "--json", p)
		if code != 0 || len(parseSignals(t, stdout)) != 1 {
			t.Errorf("%s: exit %d, %s %s", name, code, stdout, stderr)
		}
	}
}

func TestSummaryFile(t *testing.T) {
	tmp := t.TempDir()
	summary := filepath.Join(tmp, "summary.json")
	code, _, stderr := runCLI(t, "", "detect", "--db", filepath.Join(tmp, "db"), "--out", tmp, "--summary", summary, "../../fixtures/cases/basic-sweep/input.jsonl")
	if code != 0 {
		t.Fatal(stderr)
	}
	b, err := os.ReadFile(summary)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"records_read", "records_rejected", "records_qualifying", "episodes", "signals", "suppressed", "rejected_by_reason", "dropped_by_condition", "excluded_by_list", "formats"} {
		if _, ok := m[key]; !ok {
			t.Errorf("summary lacks %q", key)
		}
	}
	if m["records_read"].(float64) != 62 || m["signals"].(float64) != 1 {
		t.Errorf("records_read %v signals %v, want 62 and 1", m["records_read"], m["signals"])
	}
	if !strings.Contains(stderr, "qualifying") {
		t.Errorf("the funnel must be printed to stderr too: %s", stderr)
	}
}

func TestCompilePrintsSQL(t *testing.T) {
	code, stdout, _ := runCLI(t, "", "compile", "--threshold", "7", "--ports", "22,445")
	if code != 0 || !strings.Contains(stdout, "lag(ts, 7 - 1)") || !strings.Contains(stdout, "level = 7") || !strings.Contains(stdout, `"dstPort" = 22 OR "dstPort" = 445`) {
		t.Errorf("compile: exit %d\n%s", code, stdout)
	}
}

func TestFormatsListsEveryFormat(t *testing.T) {
	code, stdout, _ := runCLI(t, "", "formats")
	if code != 0 || !strings.Contains(stdout, "normalized") || !strings.Contains(stdout, "e.g.") {
		t.Errorf("formats: exit %d\n%s", code, stdout)
	}
}
