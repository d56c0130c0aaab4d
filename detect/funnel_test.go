package detect

import (
	"bufio"
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/portsweep/portsweep/loader"
)

// funnelFlows has one record for each way a record can end, besides three
// that qualify.
func funnelFlows() []flow {
	port := func(p int) *int { return &p }
	f := []flow{
		conn(0, "10.0.0.1", "10.0.0.2", 445),
		conn(time.Second, "10.0.0.1", "10.0.0.3", 445),
		conn(2*time.Second, "10.0.0.1", "10.0.0.4", 445),
		conn(3*time.Second, "10.0.0.300", "10.0.0.2", 445),     // invalid source
		conn(4*time.Second, "10.0.0.1", "not-an-address", 445), // invalid destination
		conn(5*time.Second, "10.0.0.1", "10.0.0.2", 70000),     // port out of range
		conn(6*time.Second, "10.0.0.1", "8.8.8.8", 445),        // external destination
		conn(7*time.Second, "10.0.0.1", "10.0.0.2", 8080),      // port not watched
		conn(8*time.Second, "10.0.0.77", "10.0.0.2", 445),      // source in nms_ips
	}
	nf := conn(9*time.Second, "10.0.0.1", "10.0.0.2", 445)
	nf.ObjectType = "NetworkFlow"
	f = append(f, nf)
	missingDst := conn(10*time.Second, "10.0.0.1", "", 445)
	missingDst.DstPort = port(445)
	return append(f, missingDst)
}

// wantRejected is by reason; the JSON lines parser already refuses a port
// out of range (the line is quarantined as unparseable), while from
// Parquet the record reaches SQL, which rejects it.
func wantRejected(parquet bool) map[string]int64 {
	port := "unparseable line or row"
	if parquet {
		port = "dstPort out of range"
	}
	return map[string]int64{"invalid srcDevice_ip": 1, "invalid dstDevice_ip": 1, port: 1, "missing dstDevice_ip": 1}
}

var wantDropped = map[string]int64{"record_type": 1, "internal_to_internal": 1, "destination_port": 1, "match_lists": 1}

func checkFunnel(t *testing.T, s *Summary, parquet bool, qualifying int64) {
	t.Helper()
	if want := wantRejected(parquet); !reflect.DeepEqual(s.RejectedByReason, want) || s.RecordsRejected != 4 {
		t.Errorf("rejected %d by reason %v, want 4 by %v", s.RecordsRejected, s.RejectedByReason, want)
	}
	for cond, n := range wantDropped {
		if s.DroppedByCondition[cond] != n {
			t.Errorf("dropped by %s: %d, want %d (all: %v)", cond, s.DroppedByCondition[cond], n, s.DroppedByCondition)
		}
	}
	if s.ExcludedByList["nms_ips"] != 1 || len(s.ExcludedByList) != 1 {
		t.Errorf("excluded_by_list %v, want nms_ips: 1", s.ExcludedByList)
	}
	if s.RecordsQualifying != qualifying {
		t.Errorf("qualifying %d, want %d", s.RecordsQualifying, qualifying)
	}
}

func TestFunnelCountsEveryOutcome(t *testing.T) {
	e := newEnv(t)
	e.enrich.MatchLists = []loader.MatchList{{Name: "nms_ips", Prefixes: []netip.Prefix{mustPrefix("10.0.0.77/32")}}}
	out := e.detect(funnelFlows())
	checkFunnel(t, out.Summary, false, 3)

	// The records SQL rejects are quarantined with their row and reason.
	f, err := os.Open(filepath.Join(e.dir, "out", "quarantine", out.RunID+".jsonl"))
	if err != nil {
		t.Fatalf("quarantine file: %v", err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if len(lines) != 4 {
		t.Errorf("quarantined %d lines, want 4: %q", len(lines), lines)
	}
	all := strings.Join(lines, "\n")
	for _, reason := range []string{"invalid srcDevice_ip", "invalid dstDevice_ip", "missing dstDevice_ip", "not-an-address"} {
		if !strings.Contains(all, reason) {
			t.Errorf("quarantine lacks %q: %q", reason, lines)
		}
	}
}

// An empty address text reaches SQL only from Parquet (Go-parsed records
// turn it into NULL); both are "missing".
func TestFunnelFromParquetMatchesJSON(t *testing.T) {
	e := newEnv(t)
	e.enrich.MatchLists = []loader.MatchList{{Name: "nms_ips", Prefixes: []netip.Prefix{mustPrefix("10.0.0.77/32")}}}
	jsonPath := writeFlows(t, e.dir, "flows.jsonl", funnelFlows())
	parquetPath := filepath.Join(e.dir, "flows.parquet")
	_, err := e.store.DB.ExecContext(context.Background(), `COPY (
		SELECT "timestamp"::TIMESTAMPTZ AS "timestamp", objectType, srcDevice_ip, coalesce(dstDevice_ip, '') AS dstDevice_ip, dstPort
		FROM read_json(?, columns = {"timestamp": 'VARCHAR', objectType: 'VARCHAR', srcDevice_ip: 'VARCHAR', dstDevice_ip: 'VARCHAR', dstPort: 'INTEGER'})
	) TO '`+parquetPath+`' (FORMAT parquet)`, jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	out, err := e.store.Detect(context.Background(), inputsOf(parquetPath), e.config())
	if err != nil {
		t.Fatal(err)
	}
	checkFunnel(t, out.Summary, true, 3)
}

// A backfill's range drops the records outside it as outside_range, and a
// run counts qualifying records older than the watermark minus the
// allowed lateness as late.
func TestFunnelRangeAndLateness(t *testing.T) {
	e := newEnv(t)
	e.enrich.MatchLists = []loader.MatchList{{Name: "nms_ips", Prefixes: []netip.Prefix{mustPrefix("10.0.0.77/32")}}}
	p := writeFlows(t, e.dir, "flows.jsonl", funnelFlows())
	out, err := e.store.Run(context.Background(), inputsOf(p), e.config(), RunOptions{Mode: "backfill", From: base.Add(time.Second), To: base.Add(2 * time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	checkFunnel(t, out.Summary, false, 1)
	if out.Summary.DroppedByCondition["outside_range"] != 2 || out.Summary.Conditions[len(out.Summary.Conditions)-1] != "outside_range" {
		t.Errorf("outside_range %d (conditions %v), want 2 of the 3 qualifying records", out.Summary.DroppedByCondition["outside_range"], out.Summary.Conditions)
	}

	// A later file moves the watermark an hour on; a record from the
	// first minutes is then late.
	later := writeFlows(t, e.dir, "later.jsonl", []flow{conn(time.Hour, "10.0.0.1", "10.0.0.9", 445)})
	old := writeFlows(t, e.dir, "old.jsonl", []flow{conn(time.Minute, "10.0.0.1", "10.0.0.8", 445)})
	if _, err := e.store.Run(context.Background(), inputsOf(later), e.config(), RunOptions{Mode: "run", AllowedLateness: 10 * time.Minute}); err != nil {
		t.Fatal(err)
	}
	out, err = e.store.Run(context.Background(), inputsOf(old), e.config(), RunOptions{Mode: "run", AllowedLateness: 10 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if out.Summary.RecordsLate != 1 || out.Summary.RecordsQualifying != 1 {
		t.Errorf("late %d of %d qualifying, want 1 of 1", out.Summary.RecordsLate, out.Summary.RecordsQualifying)
	}
}
