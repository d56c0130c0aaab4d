package loader

import "testing"

func TestCiscoMerakiGolden(t *testing.T) {
	c := checkGoldenParse(t, "cisco-meraki", "../fixtures/vendor/cisco-meraki/lines.log")
	if len(c.Records) != 16 || len(c.Quarantined) != 4 {
		t.Errorf("got %d records, %d quarantined; want 16, 4", len(c.Records), len(c.Quarantined))
	}
}

func TestCiscoMerakiFields(t *testing.T) {
	ciscoCheckTable(t, "cisco-meraki", []ciscoWant{
		{line: "<134>1 1709553600.100000001 branch-mx67 firewall src=10.70.1.10 dst=10.70.2.20 mac=02:00:5E:00:00:01 protocol=tcp sport=50300 dport=445 pattern: allow all",
			time: "2024-03-04T12:00:00.100000001Z", obj: "Network", src: "10.70.1.10", dst: "10.70.2.20", sport: 50300, dport: 445, proto: "tcp", success: 1, id: "firewall"},
		{line: "<134>1 1709553601.200000002 branch-mx67 firewall src=10.70.1.11 dst=198.51.100.70 protocol=udp sport=50301 dport=53 pattern: deny (dst 198.51.100.0/24)",
			time: "2024-03-04T12:00:01.200000002Z", obj: "Network", src: "10.70.1.11", dst: "198.51.100.70", sport: 50301, dport: 53, proto: "udp", success: 0, id: "firewall"},
		{line: "<134>1 1709553603.400000004 branch-mx67 cellular_firewall src=10.70.1.13 dst=198.51.100.71 protocol=tcp sport=50303 dport=443 pattern: Group Policy Deny",
			time: "2024-03-04T12:00:03.400000004Z", obj: "Network", src: "10.70.1.13", dst: "198.51.100.71", sport: 50303, dport: 443, proto: "tcp", success: 0, id: "cellular_firewall"},
		{line: "<134>1 1709553604.500000005 branch-mx67 l7_firewall src=10.70.1.14 dst=198.51.100.72 protocol=tcp sport=50304 dport=80 decision=blocked",
			time: "2024-03-04T12:00:04.500000005Z", obj: "Network", src: "10.70.1.14", dst: "198.51.100.72", sport: 50304, dport: 80, proto: "tcp", success: 0, id: "l7_firewall"},
		{line: "<134>1 1709553606.700000007 branch-mx67 firewall src=10.70.1.15 dst=10.70.2.23 protocol=icmp type=8 pattern: allow all",
			time: "2024-03-04T12:00:06.700000007Z", obj: "Network", src: "10.70.1.15", dst: "10.70.2.23", sport: -1, dport: -1, proto: "icmp", success: 1, id: "firewall"},
		{line: "<134>1 1709553609.000000010 branch-mx67 flows deny src=10.70.1.17 dst=10.70.2.25 protocol=udp sport=50308 dport=137",
			time: "2024-03-04T12:00:09.00000001Z", obj: "NetworkFlow", src: "10.70.1.17", dst: "10.70.2.25", sport: 50308, dport: 137, proto: "udp", success: 0, id: "flows"},
		{line: "<134>1 1709553610.123456789 branch-mx67 flows src=10.70.1.18 dst=198.51.100.73 protocol=tcp sport=50309 dport=443 pattern: 1 all",
			time: "2024-03-04T12:00:10.123456789Z", obj: "NetworkFlow", src: "10.70.1.18", dst: "198.51.100.73", sport: 50309, dport: 443, proto: "tcp", success: -1, id: "flows"},
		{line: "<134>1 1709553613.000000000 branch-mx67 ip_flow_start src=10.70.1.20 dst=198.51.100.74 protocol=tcp sport=50310 dport=443 translated_src_ip=203.0.113.70 translated_port=50310",
			time: "2024-03-04T12:00:13Z", obj: "NetworkFlow", src: "10.70.1.20", dst: "198.51.100.74", sport: 50310, dport: 443, proto: "tcp", success: -1, id: "ip_flow_start"},
		{line: "1709553615.000000000 branch-mx67 firewall src=10.70.1.21 dst=10.70.2.26 protocol=tcp sport=50311 dport=139 pattern: allow all",
			time: "2024-03-04T12:00:15Z", obj: "Network", src: "10.70.1.21", dst: "10.70.2.26", sport: 50311, dport: 139, proto: "tcp", success: 1, id: "firewall"},
		{line: "<134>1 1709553616.000000000 branch-mx67 urls src=10.70.1.22:50312 dst=198.51.100.75:80 request: GET http://www.example.org/", skip: true},
		{line: "<134>1 1709553623.000000000 branch-mx67 firewall src=10.70.1.27", bad: true},
	})
	for _, l := range []string{
		"1709553615.123 12 10.0.0.1 TCP_MISS/200 512 GET http://example.com/ - DIRECT/1.2.3.4 text/html",
		"<134>1 2024-03-04T12:00:00Z host app - - - msg",
		"1709553615 branch-mx67 firewall src=1.1.1.1",
	} {
		if merakiMatchLine([]byte(l)) {
			t.Errorf("merakiMatchLine(%q) = true", l)
		}
	}
}

func TestCiscoMerakiSamples(t *testing.T) {
	checkSampleDir(t, "cisco-meraki", "cisco-meraki", sampleCheck{})
}

func TestCiscoMerakiSweep(t *testing.T) {
	ciscoSweepTest(t, "cisco-meraki", "../fixtures/vendor/cisco-meraki/sweep.log", ObjectNetwork)
}

func FuzzParseCiscoMeraki(f *testing.F) {
	fuzzLines(f, "cisco-meraki", ciscoFuzz, "../fixtures/vendor/cisco-meraki/lines.log")
}

func BenchmarkParseCiscoMeraki(b *testing.B) {
	benchLines(b, "cisco-meraki", []string{
		"<134>1 1709553600.100000001 branch-mx67 firewall src=10.70.1.10 dst=10.70.2.20 mac=02:00:5E:00:00:01 protocol=tcp sport=50300 dport=445 pattern: allow all",
		"<134>1 1709553608.900000009 branch-mx67 flows allow src=10.70.1.16 dst=10.70.2.24 mac=02:00:5E:00:00:05 protocol=tcp sport=50307 dport=8080",
	}, 4<<20)
}
