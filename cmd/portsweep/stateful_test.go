package main

import (
	"bufio"
	"bytes"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portsweep/portsweep/fixtures"
	"github.com/portsweep/portsweep/sink"
)

// splitLines writes the lines of src into n files of dir at random cut points.
func splitLines(t *testing.T, src []byte, dir string, n int, rng *rand.Rand) []string {
	t.Helper()
	lines := strings.SplitAfter(strings.TrimRight(string(src), "\n"), "\n")
	cuts := []int{0}
	for _, c := range rng.Perm(len(lines) - 1)[:n-1] {
		cuts = append(cuts, c+1)
	}
	sort.Ints(cuts)
	cuts = append(cuts, len(lines))
	var paths []string
	for i := 0; i+1 < len(cuts); i++ {
		p := filepath.Join(dir, "part-"+string(rune('a'+i))+".jsonl")
		if err := os.WriteFile(p, []byte(strings.Join(lines[cuts[i]:cuts[i+1]], "")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	return paths
}

func byID(t *testing.T, ss []sink.Signal) map[string]sink.Signal {
	t.Helper()
	m := map[string]sink.Signal{}
	for _, s := range ss {
		if _, dup := m[s.SignalID]; dup {
			t.Fatalf("signal %s printed twice", s.SignalID)
		}
		m[s.SignalID] = s
	}
	return m
}

// TestRunRepeatedEqualsDetect drops a capture, cut at random, into an inbox
// file by file, runs `run --json` after each, and compares the union of
// what was printed with one `detect --json` over the whole.
func TestRunRepeatedEqualsDetect(t *testing.T) {
	src, err := os.ReadFile("../../fixtures/demo/flows.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	code, want, stderr := runCLI(t, "", "detect", "--db", filepath.Join(tmp, "detect.duckdb"), "--out", tmp, "--json", "../../fixtures/demo/flows.jsonl")
	if code != 0 || want == "" {
		t.Fatalf("detect: %d %s", code, stderr)
	}
	parts := splitLines(t, src, t.TempDir(), 6, rand.New(rand.NewSource(3)))
	inbox := filepath.Join(tmp, "inbox")
	os.MkdirAll(inbox, 0o755)
	db := filepath.Join(tmp, "state.duckdb")
	var printed []sink.Signal
	for _, p := range parts {
		b, _ := os.ReadFile(p)
		os.WriteFile(filepath.Join(inbox, filepath.Base(p)), b, 0o644)
		code, stdout, stderr := runCLI(t, "", "run", "--inbox", inbox, "--db", db, "--out", tmp, "--json")
		if code != 0 {
			t.Fatalf("run: %d %s", code, stderr)
		}
		printed = append(printed, parseSignals(t, stdout)...)
	}
	if got, w := byID(t, printed), byID(t, parseSignals(t, want)); !reflect.DeepEqual(got, w) {
		t.Fatalf("runs printed %d signals, detect %d:\n%v\n%v", len(got), len(w), got, w)
	}
	code, stdout, _ := runCLI(t, "", "run", "--inbox", inbox, "--db", db, "--out", tmp, "--json")
	if code != 0 || strings.TrimSpace(stdout) != "" {
		t.Fatalf("a final run printed %q (exit %d)", stdout, code)
	}
	// A processed file that changes is an error naming it.
	os.WriteFile(filepath.Join(inbox, filepath.Base(parts[0])), []byte("{}\n"), 0o644)
	code, _, stderr = runCLI(t, "", "run", "--inbox", inbox, "--db", db, "--out", tmp)
	if code != exitInputError || !strings.Contains(stderr, filepath.Base(parts[0])) || !strings.Contains(stderr, "changed") {
		t.Fatalf("changed file: exit %d, %s", code, stderr)
	}
}

func TestBackfillEqualsDetect(t *testing.T) {
	src, err := os.ReadFile("../../fixtures/demo/flows.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	_, want, _ := runCLI(t, "", "detect", "--db", filepath.Join(tmp, "d.duckdb"), "--out", tmp, "--json", "../../fixtures/demo/flows.jsonl")
	archive := t.TempDir()
	splitLines(t, src, archive, 5, rand.New(rand.NewSource(9)))
	code, stdout, stderr := runCLI(t, "", "backfill", "--db", filepath.Join(tmp, "b.duckdb"), "--out", tmp, "--json", "--chunk", "20m", archive)
	if code != 0 {
		t.Fatalf("backfill: %d %s", code, stderr)
	}
	if got, w := byID(t, parseSignals(t, stdout)), byID(t, parseSignals(t, want)); !reflect.DeepEqual(got, w) {
		t.Fatalf("backfill %d signals, detect %d", len(got), len(w))
	}
	if !strings.Contains(stderr, "backfill: 5/5 files") {
		t.Errorf("no progress lines: %s", stderr)
	}
	// Resumable: a second backfill over the same archive emits nothing.
	code, stdout, _ = runCLI(t, "", "backfill", "--db", filepath.Join(tmp, "b.duckdb"), "--out", tmp, "--json", archive)
	if code != 0 || strings.TrimSpace(stdout) != "" {
		t.Fatalf("repeated backfill printed %q", stdout)
	}
}

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// binary builds portsweep once for tests that need a real process.
func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "portsweep-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "portsweep")
		out, err := exec.Command("go", "build", "-tags", "duckdb_arrow", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = err
			binPath = string(out)
		}
	})
	if buildErr != nil {
		t.Fatalf("build: %v %s", buildErr, binPath)
	}
	return binPath
}

// TestKillDuringRun kills `portsweep run` with SIGKILL at random moments
// of a large batch, reruns it, and expects exactly the one-shot signals.
func TestKillDuringRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and processes a large batch")
	}
	bin := binary(t)
	tmp := t.TempDir()
	data := filepath.Join(tmp, "flows.jsonl")
	f, _ := os.Create(data)
	if _, err := fixtures.WriteJSONLines(f, fixtures.GenConfig{Records: 200_000, Seed: 5, Shape: fixtures.Dense, Span: 2 * time.Hour}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	detectOut, err := exec.Command(bin, "detect", "--db", filepath.Join(tmp, "d.duckdb"), "--out", tmp, "--json", data).Output()
	if err != nil {
		t.Fatal(err)
	}
	want := byID(t, parseSignals(t, string(detectOut)))
	if len(want) < 5 {
		t.Fatalf("the data set has only %d signals", len(want))
	}
	src, _ := os.ReadFile(data)
	rng := rand.New(rand.NewSource(1))
	kills := 0
	for trial := 0; trial < 3; trial++ {
		inbox := filepath.Join(tmp, "inbox", string(rune('a'+trial)))
		os.MkdirAll(inbox, 0o755)
		splitLines(t, src, inbox, 3, rng)
		db := filepath.Join(tmp, "state-"+string(rune('a'+trial))+".duckdb")
		var printed []sink.Signal
		for attempt := 0; ; attempt++ {
			cmd := exec.Command(bin, "run", "--inbox", inbox, "--db", db, "--out", tmp, "--json")
			var stdout bytes.Buffer
			cmd.Stdout = &stdout
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			killed := false
			if attempt < 3 { // kill at a random moment of the first attempts
				timer := time.AfterFunc(time.Duration(rng.Intn(1500))*time.Millisecond, func() { cmd.Process.Kill() })
				err = cmd.Wait()
				killed = !timer.Stop()
			} else {
				err = cmd.Wait()
			}
			sc := bufio.NewScanner(&stdout)
			sc.Buffer(make([]byte, 1<<20), 1<<20)
			for sc.Scan() {
				printed = append(printed, parseSignals(t, sc.Text())...)
			}
			if !killed && err == nil {
				break
			}
			if !killed {
				t.Fatalf("run failed without being killed: %v", err)
			}
			kills++
		}
		// The stored signals equal the one-shot result: nothing lost, nothing twice.
		out, err := exec.Command(bin, "run", "--inbox", inbox, "--db", db, "--out", tmp, "--json").Output()
		if err != nil || strings.TrimSpace(string(out)) != "" {
			t.Fatalf("trial %d: a final run printed %q (%v)", trial, out, err)
		}
		got := map[string]sink.Signal{}
		for _, s := range printed {
			got[s.SignalID] = s
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("trial %d: after kills the runs printed %d distinct signals, detect %d", trial, len(got), len(want))
		}
	}
	if kills == 0 {
		t.Fatalf("no run was killed: the test did not exercise a crash")
	}
	t.Logf("%d runs killed with SIGKILL over 3 trials; %d signals equal to detect", kills, len(want))
}
