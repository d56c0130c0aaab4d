package loader

import "testing"

func TestCiscoFTDGolden(t *testing.T) {
	c := checkGoldenParse(t, "cisco-ftd", "../fixtures/vendor/cisco-ftd/lines.log")
	if len(c.Records) != 18 || len(c.Quarantined) != 6 {
		t.Errorf("got %d records, %d quarantined; want 18, 6", len(c.Records), len(c.Quarantined))
	}
}

func TestCiscoFTDFields(t *testing.T) {
	ciscoCheckTable(t, "cisco-ftd", []ciscoWant{
		{line: "2024-03-04T11:00:01Z ftd-core-1 %FTD-1-430002: EventPriority: Low, DeviceUUID: 0a1b2c3d-0000-11ee-8000-000000000001, InstanceID: 1, FirstPacketSecond: 2024-03-04T11:00:01Z, ConnectionID: 101, AccessControlRuleAction: Allow, SrcIP: 10.50.1.10, DstIP: 10.50.2.20, SrcPort: 50100, DstPort: 445, Protocol: tcp, User: CORP\\hsmith, InitiatorPackets: 1",
			time: "2024-03-04T11:00:01Z", obj: "Network", src: "10.50.1.10", dst: "10.50.2.20", sport: 50100, dport: 445, proto: "tcp", success: 1, user: "CORP\\hsmith", id: "430002"},
		{line: "2024-03-04T11:00:02Z ftd-core-1 %FTD-1-430002: AccessControlRuleAction: Block, SrcIP: 10.50.1.11, DstIP: 10.50.2.21, SrcPort: 50101, DstPort: 3389, Protocol: tcp, User: No Authentication Required",
			time: "2024-03-04T11:00:02Z", obj: "Network", src: "10.50.1.11", dst: "10.50.2.21", sport: 50101, dport: 3389, proto: "tcp", success: 0, id: "430002"},
		{line: "2024-03-04T11:00:03Z ftd-core-1 %FTD-1-430003: AccessControlRuleAction: Block with reset, SrcIP: 10.50.1.12, DstIP: 198.51.100.60, SrcPort: 50102, DstPort: 8080, Protocol: tcp, ConnectionDuration: 0",
			time: "2024-03-04T11:00:03Z", obj: "Network", src: "10.50.1.12", dst: "198.51.100.60", sport: 50102, dport: 8080, proto: "tcp", success: 0, id: "430003"},
		{line: "2024-03-04T11:00:05Z ftd-core-1 %FTD-1-430003: AccessControlRuleAction: Monitor, SrcIP: 10.50.1.14, DstIP: 10.50.2.23, SrcPort: 50104, DstPort: 631, Protocol: tcp, User: Unknown",
			time: "2024-03-04T11:00:05Z", obj: "Network", src: "10.50.1.14", dst: "10.50.2.23", sport: 50104, dport: 631, proto: "tcp", success: -1, id: "430003"},
		// ICMP type and code in the port fields are not ports
		{line: "2024-03-04T11:00:07Z ftd-core-1 %FTD-1-430002: AccessControlRuleAction: Allow, SrcIP: 10.50.1.16, DstIP: 10.50.2.25, SrcPort: 8, DstPort: 0, Protocol: icmp",
			time: "2024-03-04T11:00:07Z", obj: "Network", src: "10.50.1.16", dst: "10.50.2.25", sport: -1, dport: -1, proto: "icmp", success: 1, id: "430002"},
		{line: "2024-03-04T11:00:08Z ftd-core-1 %FTD-1-430002: AccessControlRuleAction: Trust, InitiatorIP: 2001:db8:50::10, ResponderIP: 2001:db8:60::20, InitiatorPort: 50105, ResponderPort: 443, Protocol: tcp",
			time: "2024-03-04T11:00:08Z", obj: "Network", src: "2001:db8:50::10", dst: "2001:db8:60::20", sport: 50105, dport: 443, proto: "tcp", success: 1, id: "430002"},
		// no header stamp: FirstPacketSecond
		{line: "%FTD-1-430003: EventPriority: Low, FirstPacketSecond: 2024-03-04T11:00:13Z, ConnectionID: 114, AccessControlRuleAction: Allow, SrcIP: 10.50.1.20, DstIP: 10.50.2.27, SrcPort: 50109, DstPort: 22, Protocol: tcp",
			time: "2024-03-04T11:00:13Z", obj: "Network", src: "10.50.1.20", dst: "10.50.2.27", sport: 50109, dport: 22, proto: "tcp", success: 1, id: "430003"},
		// ASA ids under %FTD-
		{line: "Mar 04 2024 11:00:14 ftd-edge-1 : %FTD-6-302013: Built inbound TCP connection 7001 for outside:203.0.113.100/55000 (203.0.113.100/55000) to dmz:10.51.0.5/443 (203.0.113.5/443)",
			time: "2024-03-04T11:00:14Z", obj: "Network", src: "203.0.113.100", dst: "10.51.0.5", sport: 55000, dport: 443, proto: "tcp", success: 1, id: "302013"},
		{line: "Mar 04 2024 11:00:18 ftd-edge-1 : %FTD-1-430001: EventPriority: High, SrcIP: 203.0.113.101, DstIP: 10.51.0.5, SrcPort: 40000, DstPort: 80, Protocol: tcp", skip: true},
		{line: "Mar 04 2024 11:00:20 ftd-edge-1 : %FTD-6-305011: Built dynamic TCP translation from inside:10.50.1.23/50112 to outside:203.0.113.5/50112", skip: true},
		{line: "Mar 04 2024 11:00:24 ftd-edge-1 : %FTD-1-430002: AccessControlRuleAction: Allow, SrcIP: 10.50.1.25, DstIP: 10.50.2.30, SrcPort: 50115", bad: true},
	})
}

func TestCiscoFTDSamples(t *testing.T) {
	checkSampleDir(t, "cisco-ftd", "cisco-firepower", sampleCheck{})
}

func TestCiscoFTDSweep(t *testing.T) {
	ciscoSweepTest(t, "cisco-ftd", "../fixtures/vendor/cisco-ftd/sweep.log", ObjectNetwork)
}

func FuzzParseCiscoFTD(f *testing.F) {
	fuzzLines(f, "cisco-ftd", ciscoFuzz, "../fixtures/vendor/cisco-ftd/lines.log")
}

func BenchmarkParseCiscoFTD(b *testing.B) {
	benchLines(b, "cisco-ftd", []string{
		"2024-03-04T11:00:01Z ftd-core-1 %FTD-1-430002: EventPriority: Low, DeviceUUID: 0a1b2c3d-0000-11ee-8000-000000000001, InstanceID: 1, FirstPacketSecond: 2024-03-04T11:00:01Z, ConnectionID: 101, AccessControlRuleAction: Allow, SrcIP: 10.50.1.10, DstIP: 10.50.2.20, SrcPort: 50100, DstPort: 445, Protocol: tcp, IngressInterface: inside, EgressInterface: servers, IngressZone: inside-zone, EgressZone: servers-zone, ACPolicy: Corp-Policy, AccessControlRuleName: Allow-SMB, Prefilter Policy: Default Prefilter Policy, User: CORP\\hsmith, InitiatorPackets: 1, ResponderPackets: 0, InitiatorBytes: 66, ResponderBytes: 0, NAPPolicy: Balanced Security and Connectivity",
		"2024-03-04T11:00:03Z ftd-core-1 %FTD-1-430003: EventPriority: High, DeviceUUID: 0a1b2c3d-0000-11ee-8000-000000000001, InstanceID: 2, FirstPacketSecond: 2024-03-04T11:00:03Z, ConnectionID: 103, AccessControlRuleAction: Block with reset, SrcIP: 10.50.1.12, DstIP: 198.51.100.60, SrcPort: 50102, DstPort: 8080, Protocol: tcp, ACPolicy: Corp-Policy, AccessControlRuleName: Reset-Web, User: Not Found, ConnectionDuration: 0, InitiatorPackets: 3, ResponderPackets: 1, InitiatorBytes: 200, ResponderBytes: 60",
	}, 4<<20)
}
