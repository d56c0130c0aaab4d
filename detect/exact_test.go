package detect

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/portsweep/portsweep/loader"
	psql "github.com/portsweep/portsweep/sql"
)

func ptr[T any](v T) *T { return &v }

type exactCase struct {
	name        string
	flows       []flow
	params      psql.Params
	lists       map[string]string // list name -> CIDR
	internal    []string          // internal networks instead of RFC 1918
	wantSignals int
	check       func(t *testing.T, out *Outcome)
}

// TestExactness checks the rule's edges, one case at a time (DESIGN §1).
func TestExactness(t *testing.T) {
	const src = "10.1.1.5"
	withPort := func(flows []flow, port int) []flow {
		for i := range flows {
			flows[i].DstPort = ptr(port)
		}
		return flows
	}
	tests := []exactCase{
		{name: "19 distinct destinations do not cross", flows: sweep(0, time.Second, src, 19, 445), wantSignals: 0},
		{name: "20 distinct destinations cross", flows: sweep(0, time.Second, src, 20, 445), wantSignals: 1,
			check: func(t *testing.T, out *Outcome) {
				s := out.Signals[0]
				if !s.CrossedAt.Equal(base.Add(19*time.Second)) || !s.FirstSeen.Equal(base) || s.DistinctDstCount != 20 || s.RecordCount != 20 {
					t.Errorf("crossing fields: %+v", s)
				}
				if s.Summary != "Internal port sweep from IP: 10.1.1.5" || s.Severity != 1 || s.Stage != "Discovery" || len(s.Tags) != 4 {
					t.Errorf("rule fields: %+v", s)
				}
			}},
		{name: "repeated destinations count once", flows: append(sweep(0, time.Second, src, 19, 445), sweep(30*time.Second, time.Second, src, 19, 445)...), wantSignals: 0},
		{name: "record exactly one window before counts", flows: append(sweep(0, 0, src, 1, 445), withPort(sweep(5*time.Minute, 0, "10.1.1.5", 20, 445)[1:], 445)...), wantSignals: 1,
			check: func(t *testing.T, out *Outcome) {
				if out.Signals[0].DistinctDstCount != 20 || !out.Signals[0].FirstSeen.Equal(base) {
					t.Errorf("the record at t-5m must count: %+v", out.Signals[0])
				}
			}},
		{name: "record one microsecond older than the window does not count", flows: append(sweep(-time.Microsecond, 0, src, 1, 445), sweep(5*time.Minute, 0, src, 20, 445)[1:]...), wantSignals: 0},
		{name: "equal timestamps are added together", flows: sweep(time.Minute, 0, src, 25, 445), wantSignals: 1,
			check: func(t *testing.T, out *Outcome) {
				if s := out.Signals[0]; !s.CrossedAt.Equal(base.Add(time.Minute)) || s.DistinctDstCount != 25 {
					t.Errorf("all 25 at one instant: %+v", s)
				}
			}},
		{name: "external destination does not count", flows: append(sweep(0, time.Second, src, 19, 445), conn(30*time.Second, src, "8.8.8.8", 445)), wantSignals: 0},
		{name: "external source does not count", flows: sweep(0, time.Second, "203.0.113.9", 30, 445), wantSignals: 0},
		{name: "isInternal from the input wins", flows: func() []flow {
			f := sweep(0, time.Second, "203.0.113.9", 20, 445)
			for i := range f {
				f[i].SrcInternal = ptr(true)
			}
			return f
		}(), wantSignals: 1},
		{name: "port 0 does not qualify", flows: sweep(0, time.Second, src, 20, 0), wantSignals: 0},
		{name: "port 1 qualifies", flows: sweep(0, time.Second, src, 20, 1), wantSignals: 1},
		{name: "port 1024 qualifies", flows: sweep(0, time.Second, src, 20, 1024), wantSignals: 1},
		{name: "port 1025 does not qualify", flows: sweep(0, time.Second, src, 20, 1025), wantSignals: 0},
		{name: "port 3389 qualifies", flows: sweep(0, time.Second, src, 20, 3389), wantSignals: 1},
		{name: "port 1025 qualifies with --ports all", flows: sweep(0, time.Second, src, 20, 1025), params: psql.Params{Ports: &psql.Ports{All: true}}, wantSignals: 1},
		{name: "no port (ICMP) never qualifies", flows: func() []flow {
			f := sweep(0, time.Second, src, 20, 445)
			for i := range f {
				f[i].DstPort = nil
			}
			return f
		}(), params: psql.Params{Ports: &psql.Ports{All: true}}, wantSignals: 0},
		{name: "NetworkFlow excluded by default", flows: objectType(sweep(0, time.Second, src, 20, 445), "NetworkFlow"), wantSignals: 0,
			check: func(t *testing.T, out *Outcome) {
				if out.Summary.DroppedByCondition["record_type"] != 20 {
					t.Errorf("funnel: %+v", out.Summary.DroppedByCondition)
				}
			}},
		{name: "NetworkFlow included with record types", flows: objectType(sweep(0, time.Second, src, 20, 445), "NetworkFlow"), params: psql.Params{RecordTypes: []string{"Network", "NetworkFlow"}}, wantSignals: 1},
		{name: "IPv6 sweep with IPv6 internal networks", internal: []string{"10.0.0.0/8", "fd00::/8"}, flows: func() []flow {
			var f []flow
			for i := 0; i < 20; i++ {
				f = append(f, conn(time.Duration(i)*time.Second, "fd00::5", fmt.Sprintf("fd00::1:%x", i+1), 22))
			}
			return f
		}(), wantSignals: 1},
		{name: "IPv4-mapped addresses are their IPv4 form", flows: func() []flow {
			f := sweep(0, time.Second, src, 20, 445)
			for i := range f {
				if i%2 == 0 {
					f[i].Src = "::ffff:" + src
				}
			}
			f = append(f, conn(10*time.Second, src, "::ffff:10.9.0.1", 445)) // same destination again
			return f
		}(), wantSignals: 1, check: func(t *testing.T, out *Outcome) {
			if s := out.Signals[0]; s.SrcDeviceIP != src || s.DistinctDstCount != 20 {
				t.Errorf("canonical forms: %+v", s)
			}
		}},
		{name: "a re-crossing after the count fell gives a second signal", flows: append(sweep(0, time.Second, src, 20, 445), sweep(20*time.Minute, time.Second, src, 20, 445)...),
			params: psql.Params{Suppression: 5 * time.Minute}, wantSignals: 2},
		{name: "the count falls between records: continuous episodes", flows: func() []flow {
			// 20 destinations at t=0..19s; the first leaves the window just
			// after 5m0s and a 21st arrives at 5m0.5s: the count is 19 in
			// between, so the 21st starts a new episode.
			f := sweep(0, time.Second, src, 20, 445)
			return append(f, conn(5*time.Minute+500*time.Millisecond, src, "10.9.9.9", 445))
		}(), params: psql.Params{Suppression: 5 * time.Minute}, wantSignals: 2,
			check: func(t *testing.T, out *Outcome) {
				if !out.Signals[1].CrossedAt.Equal(base.Add(5*time.Minute + 500*time.Millisecond)) {
					t.Errorf("second episode starts at the 21st record: %v", out.Signals[1].CrossedAt)
				}
			}},
		{name: "suppression of the second signal within 72h", flows: append(sweep(0, time.Second, src, 20, 445), sweep(time.Hour, time.Second, src, 20, 22)...), wantSignals: 2,
			check: func(t *testing.T, out *Outcome) {
				first, second := out.Signals[0], out.Signals[1]
				if first.Suppressed || !second.Suppressed || !strings.Contains(second.SuppressedReason, first.SignalID) {
					t.Errorf("suppression: %+v / %+v", first, second)
				}
				if out.Summary.Suppressed != 1 {
					t.Errorf("summary suppressed = %d", out.Summary.Suppressed)
				}
			}},
		{name: "no suppression after 72h", flows: append(sweep(0, time.Second, src, 20, 445), sweep(73*time.Hour, time.Second, src, 20, 445)...), wantSignals: 2,
			check: func(t *testing.T, out *Outcome) {
				if out.Signals[1].Suppressed {
					t.Errorf("second signal 73h later must not be suppressed")
				}
			}},
		{name: "hostname and user from the crossing window", flows: func() []flow {
			f := sweep(0, time.Second, src, 25, 445)
			f[0].Hostname, f[0].User = "old-name", "olduser" // still in the window
			f[5].Hostname = "ws-5"
			f[7].User = "alice"
			f[22].Hostname = "after-crossing" // after crossed_at: not in the window
			return f
		}(), wantSignals: 1, check: func(t *testing.T, out *Outcome) {
			s := out.Signals[0]
			if s.SrcHostname != "ws-5" || s.Username != "alice" {
				t.Errorf("hostname/user = %q/%q, want ws-5/alice", s.SrcHostname, s.Username)
			}
			if len(s.Entities) != 3 || s.Entities[1].Type != "_hostname" || s.Entities[2].Value != "alice" {
				t.Errorf("entities = %+v", s.Entities)
			}
		}},
	}
	for _, l := range []string{"proxy_servers", "lan_scanner_exception_ips", "nms_ips", "vuln_scanners"} {
		tests = append(tests,
			exactCase{name: l + " on the source excludes", flows: sweep(0, time.Second, src, 20, 445), lists: map[string]string{l: src + "/32"}, wantSignals: 0,
				check: func(t *testing.T, out *Outcome) {
					if out.Summary.ExcludedByList[l] != 20 {
						t.Errorf("excluded_by_list = %v", out.Summary.ExcludedByList)
					}
				}},
			exactCase{name: l + " on a destination excludes that record", flows: sweep(0, time.Second, src, 20, 445), lists: map[string]string{l: "10.9.0.1"}, wantSignals: 0},
		)
	}
	tests = append(tests, struct {
		name        string
		flows       []flow
		params      psql.Params
		lists       map[string]string
		internal    []string
		wantSignals int
		check       func(t *testing.T, out *Outcome)
	}{name: "listMatches from the input excludes", flows: func() []flow {
		f := sweep(0, time.Second, src, 20, 445)
		f[3].ListMatches = []string{"vuln_scanners"}
		return f
	}(), wantSignals: 0})

	for _, tt := range tests {
		for _, engine := range []string{EngineGo, EngineSQL} {
			t.Run(engine+"/"+tt.name, func(t *testing.T) {
				e := newEnv(t)
				e.engine = engine
				e.params = tt.params
				if tt.internal != nil {
					e.enrich.InternalNetworks = nil
					for _, c := range tt.internal {
						p, err := loader.ParsePrefix(c)
						if err != nil {
							t.Fatal(err)
						}
						e.enrich.InternalNetworks = append(e.enrich.InternalNetworks, p)
					}
				}
				for name, cidr := range tt.lists {
					ml, err := loader.ParseMatchList(name, strings.NewReader(cidr+"\n"))
					if err != nil {
						t.Fatal(err)
					}
					e.enrich.MatchLists = append(e.enrich.MatchLists, ml)
				}
				out := e.detect(tt.flows)
				if len(out.Signals) != tt.wantSignals {
					t.Fatalf("got %d signals, want %d: %+v\nfunnel %+v", len(out.Signals), tt.wantSignals, out.Signals, out.Summary)
				}
				if tt.check != nil {
					tt.check(t, out)
				}
			})
		}
	}
}

func objectType(f []flow, t string) []flow {
	for i := range f {
		f[i].ObjectType = t
	}
	return f
}

func TestSameInputSameSignalIDs(t *testing.T) {
	flows := append(sweep(0, time.Second, "10.1.1.5", 30, 445), sweep(time.Minute, time.Second, "10.1.1.6", 25, 3389)...)
	e := newEnv(t)
	first := e.detect(flows)
	second := e.detect(flows) // the same database: detect is independent of earlier runs
	if len(first.Signals) != 2 || len(second.Signals) != 2 {
		t.Fatalf("want 2 signals each time, got %d and %d", len(first.Signals), len(second.Signals))
	}
	for i := range first.Signals {
		if first.Signals[i].SignalID != second.Signals[i].SignalID {
			t.Errorf("signal %d id differs: %s vs %s", i, first.Signals[i].SignalID, second.Signals[i].SignalID)
		}
	}
	if first.RunID == second.RunID {
		t.Errorf("each detect is its own run")
	}
}
