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
			var buf []record
			for g := w; g < groups; g += workers {
				found[w] = crossGroup(sorted[bounds[g]:bounds[g+1]], last, &buf, threshold, window, since, found[w])
			}
		}(w)
	}
	wg.Wait()
	for _, f := range found {
		episodes = append(episodes, f...)
	}
	return episodes, batchGroups
}

// byGroup places the records of each group together (a counting sort):
// group g is sorted[bounds[g]:bounds[g+1]]. Workers number the groups of
// their share of the parts, the numbers are merged, and each worker moves
// its records to their places; the map lookup per record is most of the
// cost, so it is shared out.
func byGroup(parts [][]record) (sorted []record, bounds []int, maxDst int32) {
	workers := max(1, min(runtime.GOMAXPROCS(0), len(parts)))
	type share struct {
		local  map[uint64]int32 // group key -> local number
		counts []int            // records per local number
		of     [][]int32        // local number of each record, per part
		maxDst int32
		global []int32 // local number -> global group number
		next   []int   // global group number -> next place for this share
	}
	shares := make([]share, workers)
	var wg sync.WaitGroup
	for w := range shares {
		wg.Add(1)
		go func(sh *share, w int) {
			defer wg.Done()
			sh.local = map[uint64]int32{}
			for p := w; p < len(parts); p += workers {
				of := make([]int32, len(parts[p]))
				for i, r := range parts[p] {
					g, ok := sh.local[r.group]
					if !ok {
						g = int32(len(sh.counts))
						sh.local[r.group] = g
						sh.counts = append(sh.counts, 0)
					}
					of[i] = g
					sh.counts[g]++
					sh.maxDst = max(sh.maxDst, r.dst)
				}
				sh.of = append(sh.of, of)
			}
		}(&shares[w], w)
	}
	wg.Wait()
	number := map[uint64]int{}
	var counts []int
	for w := range shares {
		sh := &shares[w]
		maxDst = max(maxDst, sh.maxDst)
		sh.global = make([]int32, len(sh.counts))
		for key, l := range sh.local {
			g, ok := number[key]
			if !ok {
				g = len(counts)
				number[key] = g
				counts = append(counts, 0)
			}
			sh.global[l] = int32(g)
			counts[g] += sh.counts[l]
		}
	}
	bounds = make([]int, len(counts)+1)
	for g, c := range counts {
		bounds[g+1] = bounds[g] + c
	}
	taken := slices.Clone(bounds[:len(counts)])
	for w := range shares {
		sh := &shares[w]
		sh.next = slices.Clone(taken)
		for l, g := range sh.global {
			taken[g] += sh.counts[l]
		}
	}
	sorted = make([]record, bounds[len(counts)])
	for w := range shares {
		wg.Add(1)
		go func(sh *share, w int) {
			defer wg.Done()
			k := 0
			for p := w; p < len(parts); p += workers {
				for i, r := range parts[p] {
					g := sh.global[sh.of[k][i]]
					sorted[sh.next[g]] = r
					sh.next[g]++
				}
				k++
			}
		}(&shares[w], w)
	}
	wg.Wait()
	return sorted, bounds, maxDst
}

// crossGroup sorts one group's records by time and appends its crossings
// at or after since. last[dst] is the time of dst's latest record so far
// (math.MinInt64: none); it is reset for the group's destinations on return.
func crossGroup(recs []record, last []int64, buf *[]record, threshold int, window, since int64, out []episode) []episode {
	sortByTime(recs, buf)
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

// sortByTime sorts a group's records by time. Flow records mostly come
// in time order, and a group's records arrive in one sorted run per
// reader; merging a few runs is linear, so only many runs (records out of
// order) are left to a general sort. buf is scratch space.
func sortByTime(recs []record, buf *[]record) {
	const maxRuns = 8
	var starts [maxRuns + 1]int
	runs := 1
	for i := 1; i < len(recs); i++ {
		if recs[i].ts < recs[i-1].ts {
			if runs == maxRuns {
				slices.SortFunc(recs, func(a, b record) int { return cmp.Compare(a.ts, b.ts) })
				return
			}
			starts[runs] = i
			runs++
		}
	}
	starts[runs] = len(recs)
	for runs > 1 {
		merged := 0
		for r := 0; r < runs; r += 2 {
			if r+1 < runs {
				mergeRuns(recs[starts[r]:starts[r+2]], starts[r+1]-starts[r], buf)
			}
			starts[merged] = starts[r]
			merged++
		}
		starts[merged] = len(recs)
		runs = merged
	}
}

// mergeRuns merges the sorted runs recs[:mid] and recs[mid:] in place.
func mergeRuns(recs []record, mid int, buf *[]record) {
	left := append((*buf)[:0], recs[:mid]...)
	*buf = left
	i, j, k := 0, mid, 0
	for i < len(left) && j < len(recs) {
		if recs[j].ts < left[i].ts {
			recs[k] = recs[j]
			j++
		} else {
			recs[k] = left[i]
			i++
		}
		k++
	}
	copy(recs[k:], left[i:])
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
