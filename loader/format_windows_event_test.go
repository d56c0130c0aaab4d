package loader

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"
)

func TestWindowsXMLGolden(t *testing.T) {
	c := checkGoldenParse(t, "windows-xml", "../fixtures/vendor/windows-xml/lines.xml")
	want := []zeekWant{
		{"10.1.2.3", "10.1.9.9", 51515, 445, "tcp", "Network", -1, "2024-03-01T09:00:00.25Z"},
		{"10.1.2.50", "10.1.2.3", 50123, 3389, "tcp", "Network", -1, "2024-03-01T09:00:01Z"},
		{"fd00:10::5", "fd00:10::53", 53001, 53, "udp", "Network", -1, "2024-03-01T09:00:02.125Z"},
		{"10.1.2.3", "10.1.9.10", 51516, 389, "tcp", "Network", 1, "2024-03-01T09:00:03.5577972Z"},
		{"10.1.2.60", "10.1.9.11", 50200, 445, "tcp", "Network", 1, "2024-03-01T09:00:04Z"},
		{"fd00:10::6", "fd00:10::a", 50300, 5985, "tcp", "Network", 1, "2024-03-01T09:00:05.1234567Z"},
		{"10.1.2.3", "10.1.9.12", -1, -1, "icmp", "Network", 1, "2024-03-01T09:00:06Z"},
		{"10.1.2.3", "10.1.9.13", 50400, 161, "udp", "Network", 1, "2024-03-01T09:00:07Z"},
		{"10.1.2.3", "10.1.9.16", 50800, 135, "tcp", "Network", 1, "2024-03-01T09:00:13Z"},
	}
	if len(c.Records) != len(want) {
		t.Fatalf("%d records, want %d", len(c.Records), len(want))
	}
	for i, w := range want {
		zeekCheckRecord(t, i, c.Records[i], w)
	}
	// Sysmon outbound: host and user of the source; inbound: the remote
	// initiator's name, no user.
	if r := c.Records[0]; r.SrcHostname != "ws-0042.corp.example" || r.Username != `CORP\alice` ||
		r.DeviceEventID != "Microsoft-Windows-Sysmon/Operational-3" {
		t.Errorf("record 0: %+v", r)
	}
	if r := c.Records[1]; r.SrcHostname != "admin-07.corp.example" || r.Username != "" {
		t.Errorf("record 1: %+v", r)
	}
	if r := c.Records[2]; r.SrcHostname != "ws-0042.corp.example" {
		t.Errorf("record 2: %+v", r)
	}
	if r := c.Records[3]; r.DeviceEventID != "Security-5156" || r.SrcHostname != "" || r.Username != "" {
		t.Errorf("record 3: %+v", r)
	}
	if len(c.Quarantined) != 3 {
		t.Errorf("quarantined %v, want 3 (no DestinationIp, bad DestPort, broken XML)", c.Quarantined)
	}
	if len(c.Skips) != 3 {
		t.Errorf("skips %v", c.Skips)
	}
}

// windowsUTF16LE encodes s as UTF-16LE with a BOM.
func windowsUTF16LE(s string) []byte {
	u := utf16.Encode([]rune(s))
	b := []byte{0xFF, 0xFE}
	for _, c := range u {
		b = append(b, byte(c), byte(c>>8))
	}
	return b
}

func TestWindowsXMLUTF16AndTruncated(t *testing.T) {
	src, err := os.ReadFile("../fixtures/vendor/windows-xml/lines.xml")
	if err != nil {
		t.Fatal(err)
	}
	f, _ := LookupFormat("windows-xml")
	u16 := windowsUTF16LE(strings.Replace(string(src), `encoding="utf-8"`, `encoding="UTF-16"`, 1))
	if got := DetectFormats(u16); len(got) == 0 || got[0].Name != "windows-xml" {
		t.Errorf("UTF-16 file not detected as windows-xml")
	}
	c := &collector{}
	if err := ReadFormat(fixedCtx, f, bytes.NewReader(u16), c); err != nil {
		t.Fatal(err)
	}
	plain := parseFile(t, "windows-xml", "../fixtures/vendor/windows-xml/lines.xml")
	if len(c.Records) != len(plain.Records) || len(c.Quarantined) != len(plain.Quarantined) {
		t.Errorf("UTF-16: %d records %d quarantined, UTF-8: %d / %d", len(c.Records), len(c.Quarantined), len(plain.Records), len(plain.Quarantined))
	}
	// Cut in the middle of the second event: the first is kept, the
	// truncation is quarantined, nothing is returned as an error.
	cut := src[:bytes.Index(src, []byte("admin-07"))]
	c = &collector{}
	if err := ReadFormat(fixedCtx, f, bytes.NewReader(cut), c); err != nil {
		t.Fatal(err)
	}
	if len(c.Records) != 1 || len(c.Quarantined) != 1 {
		t.Errorf("truncated: %d records, quarantined %v", len(c.Records), c.Quarantined)
	}
}

func TestWindowsJSONGolden(t *testing.T) {
	c := checkGoldenParse(t, "windows-json", "../fixtures/vendor/windows-json/lines.json")
	want := []zeekWant{
		{"10.1.2.3", "10.1.9.9", 51515, 445, "tcp", "Network", 1, "2024-03-01T09:00:00.25Z"},
		{"10.1.2.60", "10.1.9.11", 50200, 445, "tcp", "Network", 1, "2024-03-01T09:00:01Z"},
		{"fd00:10::5", "fd00:10::9", 49152, 3389, "tcp", "Network", -1, "2024-03-01T09:00:02Z"},
		{"10.1.2.70", "10.1.2.3", 50300, 445, "tcp", "Network", -1, "2024-03-01T09:00:03Z"},
		{"10.1.2.3", "10.1.9.12", 50400, 139, "tcp", "Network", 1, "2024-03-01T09:00:04Z"},
		{"10.1.2.3", "10.1.9.13", 50500, 161, "udp", "Network", -1, "2024-03-01T09:00:05.5Z"},
		{"10.1.2.3", "10.1.9.14", 50600, 3389, "tcp", "Network", 1, "2024-03-01T09:00:06Z"},
		{"10.1.2.3", "10.1.9.15", -1, -1, "icmp", "Network", 1, "2024-03-01T09:00:11Z"},
	}
	if len(c.Records) != len(want) {
		t.Fatalf("%d records, want %d", len(c.Records), len(want))
	}
	for i, w := range want {
		zeekCheckRecord(t, i, c.Records[i], w)
	}
	if r := c.Records[3]; r.SrcHostname != "ws-0070.corp.example" || r.Username != "" {
		t.Errorf("sysmon inbound: %+v", r)
	}
	if r := c.Records[5]; r.SrcHostname != "ws-0042.corp.example" || r.Username != `CORP\alice` {
		t.Errorf("nxlog sysmon: %+v", r)
	}
	c.checkQuarantinedAt(t, 10, 11)
	if len(c.Skips) != 2 {
		t.Errorf("skips %v", c.Skips)
	}
}

func TestWindowsJSONWrapper(t *testing.T) {
	p := "../fixtures/vendor/windows-json/wrapper.json"
	checkDetected(t, p, readHead(t, p), "windows-json")
	c := checkGoldenParse(t, "windows-json", p)
	if len(c.Records) != 2 || len(c.Quarantined) != 0 || len(c.Skips) != 1 {
		t.Fatalf("records %d, quarantined %v, skips %v", len(c.Records), c.Quarantined, c.Skips)
	}
	zeekCheckRecord(t, 0, c.Records[0], zeekWant{"10.1.2.3", "10.1.9.16", 50800, 389, "udp", "Network", 1, "2024-03-01T09:00:12Z"})
	zeekCheckRecord(t, 1, c.Records[1], zeekWant{"10.1.2.3", "10.1.9.17", 50900, 88, "tcp", "Network", -1, "2024-03-01T09:00:13Z"})
	// A JSON array of events and a broken document.
	f, _ := LookupFormat("windows-json")
	arr := `[{"winlog":{"event_id":5156,"time_created":"2024-03-01T09:00:00Z","event_data":{"SourceAddress":"10.0.0.1","SourcePort":"1","DestAddress":"10.0.0.2","DestPort":"445","Protocol":"6"}}},` + "\n" +
		`{"winlog":{"event_id":5156,"time_created":"2024-03-01T09:00:01Z","event_data":{"SourceAddress":"10.0.0.1","SourcePort":"2","DestAddress":"10.0.0.3","DestPort":"445","Protocol":"6"}}}]`
	c = &collector{}
	if err := ReadFormat(fixedCtx, f, strings.NewReader(arr), c); err != nil || len(c.Records) != 2 {
		t.Errorf("array: %v, %d records, quarantined %v", err, len(c.Records), c.Quarantined)
	}
	c = &collector{}
	if err := ReadFormat(fixedCtx, f, strings.NewReader("{\n  \"events\": [\n  {\"winlog\": "), c); err != nil || len(c.Quarantined) != 1 {
		t.Errorf("broken document: %v, quarantined %v", err, c.Quarantined)
	}
}

func TestWindowsSamples(t *testing.T) {
	dir := sharedSamples(t, "windows")
	for _, tc := range []struct {
		file, format string
		records      int
	}{
		{"test-5156.json", "windows-json", 1},
		{"DE_sysmon-3-rdp-tun.sysmon-eid3.xml", "windows-xml", 42},
		{"discovery_sysmon_3_Invoke_UserHunter_SourceMachine.sysmon-eid3.xml", "windows-xml", 9},
	} {
		p := filepath.Join(dir, tc.file)
		if _, err := os.Stat(p); err != nil {
			t.Logf("%s absent", p)
			continue
		}
		c := checkSampleFile(t, tc.format, p, sampleCheck{})
		if len(c.Records) != tc.records {
			t.Errorf("%s: %d records, want %d", p, len(c.Records), tc.records)
		}
		for _, r := range c.Records {
			if r.ObjectType != ObjectNetwork || r.Time.IsZero() {
				t.Errorf("%s: %+v", p, r)
			}
			// In the RDP sample the inbound connections reach the local
			// listener on 3389 or 139: after turning them around the
			// destination port is the service port.
			if strings.Contains(p, "rdp-tun") && r.SrcIP == "127.0.0.1" && r.DstIP == "127.0.0.2" && r.DstPort.V != 3389 {
				t.Errorf("%s: rdp record %+v", p, r)
			}
		}
		if strings.Contains(p, "UserHunter") {
			n445 := 0
			for _, r := range c.Records {
				if r.SrcIP == "10.59.4.20" && r.DstPort.V == 445 && r.Username != "" {
					n445++
				}
			}
			if n445 != 7 {
				t.Errorf("%s: %d records 10.59.4.20 -> :445, want 7", p, n445)
			}
		}
	}
}

func TestWindowsSweep(t *testing.T) {
	zeekCheckSweep(t, "windows-xml", "../fixtures/vendor/windows-xml/sweep.xml", "10.20.30.40", 445, ObjectNetwork)
	zeekCheckSweep(t, "windows-json", "../fixtures/vendor/windows-json/sweep.json", "10.20.30.40", 445, ObjectNetwork)
	for _, p := range []string{"../fixtures/vendor/windows-xml/sweep.xml", "../fixtures/vendor/windows-json/sweep.json"} {
		want := "windows-xml"
		if strings.HasSuffix(p, ".json") {
			want = "windows-json"
		}
		checkDetected(t, p, readHead(t, p), want)
	}
}

func FuzzParseWindowsXML(f *testing.F) {
	fuzzDocs(f, "windows-xml", fuzzCheck{}, "../fixtures/vendor/windows-xml/lines.xml")
}

func FuzzParseWindowsJSON(f *testing.F) {
	fuzzDocs(f, "windows-json", fuzzCheck{}, "../fixtures/vendor/windows-json/lines.json", "../fixtures/vendor/windows-json/wrapper.json")
}

func BenchmarkParseWindowsXML(b *testing.B) {
	src, err := os.ReadFile("../fixtures/vendor/windows-xml/sweep.xml")
	if err != nil {
		b.Fatal(err)
	}
	const reps = 200
	buf := bytes.Repeat(src, reps)
	benchParse(b, "windows-xml", buf, 53*reps, 50*reps, true)
}

func BenchmarkParseWindowsJSON(b *testing.B) {
	src, err := os.ReadFile("../fixtures/vendor/windows-json/sweep.json")
	if err != nil {
		b.Fatal(err)
	}
	const reps = 200
	buf := bytes.Repeat(src, reps)
	benchParse(b, "windows-json", buf, 53*reps, 50*reps, true)
}
