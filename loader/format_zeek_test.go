package loader

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// zeekWant is one explicit assertion on a parsed record.
type zeekWant struct {
	src, dst       string
	srcPort, port  int32 // -1 = null
	proto, objType string
	success        int // -1 null, 0 false, 1 true
	time           string
}

func zeekCheckRecord(t *testing.T, i int, r Record, w zeekWant) {
	t.Helper()
	got := zeekWant{r.SrcIP, r.DstIP, portOrNone(r.SrcPort), portOrNone(r.DstPort), r.IPProtocol, r.ObjectType, boolOrNone(r.Success), r.Time.UTC().Format(time.RFC3339Nano)}
	if got != w {
		t.Errorf("record %d:\n got  %+v\n want %+v", i, got, w)
	}
}

// zeekCheckSweep asserts that a sweep fixture yields at least 25 Network
// records from src to distinct destinations on port.
func zeekCheckSweep(t *testing.T, format, path, src string, port int32, objType string) {
	t.Helper()
	c := parseFile(t, format, path)
	dsts := map[string]bool{}
	for _, r := range c.Records {
		if r.SrcIP == src && r.DstPort.Valid && r.DstPort.V == port && r.ObjectType == objType {
			dsts[r.DstIP] = true
		}
	}
	if len(dsts) < 25 {
		t.Errorf("%s: %d distinct destinations from %s on %d, want >= 25", path, len(dsts), src, port)
	}
	if len(c.Quarantined) != 0 {
		t.Errorf("%s: quarantined %v", path, c.Quarantined)
	}
	others := len(c.Records) - len(dsts)
	for _, n := range c.Skips {
		others += n
	}
	if others < 20 {
		t.Errorf("%s: only %d other lines", path, others)
	}
	// The expectation file names this format.
	exp, err := os.ReadFile(filepath.Join(filepath.Dir(path), "sweep.expect.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(exp, []byte(`"format":"`+format+`"`)) {
		t.Errorf("sweep.expect.json does not name %s: %s", format, exp)
	}
	t.Logf("%s: %d records, %d sweep destinations, skipped %v", path, len(c.Records), len(dsts), c.Skips)
}

func TestZeekTSVGolden(t *testing.T) {
	c := checkGoldenParse(t, "zeek-tsv", "../fixtures/vendor/zeek-tsv/lines.log")
	want := []zeekWant{
		{"10.1.2.3", "10.1.9.9", 51515, 445, "tcp", "Network", 0, "2024-03-01T09:00:00.123456Z"},
		{"10.1.2.3", "10.1.9.10", 51516, 22, "tcp", "Network", 1, "2024-03-01T09:00:01.000001Z"},
		{"10.1.2.4", "192.0.2.53", 53001, 53, "udp", "Network", 1, "2024-03-01T09:00:02.5Z"},
		{"10.1.2.5", "10.1.9.11", -1, -1, "icmp", "Network", -1, "2024-03-01T09:00:03.25Z"},
		{"fd00:10::5", "fd00:10::9", 49152, 3389, "tcp", "Network", 0, "2024-03-01T09:00:04Z"},
		{"10.1.2.6", "10.1.9.12", -1, -1, "tcp", "Network", 1, "2024-03-01T09:00:05Z"},
		{"10.1.2.7", "10.1.9.13", 40001, 135, "tcp", "Network", -1, "2024-03-01T09:00:06Z"},
		{"10.1.3.3", "10.1.9.20", 40000, 139, "tcp", "Network", 0, "2024-03-01T10:00:00.0001Z"},
		{"10.1.3.4", "10.1.9.21", 40001, 80, "tcp", "Network", 1, "2024-03-01T10:00:01.999999999Z"},
	}
	if len(c.Records) != len(want) {
		t.Fatalf("%d records, want %d", len(c.Records), len(want))
	}
	for i, w := range want {
		zeekCheckRecord(t, i, c.Records[i], w)
		if r := c.Records[i]; r.Vendor != "Zeek" || r.Product != "conn" || r.DeviceEventID != "conn" {
			t.Errorf("record %d: metadata %q %q %q", i, r.Vendor, r.Product, r.DeviceEventID)
		}
	}
	c.checkQuarantinedAt(t, 16, 17, 18, 19)
	if c.Skips["zeek: dns log, not conn"] != 1 {
		t.Errorf("skips %v", c.Skips)
	}
}

func TestZeekTSVEdgeCases(t *testing.T) {
	f, _ := LookupFormat("zeek-tsv")
	for _, tc := range []struct {
		name, in       string
		records, quars int
	}{
		{"row before header", "1709283600.0\tC1\t10.0.0.1\t1\t10.0.0.2\t445\ttcp\n", 0, 1},
		{"fields lack id.resp_h", "#fields\tts\tid.orig_h\n1709283600.0\t10.0.0.1\n", 0, 1},
		{"comma separator", "#separator \\x2c\n#fields,ts,id.orig_h,id.orig_p,id.resp_h,id.resp_p,proto\n1709283600.5,10.0.0.1,1,10.0.0.2,445,tcp\n", 1, 0},
		{"no path header is conn", "#fields\tts\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\n1709283600.5\t10.0.0.1\t1\t10.0.0.2\t445\ttcp\n", 1, 0},
		{"negative ts", "#fields\tts\tid.orig_h\tid.resp_h\n-5.0\t10.0.0.1\t10.0.0.2\n", 0, 1},
	} {
		c := &collector{}
		if err := ReadFormat(fixedCtx, f, strings.NewReader(tc.in), c); err != nil {
			t.Fatal(err)
		}
		if len(c.Records) != tc.records || len(c.Quarantined) != tc.quars {
			t.Errorf("%s: %d records %v quarantined, want %d/%d", tc.name, len(c.Records), c.Quarantined, tc.records, tc.quars)
		}
	}
	if tm, ok := zeekParseTS([]byte("1601998366.785668")); !ok || tm.UnixMicro() != 1601998366785668 {
		t.Errorf("ts %v %v", tm, ok)
	}
}

func TestZeekJSONGolden(t *testing.T) {
	c := checkGoldenParse(t, "zeek-json", "../fixtures/vendor/zeek-json/lines.log")
	want := []zeekWant{
		{"10.1.2.3", "10.1.9.9", 51515, 445, "tcp", "Network", 0, "2024-03-01T09:00:00.123456Z"},
		{"10.1.2.3", "10.1.9.10", 51516, 22, "tcp", "Network", 1, "2024-03-01T09:00:01.1234561Z"},
		{"10.1.2.4", "192.0.2.53", 53001, 53, "udp", "Network", 1, "2024-03-01T09:00:02.5Z"},
		{"10.1.2.5", "10.1.9.11", -1, -1, "icmp", "Network", -1, "2024-03-01T09:00:03.25Z"},
		{"fd00:10::5", "fd00:10::9", 49152, 3389, "tcp", "Network", 0, "2024-03-01T09:00:04Z"},
		{"10.1.2.6", "10.1.9.12", -1, 135, "tcp", "Network", 1, "2024-03-01T09:00:05.00025Z"},
	}
	if len(c.Records) != len(want) {
		t.Fatalf("%d records, want %d", len(c.Records), len(want))
	}
	for i, w := range want {
		zeekCheckRecord(t, i, c.Records[i], w)
	}
	c.checkQuarantinedAt(t, 9, 10, 11, 12)
	if len(c.Skips) != 2 {
		t.Errorf("skips %v", c.Skips)
	}
}

func TestZeekSamples(t *testing.T) {
	checkSampleDir(t, "zeek-tsv", "zeek", sampleCheck{
		glob: filepath.Join("*", "*"),
		formatOf: func(_ string, head []byte) string {
			if bytes.HasPrefix(bytes.TrimSpace(head), []byte("{")) {
				return "zeek-json"
			}
			return "zeek-tsv"
		},
		each: func(t *testing.T, p string, c *collector) {
			for _, r := range c.Records {
				if r.IPProtocol == "icmp" && (r.DstPort.Valid || r.SrcPort.Valid) {
					t.Errorf("%s: icmp record with ports %+v", p, r)
				}
			}
			if strings.Contains(p, "test10") {
				// The published file starts with a stray TAB before #separator;
				// its first row's ts must be exact.
				if got := c.Records[0].Time.UnixMicro(); got != 1601998366785668 {
					t.Errorf("%s: first ts %d", p, got)
				}
			}
		},
	})
}

func TestZeekSweep(t *testing.T) {
	zeekCheckSweep(t, "zeek-tsv", "../fixtures/vendor/zeek-tsv/sweep.log", "10.20.30.40", 445, ObjectNetwork)
	zeekCheckSweep(t, "zeek-json", "../fixtures/vendor/zeek-json/sweep.log", "10.20.30.40", 445, ObjectNetwork)
}

func FuzzParseZeekTSV(f *testing.F) {
	fuzzDocs(f, "zeek-tsv", fuzzCheck{}, "../fixtures/vendor/zeek-tsv/lines.log")
}

func FuzzParseZeekJSON(f *testing.F) {
	fuzzDocs(f, "zeek-json", fuzzCheck{}, "../fixtures/vendor/zeek-json/lines.log")
}

func BenchmarkParseZeekTSV(b *testing.B) {
	var buf bytes.Buffer
	buf.WriteString("#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n" +
		"#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents\n")
	const n = 100000
	for i := 0; i < n; i++ {
		buf.WriteString("1709283600.123456\tCFx0001aaaa\t10.1.2.3\t51515\t10.1.9.9\t445\ttcp\t-\t0.001200\t0\t0\tS0\t-\t-\t0\tS\t1\t60\t0\t0\t(empty)\n")
	}
	benchParse(b, "zeek-tsv", buf.Bytes(), n+6, n, true)
}

func BenchmarkParseZeekJSON(b *testing.B) {
	line := `{"ts":1709283600.123456,"uid":"CJa0001aaaa","id.orig_h":"10.1.2.3","id.orig_p":51515,"id.resp_h":"10.1.9.9","id.resp_p":445,"proto":"tcp","conn_state":"S0","local_orig":true,"local_resp":true,"missed_bytes":0,"history":"S","orig_pkts":1,"orig_ip_bytes":60,"resp_pkts":0,"resp_ip_bytes":0,"tunnel_parents":[]}` + "\n"
	const n = 100000
	benchParse(b, "zeek-json", bytes.Repeat([]byte(line), n), n, n, true)
}

// TestZeekFamilyExamples checks that each Example of the formats in
// format_zeek/suricata/crowdstrike/windows_event parses to one record and
// is detected as its own format.
func TestZeekFamilyExamples(t *testing.T) {
	for _, name := range []string{"zeek-tsv", "zeek-json", "suricata-eve", "crowdstrike-fdr", "windows-xml", "windows-json"} {
		f, ok := LookupFormat(name)
		if !ok {
			t.Fatalf("%s not registered", name)
		}
		in := f.Example + "\n"
		if name == "zeek-tsv" {
			in = "#separator \\x09\n#path\tconn\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents\n" + in
		}
		c := &collector{}
		if err := ReadFormat(fixedCtx, f, strings.NewReader(in), c); err != nil || len(c.Records) != 1 {
			t.Errorf("%s example: %v, %d records, quarantined %v, skips %v", name, err, len(c.Records), c.Quarantined, c.Skips)
			continue
		}
		if r := c.Records[0]; r.SrcIP == "" || r.DstPort.V != 445 || r.ObjectType != ObjectNetwork {
			t.Errorf("%s example: %+v", name, r)
		}
		if got := DetectFormats([]byte(in)); len(got) == 0 || got[0].Name != name {
			t.Errorf("%s example not detected as itself", name)
		}
		if f.MatchLine != nil && f.MatchLine([]byte(`<134>Mar  1 09:00:00 fw01 %ASA-6-302013: Built outbound TCP connection 1 for outside:198.51.100.1/443 (198.51.100.1/443) to inside:10.1.2.3/51515 (10.1.2.3/51515)`)) {
			t.Errorf("%s MatchLine accepts an ASA line", name)
		}
	}
}
