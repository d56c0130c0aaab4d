package loader

import (
	"strings"
	"testing"
	"time"
)

func TestGCPVPCFlowGolden(t *testing.T) {
	for _, name := range []string{"lines", "wrapper", "array", "truncated"} {
		t.Run(name, func(t *testing.T) {
			checkGoldenParse(t, "gcp-vpc-flow", "../fixtures/vendor/gcp-vpc-flow/"+name+".json")
		})
	}
}

func TestGCPVPCFlowFields(t *testing.T) {
	c := parseFile(t, "gcp-vpc-flow", "../fixtures/vendor/gcp-vpc-flow/lines.json")
	type want struct {
		src, dst, proto, host, obj, id string
		sport, dport                   NullInt32
		success                        NullBool
		time                           string
	}
	wants := []want{
		{"10.40.0.7", "10.40.1.9", "tcp", "web-1", ObjectNetworkFlow, "vpc_flows", Int32(51514), Int32(443), NullBool{}, "2024-03-05T10:00:00.12Z"},
		{"198.51.100.23", "10.40.0.7", "tcp", "", ObjectNetworkFlow, "vpc_flows", Int32(40222), Int32(22), NullBool{}, "2024-03-05T10:00:01.5Z"},
		{"10.40.0.8", "10.40.0.2", "udp", "batch-2", ObjectNetworkFlow, "vpc_flows", Int32(53001), Int32(53), NullBool{}, "2024-03-05T10:00:02Z"},
		{"10.40.0.8", "10.40.1.9", "icmp", "batch-2", ObjectNetworkFlow, "vpc_flows", NullInt32{}, NullInt32{}, NullBool{}, "2024-03-05T10:00:03.25Z"},
		{"10.40.0.8", "10.40.1.10", "icmp", "", ObjectNetworkFlow, "vpc_flows", NullInt32{}, NullInt32{}, NullBool{}, "2024-03-05T10:00:03.5Z"},
		{"2001:db8:40::7", "2001:db8:41::9", "tcp", "web-1", ObjectNetworkFlow, "vpc_flows", Int32(50100), Int32(8443), NullBool{}, "2024-03-05T10:00:04Z"},
		{"10.40.0.9", "10.40.1.11", "tcp", "", ObjectNetworkFlow, "vpc_flows", Int32(33000), Int32(3389), NullBool{}, "2024-03-05T10:00:05Z"},
		{"10.40.0.9", "10.40.1.12", "tcp", "", ObjectNetworkFlow, "vpc_flows", Int32(33001), Int32(80), NullBool{}, "2024-03-05T10:00:06.75Z"},
		{"10.40.2.5", "10.40.1.9", "tcp", "jump-1", ObjectNetwork, "firewall", Int32(49000), Int32(445), Bool(true), "2024-03-05T10:00:07.000123Z"},
		{"10.40.1.9", "203.0.113.77", "tcp", "api-3", ObjectNetwork, "firewall", Int32(49001), Int32(25), Bool(false), "2024-03-05T10:00:08Z"},
		{"10.40.2.6", "10.40.1.9", "tcp", "", ObjectNetwork, "firewall", Int32(49002), Int32(139), Bool(false), "2024-03-05T10:00:09Z"},
		{"10.40.0.10", "10.40.1.13", "tcp", "ci-runner", ObjectNetworkFlow, "vpc_flows", Int32(40000), Int32(22), NullBool{}, "2024-03-05T10:00:12Z"},
	}
	if len(c.Records) != len(wants) {
		t.Fatalf("got %d records, want %d", len(c.Records), len(wants))
	}
	for i, w := range wants {
		r := c.Records[i]
		if r.SrcIP != w.src || r.DstIP != w.dst || r.IPProtocol != w.proto || r.SrcHostname != w.host ||
			r.ObjectType != w.obj || r.DeviceEventID != w.id || r.SrcPort != w.sport || r.DstPort != w.dport ||
			r.Success != w.success || r.Time.UTC().Format(time.RFC3339Nano) != w.time || r.Vendor != "Google" {
			t.Errorf("record %d = %+v, want %+v", i, r, w)
		}
	}
	if got := c.Skips["gcp-vpc-flow: Cloud NAT translation log, not a connection record"]; got != 1 {
		t.Errorf("NAT skips = %d, want 1", got)
	}
	// 5 bad lines, and a line "[1,2,3]" whose 3 elements are not objects
	if len(c.Quarantined) != 8 {
		t.Errorf("quarantined %d lines, want 8: %+v", len(c.Quarantined), c.Quarantined)
	}
}

func TestGCPVPCFlowShapes(t *testing.T) {
	// the same two entries as NDJSON, array, wrapper and pretty NDJSON give
	// the same records
	a := `{"jsonPayload":{"connection":{"src_ip":"10.0.0.1","src_port":1,"dest_ip":"10.0.0.2","dest_port":22,"protocol":6},"start_time":"2024-01-01T00:00:00Z"},"logName":"projects/p/logs/compute.googleapis.com%2Fvpc_flows","timestamp":"2024-01-01T00:01:00Z"}`
	b := `{"jsonPayload":{"connection":{"src_ip":"10.0.0.3","dest_ip":"10.0.0.4","protocol":17,"src_port":5,"dest_port":53}},"logName":"projects/p/logs/compute.googleapis.com%2Fvpc_flows","timestamp":"2024-01-01T00:02:00Z"}`
	inputs := map[string]string{
		"ndjson":  a + "\n" + b + "\n",
		"array":   "[" + a + ",\n" + b + "]",
		"wrapper": `{"events":[{"json":` + a + `},{"json":` + b + `}]}`,
		"entries": "{\n\"entries\": [" + a + "," + b + "]\n}",
		"concat":  "{\n" + a[1:] + "\n" + b,
	}
	f, _ := LookupFormat("gcp-vpc-flow")
	for name, in := range inputs {
		c := &collector{}
		if err := ReadFormat(fixedCtx, f, strings.NewReader(in), c); err != nil {
			t.Fatal(err)
		}
		if len(c.Records) != 2 || len(c.Quarantined) != 0 || c.Records[0].DstPort != Int32(22) ||
			c.Records[1].SrcIP != "10.0.0.3" || c.Records[1].Time != time.Date(2024, 1, 1, 0, 2, 0, 0, time.UTC) {
			t.Errorf("%s: %+v", name, c)
		}
		if d := DetectFormats([]byte(in)); len(d) == 0 || d[0].Name != "gcp-vpc-flow" {
			t.Errorf("%s: not detected as gcp-vpc-flow", name)
		}
	}
}

func TestGCPVPCFlowSamples(t *testing.T) {
	checkSampleDir(t, "gcp-vpc-flow", "gcp-vpc-flow", sampleCheck{skipSuffix: ".md", obj: ObjectNetworkFlow})
}

func TestGCPVPCFlowSweepFixture(t *testing.T) {
	c := parseFile(t, "gcp-vpc-flow", "../fixtures/vendor/gcp-vpc-flow/sweep.json")
	cloudflowCheckSweep(t, c, ObjectNetwork)
}

// cloudflowCheckSweep asserts that the sweep fixture holds the sweep of
// 10.20.30.40 to ≥25 internal hosts on 445 within a minute, as objectType obj.
func cloudflowCheckSweep(t *testing.T, c *collector, obj string) {
	t.Helper()
	dsts := map[string]bool{}
	var first, last time.Time
	for _, r := range c.Records {
		if r.SrcIP != "10.20.30.40" {
			continue
		}
		if r.DstPort != Int32(445) || r.ObjectType != obj {
			t.Errorf("sweep record %+v", r)
		}
		dsts[r.DstIP] = true
		if first.IsZero() || r.Time.Before(first) {
			first = r.Time
		}
		if r.Time.After(last) {
			last = r.Time
		}
	}
	if len(dsts) < 25 || last.Sub(first) > time.Minute {
		t.Errorf("sweep: %d destinations over %v", len(dsts), last.Sub(first))
	}
	if len(c.Quarantined) != 0 {
		t.Errorf("sweep fixture quarantined %+v", c.Quarantined)
	}
	if len(c.Records)+len(c.Skips) < 45 {
		t.Errorf("sweep fixture has only %d records", len(c.Records))
	}
}

func FuzzParseGCPVPCFlow(f *testing.F) {
	fuzzDocs(f, "gcp-vpc-flow", fuzzCheck{}, "../fixtures/vendor/gcp-vpc-flow/lines.json",
		"../fixtures/vendor/gcp-vpc-flow/wrapper.json", "../fixtures/vendor/gcp-vpc-flow/array.json")
}

func BenchmarkParseGCPVPCFlow(b *testing.B) {
	f, _ := LookupFormat("gcp-vpc-flow")
	benchUnits(b, "gcp-vpc-flow", []byte(f.Example+"\n"), 1)
}

func TestCloudflowExamples(t *testing.T) {
	for _, name := range []string{"gcp-vpc-flow", "azure-nsg-flow", "azure-vnet-flow", "aws-vpc-flow", "ocsf-network"} {
		f, ok := LookupFormat(name)
		if !ok {
			t.Fatalf("%s not registered", name)
		}
		c := &collector{}
		if err := ReadFormat(fixedCtx, f, strings.NewReader(f.Example+"\n"), c); err != nil {
			t.Fatal(err)
		}
		if len(c.Records) != 1 || len(c.Quarantined) != 0 {
			t.Errorf("%s: example gives %+v", name, c)
		}
		if d := DetectFormats([]byte(f.Example + "\n")); len(d) == 0 || d[0].Name != name {
			t.Errorf("%s: example detected as %v", name, d)
		}
		for _, in := range []string{"", "\n\n", "{", "[", "null", "2 3 4"} {
			c := &collector{}
			if err := ReadFormat(fixedCtx, f, strings.NewReader(in), c); err != nil || len(c.Records) != 0 {
				t.Errorf("%s on %q: %v %+v", name, in, err, c)
			}
		}
	}
}
