package loader

import (
	"testing"
)

const paloaltoFixtures = "../fixtures/vendor/paloalto"

func TestPaloaltoGolden(t *testing.T) {
	checkGoldenParse(t, "paloalto", paloaltoFixtures+"/lines.log")
}

func TestPaloaltoFields(t *testing.T) {
	c := parseFile(t, "paloalto", paloaltoFixtures+"/lines.log")
	wants := []kvWant{
		{"10.1.2.10", "10.1.2.20", 52011, 445, "tcp", "true", fixtureSecond(1), `corp\asmith`, "", "TRAFFIC-end"},
		{"10.1.2.11", "198.51.100.53", 40001, 53, "udp", "false", fixtureSecond(2), "", "", "TRAFFIC-deny"},
		{"10.1.2.12", "10.1.3.30", 52012, 3389, "tcp", "false", fixtureSecond(3), "", "", "TRAFFIC-drop"},
		{"10.1.2.13", "10.1.2.99", -1, -1, "icmp", "true", fixtureSecond(4), "", "", "TRAFFIC-end"},
		{"2001:db8:10::15", "2001:db8:20::30", 52015, 22, "tcp", "true", fixtureSecond(5), "", "", "TRAFFIC-start"},
		{"10.1.2.16", "203.0.113.90", 52016, 80, "tcp", "true", fixtureSecond(6), `corp\bob`, "", "TRAFFIC-end"},
		{"10.1.2.17", "10.1.4.40", 52017, 139, "tcp", "false", fixtureSecond(7), "", "", "TRAFFIC-drop"},
		{"10.8.0.5", "10.8.1.6", 53000, 8443, "tcp", "true", fixtureSecond(8), "", "", "TRAFFIC-end"},
		{"10.1.4.66", "10.1.5.77", 49999, 445, "tcp", "false", fixtureSecond(9), `corp\mallory`, "", "THREAT-vulnerability"},
		{"10.1.3.45", "203.0.113.81", 51002, 80, "tcp", "true", fixtureSecond(10), `corp\bob`, "", "THREAT-url"},
		{"10.1.3.46", "203.0.113.82", 51003, 443, "tcp", "false", fixtureSecond(11), "", "", "THREAT-url"},
	}
	kvCheckRecords(t, c.Records, wants, kvNoHost, func(i int, r Record) {
		if r.ObjectType != ObjectNetwork || r.Vendor != "Palo Alto Networks" || r.Product != "PAN-OS" {
			t.Errorf("record %d: objectType %q vendor %q product %q", i, r.ObjectType, r.Vendor, r.Product)
		}
	})
	if len(c.Quarantined) != 4 {
		t.Errorf("quarantined %+v, want lines 14-17", c.Quarantined)
	}
	if c.Skips["paloalto: SYSTEM log, not a connection"] != 1 || c.Skips["paloalto: CONFIG log, not a connection"] != 1 {
		t.Errorf("skips %v", c.Skips)
	}
}

func TestPaloaltoSplit(t *testing.T) {
	var f [8][]byte
	n, ok := paloaltoSplit([]byte(`a,"b,c",,"d""e",f`), f[:])
	if !ok || n != 5 || string(f[0]) != "a" || string(f[1]) != "b,c" || len(f[2]) != 0 || string(f[3]) != `d""e` || string(f[4]) != "f" {
		t.Fatalf("split: n=%d ok=%v %q", n, ok, f[:n])
	}
	if _, ok := paloaltoSplit([]byte(`a,"b,c`), f[:]); ok {
		t.Fatal("unterminated quote accepted")
	}
	n, _ = paloaltoSplit([]byte(`1,2,3,4,5,6,7,8,9,10`), f[:])
	if n != 8 || string(f[7]) != "8" {
		t.Fatalf("limit: n=%d %q", n, f[:n])
	}
	if s, typ := paloaltoStart([]byte(`Mar  2 10:15:01 host 1,2024/03/02 10:15:01,0132,TRAFFIC,end`)); s != 21 || string(typ) != "TRAFFIC" {
		t.Fatalf("start %d %q", s, typ)
	}
	for _, bad := range []string{"1,2024/03/02 10:15:01,0132,traffic,end", "a,b,c", "", ",2024/03/02 10:15:01,"} {
		if paloaltoMatchLine([]byte(bad)) {
			t.Errorf("matched %q", bad)
		}
	}
}

func TestPaloaltoSamples(t *testing.T) {
	checkSampleDir(t, "paloalto", "paloalto-ngfw", kvSamples)
}

func TestPaloaltoSweep(t *testing.T) {
	kvTestSweep(t, "paloalto", paloaltoFixtures, "sweep.log")
}

func FuzzParsePaloalto(f *testing.F) {
	fuzzLines(f, "paloalto", kvFuzz, paloaltoFixtures+"/lines.log")
}

func BenchmarkParsePaloalto(b *testing.B) {
	benchLines(b, "paloalto", kvReadLines(b, paloaltoFixtures+"/lines.log")[:1], 8<<20)
}
