package detect

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/portsweep/portsweep/loader"
	"github.com/portsweep/portsweep/sink"
)

// comparable strips what legitimately differs between runs (nothing of
// the signal itself: run ids are not part of it).
func signalKeySet(ss []sink.Signal) map[string]sink.Signal {
	m := map[string]sink.Signal{}
	for _, s := range ss {
		m[s.SignalID] = s
	}
	return m
}

// splitCase is one random data set cut into time-ordered batches.
type splitCase struct {
	flows   []flow
	batches [][]flow
}

// randomSplit cuts random flows (with one sweep) into 2-20 contiguous
// batches; with distinctCuts no cut falls between two records of the same
// instant.
func randomSplit(rng *rand.Rand, distinctCuts bool) splitCase {
	flows := randomFlows(rng)
	flows = append(flows, sweep(time.Duration(rng.Intn(20))*time.Minute, 7*time.Second, "10.0.0.9", 25, 445)...)
	sort.SliceStable(flows, func(a, b int) bool { return flows[a].Timestamp < flows[b].Timestamp })
	nBatches := 2 + rng.Intn(19)
	cuts := map[int]bool{}
	for tries := 0; len(cuts) < nBatches-1 && tries < 1000; tries++ {
		k := 1 + rng.Intn(len(flows)-1)
		if distinctCuts && flows[k].Timestamp == flows[k-1].Timestamp {
			continue
		}
		cuts[k] = true
	}
	sc := splitCase{flows: flows}
	start := 0
	for k := 1; k <= len(flows); k++ {
		if cuts[k] || k == len(flows) {
			sc.batches = append(sc.batches, flows[start:k])
			start = k
		}
	}
	return sc
}

func batchSpan(b []flow) (time.Time, time.Time) {
	lo, _ := time.Parse(time.RFC3339Nano, b[0].Timestamp)
	hi, _ := time.Parse(time.RFC3339Nano, b[len(b)-1].Timestamp)
	return lo, hi
}

// invarianceCheck runs the batches through stateful runs as arrange says
// (which batches go into the inbox before each run) and compares the union
// of emitted signals with one detect over everything.
func invarianceCheck(t *testing.T, rng *rand.Rand, engine string, sc splitCase, ro RunOptions, arrange func(n int) [][]int) int {
	t.Helper()
	e := newEnv(t)
	e.engine = engine
	e.params.Threshold = 3 + rng.Intn(3)
	e.enrich.InternalNetworks = append(e.enrich.InternalNetworks, mustPrefix("fd00::/8"))
	cfg := e.config()
	var all []string
	for k, b := range sc.batches {
		all = append(all, writeFlows(t, e.dir, fmt.Sprintf("all-%03d.jsonl", k), b))
	}
	oneShot, err := e.store.Detect(context.Background(), inputsOf(all...), cfg)
	if err != nil {
		t.Fatal(err)
	}
	inbox := filepath.Join(e.dir, "inbox")
	os.MkdirAll(inbox, 0o755)
	var union []sink.Signal
	runInbox := func(flush bool) {
		inputs, errs := loader.ExpandPaths([]string{inbox})
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		r := ro
		r.Flush = flush
		out, err := e.store.Run(context.Background(), inputs, cfg, r)
		if err != nil {
			t.Fatal(err)
		}
		for _, ie := range out.InputErrors {
			t.Fatal(ie)
		}
		if out.Summary.RecordsLate != 0 {
			t.Fatalf("%d records were late: the arrangement broke the lateness", out.Summary.RecordsLate)
		}
		union = append(union, out.Signals...)
	}
	for step, group := range arrange(len(sc.batches)) {
		for _, k := range group {
			// Names sort against event-time order.
			writeFlows(t, inbox, fmt.Sprintf("%03d.jsonl", 999-k), sc.batches[k])
		}
		if step > 0 && rng.Intn(4) == 0 { // a duplicate of a processed file under a new name
			writeFlows(t, inbox, fmt.Sprintf("dup-%03d.jsonl", step), sc.batches[group[0]])
		}
		runInbox(false)
	}
	if ro.EmitFinalOnly {
		runInbox(true) // the end of the data: emit what is held back
	}
	before := len(union)
	runInbox(ro.EmitFinalOnly)
	if len(union) != before {
		t.Fatalf("a run over an already processed inbox emitted %d signals", len(union)-before)
	}
	got, want := signalKeySet(union), signalKeySet(oneShot.Signals)
	if len(union) != len(got) {
		t.Fatalf("a signal was emitted twice: %d emitted, %d distinct", len(union), len(got))
	}
	if !reflect.DeepEqual(got, want) {
		for id, w := range want {
			if !reflect.DeepEqual(got[id], w) {
				t.Errorf("signal %s\nruns:     %+v\none-shot: %+v", id, got[id], w)
			}
		}
		t.Fatalf("%d batches: runs %v\none-shot %v", len(sc.batches), brief(union), brief(oneShot.Signals))
	}
	stored, err := e.store.StatefulSignals(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(signalKeySet(stored), want) {
		t.Fatalf("the signals table differs from the one-shot signals")
	}
	return len(want)
}

// TestBatchInvariance: 100 random splits into 2-20 time-ordered batches,
// one or several files per run (named against event-time order), with
// duplicated files: the union of the runs' signals equals one detect over
// everything, field by field, and one more run emits nothing.
// engines are the crossing engines; the invariance tests alternate them
// from split to split.
var engines = []string{EngineGo, EngineSQL}

func TestBatchInvariance(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	splits := 100
	if testing.Short() {
		splits = 10
	}
	compared := 0
	for i := 0; i < splits; i++ {
		sc := randomSplit(rng, true)
		compared += invarianceCheck(t, rng, engines[i%2], sc, RunOptions{Mode: "run", AllowedLateness: DefaultAllowedLateness}, func(n int) [][]int {
			var groups [][]int
			for k := 0; k < n; {
				var g []int
				for j := 1 + rng.Intn(3); j > 0 && k < n; j-- {
					g = append(g, k)
					k++
				}
				groups = append(groups, g)
			}
			return groups
		})
	}
	if compared < splits {
		t.Fatalf("only %d signals over %d splits: the property is not exercised", compared, splits)
	}
	t.Logf("%d splits, %d signals equal to the one-shot result", splits, compared)
}

// TestBatchInvarianceOutOfOrder: with emit-final-only, batches cut anywhere
// (even between records of one instant) and processed one per run out of
// event-time order within the allowed lateness, then flushed, give the
// one-shot signals.
func TestBatchInvarianceOutOfOrder(t *testing.T) {
	rng := rand.New(rand.NewSource(11))
	splits := 100
	if testing.Short() {
		splits = 10
	}
	compared, swaps := 0, 0
	for i := 0; i < splits; i++ {
		sc := randomSplit(rng, false)
		order := make([]int, len(sc.batches))
		for k := range order {
			order[k] = k
		}
		// Swap neighbours when the earlier batch is still within the
		// lateness of the later one.
		for k := 0; k+1 < len(order); k++ {
			lo, _ := batchSpan(sc.batches[order[k]])
			_, hi := batchSpan(sc.batches[order[k+1]])
			if rng.Intn(2) == 0 && hi.Sub(lo) < DefaultAllowedLateness {
				order[k], order[k+1] = order[k+1], order[k]
				swaps++
				k++
			}
		}
		compared += invarianceCheck(t, rng, engines[i%2], sc, RunOptions{Mode: "run", AllowedLateness: DefaultAllowedLateness, EmitFinalOnly: true}, func(n int) [][]int {
			groups := make([][]int, n)
			for k, b := range order {
				groups[k] = []int{b}
			}
			return groups
		})
	}
	if compared < splits || swaps < splits/2 {
		t.Fatalf("only %d signals and %d swaps over %d splits: the property is not exercised", compared, swaps, splits)
	}
	t.Logf("%d splits, %d out-of-order swaps, %d signals equal to the one-shot result", splits, swaps, compared)
}
