package loader

import (
	"path/filepath"
	"testing"
	"time"
)

// ciscoWant is the expectation of one explicit table case. Ports and
// success use -1 for null.
type ciscoWant struct {
	line      string
	time      string
	obj       string
	src, dst  string
	sport     int32
	dport     int32
	proto     string
	success   int
	user      string
	host      string
	id        string
	skip, bad bool
}

func ciscoCheckTable(t *testing.T, format string, cases []ciscoWant) {
	t.Helper()
	f, ok := LookupFormat(format)
	if !ok {
		t.Fatalf("format %q is not registered", format)
	}
	for i, c := range cases {
		var r Record
		err := f.ParseLine(fixedCtx, []byte(c.line), &r)
		if !f.MatchLine([]byte(c.line)) {
			t.Errorf("case %d: MatchLine false for %q", i, c.line)
		}
		switch {
		case c.skip:
			if _, isSkip := err.(ErrSkip); !isSkip {
				t.Errorf("case %d: want skip, got %v", i, err)
			}
			continue
		case c.bad:
			if _, isSkip := err.(ErrSkip); err == nil || isSkip {
				t.Errorf("case %d: want a parse error, got %v", i, err)
			}
			continue
		case err != nil:
			t.Errorf("case %d: %v", i, err)
			continue
		}
		got := ciscoWant{
			line: c.line, time: r.Time.UTC().Format(time.RFC3339Nano), obj: r.ObjectType,
			src: r.SrcIP, dst: r.DstIP, sport: portOrNone(r.SrcPort), dport: portOrNone(r.DstPort),
			proto: r.IPProtocol, success: boolOrNone(r.Success), user: r.Username, host: r.SrcHostname, id: r.DeviceEventID,
		}
		if got != c {
			t.Errorf("case %d:\n got %+v\nwant %+v", i, got, c)
		}
	}
}

// ciscoSweepTest parses a sweep fixture and checks that it holds at least
// 25 records of the sweeping source on port 445 with 25 distinct internal
// destinations, of objectType obj.
func ciscoSweepTest(t *testing.T, format, path, obj string) {
	t.Helper()
	c := parseFile(t, format, path)
	if len(c.Quarantined) > 0 {
		t.Errorf("%s: quarantined %+v", path, c.Quarantined)
	}
	dsts := map[string]bool{}
	n := 0
	for _, r := range c.Records {
		if r.SrcIP == "10.20.30.40" && r.DstPort.Valid && r.DstPort.V == 445 {
			n++
			if r.ObjectType != obj {
				t.Errorf("sweep record of type %q, want %q", r.ObjectType, obj)
			}
			dsts[r.DstIP] = true
		}
	}
	if n < 25 || len(dsts) != 25 {
		t.Errorf("%s: %d sweep records to %d destinations, want >= 25 to 25", path, n, len(dsts))
	}
	t.Logf("%s: %d records, %d of the sweep", filepath.Base(path), len(c.Records), n)
}

// ciscoFuzz is what a fuzzed line of the Cisco formats must satisfy.
var ciscoFuzz = fuzzCheck{errFatal: true, needTime: true}

func TestCiscoASAGolden(t *testing.T) {
	c := checkGoldenParse(t, "cisco-asa", "../fixtures/vendor/cisco-asa/lines.log")
	if len(c.Records) != 35 || len(c.Quarantined) != 10 {
		t.Errorf("got %d records, %d quarantined; want 35, 10", len(c.Records), len(c.Quarantined))
	}
}

func TestCiscoASAFields(t *testing.T) {
	ciscoCheckTable(t, "cisco-asa", []ciscoWant{
		// outbound: the "to" side initiated
		{line: "Mar 04 2024 10:15:02: %ASA-6-302013: Built outbound TCP connection 5001 for outside:198.51.100.20/443 (198.51.100.20/443) to inside:10.8.1.15/51515 (203.0.113.9/40001)",
			time: "2024-03-04T10:15:02Z", obj: "Network", src: "10.8.1.15", dst: "198.51.100.20", sport: 51515, dport: 443, proto: "tcp", success: 1, id: "302013"},
		// inbound: the "for" side initiated
		{line: "Mar 04 2024 10:15:03 fw-edge-1 : %ASA-6-302013: Built inbound TCP connection 5002 for outside:203.0.113.77/61000 (203.0.113.77/61000) to dmz:10.9.0.10/22 (203.0.113.10/22)",
			time: "2024-03-04T10:15:03Z", obj: "Network", src: "203.0.113.77", dst: "10.9.0.10", sport: 61000, dport: 22, proto: "tcp", success: 1, id: "302013"},
		// teardown: the lower port answered
		{line: "Mar 04 2024 10:15:05: %ASA-6-302014: Teardown TCP connection 5002 for outside:203.0.113.77/61000 to dmz:10.9.0.10/22 duration 0:01:02 bytes 41233 TCP Reset-O from outside",
			time: "2024-03-04T10:15:05Z", obj: "Network", src: "203.0.113.77", dst: "10.9.0.10", sport: 61000, dport: 22, proto: "tcp", success: 1, id: "302014"},
		{line: "Mar 04 2024 10:15:09: %ASA-6-302015: Built inbound UDP connection 5005 for outside:203.0.113.80/40111 (203.0.113.80/40111)(LOCAL\\corp\\alice) to inside:10.8.2.2/53 (10.8.2.2/53) (corp\\alice)",
			time: "2024-03-04T10:15:09Z", obj: "Network", src: "203.0.113.80", dst: "10.8.2.2", sport: 40111, dport: 53, proto: "udp", success: 1, user: "corp\\alice", id: "302015"},
		{line: "Mar 04 2024 10:15:11: %ASA-6-302013: Built outbound TCP connection 5007 for outside:198.51.100.21/80 (198.51.100.21/80) to inside:WEBPROXY1/3128 (WEBPROXY1/3128)",
			time: "2024-03-04T10:15:11Z", obj: "Network", src: "WEBPROXY1", dst: "198.51.100.21", sport: 3128, dport: 80, proto: "tcp", success: 1, host: "WEBPROXY1", id: "302013"},
		{line: "Mar 04 2024 10:15:14: %ASA-6-302020: Built inbound ICMP connection for faddr 203.0.113.90/0(LOCAL\\erin) gaddr 203.0.113.10/0 laddr 10.9.0.10/0 (erin) type 8 code 0",
			time: "2024-03-04T10:15:14Z", obj: "Network", src: "203.0.113.90", dst: "10.9.0.10", sport: -1, dport: -1, proto: "icmp", success: 1, user: "erin", id: "302020"},
		{line: "Mar 04 2024 10:15:23: %ASA-4-106023: Deny tcp src inside:10.8.1.21/52000 dst dmz:10.9.0.15/445 by access-group \"in_acl\" [0x1a2b3c4d, 0x0]",
			time: "2024-03-04T10:15:23Z", obj: "Network", src: "10.8.1.21", dst: "10.9.0.15", sport: 52000, dport: 445, proto: "tcp", success: 0, id: "106023"},
		{line: "Mar 04 2024 10:15:25: %ASA-4-106023: Deny icmp src outside:203.0.113.95 dst dmz:10.9.0.16 (type 8, code 0) by access-group \"out_acl\" [0x0, 0x0]",
			time: "2024-03-04T10:15:25Z", obj: "Network", src: "203.0.113.95", dst: "10.9.0.16", sport: -1, dport: -1, proto: "icmp", success: 0, id: "106023"},
		{line: "Mar 04 2024 10:15:28 EDT: %ASA-session-5-106100: access-list in_acl permitted tcp inside/10.8.1.24(53000) -> dmz/10.9.0.17(443) hit-cnt 1 first hit [0x5e6f7a8b, 0x0]",
			time: "2024-03-04T14:15:28Z", obj: "Network", src: "10.8.1.24", dst: "10.9.0.17", sport: 53000, dport: 443, proto: "tcp", success: 1, id: "106100"},
		{line: "Mar 04 2024 10:15:31: %ASA-6-106100: access-list in_acl permitted icmp inside/10.8.1.27(8) -> outside/198.51.100.44(0) hit-cnt 1 first hit [0x5e6f7a8b, 0x0]",
			time: "2024-03-04T10:15:31Z", obj: "Network", src: "10.8.1.27", dst: "198.51.100.44", sport: -1, dport: -1, proto: "icmp", success: 1, id: "106100"},
		{line: "Mar  4 10:15:40 syslog-relay-1 Mar 04 2024 10:15:35 UTC: %ASA-6-302013: Built outbound TCP connection 5012 for dmz:10.9.0.20/445 (10.9.0.20/445) to inside:10.8.1.28/50003 (10.8.1.28/50003)",
			time: "2024-03-04T10:15:35Z", obj: "Network", src: "10.8.1.28", dst: "10.9.0.20", sport: 50003, dport: 445, proto: "tcp", success: 1, id: "302013"},
		{line: "Mar 04 2024 10:15:37: %ASA-6-305011: Built dynamic TCP translation from inside:10.8.1.15/51515 to outside:203.0.113.9/40001", skip: true},
		{line: "Mar 04 2024 10:15:42: %ASA-6-302013: Built outbound TCP connection 5015 for outside:198.51.100.48/443 (198.51.100.48/443) to inside:10.8.1.33/50011", bad: true},
	})
}

func TestCiscoASASamples(t *testing.T) { checkSampleDir(t, "cisco-asa", "cisco-asa", sampleCheck{}) }

func TestCiscoASASweep(t *testing.T) {
	ciscoSweepTest(t, "cisco-asa", "../fixtures/vendor/cisco-asa/sweep.log", ObjectNetwork)
}

func FuzzParseCiscoASA(f *testing.F) {
	f.Add("%ASA-106023 Deny src 0") // once sliced out of range
	fuzzLines(f, "cisco-asa", ciscoFuzz, "../fixtures/vendor/cisco-asa/lines.log")
}

func BenchmarkParseCiscoASA(b *testing.B) {
	benchLines(b, "cisco-asa", []string{
		"Mar 04 2024 10:15:02 fw-edge-1 : %ASA-6-302013: Built outbound TCP connection 5001 for outside:198.51.100.20/443 (198.51.100.20/443) to inside:10.8.1.15/51515 (203.0.113.9/40001)",
		"Mar 04 2024 10:15:04 fw-edge-1 : %ASA-6-302014: Teardown TCP connection 5001 for outside:198.51.100.20/443 to inside:10.8.1.15/51515 duration 0:00:31 bytes 8812 TCP FINs",
		"Mar 04 2024 10:15:23 fw-edge-1 : %ASA-4-106023: Deny tcp src inside:10.8.1.21/52000 dst dmz:10.9.0.15/445 by access-group \"in_acl\" [0x1a2b3c4d, 0x0]",
		"Mar 04 2024 10:15:29 fw-edge-1 : %ASA-6-106100: access-list in_acl denied udp inside/10.8.1.25(53001) -> outside/198.51.100.42(123) hit-cnt 12 300-second interval [0x5e6f7a8b, 0x0]",
	}, 4<<20)
}
