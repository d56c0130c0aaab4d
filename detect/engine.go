package detect

import (
	"cmp"
	"math"
	"runtime"
	"slices"
	"sort"
	"sync"
	"time"
)

// The crossing engine in Go finds the episodes of DESIGN §1 over the
// qualifying records, as sql/templates/crossings.sql defines them (that SQL
// runs with --engine sql, and the tests hold the two to the same signals).
// Per group, in time order, a destination is active at t when it has a
// record in [t-window, t]; a record of an inactive destination raises the
// count by one, and the count reaching the threshold is a crossing. A
// destination leaves the count when its latest record becomes older than
// the window, which is the end of its run in crossings.sql; all records
// of an instant are counted before any destination leaves, as starts sort
// before ends there. Sorting the records of each group by time is the
// whole cost: the SQL formulation sorts three times (per group, per
// destination, and the run starts and ends).

// record is one qualifying record as the engine reads it.
type record struct {
	group uint64 // entity id in the high 32 bits, grp in the low 32
	ts    int64  // µs since the epoch
	ref   int64  // a batch record: input_id<<40 | record_no; a tail record i: -(i+1)
	dst   int32  // id of the address whose distinct count is taken
}

func groupKey(entity, grp int32) uint64 { return uint64(uint32(entity))<<32 | uint64(uint32(grp)) }

func (r record) entity() int32 { return int32(r.group >> 32) }
func (r record) grp() int32    { return int32(uint32(r.group)) }

// episode is one crossing with the group's records in its window
// [crossedAt-window, crossedAt], in time order.
type episode struct {
	crossedAt int64
	window    []record
}

// findEpisodes returns the crossings at or after since over the records
// of all parts, in no particular order, and how many groups hold a batch
// record (ref >= 0).
func findEpisodes(parts [][]record, threshold int, window, since int64) (episodes []episode, batchGroups int) {
	sorted, bounds, maxDst := byGroup(parts)
	if len(sorted) == 0 || threshold < 1 {
		return nil, 0
	}
	groups := len(bounds) - 1
	for g := 0; g < groups; g++ {
		for _, r := range sorted[bounds[g]:bounds[g+1]] {
			if r.ref >= 0 {
				batchGroups++
				break
			}
		}
	}
	workers := min(runtime.GOMAXPROCS(0), groups)
	found := make([][]episode, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			last := make([]int64, maxDst+1)
			for i := range last {
				last[i] = math.MinInt64
			}
			for g := w; g < groups; g += workers {
				found[w] = crossGroup(sorted[bounds[g]:bounds[g+1]], last, threshold, window, since, found[w])
			}
		}(w)
	}
	wg.Wait()
	for _, f := range found {
		episodes = append(episodes, f...)
	}
	return episodes, batchGroups
}

// byGroup places the records of each group together (a counting sort on
// the group's first appearance): group g is sorted[bounds[g]:bounds[g+1]].
func byGroup(parts [][]record) (sorted []record, bounds []int, maxDst int32) {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	index := make(map[uint64]int32)
	of := make([]int32, 0, n)
	var counts []int
	for _, p := range parts {
		for _, r := range p {
			g, ok := index[r.group]
			if !ok {
				g = int32(len(counts))
				index[r.group] = g
				counts = append(counts, 0)
			}
			of = append(of, g)
			counts[g]++
			maxDst = max(maxDst, r.dst)
		}
	}
	bounds = make([]int, len(counts)+1)
	for g, c := range counts {
		bounds[g+1] = bounds[g] + c
	}
	next := slices.Clone(bounds[:len(counts)])
	sorted = make([]record, n)
	i := 0
	for _, p := range parts {
		for _, r := range p {
			sorted[next[of[i]]] = r
			next[of[i]]++
			i++
		}
	}
	return sorted, bounds, maxDst
}

// crossGroup sorts one group's records by time and appends its crossings
// at or after since. last[dst] is the time of dst's latest record so far
// (math.MinInt64: none); it is reset for the group's destinations on return.
func crossGroup(recs []record, last []int64, threshold int, window, since int64, out []episode) []episode {
	slices.SortFunc(recs, func(a, b record) int { return cmp.Compare(a.ts, b.ts) })
	active, oldest := 0, 0
	for i, r := range recs {
		if i == 0 || r.ts != recs[i-1].ts { // within an instant nothing more leaves
			for ; recs[oldest].ts < r.ts-window; oldest++ {
				o := recs[oldest]
				if last[o.dst] == o.ts {
					active-- // o was its destination's latest record
					last[o.dst] = math.MinInt64
				}
			}
		}
		if last[r.dst] < r.ts-window {
			active++
			if active == threshold && r.ts >= since {
				out = append(out, episode{crossedAt: r.ts, window: windowOf(recs, r.ts, window)})
			}
		}
		last[r.dst] = r.ts
	}
	for _, r := range recs {
		last[r.dst] = math.MinInt64
	}
	return out
}

// windowOf returns the records of a time-sorted group in [t-window, t].
func windowOf(recs []record, t, window int64) []record {
	lo := sort.Search(len(recs), func(i int) bool { return recs[i].ts >= t-window })
	hi := sort.Search(len(recs), func(i int) bool { return recs[i].ts > t })
	return recs[lo:hi]
}

// recordDetails are the texts of a record that a signal reports.
type recordDetails struct{ hostname, username string }

// crossingOf fills a crossing's fields from its window as crossings.sql
// does: the earliest record time, the distinct destinations in the order
// of their first record then of their address text (at most
// dstSampleSize), the record count, and the hostname and user name of the
// latest record that has one (ties: the greater text). ips names the ids.
func crossingOf(e episode, ips []string, details func(ref int64) recordDetails) Crossing {
	first := map[int32]int64{}
	var hostTS, userTS int64 = math.MinInt64, math.MinInt64
	x := Crossing{
		Entity:      ips[e.window[0].entity()],
		Group:       e.window[0].grp(),
		CrossedAt:   microsToTime(e.crossedAt),
		FirstSeen:   microsToTime(e.window[0].ts),
		RecordCount: int64(len(e.window)),
	}
	for _, r := range e.window {
		if _, seen := first[r.dst]; !seen {
			first[r.dst] = r.ts
		}
		d := details(r.ref)
		if d.hostname != "" && (r.ts > hostTS || r.ts == hostTS && d.hostname > x.Hostname) {
			hostTS, x.Hostname = r.ts, d.hostname
		}
		if d.username != "" && (r.ts > userTS || r.ts == userTS && d.username > x.Username) {
			userTS, x.Username = r.ts, d.username
		}
	}
	x.DistinctDstCount = int64(len(first))
	dsts := make([]int32, 0, len(first))
	for d := range first {
		dsts = append(dsts, d)
	}
	slices.SortFunc(dsts, func(a, b int32) int {
		return cmp.Or(cmp.Compare(first[a], first[b]), cmp.Compare(ips[a], ips[b]))
	})
	for _, d := range dsts[:min(len(dsts), dstSampleSize)] {
		x.DstSample = append(x.DstSample, ips[d])
	}
	return x
}

// dstSampleSize bounds dst_sample, as crossings.sql's [1:100].
const dstSampleSize = 100

func microsToTime(us int64) time.Time { return time.UnixMicro(us).UTC() }
