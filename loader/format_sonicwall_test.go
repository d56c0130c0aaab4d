package loader

import (
	"testing"
)

const sonicwallFixtures = "../fixtures/vendor/sonicwall"

func TestSonicwallGolden(t *testing.T) {
	checkGoldenParse(t, "sonicwall", sonicwallFixtures+"/lines.log")
}

func TestSonicwallFields(t *testing.T) {
	c := parseFile(t, "sonicwall", sonicwallFixtures+"/lines.log")
	wants := []kvWant{
		{"10.1.2.10", "10.1.2.20", 52011, 445, "tcp", "true", fixtureSecond(1), "", "", "98"},
		{"10.1.2.11", "198.51.100.53", 40001, 53, "udp", "true", fixtureSecond(2), "asmith", "", "537"},
		{"10.1.2.12", "10.1.3.30", 52012, 3389, "tcp", "false", fixtureSecond(3), "", "", "36"},
		{"10.1.2.13", "10.1.3.31", 5353, 161, "udp", "false", fixtureSecond(4), "", "", "37"},
		{"10.1.3.45", "203.0.113.81", 51002, 443, "tcp", "true", fixtureSecond(5), "bob", "", "97"},
		{"2001:db8:10::15", "2001:db8:20::30", 52015, 3389, "tcp", "true", fixtureSecond(6), "", "", "98"},
		{"10.1.2.16", "10.1.2.22", 52016, 445, "tcp", "true", fixtureSecond(7), "", "", "98"},
		{"10.1.2.10", "10.1.2.99", -1, -1, "icmp", "true", fixtureSecond(8), "", "", "537"},
		{"10.1.2.17", "203.0.113.90", 52017, 22, "tcp", "true", fixtureSecond(9), "", "", "98"},
		{"10.1.2.18", "10.1.4.40", 52018, 139, "tcp", "true", fixtureSecond(10), "", "", "537"},
		{"10.1.2.19", "10.1.4.41", 52019, 80, "tcp", "true", fixtureSecond(11), "", "", "98"},
	}
	kvCheckRecords(t, c.Records, wants, kvNoHost, func(i int, r Record) {
		if r.ObjectType != ObjectNetwork || r.Vendor != "SonicWall" || r.SrcHostname != "" {
			t.Errorf("record %d: objectType %q vendor %q host %q", i, r.ObjectType, r.Vendor, r.SrcHostname)
		}
	})
	if len(c.Quarantined) != 4 {
		t.Errorf("quarantined %+v, want lines 16-19", c.Quarantined)
	}
	if c.Skips["sonicwall: m=1197 NAT mapping, not a connection"] != 1 || c.Skips["sonicwall: m=609 has no proto, not a connection"] != 1 {
		t.Errorf("skips %v", c.Skips)
	}
}

func TestSonicwallSamples(t *testing.T) {
	checkSampleDir(t, "sonicwall", "sonicwall", kvSamples)
}

func TestSonicwallSweep(t *testing.T) {
	kvTestSweep(t, "sonicwall", sonicwallFixtures, "sweep.log")
}

func FuzzParseSonicwall(f *testing.F) {
	fuzzLines(f, "sonicwall", kvFuzz, sonicwallFixtures+"/lines.log")
}

func BenchmarkParseSonicwall(b *testing.B) {
	benchLines(b, "sonicwall", kvReadLines(b, sonicwallFixtures+"/lines.log")[:1], 8<<20)
}
