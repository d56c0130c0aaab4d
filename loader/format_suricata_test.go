package loader

import (
	"bytes"
	"testing"
	"time"
)

func TestSuricataGolden(t *testing.T) {
	c := checkGoldenParse(t, "suricata-eve", "../fixtures/vendor/suricata-eve/lines.json")
	want := []zeekWant{
		{"10.1.2.3", "10.1.9.9", 51515, 445, "tcp", "Network", 1, "2024-03-01T09:00:00.123456Z"},
		{"10.1.2.3", "10.1.9.10", 51516, 23, "tcp", "Network", 0, "2024-03-01T09:00:01Z"},
		{"10.1.2.3", "10.1.9.11", 51517, 3389, "tcp", "Network", 0, "2024-03-01T09:00:02Z"},
		{"10.1.2.4", "192.0.2.53", 53001, 53, "udp", "Network", 1, "2024-03-01T09:00:03.5Z"},
		{"10.1.2.4", "10.1.9.12", 53002, 161, "udp", "Network", 0, "2024-03-01T09:00:04Z"},
		{"10.1.2.5", "10.1.9.13", -1, -1, "icmp", "Network", 1, "2024-03-01T09:00:05Z"},
		{"fd00:10::5", "fd00:10::9", 49152, 22, "tcp", "Network", 1, "2024-03-01T09:00:06Z"},
		{"10.1.2.6", "10.1.9.14", 40000, 139, "tcp", "Network", -1, "2024-03-01T09:00:07.25Z"},
		{"10.1.9.9", "10.1.2.3", 445, 51515, "tcp", "NetworkFlow", -1, "2024-03-01T09:00:08Z"},
		{"10.1.2.7", "10.1.9.15", 40001, 445, "tcp", "Network", 1, "2024-03-01T09:00:09.5Z"},
		{"10.1.2.8", "10.1.9.16", 40002, 80, "tcp", "Network", 1, "2024-03-01T09:00:10Z"},
		{"10.1.2.9", "10.1.9.17", 40003, 443, "tcp", "Network", 0, "2024-03-01T09:00:11Z"},
		{"fd00:10::6", "fd00:10::a", -1, -1, "ipv6-icmp", "Network", 1, "2024-03-01T09:00:12Z"},
		{"10.1.2.10", "10.1.9.18", 40004, 135, "tcp", "Network", 0, "2024-03-01T09:00:13Z"},
		{"10.1.2.15", "10.1.9.22", 40009, 2905, "sctp", "Network", 1, "2024-03-01T09:00:22Z"},
		{"10.1.2.16", "10.1.9.23", -1, -1, "gre", "Network", 1, "2024-03-01T09:00:23Z"},
	}
	if len(c.Records) != len(want) {
		t.Fatalf("%d records, want %d", len(c.Records), len(want))
	}
	for i, w := range want {
		zeekCheckRecord(t, i, c.Records[i], w)
		if c.Records[i].Vendor != "Suricata" {
			t.Errorf("record %d vendor %q", i, c.Records[i].Vendor)
		}
	}
	c.checkQuarantinedAt(t, 19, 20, 21, 22)
	if n := c.Skips["suricata: dns event, not a connection"] + c.Skips["suricata: http event, not a connection"] +
		c.Skips["suricata: stats event, not a connection"] + c.Skips["suricata: anomaly event, not a connection"]; n != 4 {
		t.Errorf("skips %v", c.Skips)
	}
}

func TestSuricataTime(t *testing.T) {
	for in, want := range map[string]string{
		"2021-06-06T15:57:51.446914+0200":  "2021-06-06T13:57:51.446914Z",
		"2021-06-06T15:57:51.446914-05:30": "2021-06-06T21:27:51.446914Z",
		"2021-06-06T15:57:51Z":             "2021-06-06T15:57:51Z",
		"2021-06-06 15:57:51.1":            "2021-06-06T15:57:51.1Z",
		"2021-06-06T15:57:51.123456789123": "2021-06-06T15:57:51.123456789Z",
	} {
		got, ok := suricataParseISO(fixedCtx, in)
		if !ok || got.UTC().Format(time.RFC3339Nano) != want {
			t.Errorf("%s: got %v %v, want %s", in, got.UTC(), ok, want)
		}
	}
	for _, bad := range []string{"2021-06-06T15:57:51.+0200", "2021-06-06T15:57:51+2", "2021-06-06T25:57:51Z", "x"} {
		if got, ok := suricataParseISO(fixedCtx, bad); ok {
			t.Errorf("%s: accepted as %v", bad, got)
		}
	}
}

func TestSuricataSamples(t *testing.T) {
	checkSampleDir(t, "suricata-eve", "suricata", sampleCheck{
		obj: ObjectNetwork,
		each: func(t *testing.T, p string, c *collector) {
			var flows, alerts int
			for _, r := range c.Records {
				switch r.DeviceEventID {
				case "flow":
					flows++
				case "alert":
					alerts++
				}
			}
			// The sample holds 3512 flow and 745 alert events.
			if flows != 3512 || alerts != 745 {
				t.Errorf("%s: %d flows %d alerts", p, flows, alerts)
			}
		},
	})
}

func TestSuricataSweep(t *testing.T) {
	zeekCheckSweep(t, "suricata-eve", "../fixtures/vendor/suricata-eve/sweep.json", "10.20.30.40", 445, ObjectNetwork)
}

func FuzzParseSuricata(f *testing.F) {
	fuzzDocs(f, "suricata-eve", fuzzCheck{}, "../fixtures/vendor/suricata-eve/lines.json")
}

func BenchmarkParseSuricata(b *testing.B) {
	// A realistic mix: mostly flow events, some alerts and DNS.
	flow := `{"timestamp":"2021-06-06T15:57:37.272281+0200","flow_id":2232403389523415,"event_type":"flow","src_ip":"10.1.2.3","src_port":48938,"dest_ip":"10.1.9.9","dest_port":445,"proto":"TCP","flow":{"pkts_toserver":2,"pkts_toclient":2,"bytes_toserver":120,"bytes_toclient":120,"start":"2021-06-06T17:34:31.140759+0200","end":"2021-06-06T17:34:31.141012+0200","age":0,"state":"closed","reason":"timeout","alerted":false},"tcp":{"tcp_flags":"16","tcp_flags_ts":"02","tcp_flags_tc":"14","syn":true,"rst":true,"ack":true,"state":"closed"},"host":"sensor-a"}` + "\n"
	alert := `{"timestamp":"2021-06-06T15:59:46.457984+0200","flow_id":1374195536821504,"pcap_cnt":313,"event_type":"alert","src_ip":"10.1.2.4","src_port":51698,"dest_ip":"10.1.9.10","dest_port":445,"proto":"TCP","alert":{"action":"allowed","gid":1,"signature_id":9000001,"rev":1,"signature":"LOCAL test","category":"Misc Attack","severity":2,"metadata":{"tag":["LOCAL"]}},"flow":{"pkts_toserver":1,"pkts_toclient":0,"bytes_toserver":60,"bytes_toclient":0,"start":"2021-06-06T15:59:46.457984+0200"},"host":"sensor-a"}` + "\n"
	dns := `{"timestamp":"2021-06-06T16:26:27.431769+0200","flow_id":1567838537225881,"pcap_cnt":3881,"event_type":"dns","src_ip":"10.1.2.3","src_port":35790,"dest_ip":"10.1.2.1","dest_port":53,"proto":"UDP","dns":{"type":"query","id":2,"rrname":"intranet.example","rrtype":"A","tx_id":0},"host":"sensor-a"}` + "\n"
	var buf bytes.Buffer
	records := 0
	for i := 0; i < 20000; i++ {
		buf.WriteString(flow)
		buf.WriteString(flow)
		buf.WriteString(flow)
		buf.WriteString(alert)
		buf.WriteString(dns)
		records += 4
	}
	benchParse(b, "suricata-eve", buf.Bytes(), 100000, records, true)
}
