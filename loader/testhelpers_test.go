package loader

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
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

// checkQuarantinedAt asserts that exactly the lines want were quarantined,
// in that order.
func (c *collector) checkQuarantinedAt(t *testing.T, want ...int64) {
	t.Helper()
	if len(c.Quarantined) != len(want) {
		t.Fatalf("quarantined %v, want lines %v", c.Quarantined, want)
	}
	for i, q := range c.Quarantined {
		if q.Pos != want[i] {
			t.Errorf("quarantine %d at line %d, want %d", i, q.Pos, want[i])
		}
	}
}

// portOrNone is a port for comparison in field tables: -1 when NULL.
func portOrNone(p NullInt32) int32 {
	if !p.Valid {
		return -1
	}
	return p.V
}

// boolOrNone is a flag for comparison in field tables: -1 when NULL, else
// 0 or 1.
func boolOrNone(b NullBool) int {
	switch {
	case !b.Valid:
		return -1
	case b.V:
		return 1
	}
	return 0
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

// checkGoldenParse parses the fixture at path with format and compares the
// result with the golden file beside it (<name>.golden.json).
func checkGoldenParse(t *testing.T, format, path string) *collector {
	t.Helper()
	c := parseFile(t, format, path)
	checkGolden(t, strings.TrimSuffix(path, filepath.Ext(path))+".golden.json", c.golden())
	return c
}

// detectHeadSize is how much of a file the detection of the shared
// samples sees.
const detectHeadSize = 64 << 10

// readHead returns the first detectHeadSize bytes of a file.
func readHead(t *testing.T, path string) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, _ := io.ReadAll(io.LimitReader(f, detectHeadSize))
	return b
}

// checkDetected asserts that DetectFormats ranks format first for data
// (the start of the file at path).
func checkDetected(t *testing.T, path string, data []byte, format string) {
	t.Helper()
	got := DetectFormats(data)
	if len(got) == 0 || got[0].Name != format {
		names := []string{}
		for _, f := range got {
			names = append(names, f.Name)
		}
		t.Errorf("%s: detected %v, want %s first", path, names, format)
	}
}

// sampleCheck is what checkSampleDir and checkSampleFile expect beyond the
// common checks (each file is detected as its format first, parses, yields
// records, and quarantines nothing).
type sampleCheck struct {
	glob       string                                // the files of the directory to read; "*" if empty
	skipSuffix string                                // files with this suffix are not samples
	formatOf   func(path string, head []byte) string // the format of a file, if not the same for all
	knownBad   map[string][]int64                    // the quarantined line numbers by file base name
	matchLines bool                                  // MatchLine accepts every non-blank line
	obj        string                                // every record has addresses, a time and this objectType
	emptyOK    bool                                  // a file may yield no record (the directory must)
	each       func(t *testing.T, path string, c *collector)
}

// checkSampleDir reads every file of ../shared/samples/<dir> with format (or
// sc.formatOf) and checks it with checkSampleFile; the directory as a whole
// must yield records.
func checkSampleDir(t *testing.T, format, dir string, sc sampleCheck) {
	t.Helper()
	root := sharedSamples(t, dir)
	glob := sc.glob
	if glob == "" {
		glob = "*"
	}
	files, err := filepath.Glob(filepath.Join(root, glob))
	if err != nil || len(files) == 0 {
		t.Fatalf("no sample files in %s: %v", root, err)
	}
	total := 0
	for _, path := range files {
		if sc.skipSuffix != "" && strings.HasSuffix(path, sc.skipSuffix) {
			continue
		}
		total += len(checkSampleFile(t, format, path, sc).Records)
	}
	if total == 0 {
		t.Errorf("%s samples gave no connection records", format)
	}
}

// checkSampleFile checks one shared sample file; see sampleCheck.
func checkSampleFile(t *testing.T, format, path string, sc sampleCheck) *collector {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	head := data[:min(len(data), detectHeadSize)]
	if sc.formatOf != nil {
		format = sc.formatOf(path, head)
	}
	checkDetected(t, path, head, format)
	c := parseFile(t, format, path)
	base := filepath.Base(path)
	if sc.matchLines {
		fm, _ := LookupFormat(format)
		for i, line := range bytes.Split(data, []byte("\n")) {
			if len(bytes.TrimSpace(line)) > 0 && !fm.MatchLine(bytes.TrimRight(line, "\r")) {
				t.Errorf("%s:%d not matched by %s.MatchLine", base, i+1, format)
			}
		}
	}
	var bad []int64
	for _, q := range c.Quarantined {
		bad = append(bad, q.Pos)
	}
	if wantBad := sc.knownBad[base]; fmt.Sprint(bad) != fmt.Sprint(wantBad) {
		t.Errorf("%s: quarantined lines %v (%+v), want %v", base, bad, c.Quarantined, wantBad)
	}
	t.Logf("%s: %d records, skipped %v, quarantined %d", base, len(c.Records), c.Skips, len(c.Quarantined))
	if len(c.Records) == 0 && !sc.emptyOK {
		t.Errorf("%s: no records", path)
	}
	for _, r := range c.Records {
		if os.Getenv("PORTSWEEP_DUMP_SAMPLES") != "" {
			t.Logf("  %s", kvJSON(viewOf(r)))
		}
		if sc.obj != "" && (r.SrcIP == "" || r.DstIP == "" || r.ObjectType != sc.obj || r.Time.IsZero()) {
			t.Errorf("%s: incomplete record %+v", base, r)
		}
	}
	if sc.each != nil {
		sc.each(t, path, c)
	}
	return c
}

// fuzzCheck is what fuzzParse asserts beyond the record invariants
// (addresses, ports in range, a network objectType).
type fuzzCheck struct {
	errFatal  bool // a ReadFormat error fails the input (else the input is dropped)
	matchLine bool // MatchLine is run on the input too
	needTime  bool // every record has a time
}

// fuzzSeedFiles returns the contents of the seed files.
func fuzzSeedFiles(f *testing.F, paths []string) [][]byte {
	var out [][]byte
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// fuzzLines fuzzes a line format with string inputs, seeded with every
// non-blank line of the seed files.
func fuzzLines(f *testing.F, format string, fc fuzzCheck, seedFiles ...string) {
	for _, b := range fuzzSeedFiles(f, seedFiles) {
		for _, line := range bytes.Split(b, []byte("\n")) {
			if len(bytes.TrimSpace(line)) > 0 {
				f.Add(string(line))
			}
		}
	}
	f.Fuzz(func(t *testing.T, s string) { fuzzParse(t, format, []byte(s), fc) })
}

// fuzzDocs fuzzes a format with []byte inputs, seeded with each seed file
// whole and line by line.
func fuzzDocs(f *testing.F, format string, fc fuzzCheck, seedFiles ...string) {
	for _, b := range fuzzSeedFiles(f, seedFiles) {
		f.Add(b)
		for _, line := range bytes.Split(b, []byte("\n")) {
			f.Add(line)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) { fuzzParse(t, format, data, fc) })
}

// fuzzParse parses data with format and checks the record invariants.
func fuzzParse(t *testing.T, format string, data []byte, fc fuzzCheck) {
	fm, ok := LookupFormat(format)
	if !ok {
		t.Fatalf("format %q not registered", format)
	}
	c := &collector{}
	if err := ReadFormat(fixedCtx, fm, bytes.NewReader(data), c); err != nil {
		if fc.errFatal {
			t.Fatal(err)
		}
		return
	}
	if fc.matchLine {
		fm.MatchLine(data)
	}
	for _, r := range c.Records {
		if r.SrcIP == "" || r.DstIP == "" {
			t.Fatalf("record without address: %+v", r)
		}
		for _, p := range []NullInt32{r.SrcPort, r.DstPort} {
			if p.Valid && (p.V < 0 || p.V > 65535) {
				t.Fatalf("bad port %d in %+v", p.V, r)
			}
		}
		if r.ObjectType != ObjectNetwork && r.ObjectType != ObjectNetworkFlow {
			t.Fatalf("bad objectType %q", r.ObjectType)
		}
		if fc.needTime && r.Time.IsZero() {
			t.Fatalf("record without time: %+v", r)
		}
	}
}

// countEmitter is an Emitter that only counts (benchmarks).
type countEmitter struct{ records, skips, quarantined int }

func (c *countEmitter) Emit(*Record)                     { c.records++ }
func (c *countEmitter) Skip(string)                      { c.skips++ }
func (c *countEmitter) Quarantine(int64, []byte, string) { c.quarantined++ }

// benchParse parses data, which holds lines lines, with format b.N times.
// Every run must quarantine nothing and yield records records (at least one
// if records <= 0). It reports lines/s, and records/s too if perRecord.
func benchParse(b *testing.B, format string, data []byte, lines, records int, perRecord bool) {
	fm, ok := LookupFormat(format)
	if !ok {
		b.Fatalf("format %q not registered", format)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c := &countEmitter{}
		if err := ReadFormat(fixedCtx, fm, bytes.NewReader(data), c); err != nil {
			b.Fatal(err)
		}
		if c.quarantined > 0 || c.records == 0 || records > 0 && c.records != records {
			b.Fatalf("%d records, want %d (quarantined %d)", c.records, records, c.quarantined)
		}
	}
	b.ReportMetric(float64(lines)*float64(b.N)/b.Elapsed().Seconds(), "lines/s")
	if perRecord {
		b.ReportMetric(float64(records)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
	}
}

// benchLines benchmarks format on copies of lines adding up to at least
// size bytes.
func benchLines(b *testing.B, format string, lines []string, size int) {
	var buf bytes.Buffer
	n := 0
	for buf.Len() < size {
		for _, l := range lines {
			buf.WriteString(l)
			buf.WriteByte('\n')
			n++
		}
	}
	benchParse(b, format, buf.Bytes(), n, 0, false)
}

// benchUnits benchmarks format on 10000 copies of unit, which yields
// perUnit records; a record counts as a line.
func benchUnits(b *testing.B, format string, unit []byte, perUnit int) {
	const reps = 10000
	benchParse(b, format, bytes.Repeat(unit, reps), reps*perUnit, reps*perUnit, false)
}

// fixtureSecond is second s of the minute in which the key=value vendor
// fixtures (Check Point, FortiGate, Palo Alto, SonicWall, Sophos, Zscaler)
// are written: 2024-03-02 10:15 UTC.
func fixtureSecond(s int) time.Time { return time.Date(2024, 3, 2, 10, 15, s, 0, time.UTC) }
