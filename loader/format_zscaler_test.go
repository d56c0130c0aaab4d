package loader

import (
	"testing"
)

const zscalerFixtures = "../fixtures/vendor/zscaler-fw"

func TestZscalerGolden(t *testing.T) {
	checkGoldenParse(t, "zscaler-fw", zscalerFixtures+"/lines.log")
}

func TestZscalerFields(t *testing.T) {
	c := parseFile(t, "zscaler-fw", zscalerFixtures+"/lines.log")
	wants := []kvWant{
		{"10.1.2.10", "10.1.2.20", 52011, 445, "tcp", "false", fixtureSecond(1), "asmith@corp.example", "", ""},
		{"10.1.2.11", "198.51.100.53", 40001, 53, "udp", "true", fixtureSecond(2), "bob@corp.example", "", ""},
		{"10.1.2.12", "2001:db8:20::30", 52012, 3389, "tcp", "true", fixtureSecond(3), "carol@corp.example", "", ""},
		{"10.1.2.13", "10.1.3.31", 5353, 161, "udp", "false", fixtureSecond(4), "", "", ""},
		{"10.1.2.14", "10.1.2.99", -1, -1, "icmp", "true", fixtureSecond(5), "", "", ""},
		{"10.1.2.15", "10.1.4.40", 52015, 139, "tcp", "false", fixtureSecond(6), "", "", ""},
		{"10.8.0.5", "10.8.1.6", 53000, 8443, "tcp", "null", fixtureSecond(7), "", "", ""},
	}
	kvCheckRecords(t, c.Records, wants, kvNoHost|kvNoEvent, func(i int, r Record) {
		if r.ObjectType != ObjectNetwork || r.Vendor != "Zscaler" || r.DeviceEventID != "zscalernss-fw" || r.SrcHostname != "" {
			t.Errorf("record %d: objectType %q vendor %q event %q host %q", i, r.ObjectType, r.Vendor, r.DeviceEventID, r.SrcHostname)
		}
	})
	if len(c.Quarantined) != 3 {
		t.Errorf("quarantined %+v, want lines 10-12", c.Quarantined)
	}
	if len(c.Skips) != 2 {
		t.Errorf("skips %v", c.Skips)
	}
}

func TestZscalerSamples(t *testing.T) {
	checkSampleDir(t, "zscaler-fw", "zscaler-nss-firewall", kvSamples)
}

func TestZscalerSweep(t *testing.T) {
	kvTestSweep(t, "zscaler-fw", zscalerFixtures, "sweep.log")
}

func FuzzParseZscaler(f *testing.F) {
	fuzzLines(f, "zscaler-fw", kvFuzz, zscalerFixtures+"/lines.log")
}

func BenchmarkParseZscaler(b *testing.B) {
	benchLines(b, "zscaler-fw", kvReadLines(b, zscalerFixtures+"/lines.log")[:1], 8<<20)
}
