package loader

import (
	"bytes"
	"os"
	"testing"
	"time"
)

func TestNormalizedGolden(t *testing.T) {
	c := parseFile(t, FormatNormalized, "../fixtures/vendor/normalized/lines.jsonl")
	checkGolden(t, "../fixtures/vendor/normalized/lines.golden.json", c.golden())
	if len(c.Records) != 5 || len(c.Quarantined) != 4 {
		t.Fatalf("records %d, quarantined %d: want 5 and 4", len(c.Records), len(c.Quarantined))
	}
	tests := []struct {
		i    int
		time time.Time
	}{
		{0, time.Date(2024, 5, 1, 10, 0, 0, 1000, time.UTC)},
		{1, time.Unix(1714557600, 0)},
		{2, time.UnixMilli(1714557600123)},
		{3, time.Unix(1714557600, 500_000_000)},
		{4, time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		if got := c.Records[tt.i].Time; !got.Equal(tt.time) {
			t.Errorf("record %d time %v, want %v", tt.i, got, tt.time)
		}
	}
	if c.Records[3].DstPort.Valid || !c.Records[1].DstPort.Valid || c.Records[1].DstPort.V != 3389 {
		t.Errorf("ports: %+v %+v", c.Records[3].DstPort, c.Records[1].DstPort)
	}
}

func FuzzParseNormalized(f *testing.F) {
	seeds, _ := os.ReadFile("../fixtures/vendor/normalized/lines.jsonl")
	for _, line := range bytes.Split(seeds, []byte("\n")) {
		f.Add(line)
	}
	nf, _ := LookupFormat(FormatNormalized)
	f.Fuzz(func(t *testing.T, line []byte) {
		c := &collector{}
		ReadFormat(fixedCtx, nf, bytes.NewReader(line), c)
		for _, r := range c.Records {
			if r.SrcIP == "" && r.DstIP == "" && r.ObjectType == "" {
				continue // present but empty strings are the enrichment's to reject
			}
			if r.DstPort.Valid && (r.DstPort.V < 0 || r.DstPort.V > 65535) {
				t.Fatalf("port out of range: %d", r.DstPort.V)
			}
		}
	})
}

func FuzzSplitSyslog(f *testing.F) {
	for _, s := range []string{
		"<134>1 2024-03-02T10:15:00Z gw CheckPoint 2210 - [action:\"Drop\"] msg",
		"Apr 15 2013 09:36:50: %ASA-4-106023: Deny tcp",
		"Feb  8 04:00:48 192.168.100.2 585917: Feb  8 04:00:47.272: %SEC-6-IPACCESSLOGP",
		"Apr 15 2014 09:34:34 EDT: %ASA-session-5-106100:",
		"2024-01-01T00:00:00.123+02:00 host app: x",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		h, msg := SplitSyslog(fixedCtx, line)
		if len(msg) > len(line) {
			t.Fatalf("message longer than the line")
		}
		_ = h
	})
}

func BenchmarkParseNormalized(b *testing.B) {
	line := []byte(`{"timestamp":"2024-05-01T10:00:00.000001Z","objectType":"Network","srcDevice_ip":"10.1.1.5","dstDevice_ip":"10.1.2.7","dstPort":445,"srcPort":50123,"ipProtocol":"tcp","success":true}` + "\n")
	buf := bytes.Repeat(line, 10000)
	nf, _ := LookupFormat(FormatNormalized)
	b.ResetTimer()
	lines := 0
	for i := 0; i < b.N; i++ {
		c := &countingEmitter{}
		ReadFormat(fixedCtx, nf, bytes.NewReader(buf), c)
		lines += c.n
	}
	b.ReportMetric(float64(lines)/b.Elapsed().Seconds(), "lines/s")
}

type countingEmitter struct{ n int }

func (c *countingEmitter) Emit(*Record)                     { c.n++ }
func (c *countingEmitter) Skip(string)                      { c.n++ }
func (c *countingEmitter) Quarantine(int64, []byte, string) { c.n++ }
