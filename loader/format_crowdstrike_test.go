package loader

import (
	"bytes"
	"testing"
)

func TestCrowdStrikeGolden(t *testing.T) {
	c := checkGoldenParse(t, "crowdstrike-fdr", "../fixtures/vendor/crowdstrike-fdr/lines.log")
	want := []zeekWant{
		{"10.1.2.3", "10.1.9.9", 51515, 445, "tcp", "Network", -1, "2024-03-01T09:00:00.25Z"},
		{"fd00:10::5", "fd00:10::9", 49152, 3389, "tcp", "Network", -1, "2024-03-01T09:00:01.5Z"},
		{"::", "10.1.9.10", 0, 22, "tcp", "Network", -1, "2024-03-01T09:00:02Z"},
		{"10.1.2.4", "10.1.9.11", 50001, 445, "tcp", "Network", -1, "2024-03-01T09:00:03.125Z"},
		{"fd00:10::6", "fd00:10::a", 50002, 5985, "tcp", "Network", -1, "2024-03-01T09:00:04Z"},
		{"10.1.2.5", "192.0.2.53", 53001, 53, "udp", "Network", -1, "2024-03-01T09:00:05.75Z"},
		{"10.1.2.6", "10.1.9.12", -1, -1, "icmp", "Network", -1, "2024-03-01T09:00:06Z"},
		{"10.1.2.7", "10.1.9.13", 40001, 135, "99", "Network", -1, "2024-03-01T09:00:07.5Z"},
	}
	if len(c.Records) != len(want) {
		t.Fatalf("%d records, want %d", len(c.Records), len(want))
	}
	for i, w := range want {
		zeekCheckRecord(t, i, c.Records[i], w)
	}
	if r := c.Records[0]; r.SrcHostname != "WS-0042" || r.Username != "alice" || r.Vendor != "CrowdStrike" ||
		r.Product != "Falcon Data Replicator" || r.DeviceEventID != "NetworkConnectIP4" {
		t.Errorf("record 0: %+v", r)
	}
	// Inbound: the sensor's host is the destination, not the source.
	if r := c.Records[3]; r.SrcHostname != "" || r.DeviceEventID != "NetworkReceiveAcceptIP4" {
		t.Errorf("record 3: %+v", r)
	}
	c.checkQuarantinedAt(t, 12, 13, 14, 15)
	if len(c.Skips) != 3 {
		t.Errorf("skips %v", c.Skips)
	}
}

func TestCrowdStrikeSamples(t *testing.T) {
	checkSampleDir(t, "crowdstrike-fdr", "crowdstrike-fdr", sampleCheck{
		each: func(t *testing.T, p string, c *collector) {
			for _, r := range c.Records {
				if r.DeviceEventID == "NetworkReceiveAcceptIP4" && r.DstIP != "0.0.0.0" {
					// The sample's accept event has the local side 0.0.0.0:39920.
					t.Errorf("%s: inbound record not turned around: %+v", p, r)
				}
			}
		},
	})
}

func TestCrowdStrikeSweep(t *testing.T) {
	zeekCheckSweep(t, "crowdstrike-fdr", "../fixtures/vendor/crowdstrike-fdr/sweep.log", "10.20.30.40", 445, ObjectNetwork)
}

func FuzzParseCrowdStrike(f *testing.F) {
	fuzzDocs(f, "crowdstrike-fdr", fuzzCheck{}, "../fixtures/vendor/crowdstrike-fdr/lines.log")
}

func BenchmarkParseCrowdStrike(b *testing.B) {
	conn := `{"LocalAddressIP4": "10.1.2.3", "event_simpleName": "NetworkConnectIP4", "ContextTimeStamp": "1709283600.250", "ConfigStateHash": "123456789", "ConnectionFlags": "0", "ContextProcessId": "1234567890123", "RemotePort": "445", "aip": "203.0.113.10", "ConfigBuild": "1007.3.0017312.1", "event_platform": "Win", "LocalPort": "51515", "Entitlements": "15", "name": "NetworkConnectIP4V5", "id": "aaaaaaaa-1111-11ee-8888-000000000001", "Protocol": "6", "EffectiveTransmissionClass": "3", "aid": "00112233445566778899aabbccddeeff", "RemoteAddressIP4": "10.1.9.9", "ConnectionDirection": "0", "InContext": "0", "timestamp": "1709283601000", "cid": "ffeeddccbbaa99887766554433221100"}` + "\n"
	const n = 100000
	benchParse(b, "crowdstrike-fdr", bytes.Repeat([]byte(conn), n), n, n, true)
}
