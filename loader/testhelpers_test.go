package loader

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files under fixtures/")

// fixedCtx is the parse context of every test: syslog lines without a year
// are read as 2024, zone-less stamps as UTC.
var fixedCtx = &ParseContext{Year: 2024}

// collector is an Emitter that keeps everything for assertions.
type collector struct {
	Records     []Record
	Skips       map[string]int
	Quarantined []quarantined
}

type quarantined struct {
	Pos    int64  `json:"pos"`
	Reason string `json:"reason"`
}

func (c *collector) Emit(r *Record) {
	cp := *r
	cp.ListMatches = append([]string(nil), r.ListMatches...)
	c.Records = append(c.Records, cp)
}

func (c *collector) Skip(reason string) {
	if c.Skips == nil {
		c.Skips = map[string]int{}
	}
	c.Skips[reason]++
}

func (c *collector) Quarantine(pos int64, raw []byte, reason string) {
	c.Quarantined = append(c.Quarantined, quarantined{pos, reason})
}

// parseFile reads a fixture file with the named format.
func parseFile(t *testing.T, format, path string) *collector {
	t.Helper()
	f, ok := LookupFormat(format)
	if !ok {
		t.Fatalf("format %q is not registered", format)
	}
	in, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	c := &collector{}
	if err := ReadFormat(fixedCtx, f, in, c); err != nil {
		t.Fatalf("read %s as %s: %v", path, format, err)
	}
	return c
}

// recordView is the golden-file form of a Record: normalized field names,
// RFC 3339 UTC times, nulls as JSON null.
type recordView struct {
	Timestamp     string   `json:"timestamp"`
	ObjectType    string   `json:"objectType"`
	SrcIP         string   `json:"srcDevice_ip"`
	DstIP         string   `json:"dstDevice_ip"`
	SrcIsInternal *bool    `json:"srcDevice_ip_isInternal,omitempty"`
	DstIsInternal *bool    `json:"dstDevice_ip_isInternal,omitempty"`
	SrcPort       *int32   `json:"srcPort"`
	DstPort       *int32   `json:"dstPort"`
	IPProtocol    string   `json:"ipProtocol,omitempty"`
	SrcHostname   string   `json:"srcDevice_hostname,omitempty"`
	Username      string   `json:"user_username,omitempty"`
	ListMatches   []string `json:"listMatches,omitempty"`
	Success       *bool    `json:"success"`
	Vendor        string   `json:"metadata_vendor"`
	Product       string   `json:"metadata_product"`
	DeviceEventID string   `json:"metadata_deviceEventId"`
}

func viewOf(r Record) recordView {
	v := recordView{
		Timestamp: r.Time.UTC().Format(time.RFC3339Nano), ObjectType: r.ObjectType,
		SrcIP: r.SrcIP, DstIP: r.DstIP, IPProtocol: r.IPProtocol,
		SrcHostname: r.SrcHostname, Username: r.Username, ListMatches: r.ListMatches,
		Vendor: r.Vendor, Product: r.Product, DeviceEventID: r.DeviceEventID,
	}
	optBool := func(b NullBool) *bool {
		if !b.Valid {
			return nil
		}
		x := b.V
		return &x
	}
	optInt := func(i NullInt32) *int32 {
		if !i.Valid {
			return nil
		}
		x := i.V
		return &x
	}
	v.SrcIsInternal, v.DstIsInternal = optBool(r.SrcIsInternal), optBool(r.DstIsInternal)
	v.SrcPort, v.DstPort = optInt(r.SrcPort), optInt(r.DstPort)
	v.Success = optBool(r.Success)
	return v
}

// goldenView is what a golden file holds for one parsed fixture.
type goldenView struct {
	Records     []recordView   `json:"records"`
	Skipped     map[string]int `json:"skipped,omitempty"`
	Quarantined []quarantined  `json:"quarantined,omitempty"`
}

func (c *collector) golden() goldenView {
	g := goldenView{Skipped: c.Skips, Quarantined: c.Quarantined}
	for _, r := range c.Records {
		g.Records = append(g.Records, viewOf(r))
	}
	sort.SliceStable(g.Quarantined, func(i, j int) bool { return g.Quarantined[i].Pos < g.Quarantined[j].Pos })
	return g
}

// checkGolden compares got, as indented JSON, with the file at path;
// with -update it rewrites the file instead.
func checkGolden(t *testing.T, path string, got any) {
	t.Helper()
	b, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, '\n')
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden %s: %v (run go test -update to create it)", path, err)
	}
	if !bytes.Equal(want, b) {
		t.Errorf("%s differs from the golden file; got:\n%s", path, b)
	}
}

// sharedSamples returns ../shared/samples/<dir> or skips the test.
func sharedSamples(t *testing.T, dir string) string {
	t.Helper()
	p := filepath.Join("..", "..", "shared", "samples", dir)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("shared samples not present: %v", err)
	}
	return p
}
