package loader

import (
	"testing"
)

const sophosUTMFixtures = "../fixtures/vendor/sophos-utm"

func TestSophosUTMGolden(t *testing.T) {
	checkGoldenParse(t, "sophos-utm", sophosUTMFixtures+"/lines.log")
}

func TestSophosUTMFields(t *testing.T) {
	c := parseFile(t, "sophos-utm", sophosUTMFixtures+"/lines.log")
	wants := []kvWant{
		{"10.1.2.10", "10.1.2.20", 52011, 445, "tcp", "true", fixtureSecond(1), "", "", "2002"},
		{"10.1.2.11", "198.51.100.53", 40001, 53, "udp", "false", fixtureSecond(2), "", "", "2001"},
		{"10.1.2.12", "10.1.3.30", 52012, 3389, "tcp", "false", fixtureSecond(3), "", "", "2003"},
		{"10.1.2.13", "10.1.2.99", -1, -1, "icmp", "false", fixtureSecond(4), "", "", "2001"},
		{"203.0.113.5", "192.0.2.10", 61000, 23, "tcp", "false", fixtureSecond(5), "", "", "2021"},
		{"10.1.2.14", "10.1.0.53", 34200, 53, "udp", "null", fixtureSecond(6), "", "", "2014"},
		{"2001:db8:10::15", "2001:db8:20::30", 52015, 22, "tcp", "true", fixtureSecond(7), "", "", "2002"},
		{"10.8.0.5", "10.8.1.6", 53000, 8443, "tcp", "true", fixtureSecond(8), "", "", "2002"},
		{"10.1.2.16", "10.1.9.1", -1, -1, "gre", "true", fixtureSecond(9), "", "", "2002"},
	}
	kvCheckRecords(t, c.Records, wants, kvNoUser|kvNoHost, func(i int, r Record) {
		if r.ObjectType != ObjectNetwork || r.Vendor != "Sophos" || r.Product != "UTM" {
			t.Errorf("record %d: objectType %q vendor %q product %q", i, r.ObjectType, r.Vendor, r.Product)
		}
	})
	if len(c.Quarantined) != 4 {
		t.Errorf("quarantined %+v, want lines 12-15", c.Quarantined)
	}
	if c.Skips["sophos-utm: sub=http, not a packet filter record"] != 1 || c.Skips["sophos-utm: sub=ips, not a packet filter record"] != 1 {
		t.Errorf("skips %v", c.Skips)
	}
}

func TestSophosUTMSamples(t *testing.T) {
	checkSampleDir(t, "sophos-utm", "sophos-utm", kvSamples)
}

func TestSophosUTMSweep(t *testing.T) {
	kvTestSweep(t, "sophos-utm", sophosUTMFixtures, "sweep.log")
}

func FuzzParseSophosUTM(f *testing.F) {
	fuzzLines(f, "sophos-utm", kvFuzz, sophosUTMFixtures+"/lines.log")
}

func BenchmarkParseSophosUTM(b *testing.B) {
	benchLines(b, "sophos-utm", kvReadLines(b, sophosUTMFixtures+"/lines.log")[:1], 8<<20)
}
