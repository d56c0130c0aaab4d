package loader

import (
	"os"
	"strings"
	"testing"
	"time"
)

func TestOCSFNetworkGolden(t *testing.T) {
	checkGoldenParse(t, "ocsf-network", "../fixtures/vendor/ocsf-network/lines.jsonl")
}

func TestOCSFNetworkFields(t *testing.T) {
	c := parseFile(t, "ocsf-network", "../fixtures/vendor/ocsf-network/lines.jsonl")
	type want struct {
		src, dst, proto, obj, host, user, id, vendor string
		sport, dport                                 NullInt32
		success                                      NullBool
		time                                         string
	}
	ex := "Example Networks"
	wants := []want{
		{"10.3.0.4", "10.3.0.5", "tcp", ObjectNetwork, "ws-17.corp.example", "jdoe", "400101", ex, Int32(50112), Int32(445), Bool(true), "2024-03-05T10:00:00.123Z"},
		{"10.3.0.4", "10.3.0.5", "tcp", ObjectNetwork, "", "", "400102", ex, Int32(50112), Int32(445), Bool(true), "2024-03-05T10:00:00.123Z"}, // Close: its start_time
		{"10.3.0.6", "10.3.0.5", "tcp", ObjectNetwork, "", "", "400105", ex, Int32(50113), Int32(3389), Bool(false), "2024-03-05T10:00:01Z"},
		{"10.3.0.6", "10.3.0.2", "udp", ObjectNetwork, "", "", "400106", ex, Int32(53000), Int32(53), Bool(true), "2024-03-05T10:00:02Z"},
		{"10.3.0.6", "10.3.0.7", "icmp", ObjectNetwork, "", "", "400106", ex, NullInt32{}, NullInt32{}, NullBool{}, "2024-03-05T10:00:03Z"},
		{"2001:db8:3::4", "2001:db8:3::5", "tcp", ObjectNetwork, "", "", "400101", ex, Int32(40000), Int32(22), Bool(false), "2024-03-05T10:00:04Z"},
		{"10.3.1.10", "10.3.1.20", "tcp", ObjectNetworkFlow, "", "", "400106", "AWS", Int32(49200), Int32(443), Bool(true), "2024-03-05T10:00:05Z"},
		{"10.3.0.4", "10.3.0.8", "tcp", ObjectNetwork, "", "", "400101", ex, Int32(50118), Int32(139), NullBool{}, "2024-03-05T09:00:11.25Z"},
		{"10.3.0.4", "10.3.0.9", "tcp", ObjectNetwork, "", "", "400101", ex, Int32(50119), Int32(135), NullBool{}, "2024-03-05T10:00:12Z"},
		{"10.3.0.4", "10.3.0.10", "tcp", ObjectNetwork, "", "", "400104", ex, Int32(50120), Int32(389), Bool(false), "2024-03-05T10:00:13Z"},
	}
	if len(c.Records) != len(wants) {
		t.Fatalf("got %d records, want %d", len(c.Records), len(wants))
	}
	for i, w := range wants {
		r := c.Records[i]
		if r.SrcIP != w.src || r.DstIP != w.dst || r.IPProtocol != w.proto || r.ObjectType != w.obj ||
			r.SrcHostname != w.host || r.Username != w.user || r.DeviceEventID != w.id || r.Vendor != w.vendor ||
			r.SrcPort != w.sport || r.DstPort != w.dport || r.Success != w.success ||
			r.Time.UTC().Format(time.RFC3339Nano) != w.time {
			t.Errorf("record %d = %+v, want %+v", i, r, w)
		}
	}
	if len(c.Skips) != 3 || len(c.Quarantined) != 4 {
		t.Errorf("skips %v, quarantined %+v", c.Skips, c.Quarantined)
	}
}

func TestOCSFNetworkMatchLine(t *testing.T) {
	for s, want := range map[string]bool{
		`{"class_uid":4001,"activity_id":1}`:   true,
		`{"class_uid": 4001, "activity_id":1}`: true,
		`{"class_uid":40012}`:                  false,
		`{"class_uid":4003}`:                   false,
		`{"class_uid":"4001"}`:                 false,
		`srcaddr=1.2.3.4 class_uid=4001`:       false,
	} {
		if got := ocsfMatchLine([]byte(s)); got != want {
			t.Errorf("MatchLine(%s) = %v", s, got)
		}
	}
	for _, name := range []string{"lines.jsonl", "sweep.jsonl"} {
		b, err := os.ReadFile("../fixtures/vendor/ocsf-network/" + name)
		if err != nil {
			t.Fatal(err)
		}
		checkDetected(t, name, b, "ocsf-network")
	}
}

func TestOCSFNetworkSweepFixture(t *testing.T) {
	c := parseFile(t, "ocsf-network", "../fixtures/vendor/ocsf-network/sweep.jsonl")
	cloudflowCheckSweep(t, c, ObjectNetwork)
}

func FuzzParseOCSFNetwork(f *testing.F) {
	fuzzDocs(f, "ocsf-network", fuzzCheck{}, "../fixtures/vendor/ocsf-network/lines.jsonl")
}

func BenchmarkParseOCSFNetwork(b *testing.B) {
	f, _ := LookupFormat("ocsf-network")
	benchUnits(b, "ocsf-network", []byte(strings.Repeat(f.Example+"\n", 10)), 10)
}
