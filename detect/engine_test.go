package detect

import (
	"encoding/binary"
	"fmt"
	"math/rand"
	"reflect"
	"sort"
	"testing"
)

// bruteCrossings states DESIGN §1 directly, in O(n²) per group: with
// count(t) the distinct destinations with a record in [t-window, t], an
// episode starts at a record time t where the count just before t's own
// records, over [t-window, t), is below the threshold and count(t) is not.
// It returns "group@t" with the number of records in the window.
func bruteCrossings(recs []record, threshold int, window, since int64) map[string]int {
	out := map[string]int{}
	for _, r := range recs {
		t := r.ts
		if t < since {
			continue
		}
		before, after, n := map[int32]bool{}, map[int32]bool{}, 0
		for _, o := range recs {
			if o.group != r.group || o.ts < t-window || o.ts > t {
				continue
			}
			n++
			after[o.dst] = true
			if o.ts < t {
				before[o.dst] = true
			}
		}
		if len(before) < threshold && len(after) >= threshold {
			out[fmt.Sprintf("%d@%d", r.group, t)] = n
		}
	}
	return out
}

func engineCrossings(parts [][]record, threshold int, window, since int64) map[string]int {
	episodes, _ := findEpisodes(parts, threshold, window, since)
	out := map[string]int{}
	for _, e := range episodes {
		k := fmt.Sprintf("%d@%d", e.window[0].group, e.crossedAt)
		if _, dup := out[k]; dup {
			out[k+" again"] = 0 // one instant starts at most one episode
		}
		out[k] = len(e.window)
		if !sort.SliceIsSorted(e.window, func(i, j int) bool { return e.window[i].ts < e.window[j].ts }) {
			out[k+" unsorted"] = 0
		}
	}
	return out
}

// randomRecords draws records on a coarse time grid, so that equal times
// and records exactly one window apart are common, with a few µs offsets
// around the window's edge.
func randomRecords(rng *rand.Rand, n int, window int64) []record {
	recs := make([]record, n)
	for i := range recs {
		ts := int64(rng.Intn(30)) * window / 4
		if rng.Intn(4) == 0 {
			ts += int64(rng.Intn(3) - 1)
		}
		recs[i] = record{group: groupKey(int32(rng.Intn(3)), int32(rng.Intn(2))), ts: ts, dst: int32(rng.Intn(12)), ref: int64(i)}
	}
	return recs
}

func TestEngineMatchesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	const window = 300_000_000
	crossings := 0
	for i := 0; i < 500; i++ {
		recs := randomRecords(rng, 1+rng.Intn(150), window)
		if i%2 == 0 {
			inRuns(rng, recs) // as records read in time order arrive
		}
		threshold := 1 + rng.Intn(6)
		since := int64(-1 << 62)
		if rng.Intn(3) == 0 {
			since = int64(rng.Intn(30)) * window / 4
		}
		want := bruteCrossings(recs, threshold, window, since)
		cut := rng.Intn(len(recs) + 1) // batch and tail parts
		got := engineCrossings([][]record{recs[:cut], recs[cut:]}, threshold, window, since)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("case %d (threshold %d, since %d): engine %v, brute force %v", i, threshold, since, got, want)
		}
		crossings += len(want)
	}
	if crossings < 500 {
		t.Fatalf("only %d crossings: the property is not exercised", crossings)
	}
}

// inRuns sorts recs by time in 1 to 4 consecutive runs.
func inRuns(rng *rand.Rand, recs []record) {
	for from, runs := 0, 1+rng.Intn(4); from < len(recs); runs-- {
		to := len(recs)
		if runs > 1 {
			to = from + rng.Intn(len(recs)-from+1)
		}
		sort.Slice(recs[from:to], func(i, j int) bool { return recs[from+i].ts < recs[from+j].ts })
		from = to
	}
}

func TestSortByTime(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	var buf []record
	for i := 0; i < 2000; i++ {
		recs := randomRecords(rng, rng.Intn(300), 40)
		if i%4 != 0 {
			inRuns(rng, recs)
		}
		want := map[int64]int64{} // ref -> ts: the same records come out
		for _, r := range recs {
			want[r.ref] = r.ts
		}
		sortByTime(recs, &buf)
		got := map[int64]int64{}
		for k, r := range recs {
			got[r.ref] = r.ts
			if k > 0 && r.ts < recs[k-1].ts {
				t.Fatalf("case %d: not sorted at %d", i, k)
			}
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("case %d: records lost or changed", i)
		}
	}
}

func TestEngineCountsBatchGroups(t *testing.T) {
	recs := []record{
		{group: groupKey(1, 22), ts: 1, ref: 5},
		{group: groupKey(1, 22), ts: 2, ref: -1}, // the same group from the tail
		{group: groupKey(2, 22), ts: 1, ref: -2}, // only in the tail
		{group: groupKey(1, 445), ts: 3, ref: 9},
	}
	if _, groups := findEpisodes([][]record{recs[:1], recs[1:]}, 1, 10, 0); groups != 2 {
		t.Fatalf("batch groups %d, want 2", groups)
	}
}

// FuzzFindEpisodes holds the engine to the brute force on arbitrary
// records: 8 bytes per record give its group, destination and time.
func FuzzFindEpisodes(f *testing.F) {
	f.Add([]byte{0, 1, 0, 0, 1, 2, 0, 1, 0, 3, 0, 2}, uint8(2))
	f.Add([]byte{1, 1, 0, 0, 1, 1, 0, 5, 1, 2, 0, 5, 1, 3, 0, 10}, uint8(3))
	f.Fuzz(func(t *testing.T, data []byte, threshold uint8) {
		const window = 10
		var recs []record
		for i := 0; i+4 <= len(data) && len(recs) < 200; i += 4 {
			recs = append(recs, record{
				group: groupKey(int32(data[i]%3), 0),
				dst:   int32(data[i+1] % 16),
				ts:    int64(binary.BigEndian.Uint16(data[i+2:])) % 64,
				ref:   int64(i),
			})
		}
		th := 1 + int(threshold%8)
		want := bruteCrossings(recs, th, window, 0)
		got := engineCrossings([][]record{recs}, th, window, 0)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("threshold %d: engine %v, brute force %v (records %v)", th, got, want, recs)
		}
	})
}
