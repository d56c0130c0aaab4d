package loader

import (
	"os"
	"strings"
	"testing"
	"time"
)

func TestAWSVPCFlowGolden(t *testing.T) {
	for _, name := range []string{"default", "noheader", "custom"} {
		t.Run(name, func(t *testing.T) {
			checkGoldenParse(t, "aws-vpc-flow", "../fixtures/vendor/aws-vpc-flow/"+name+".log")
		})
	}
}

func TestAWSVPCFlowFields(t *testing.T) {
	type want struct {
		src, dst, proto, id string
		sport, dport        NullInt32
		success             NullBool
		time                string
	}
	check := func(t *testing.T, c *collector, wants []want) {
		t.Helper()
		if len(c.Records) != len(wants) {
			t.Fatalf("got %d records, want %d", len(c.Records), len(wants))
		}
		for i, w := range wants {
			r := c.Records[i]
			if r.SrcIP != w.src || r.DstIP != w.dst || r.IPProtocol != w.proto || r.DeviceEventID != w.id ||
				r.SrcPort != w.sport || r.DstPort != w.dport || r.Success != w.success ||
				r.Time.UTC().Format(time.RFC3339) != w.time || r.ObjectType != ObjectNetworkFlow || r.Vendor != "AWS" {
				t.Errorf("record %d = %+v, want %+v", i, r, w)
			}
		}
	}
	c := parseFile(t, "aws-vpc-flow", "../fixtures/vendor/aws-vpc-flow/default.log")
	check(t, c, []want{
		{"10.0.1.15", "10.0.2.20", "tcp", "vpc-flow-v2", Int32(49152), Int32(445), Bool(true), "2024-03-05T10:00:00Z"},
		{"10.0.2.20", "10.0.1.15", "tcp", "vpc-flow-v2", Int32(445), Int32(49152), Bool(true), "2024-03-05T10:00:00Z"},
		{"192.0.2.77", "10.0.1.15", "tcp", "vpc-flow-v2", Int32(51000), Int32(3389), Bool(false), "2024-03-05T10:00:05Z"},
		{"10.0.1.15", "10.0.0.2", "udp", "vpc-flow-v2", Int32(53111), Int32(53), Bool(true), "2024-03-05T10:00:10Z"},
		{"10.0.1.16", "10.0.1.15", "icmp", "vpc-flow-v2", NullInt32{}, NullInt32{}, Bool(true), "2024-03-05T10:00:15Z"},
		{"2001:db8:a::15", "2001:db8:b::20", "ipv6-icmp", "vpc-flow-v2", NullInt32{}, NullInt32{}, Bool(true), "2024-03-05T10:00:16Z"},
		{"2001:db8:a::15", "2001:db8:b::20", "tcp", "vpc-flow-v2", Int32(40400), Int32(22), Bool(true), "2024-03-05T10:00:20Z"},
		{"10.0.1.15", "10.0.2.21", "gre", "vpc-flow-v2", NullInt32{}, NullInt32{}, Bool(true), "2024-03-05T10:00:21Z"},
	})
	if c.Skips["aws-vpc-flow: NODATA, no traffic in the capture window"] != 1 || c.Skips["aws-vpc-flow: SKIPDATA, records skipped during the capture window"] != 1 {
		t.Errorf("skips %v", c.Skips)
	}
	if len(c.Quarantined) != 5 {
		t.Errorf("quarantined %+v, want 5", c.Quarantined)
	}

	c = parseFile(t, "aws-vpc-flow", "../fixtures/vendor/aws-vpc-flow/custom.log")
	check(t, c, []want{
		{"10.0.1.15", "10.0.3.30", "tcp", "vpc-flow-v3", Int32(49200), Int32(22), Bool(true), "2024-03-05T10:01:40Z"},
		{"10.0.9.9", "203.0.113.9", "tcp", "vpc-flow-v3", Int32(1030), Int32(443), Bool(true), "2024-03-05T10:01:41Z"},
		{"10.0.1.15", "10.0.5.50", "tcp", "vpc-flow-v5", Int32(49300), Int32(636), Bool(true), "2024-03-05T10:01:50Z"},
		{"10.0.5.51", "10.0.1.15", "tcp", "vpc-flow-v5", Int32(49301), Int32(135), Bool(false), "2024-03-05T10:01:51Z"},
	})
	if len(c.Quarantined) != 1 || c.Skips["aws-vpc-flow: NODATA, no traffic in the capture window"] != 1 {
		t.Errorf("quarantined %+v, skipped %v", c.Quarantined, c.Skips)
	}
}

func TestAWSVPCFlowDetect(t *testing.T) {
	for _, name := range []string{"default.log", "noheader.log", "custom.log", "sweep.log"} {
		b, err := os.ReadFile("../fixtures/vendor/aws-vpc-flow/" + name)
		if err != nil {
			t.Fatal(err)
		}
		checkDetected(t, name, b, "aws-vpc-flow")
	}
	for _, s := range []string{
		"2 12345678901 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1 2 ACCEPT OK\n", // 11-digit account
		"2 123456789012 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1 2 ACCEPT\n",   // 13 fields
		"Mar  5 10:00:00 host srcaddr=10.0.0.1 dstaddr=10.0.0.2\n",
	} {
		if awsVPCSniff([]byte(s)) {
			t.Errorf("sniffed %q", s)
		}
	}
}

func TestAWSVPCFlowSamples(t *testing.T) {
	checkSampleDir(t, "aws-vpc-flow", "aws-vpc-flow", sampleCheck{glob: "*.log"})
}

func TestAWSVPCFlowSweepFixture(t *testing.T) {
	c := parseFile(t, "aws-vpc-flow", "../fixtures/vendor/aws-vpc-flow/sweep.log")
	cloudflowCheckSweep(t, c, ObjectNetworkFlow)
}

func FuzzParseAWSVPCFlow(f *testing.F) {
	fuzzDocs(f, "aws-vpc-flow", fuzzCheck{}, "../fixtures/vendor/aws-vpc-flow/default.log", "../fixtures/vendor/aws-vpc-flow/custom.log")
}

func BenchmarkParseAWSVPCFlow(b *testing.B) {
	f, _ := LookupFormat("aws-vpc-flow")
	benchUnits(b, "aws-vpc-flow", []byte(strings.Repeat(f.Example+"\n", 10)), 10)
}
