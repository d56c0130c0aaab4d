package loader

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// kvPairs reads every pair of s as "key|value".
func kvPairs(s *kvScanner) []string {
	var got []string
	for {
		k, v, esc, ok := s.next()
		if !ok {
			return got
		}
		got = append(got, string(k)+"|"+kvString(v, esc))
	}
}

func TestKVScannerEq(t *testing.T) {
	in := `<189>word date=2024-03-02 msg="a \"quoted\" b" appName='General HTTPS' empty="" k=v x=`
	s := kvNewEq([]byte(in))
	got := kvPairs(&s)
	want := []string{"date|2024-03-02", `msg|a "quoted" b`, "appName|General HTTPS", "empty|", "k|v", "x|"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("got %q, want %q", got, want)
	}
	if s.bad {
		t.Fatal("bad set on a complete line")
	}
	s = kvNewEq([]byte(`a=1 b="cut`))
	for _, _, _, ok := s.next(); ok; _, _, _, ok = s.next() {
	}
	if !s.bad {
		t.Fatal("unterminated quote not flagged")
	}
}

func TestKVScannerColon(t *testing.T) {
	in := `[flags:"1"; sys_message::"a; b"; tag:"x=y[z\]"; src:"10.0.0.1"; bare:7; dst:"10.0.0.2"]`
	s := kvNewColon([]byte(in))
	got := kvPairs(&s)
	want := []string{"flags|1", "sys_message|a; b", "tag|x=y[z]", "src|10.0.0.1", "bare|7", "dst|10.0.0.2"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestKVHelpers(t *testing.T) {
	for in, want := range map[string]string{"6": "tcp", "17": "udp", "1": "icmp", "58": "ipv6-icmp", "TCP": "tcp", "250": "250", "": ""} {
		if got := kvProto([]byte(in)); got != want {
			t.Errorf("kvProto(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]int{"-0500": -5 * 3600, "+05:30": 5*3600 + 1800, "-5:00": -5 * 3600, "UTC": 0, "+01": 3600} {
		loc := kvZoneOffset([]byte(in))
		if loc == nil {
			t.Errorf("kvZoneOffset(%q) = nil", in)
			continue
		}
		if _, off := time.Date(2024, 1, 1, 0, 0, 0, 0, loc).Zone(); off != want {
			t.Errorf("kvZoneOffset(%q) offset %d, want %d", in, off, want)
		}
	}
	if kvZoneOffset([]byte("bogus")) != nil || kvZoneOffset([]byte("+99")) != nil {
		t.Error("kvZoneOffset accepted junk")
	}
	for _, in := range []string{"2024-03-02 10:15:00", "2024/03/02 10:15:00", "2024:03:02-10:15:00", "2024-03-02T10:15:00"} {
		tm, ok := kvDateTime([]byte(in), time.UTC)
		if !ok || !tm.Equal(time.Date(2024, 3, 2, 10, 15, 0, 0, time.UTC)) {
			t.Errorf("kvDateTime(%q) = %v %v", in, tm, ok)
		}
	}
	if _, ok := kvDateTime([]byte("2024-13-02 10:15:00"), nil); ok {
		t.Error("kvDateTime accepted month 13")
	}
	if p, ok := kvPort([]byte("65536")); ok {
		t.Errorf("kvPort accepted 65536: %v", p)
	}
}

// kvSamples is what the shared samples of the formats in this group must
// satisfy: every line is matched, every record is complete.
var kvSamples = sampleCheck{matchLines: true, obj: ObjectNetwork, emptyOK: true}

// kvFuzz is what a fuzzed line of these formats must satisfy.
var kvFuzz = fuzzCheck{errFatal: true, matchLine: true}

func kvJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// kvTestSweep checks a sweep fixture: ≥25 Network records from 10.20.30.40
// to distinct 10.20.31.x destinations on the expected port, and the expect
// file's content.
func kvTestSweep(t *testing.T, format, dir, file string) {
	t.Helper()
	c := parseFile(t, format, filepath.Join(dir, file))
	if len(c.Quarantined) > 0 {
		t.Errorf("sweep fixture has quarantined lines: %+v", c.Quarantined)
	}
	var exp struct {
		Format      string `json:"format"`
		Src         string `json:"srcDevice_ip"`
		DstPort     int32  `json:"dstPort"`
		RecordTypes string `json:"record_types"`
	}
	raw, err := os.ReadFile(filepath.Join(dir, "sweep.expect.json"))
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&exp); err != nil {
		t.Fatal(err)
	}
	if exp.Format != format || exp.Src != "10.20.30.40" || exp.RecordTypes != "Network" {
		t.Errorf("sweep.expect.json = %+v", exp)
	}
	dsts := map[string]bool{}
	var first, last time.Time
	for _, r := range c.Records {
		if r.SrcIP == exp.Src && r.DstPort.Valid && r.DstPort.V == exp.DstPort && r.ObjectType == ObjectNetwork {
			dsts[r.DstIP] = true
			if first.IsZero() || r.Time.Before(first) {
				first = r.Time
			}
			if r.Time.After(last) {
				last = r.Time
			}
		}
	}
	if len(dsts) < 25 {
		t.Errorf("sweep: %d distinct destinations from %s on %d, want ≥25", len(dsts), exp.Src, exp.DstPort)
	}
	if last.Sub(first) > time.Minute {
		t.Errorf("sweep spans %v, want ≤ 1 minute", last.Sub(first))
	}
	// No other source reaches 20 internal destinations on one port.
	groups := map[string]map[string]bool{}
	for _, r := range c.Records {
		if r.SrcIP == exp.Src || !r.DstPort.Valid {
			continue
		}
		k := r.SrcIP + "|" + kvJSON(r.DstPort.V)
		if groups[k] == nil {
			groups[k] = map[string]bool{}
		}
		groups[k][r.DstIP] = true
	}
	for k, g := range groups {
		if len(g) >= 20 {
			t.Errorf("sweep fixture: group %s has %d destinations", k, len(g))
		}
	}
	if len(c.Records)-kvCountSrc(c.Records, exp.Src) < 10 || len(c.Skips) == 0 {
		t.Errorf("sweep fixture needs other traffic and non-connection lines: %d records, skips %v", len(c.Records), c.Skips)
	}
}

func kvCountSrc(rs []Record, src string) int {
	n := 0
	for _, r := range rs {
		if r.SrcIP == src {
			n++
		}
	}
	return n
}

// kvReadLines returns the non-blank lines of a file (for table tests).
func kvReadLines(t testing.TB, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) != "" {
			out = append(out, sc.Text())
		}
	}
	return out
}

func kvTestPort(p NullInt32) int32 {
	if !p.Valid {
		return -1
	}
	return p.V
}

func kvTestBool(b NullBool) string {
	if !b.Valid {
		return "null"
	}
	if b.V {
		return "true"
	}
	return "false"
}

// TestKVNoCrossMatch checks that the MatchLine of the firewall formats in
// this group accepts no line of another product's shared samples.
func TestKVNoCrossMatch(t *testing.T) {
	root := filepath.Dir(sharedSamples(t, "checkpoint"))
	mine := map[string]string{
		"checkpoint": "checkpoint", "fortinet-fortigate": "fortigate", "sonicwall": "sonicwall",
		"sophos-utm": "sophos-utm", "paloalto-ngfw": "paloalto", "zscaler-nss-firewall": "zscaler-fw",
	}
	var formats []*Format
	for _, name := range mine {
		f, ok := LookupFormat(name)
		if !ok {
			t.Fatalf("%s not registered", name)
		}
		formats = append(formats, f)
	}
	err := filepath.Walk(root, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() || strings.HasSuffix(path, ".evtx") || strings.HasSuffix(path, ".md") {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		dir := strings.SplitN(rel, string(filepath.Separator), 2)[0]
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for i, line := range bytes.Split(data, []byte("\n")) {
			for _, f := range formats {
				if f.MatchLine(line) && mine[dir] != f.Name {
					t.Errorf("%s:%d matched by %s", rel, i+1, f.Name)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestKVExamples checks that each format's Example is matched and parses
// into a connection record.
func TestKVExamples(t *testing.T) {
	for _, name := range []string{"checkpoint", "fortigate", "sonicwall", "sophos-utm", "paloalto", "zscaler-fw"} {
		f, ok := LookupFormat(name)
		if !ok {
			t.Fatalf("%s not registered", name)
		}
		if !f.MatchLine([]byte(f.Example)) {
			t.Errorf("%s: Example not matched", name)
		}
		var r Record
		if err := f.ParseLine(fixedCtx, []byte(f.Example), &r); err != nil {
			t.Errorf("%s: Example: %v", name, err)
			continue
		}
		if r.SrcIP != "10.20.30.40" || r.DstIP != "10.20.31.7" || r.DstPort != Int32(445) || r.ObjectType != ObjectNetwork ||
			!r.Time.Equal(time.Date(2024, 3, 2, 10, 15, 0, 0, time.UTC)) {
			t.Errorf("%s: Example parsed as %+v", name, r)
		}
	}
}

// kvWant is what the field tables of the key=value and CSV formats check
// of each record; a table leaves out (as "") the fields its format does
// not map, named by kvCheckRecords' omit.
type kvWant struct {
	src, dst     string
	sport, dport int32 // -1 = null
	proto        string
	success      string // "true", "false", "null"
	tm           time.Time
	user, host   string
	event        string
}

// Fields a table leaves out.
const (
	kvNoUser = 1 << iota
	kvNoHost
	kvNoEvent
)

// kvCheckRecords compares recs with wants field by field (times as
// instants) and calls each for the format's own checks of every record.
func kvCheckRecords(t *testing.T, recs []Record, wants []kvWant, omit int, each func(i int, r Record)) {
	t.Helper()
	if len(recs) != len(wants) {
		t.Fatalf("got %d records, want %d", len(recs), len(wants))
	}
	for i, w := range wants {
		r := recs[i]
		got := kvWant{r.SrcIP, r.DstIP, kvTestPort(r.SrcPort), kvTestPort(r.DstPort), r.IPProtocol,
			kvTestBool(r.Success), r.Time.UTC(), r.Username, r.SrcHostname, r.DeviceEventID}
		if omit&kvNoUser != 0 {
			got.user = ""
		}
		if omit&kvNoHost != 0 {
			got.host = ""
		}
		if omit&kvNoEvent != 0 {
			got.event = ""
		}
		if !got.tm.Equal(w.tm) {
			t.Errorf("record %d time %v, want %v", i, got.tm, w.tm)
		}
		got.tm = w.tm
		if got != w {
			t.Errorf("record %d:\n got %+v\nwant %+v", i, got, w)
		}
		each(i, r)
	}
}
