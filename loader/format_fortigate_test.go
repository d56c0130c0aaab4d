package loader

import (
	"testing"
)

const fortigateFixtures = "../fixtures/vendor/fortigate"

func TestFortigateGolden(t *testing.T) {
	checkGoldenParse(t, "fortigate", fortigateFixtures+"/lines.log")
}

func TestFortigateFields(t *testing.T) {
	c := parseFile(t, "fortigate", fortigateFixtures+"/lines.log")
	wants := []kvWant{
		{"10.1.2.10", "10.1.2.20", 52011, 445, "tcp", "true", fixtureSecond(1), "asmith", "ws-017", "traffic-forward"},
		{"10.1.2.11", "198.51.100.53", 40001, 53, "udp", "false", fixtureSecond(2).Add(123456789), "", "", "traffic-forward"},
		{"2001:db8:10::15", "2001:db8:10::1", -1, -1, "ipv6-icmp", "true", fixtureSecond(3), "", "", "traffic-local"},
		{"10.1.2.12", "10.1.3.30", 52012, 3389, "tcp", "true", fixtureSecond(4), "", "", "traffic-forward"},
		{"10.1.2.13", "224.0.0.251", 5353, 5353, "udp", "true", fixtureSecond(5), "", "", "traffic-multicast"},
		{"10.1.2.14", "10.1.4.40", 52014, 22, "tcp", "true", fixtureSecond(6), "", "", "traffic-sniffer"},
		{"10.1.4.66", "10.1.5.77", 49999, 445, "tcp", "false", fixtureSecond(7), "", "", "utm-ips"},
		{"10.1.3.45", "203.0.113.81", 51002, 80, "tcp", "false", fixtureSecond(8), "bob", "", "utm-virus"},
		{"10.1.3.46", "203.0.113.82", 51003, 443, "tcp", "true", fixtureSecond(9), "carol", "", "utm-webfilter"},
		{"10.1.3.47", "203.0.113.83", 51004, 443, "tcp", "true", fixtureSecond(10), "", "", "utm-app-ctrl"},
		{"10.1.3.48", "203.0.113.84", 51005, 21, "tcp", "false", fixtureSecond(11), "", "", "utm-dlp"},
		{"10.1.3.49", "203.0.113.85", 51006, 443, "tcp", "false", fixtureSecond(12), "", "", "utm-ssl"},
		{"198.51.100.200", "10.1.8.80", 61234, 8080, "tcp", "false", fixtureSecond(13), "", "scanner-1", "utm-waf"},
		{"10.8.0.5", "10.8.1.6", 53000, 8443, "tcp", "true", fixtureSecond(14), "", "", "traffic-forward"},
		{"10.8.0.6", "10.8.1.7", 53001, 139, "tcp", "true", fixtureSecond(15), "", "", "traffic-forward"},
	}
	kvCheckRecords(t, c.Records, wants, 0, func(i int, r Record) {
		if r.ObjectType != ObjectNetwork || r.Vendor != "Fortinet" || r.Product != "FortiGate" {
			t.Errorf("record %d: objectType %q vendor %q product %q", i, r.ObjectType, r.Vendor, r.Product)
		}
	})
	if len(c.Quarantined) != 4 {
		t.Errorf("quarantined %+v, want lines 19-22", c.Quarantined)
	}
	if c.Skips["fortigate: type=event, not a connection"] != 2 || c.Skips["fortigate: utm-dns, a DNS event, not a connection"] != 1 {
		t.Errorf("skips %v", c.Skips)
	}
}

func TestFortigateSamples(t *testing.T) {
	checkSampleDir(t, "fortigate", "fortinet-fortigate", kvSamples)
}

func TestFortigateSweep(t *testing.T) {
	kvTestSweep(t, "fortigate", fortigateFixtures, "sweep.log")
}

func FuzzParseFortigate(f *testing.F) {
	fuzzLines(f, "fortigate", kvFuzz, fortigateFixtures+"/lines.log")
}

func BenchmarkParseFortigate(b *testing.B) {
	benchLines(b, "fortigate", kvReadLines(b, fortigateFixtures+"/lines.log")[:1], 8<<20)
}
