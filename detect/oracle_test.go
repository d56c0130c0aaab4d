package detect

import (
	"context"
	"fmt"
	"math/rand"
	"net/netip"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/portsweep/portsweep/sink"
)

// oracle is a brute-force implementation of DESIGN §1 in plain Go, written
// independently of the SQL: for every record time t of a group it counts
// the distinct destinations in [t-W, t] and in [t-W, t) (the count just
// before t); t is a crossing when the first reaches the threshold and the
// second does not.
func oracle(flows []flow, threshold int, window, suppression time.Duration, internal []netip.Prefix) []sink.Signal {
	type rec struct {
		ts         time.Time
		dst        string
		host, user string
	}
	isInternal := func(a netip.Addr) bool {
		for _, p := range internal {
			if p.Contains(a) {
				return true
			}
		}
		return false
	}
	type key struct {
		src  string
		port int
	}
	groups := map[key][]rec{}
	for _, f := range flows {
		if f.ObjectType != "Network" || f.DstPort == nil || !(*f.DstPort >= 1 && *f.DstPort <= 1024 || *f.DstPort == 3389) {
			continue
		}
		s, err1 := netip.ParseAddr(f.Src)
		d, err2 := netip.ParseAddr(f.Dst)
		if err1 != nil || err2 != nil {
			continue
		}
		s, d = s.Unmap(), d.Unmap()
		if !isInternal(s) || !isInternal(d) {
			continue
		}
		ts, _ := time.Parse(time.RFC3339Nano, f.Timestamp)
		k := key{s.String(), *f.DstPort}
		groups[k] = append(groups[k], rec{ts, d.String(), f.Hostname, f.User})
	}
	var out []sink.Signal
	for k, recs := range groups {
		distinct := func(t time.Time, includeT bool) int {
			seen := map[string]bool{}
			for _, r := range recs {
				if r.ts.Before(t.Add(-window)) || r.ts.After(t) || (!includeT && r.ts.Equal(t)) {
					continue
				}
				seen[r.dst] = true
			}
			return len(seen)
		}
		times := map[time.Time]bool{}
		for _, r := range recs {
			times[r.ts] = true
		}
		for t := range times {
			if distinct(t, true) < threshold || distinct(t, false) >= threshold {
				continue
			}
			s := sink.Signal{SrcDeviceIP: k.src, DstPort: int32(k.port), CrossedAt: t}
			first := map[string]time.Time{}
			var hostTS, userTS time.Time
			for _, r := range recs {
				if r.ts.Before(t.Add(-window)) || r.ts.After(t) {
					continue
				}
				s.RecordCount++
				if s.FirstSeen.IsZero() || r.ts.Before(s.FirstSeen) {
					s.FirstSeen = r.ts
				}
				if f, ok := first[r.dst]; !ok || r.ts.Before(f) {
					first[r.dst] = r.ts
				}
				if r.host != "" && (r.ts.After(hostTS) || r.ts.Equal(hostTS) && r.host > s.SrcHostname) {
					hostTS, s.SrcHostname = r.ts, r.host
				}
				if r.user != "" && (r.ts.After(userTS) || r.ts.Equal(userTS) && r.user > s.Username) {
					userTS, s.Username = r.ts, r.user
				}
			}
			s.DistinctDstCount = int64(len(first))
			for d := range first {
				s.DstSample = append(s.DstSample, d)
			}
			sort.Slice(s.DstSample, func(i, j int) bool {
				a, b := s.DstSample[i], s.DstSample[j]
				if !first[a].Equal(first[b]) {
					return first[a].Before(first[b])
				}
				return a < b
			})
			if len(s.DstSample) > 100 {
				s.DstSample = s.DstSample[:100]
			}
			s.SignalID = SignalID("THRESHOLD-S00081", s.SrcDeviceIP, s.DstPort, t)
			out = append(out, s)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if !a.CrossedAt.Equal(b.CrossedAt) {
			return a.CrossedAt.Before(b.CrossedAt)
		}
		if a.SrcDeviceIP != b.SrcDeviceIP {
			return a.SrcDeviceIP < b.SrcDeviceIP
		}
		return a.DstPort < b.DstPort
	})
	last := map[string]sink.Signal{}
	for i := range out {
		if p, ok := last[out[i].SrcDeviceIP]; ok && out[i].CrossedAt.Sub(p.CrossedAt) < suppression {
			out[i].Suppressed = true
			out[i].SuppressedReason = p.SignalID
			continue
		}
		last[out[i].SrcDeviceIP] = out[i]
	}
	return out
}

// randomFlows makes inputs that stress the edges: few sources, ports and
// destinations (IPv4, IPv6, IPv4-mapped), times on a coarse grid so that
// ties and exact window edges are common, and a few 1 µs offsets.
func randomFlows(rng *rand.Rand) []flow {
	srcs := []string{"10.0.0.1", "10.0.0.2", "::ffff:10.0.0.3", "fd00::1"}
	ports := []int{22, 445, 3389, 8080}
	var dsts []string
	for i := 0; i < 14; i++ {
		dsts = append(dsts, fmt.Sprintf("10.1.0.%d", i+1))
	}
	dsts = append(dsts, "::ffff:10.1.0.1", "::ffff:10.1.0.99", "fd00::a", "fd00::b", "8.8.8.8", "192.168.7.7")
	hosts := []string{"", "", "ws-a", "ws-b"}
	users := []string{"", "", "alice", "bob"}
	n := 20 + rng.Intn(120)
	var out []flow
	for i := 0; i < n; i++ {
		ts := time.Duration(rng.Intn(40)) * 30 * time.Second
		switch rng.Intn(10) {
		case 0:
			ts += time.Microsecond
		case 1:
			ts -= time.Microsecond
		}
		f := conn(ts, srcs[rng.Intn(len(srcs))], dsts[rng.Intn(len(dsts))], ports[rng.Intn(len(ports))])
		f.Hostname, f.User = hosts[rng.Intn(len(hosts))], users[rng.Intn(len(users))]
		if rng.Intn(15) == 0 {
			f.ObjectType = "NetworkFlow"
		}
		out = append(out, f)
	}
	return out
}

// TestEnginesMatchOracle runs each engine, the Go one and the compiled
// SQL, and the oracle on 200 random inputs and compares every signal field
// by field.
func TestEnginesMatchOracle(t *testing.T) {
	for _, engine := range []string{EngineGo, EngineSQL} {
		t.Run(engine, func(t *testing.T) { engineMatchesOracle(t, engine) })
	}
}

func engineMatchesOracle(t *testing.T, engine string) {
	e := newEnv(t)
	e.engine = engine
	internal := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.168.0.0/16"), netip.MustParsePrefix("fd00::/8")}
	e.enrich.InternalNetworks = internal
	rng := rand.New(rand.NewSource(20261204))
	totalSignals := 0
	for i := 0; i < 200; i++ {
		threshold := 2 + rng.Intn(5)
		window := []time.Duration{time.Minute, 5 * time.Minute, 150 * time.Second}[rng.Intn(3)]
		suppression := []time.Duration{window, 10 * time.Minute, 72 * time.Hour}[rng.Intn(3)]
		e.params.Threshold, e.params.Window, e.params.Suppression = threshold, window, suppression
		flows := randomFlows(rng)
		p := writeFlows(t, e.dir, fmt.Sprintf("case%d.jsonl", i), flows)
		got, err := e.store.Detect(context.Background(), inputsOf(p), e.config())
		if err != nil {
			t.Fatal(err)
		}
		want := oracle(flows, threshold, window, suppression, internal)
		totalSignals += len(want)
		if len(got.Signals) != len(want) {
			t.Fatalf("case %d (threshold %d, window %s): %s found %d signals, oracle %d\n%s:    %v\noracle: %v", i, threshold, window, engine, len(got.Signals), len(want), engine, brief(got.Signals), brief(want))
		}
		for j := range want {
			g, w := got.Signals[j], want[j]
			if w.Suppressed && g.Suppressed && len(g.SuppressedReason) > 0 {
				if !containsID(g.SuppressedReason, w.SuppressedReason) {
					t.Errorf("case %d signal %d: suppressed by %q, oracle says by %s", i, j, g.SuppressedReason, w.SuppressedReason)
				}
				g.SuppressedReason = w.SuppressedReason
			}
			gotFields := []any{g.SignalID, g.SrcDeviceIP, g.DstPort, g.CrossedAt.UTC(), g.FirstSeen.UTC(), g.DistinctDstCount, g.RecordCount, g.DstSample, g.SrcHostname, g.Username, g.Suppressed, g.SuppressedReason}
			wantFields := []any{w.SignalID, w.SrcDeviceIP, w.DstPort, w.CrossedAt.UTC(), w.FirstSeen.UTC(), w.DistinctDstCount, w.RecordCount, w.DstSample, w.SrcHostname, w.Username, w.Suppressed, w.SuppressedReason}
			if !reflect.DeepEqual(gotFields, wantFields) {
				t.Errorf("case %d signal %d differs\n%s:    %v\noracle: %v", i, j, engine, gotFields, wantFields)
			}
		}
	}
	if totalSignals < 100 {
		t.Fatalf("the random inputs produced only %d signals: the property is not exercised", totalSignals)
	}
	t.Logf("200 random inputs, %d signals compared field by field", totalSignals)
}

func containsID(reason, id string) bool {
	return len(id) > 0 && len(reason) >= len(id) && stringsContains(reason, id)
}

func brief(ss []sink.Signal) []string {
	var out []string
	for _, s := range ss {
		out = append(out, fmt.Sprintf("%s:%d@%s", s.SrcDeviceIP, s.DstPort, s.CrossedAt.Format(sink.TimeLayout)))
	}
	return out
}

// TestNaiveWindowQueryAgrees keeps the query a user would write by hand as
// a second oracle: a DISTINCT count over a RANGE window finds, per (source,
// port), the first time the threshold is reached, which must be the
// crossed_at of the group's first signal.
func TestNaiveWindowQueryAgrees(t *testing.T) {
	e := newEnv(t)
	rng := rand.New(rand.NewSource(99))
	compared := 0
	for i := 0; i < 50; i++ {
		threshold := 2 + rng.Intn(4)
		e.params.Threshold = threshold
		var flows []flow
		for j := 0; j < 30+rng.Intn(100); j++ {
			ts := time.Duration(rng.Intn(40))*30*time.Second + time.Duration(rng.Intn(3)-1)*time.Microsecond
			flows = append(flows, conn(ts, fmt.Sprintf("10.0.0.%d", 1+rng.Intn(3)), fmt.Sprintf("10.1.0.%d", 1+rng.Intn(12)), []int{22, 445}[rng.Intn(2)]))
		}
		p := writeFlows(t, e.dir, fmt.Sprintf("naive%d.jsonl", i), flows)
		out, err := e.store.Detect(context.Background(), inputsOf(p), e.config())
		if err != nil {
			t.Fatal(err)
		}
		first := map[string]time.Time{}
		for _, s := range out.Signals {
			k := fmt.Sprintf("%s/%d", s.SrcDeviceIP, s.DstPort)
			if f, ok := first[k]; !ok || s.CrossedAt.Before(f) {
				first[k] = s.CrossedAt
			}
		}
		rows, err := e.store.DB.Query(`SELECT src || '/' || port, min(ts) FROM (
			SELECT srcDevice_ip AS src, dstPort AS port, "timestamp" AS ts,
				count(DISTINCT dstDevice_ip) OVER (PARTITION BY srcDevice_ip, dstPort ORDER BY "timestamp"
					RANGE BETWEEN INTERVAL 5 MINUTES PRECEDING AND CURRENT ROW) AS n
			FROM read_json(?, format = 'newline_delimited', columns = {"timestamp": 'TIMESTAMP', srcDevice_ip: 'VARCHAR', dstDevice_ip: 'VARCHAR', dstPort: 'INTEGER'}))
			WHERE n >= ? GROUP BY ALL`, p, threshold)
		if err != nil {
			t.Fatal(err)
		}
		naive := map[string]time.Time{}
		for rows.Next() {
			var k string
			var at time.Time
			if err := rows.Scan(&k, &at); err != nil {
				t.Fatal(err)
			}
			naive[k] = at.UTC()
		}
		rows.Close()
		if !reflect.DeepEqual(first, naive) {
			t.Fatalf("case %d: first crossings\nportsweep %v\nnaive     %v", i, first, naive)
		}
		compared += len(naive)
	}
	if compared < 50 {
		t.Fatalf("only %d keys crossed: not exercised", compared)
	}
	t.Logf("50 random inputs, %d first crossings equal to the naive window query's", compared)
}
