package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestConfigFile: a YAML file may carry every flag; flags on the command
// line win; a secret in the file is refused.
func TestConfigFile(t *testing.T) {
	tmp := t.TempDir()
	cfg := filepath.Join(tmp, "portsweep.yaml")
	os.WriteFile(cfg, []byte("threshold: 30\nports: [445, 3389]\nrecord-types: Network\n"), 0o644)
	input := "../../fixtures/cases/basic-sweep/input.jsonl" // 22 destinations on 445
	code, stdout, stderr := runCLI(t, "", "detect", "--db", filepath.Join(tmp, "a"), "--out", tmp, "--json", "--config", cfg, input)
	if code != 0 || strings.TrimSpace(stdout) != "" {
		t.Fatalf("threshold 30 from the file must find nothing: exit %d %q %s", code, stdout, stderr)
	}
	code, stdout, _ = runCLI(t, "", "detect", "--db", filepath.Join(tmp, "b"), "--out", tmp, "--json", "--config", cfg, "--threshold", "20", input)
	if code != 0 || len(parseSignals(t, stdout)) != 1 {
		t.Fatalf("--threshold on the command line must win over the file: %q", stdout)
	}
	code, stdout, _ = runCLI(t, "", "compile", "--config", cfg)
	if code != 0 || !strings.Contains(stdout, `"dstPort" = 445 OR "dstPort" = 3389`) {
		t.Fatalf("a list in the file sets --ports: %s", stdout)
	}
	os.WriteFile(cfg, []byte("webhook-secret: hunter2\n"), 0o644)
	if code, _, stderr := runCLI(t, "", "detect", "--db", filepath.Join(tmp, "c"), "--config", cfg, input); code != exitUsage || !strings.Contains(stderr, "environment") {
		t.Fatalf("a secret in the config file must be refused: exit %d %s", code, stderr)
	}
	os.WriteFile(cfg, []byte("thresold: 3\n"), 0o644)
	if code, _, stderr := runCLI(t, "", "detect", "--db", filepath.Join(tmp, "d"), "--config", cfg, input); code != exitUsage || !strings.Contains(stderr, "thresold") {
		t.Fatalf("an unknown key must be named: exit %d %s", code, stderr)
	}
}

// TestMixedSyslogStream: one file interleaving two vendors' lines is read
// line by line and the summary names both formats.
func TestMixedSyslogStream(t *testing.T) {
	tmp := t.TempDir()
	asa, err := os.ReadFile("../../fixtures/vendor/cisco-asa/sweep.log")
	if err != nil {
		t.Fatal(err)
	}
	forti, err := os.ReadFile("../../fixtures/vendor/fortigate/lines.log")
	if err != nil {
		t.Fatal(err)
	}
	a := strings.Split(strings.TrimSpace(string(asa)), "\n")
	f := strings.Split(strings.TrimSpace(string(forti)), "\n")
	var mixed []string
	for i := 0; i < len(a) || i < len(f); i++ {
		if i < len(a) {
			mixed = append(mixed, a[i])
		}
		if i < len(f) {
			mixed = append(mixed, f[i])
		}
	}
	p := filepath.Join(tmp, "syslog.log")
	os.WriteFile(p, []byte(strings.Join(mixed, "\n")+"\n"), 0o644)
	summary := filepath.Join(tmp, "summary.json")
	code, stdout, stderr := runCLI(t, "", "detect", "--db", filepath.Join(tmp, "db"), "--out", tmp, "--json", "--summary", summary, p)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	b, _ := os.ReadFile(summary)
	if !strings.Contains(string(b), `"cisco-asa"`) || !strings.Contains(string(b), `"fortigate"`) {
		t.Fatalf("the summary must name both formats: %s", b)
	}
	if len(parseSignals(t, stdout)) != 1 {
		t.Fatalf("the ASA sweep inside the mixed stream must fire once: %s", stdout)
	}
}

// TestEVTXIsExplained: a binary .evtx file fails with advice, the others
// are still processed.
func TestEVTXIsExplained(t *testing.T) {
	tmp := t.TempDir()
	evtx := filepath.Join(tmp, "Security.evtx")
	os.WriteFile(evtx, append([]byte("ElfFile\x00"), make([]byte, 120)...), 0o644)
	code, stdout, stderr := runCLI(t, "", "detect", "--db", filepath.Join(tmp, "db"), "--out", tmp, "--json", evtx, "../../fixtures/cases/basic-sweep/input.jsonl")
	if code != exitInputError || !strings.Contains(stderr, "export it as Event XML or JSON") || len(parseSignals(t, stdout)) != 1 {
		t.Fatalf("exit %d, %q\n%s", code, stdout, stderr)
	}
}
