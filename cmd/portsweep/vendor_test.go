package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestVendorSweeps runs detect with --format auto over each vendor's sweep
// fixture (25 destinations on one port within a minute, mixed with other
// traffic) and expects exactly the one signal its sweep.expect.json names.
func TestVendorSweeps(t *testing.T) {
	expects, err := filepath.Glob("../../fixtures/vendor/*/sweep.expect.json")
	if err != nil || len(expects) == 0 {
		t.Fatalf("no vendor sweep fixtures: %v", err)
	}
	for _, expectPath := range expects {
		dir := filepath.Dir(expectPath)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			var want struct {
				Format      string `json:"format"`
				Src         string `json:"srcDevice_ip"`
				Port        int32  `json:"dstPort"`
				RecordTypes string `json:"record_types"`
			}
			b, err := os.ReadFile(expectPath)
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(b, &want); err != nil {
				t.Fatal(err)
			}
			inputs, _ := filepath.Glob(filepath.Join(dir, "sweep.*"))
			var input string
			for _, p := range inputs {
				if !strings.HasSuffix(p, ".expect.json") && !strings.HasSuffix(p, ".golden.json") {
					input = p
				}
			}
			if input == "" {
				t.Fatalf("no sweep input beside %s", expectPath)
			}
			tmp := t.TempDir()
			args := []string{"detect", "--db", filepath.Join(tmp, "db"), "--out", tmp, "--json", "--summary", filepath.Join(tmp, "summary.json")}
			if want.RecordTypes != "" {
				args = append(args, "--record-types", want.RecordTypes)
			}
			code, stdout, stderr := runCLI(t, "", append(args, input)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			signals := parseSignals(t, stdout)
			if len(signals) != 1 || signals[0].SrcDeviceIP != want.Src || signals[0].DstPort != want.Port {
				t.Fatalf("want exactly one signal for %s port %d, got %d: %s\n%s", want.Src, want.Port, len(signals), stdout, stderr)
			}
			sb, _ := os.ReadFile(filepath.Join(tmp, "summary.json"))
			var summary struct {
				Formats map[string]json.RawMessage `json:"formats"`
			}
			json.Unmarshal(sb, &summary)
			if _, ok := summary.Formats[want.Format]; !ok {
				t.Errorf("auto-detection did not choose %s: formats %s", want.Format, sb)
			}
			if strings.Contains(want.RecordTypes, "NetworkFlow") {
				// Without the flag the record type condition drops the flows.
				code, stdout, _ := runCLI(t, "", "detect", "--db", filepath.Join(tmp, "db2"), "--out", tmp, "--json", input)
				if code != 0 || strings.TrimSpace(stdout) != "" {
					t.Errorf("NetworkFlow records must not qualify by default: %s", stdout)
				}
			}
		})
	}
}
