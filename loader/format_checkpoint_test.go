package loader

import (
	"testing"
	"time"
)

const checkpointFixtures = "../fixtures/vendor/checkpoint"

func TestCheckpointGolden(t *testing.T) {
	checkGoldenParse(t, "checkpoint", checkpointFixtures+"/lines.log")
}

func TestCheckpointFields(t *testing.T) {
	c := parseFile(t, "checkpoint", checkpointFixtures+"/lines.log")
	wants := []kvWant{
		{"10.1.2.10", "10.1.2.20", 52011, 445, "tcp", "true", fixtureSecond(1), "", "ws-017.corp.example", "Accept"},
		{"10.1.2.11", "198.51.100.53", 40001, 53, "udp", "false", fixtureSecond(2), "", "", "Drop"},
		{"2001:db8:10::15", "2001:db8:20::30", 50500, 3389, "tcp", "false", fixtureSecond(3).Add(250*time.Millisecond - time.Hour), "", "", "Reject"},
		{"10.1.3.44", "203.0.113.80", 51000, 6881, "tcp", "false", fixtureSecond(4), "Alice Smith (asmith)", "lt-asmith", "Block"},
		{"10.1.3.45", "203.0.113.81", 51002, 80, "tcp", "true", fixtureSecond(5), "bob@corp.example", "", "Accept"},
		{"10.1.4.66", "10.1.5.77", 49999, 445, "tcp", "false", fixtureSecond(6), "", "", "Prevent"},
		{"10.1.4.67", "192.0.2.99", 49888, 443, "tcp", "null", fixtureSecond(7), "", "", "Detect"},
		{"10.1.2.10", "10.1.2.99", -1, -1, "icmp", "true", fixtureSecond(8), "", "", "Accept"},
		{"10.1.2.12", "10.1.9.1", -1, -1, "gre", "false", fixtureSecond(9), "", "", "Drop"},
		{"10.1.6.10", "172.16.5.20", 60022, 22, "tcp", "null", fixtureSecond(10), "carol", "ws-carol", "VPN-1 & FireWall-1"},
		{"2001:db8:10::16", "2001:db8:30::1", 50161, 161, "udp", "false", fixtureSecond(11), "dave", "", "Drop"},
		{"10.8.0.5", "10.8.1.6", 53000, 8443, "tcp", "true", fixtureSecond(12), "", "", "Accept"},
	}
	kvCheckRecords(t, c.Records, wants, 0, func(i int, r Record) {
		if r.ObjectType != ObjectNetwork || r.Vendor != "Check Point" {
			t.Errorf("record %d: objectType %q vendor %q", i, r.ObjectType, r.Vendor)
		}
	})
	if len(c.Quarantined) != 3 {
		t.Errorf("quarantined %+v, want lines 16, 17, 18", c.Quarantined)
	}
	if n := c.Skips["checkpoint: System Monitor without src/dst, not a connection"]; n != 1 {
		t.Errorf("skips %v", c.Skips)
	}
}

func TestCheckpointSamples(t *testing.T) {
	checkSampleDir(t, "checkpoint", "checkpoint", kvSamples)
}

func TestCheckpointSweep(t *testing.T) {
	kvTestSweep(t, "checkpoint", checkpointFixtures, "sweep.log")
}

func FuzzParseCheckpoint(f *testing.F) {
	fuzzLines(f, "checkpoint", kvFuzz, checkpointFixtures+"/lines.log")
}

func BenchmarkParseCheckpoint(b *testing.B) {
	benchLines(b, "checkpoint", kvReadLines(b, checkpointFixtures+"/lines.log")[:1], 8<<20)
}
