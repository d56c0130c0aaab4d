package loader

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestAzureFlowGolden(t *testing.T) {
	for _, tc := range []struct{ format, file string }{
		{"azure-nsg-flow", "blob"}, {"azure-nsg-flow", "lines"},
		{"azure-vnet-flow", "blob"}, {"azure-vnet-flow", "lines"},
	} {
		t.Run(tc.format+"/"+tc.file, func(t *testing.T) {
			dir := "../fixtures/vendor/" + tc.format + "/"
			checkGoldenParse(t, tc.format, dir+tc.file+".json")
		})
	}
}

type azureWant struct {
	src, dst, proto string
	sport, dport    NullInt32
	success         bool
	time            string
}

func azureCheck(t *testing.T, c *collector, product, id string, wants []azureWant) {
	t.Helper()
	if len(c.Records) != len(wants) {
		t.Fatalf("got %d records, want %d: %+v", len(c.Records), len(wants), c.Records)
	}
	for i, w := range wants {
		r := c.Records[i]
		if r.SrcIP != w.src || r.DstIP != w.dst || r.IPProtocol != w.proto || r.SrcPort != w.sport ||
			r.DstPort != w.dport || r.Success != Bool(w.success) || r.Time.UTC().Format(time.RFC3339Nano) != w.time ||
			r.ObjectType != ObjectNetworkFlow || r.Product != product || r.DeviceEventID != id || r.Vendor != "Microsoft" {
			t.Errorf("record %d = %+v, want %+v", i, r, w)
		}
	}
}

func TestAzureNSGFlowFields(t *testing.T) {
	c := parseFile(t, "azure-nsg-flow", "../fixtures/vendor/azure-nsg-flow/blob.json")
	azureCheck(t, c, "Azure NSG Flow Logs", "NetworkSecurityGroupFlowEvent", []azureWant{
		{"10.1.0.4", "10.1.0.5", "tcp", Int32(50112), Int32(445), true, "2024-03-05T10:00:00Z"},
		{"10.1.0.6", "10.1.0.5", "udp", Int32(53211), Int32(53), true, "2024-03-05T10:00:03Z"},
		{"2001:db8:1::4", "2001:db8:1::5", "tcp", Int32(40001), Int32(443), true, "2024-03-05T10:00:04Z"},
		{"198.51.100.7", "10.1.0.5", "tcp", Int32(61000), Int32(3389), false, "2024-03-05T10:00:05Z"},
		{"10.1.0.7", "203.0.113.40", "tcp", Int32(50000), Int32(443), true, "2024-03-05T10:00:10Z"}, // v1
		{"10.1.0.7", "203.0.113.41", "tcp", Int32(50001), Int32(25), false, "2024-03-05T10:00:11Z"},
	})
	if n := c.Skips[azureSkipContinuation]; n != 2 {
		t.Errorf("C/E skips = %d, want 2 (%v)", n, c.Skips)
	}
	if len(c.Quarantined) != 5 {
		t.Errorf("quarantined %+v, want 5 bad tuples", c.Quarantined)
	}
}

func TestAzureVNetFlowFields(t *testing.T) {
	c := parseFile(t, "azure-vnet-flow", "../fixtures/vendor/azure-vnet-flow/blob.json")
	azureCheck(t, c, "Azure VNet Flow Logs", "FlowLogFlowEvent", []azureWant{
		{"10.2.0.4", "10.2.0.9", "tcp", Int32(50112), Int32(445), true, "2024-03-05T10:00:00.123Z"},
		{"10.2.0.4", "10.2.0.53", "udp", Int32(40000), Int32(53), true, "2024-03-05T10:00:03Z"},
		{"10.2.0.4", "10.2.0.9", "icmp", NullInt32{}, NullInt32{}, true, "2024-03-05T10:00:03.5Z"},
		{"2001:db8:2::4", "2001:db8:2::9", "tcp", Int32(40002), Int32(443), true, "2024-03-05T10:00:04Z"},
		{"10.2.0.7", "10.2.0.9", "tcp", Int32(41000), Int32(22), false, "2024-03-05T10:00:05Z"}, // D: denied
		{"10.2.0.4", "203.0.113.60", "tcp", Int32(50010), Int32(443), true, "2024-03-05T10:00:10Z"},
	})
	if n := c.Skips[azureSkipVNetCont]; n != 2 {
		t.Errorf("C/E skips = %d, want 2 (%v)", n, c.Skips)
	}
	if len(c.Quarantined) != 3 {
		t.Errorf("quarantined %+v, want 3 bad tuples", c.Quarantined)
	}
}

func TestAzureFlowDetect(t *testing.T) {
	for format, files := range map[string][]string{
		"azure-nsg-flow":  {"blob", "lines", "sweep"},
		"azure-vnet-flow": {"blob", "lines", "sweep"},
	} {
		for _, f := range files {
			b, err := os.ReadFile("../fixtures/vendor/" + format + "/" + f + ".json")
			if err != nil {
				t.Fatal(err)
			}
			checkDetected(t, format+"/"+f, b, format)
		}
	}
}

// The Azure samples: test-nsg.log holds one NSG v2 record whose only tuple
// is an E (end) tuple, so it yields no record, by design (the flow was
// reported at its B tuple); test-vnet.log holds one B and one E tuple.
func TestAzureFlowSamples(t *testing.T) {
	checkSampleDir(t, "azure-nsg-flow", "azure-nsg-vnet-flow", sampleCheck{
		glob:    "*.log",
		emptyOK: true,
		formatOf: func(path string, _ []byte) string {
			if strings.Contains(filepath.Base(path), "vnet") {
				return "azure-vnet-flow"
			}
			return "azure-nsg-flow"
		},
		each: func(t *testing.T, path string, c *collector) {
			tuples := len(c.Records)
			for _, n := range c.Skips {
				tuples += n
			}
			if tuples == 0 {
				t.Errorf("%s: no flow tuples read", path)
			}
		},
	})
}

func TestAzureFlowSweepFixture(t *testing.T) {
	for _, format := range []string{"azure-nsg-flow", "azure-vnet-flow"} {
		c := parseFile(t, format, "../fixtures/vendor/"+format+"/sweep.json")
		cloudflowCheckSweep(t, c, ObjectNetworkFlow)
	}
}

func FuzzParseAzureNSGFlow(f *testing.F) {
	fuzzDocs(f, "azure-nsg-flow", fuzzCheck{}, "../fixtures/vendor/azure-nsg-flow/blob.json", "../fixtures/vendor/azure-nsg-flow/lines.json")
}

func FuzzParseAzureVNetFlow(f *testing.F) {
	fuzzDocs(f, "azure-vnet-flow", fuzzCheck{}, "../fixtures/vendor/azure-vnet-flow/blob.json", "../fixtures/vendor/azure-vnet-flow/lines.json")
}

// azureBenchRecord is one record of 100 begin tuples.
func azureBenchRecord(vnet bool) []byte {
	var sb strings.Builder
	tuples := make([]string, 100)
	for i := range tuples {
		if vnet {
			tuples[i] = `"1709632800123,10.1.0.4,10.1.0.` + strconv.Itoa(i+1) + `,50112,445,6,O,B,NX,0,0,0,0"`
		} else {
			tuples[i] = `"1709632800,10.1.0.4,10.1.0.` + strconv.Itoa(i+1) + `,50112,445,T,O,A,B,,,,"`
		}
	}
	if vnet {
		sb.WriteString(`{"time":"2024-03-05T10:01:00Z","flowLogVersion":4,"category":"FlowLogFlowEvent","flowRecords":{"flows":[{"aclID":"x","flowGroups":[{"rule":"r","flowTuples":[`)
	} else {
		sb.WriteString(`{"time":"2024-03-05T10:01:00Z","category":"NetworkSecurityGroupFlowEvent","properties":{"Version":2,"flows":[{"rule":"r","flows":[{"mac":"000D3A1B2C3D","flowTuples":[`)
	}
	sb.WriteString(strings.Join(tuples, ","))
	sb.WriteString("]}]}]}}\n")
	return []byte(sb.String())
}

func BenchmarkParseAzureNSGFlow(b *testing.B) {
	benchUnits(b, "azure-nsg-flow", azureBenchRecord(false), 100)
}

func BenchmarkParseAzureVNetFlow(b *testing.B) {
	benchUnits(b, "azure-vnet-flow", azureBenchRecord(true), 100)
}
