package loader

// Named format_cisco_iosxe_test.go: a "_ios_test.go" suffix would make it a
// GOOS=ios file.

import "testing"

func TestCiscoIOSGolden(t *testing.T) {
	c := checkGoldenParse(t, "cisco-ios", "../fixtures/vendor/cisco-ios/lines.log")
	if len(c.Records) != 19 || len(c.Quarantined) != 6 {
		t.Errorf("got %d records, %d quarantined; want 19, 6", len(c.Records), len(c.Quarantined))
	}
}

func TestCiscoIOSFields(t *testing.T) {
	ciscoCheckTable(t, "cisco-ios", []ciscoWant{
		// the device's own stamp wins over the syslog header
		{line: "Mar  4 12:00:01 10.60.0.1 700101: Mar  4 12:00:00.101: %SEC-6-IPACCESSLOGP: list 120 denied tcp 10.60.1.10(50200) -> 10.60.2.20(445), 1 packet",
			time: "2024-03-04T12:00:00.101Z", obj: "Network", src: "10.60.1.10", dst: "10.60.2.20", sport: 50200, dport: 445, proto: "tcp", success: 0, id: "SEC-6-IPACCESSLOGP"},
		{line: "Mar  4 12:00:02 10.60.0.1 700102: Mar  4 12:00:01.202: %SEC-6-IPACCESSLOGP: list EDGE-IN permitted udp 10.60.1.11(50201) -> 10.60.2.21(53), 14 packets",
			time: "2024-03-04T12:00:01.202Z", obj: "Network", src: "10.60.1.11", dst: "10.60.2.21", sport: 50201, dport: 53, proto: "udp", success: 1, id: "SEC-6-IPACCESSLOGP"},
		// ICMP type/code is not a port
		{line: "Mar  4 12:00:04 10.60.0.1 700104: Mar  4 12:00:03.404: %SEC-6-IPACCESSLOGDP: list 151 denied icmp 10.60.1.13 -> 10.60.2.23 (8/0), 5 packets",
			time: "2024-03-04T12:00:03.404Z", obj: "Network", src: "10.60.1.13", dst: "10.60.2.23", sport: -1, dport: -1, proto: "icmp", success: 0, id: "SEC-6-IPACCESSLOGDP"},
		{line: "Mar  4 12:00:05 10.60.0.1 700105: Mar  4 12:00:04.505: %SEC-6-IPACCESSLOGNP: list 171 permitted 47 10.60.1.14 -> 10.60.2.24, 2 packets",
			time: "2024-03-04T12:00:04.505Z", obj: "Network", src: "10.60.1.14", dst: "10.60.2.24", sport: -1, dport: -1, proto: "gre", success: 1, id: "SEC-6-IPACCESSLOGNP"},
		{line: "Mar  4 12:00:13 edge-rtr-2 700113: Mar  4 12:00:12.313: %FMANFP-6-IPACCESSLOGP: F0/0: fman_fp_image: list acl_Te0-1-1_in denied tcp 02-00-5E-10-20-30 10.60.1.21(50204) TenGigabitEthernet0/1/1-> 10.60.2.27(22), 1 packet",
			time: "2024-03-04T12:00:12.313Z", obj: "Network", src: "10.60.1.21", dst: "10.60.2.27", sport: 50204, dport: 22, proto: "tcp", success: 0, id: "FMANFP-6-IPACCESSLOGP"},
		{line: "Mar  4 12:00:14 10.60.0.1 700114: Mar  4 12:00:13.414: %IPV6_ACL-6-ACCESSLOGP: list V6-IN/20 permitted tcp 2001:db8:60::10(50205) -> 2001:db8:70::20(443), 4 packets",
			time: "2024-03-04T12:00:13.414Z", obj: "Network", src: "2001:db8:60::10", dst: "2001:db8:70::20", sport: 50205, dport: 443, proto: "tcp", success: 1, id: "IPV6_ACL-6-ACCESSLOGP"},
		{line: "<190>700119: edge-rtr-3: 700119: Mar  4 12:00:18.919 CET: %SEC-6-IPACCESSLOGP: list 120 denied tcp 10.60.1.23(50208) -> 10.60.2.29(135), 1 packet",
			time: "2024-03-04T11:00:18.919Z", obj: "Network", src: "10.60.1.23", dst: "10.60.2.29", sport: 50208, dport: 135, proto: "tcp", success: 0, id: "SEC-6-IPACCESSLOGP"},
		{line: "Mar  4 12:00:09 10.60.0.1 700109: Mar  4 12:00:08.909: %SEC-6-IPACCESSLOGRL: access-list logging rate-limited or missed 42 packets", skip: true},
		{line: "Mar  4 12:00:22 10.60.0.1 700122: Mar  4 12:00:22.122: %SYS-5-CONFIG_I: Configured from console by admin on vty0 (10.60.9.9)", skip: true},
		{line: "Mar  4 12:00:25 10.60.0.1 700125: Mar  4 12:00:25.425: %SEC-6-IPACCESSLOGP: list 120 denied tcp 10.60.1.27(50211) -> 10.60.2.32(445)", bad: true},
	})
	// ASA and FTD tags are not IOS tags
	for _, l := range []string{
		"Mar 04 2024 10:15:02: %ASA-6-302013: Built outbound TCP connection 1 for a:1.1.1.1/1 (1.1.1.1/1) to b:2.2.2.2/2 (2.2.2.2/2)",
		"Mar 04 2024 10:15:02: %ASA-session-5-106100: access-list x permitted tcp a/1.1.1.1(1) -> b/2.2.2.2(2) hit-cnt 1",
		"2024-03-04T11:00:01Z ftd %FTD-1-430002: SrcIP: 1.1.1.1",
		"GET /a%20b HTTP/1.1", "100%-5-X", "%SEC-6-IPACCESSLOGP",
	} {
		if iosMatchLine([]byte(l)) {
			t.Errorf("iosMatchLine(%q) = true", l)
		}
	}
}

func TestCiscoIOSSamples(t *testing.T) { checkSampleDir(t, "cisco-ios", "cisco-ios", sampleCheck{}) }

func TestCiscoIOSSweep(t *testing.T) {
	ciscoSweepTest(t, "cisco-ios", "../fixtures/vendor/cisco-ios/sweep.log", ObjectNetwork)
}

func FuzzParseCiscoIOS(f *testing.F) {
	fuzzLines(f, "cisco-ios", ciscoFuzz, "../fixtures/vendor/cisco-ios/lines.log")
}

func BenchmarkParseCiscoIOS(b *testing.B) {
	benchLines(b, "cisco-ios", []string{
		"Mar  4 12:00:01 10.60.0.1 700101: Mar  4 12:00:00.101: %SEC-6-IPACCESSLOGP: list 120 denied tcp 10.60.1.10(50200) -> 10.60.2.20(445), 1 packet",
		"Mar  4 12:00:11 edge-rtr-2 700111: Mar  4 12:00:10.111: %FMANFP-6-IPACCESSLOGP: R0/0: fman_fp_image: list inet_in permitted tcp 10.60.1.19(50203) -> 10.60.2.25(3389), 1 packet",
	}, 4<<20)
}
