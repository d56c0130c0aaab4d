package detect

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/portsweep/portsweep/loader"
	"github.com/portsweep/portsweep/sink"
	psql "github.com/portsweep/portsweep/sql"
)

// flow is a normalized record as tests write it (JSON lines input).
type flow struct {
	Timestamp   string   `json:"timestamp"`
	ObjectType  string   `json:"objectType"`
	Src         string   `json:"srcDevice_ip"`
	Dst         string   `json:"dstDevice_ip"`
	SrcInternal *bool    `json:"srcDevice_ip_isInternal,omitempty"`
	DstInternal *bool    `json:"dstDevice_ip_isInternal,omitempty"`
	DstPort     *int     `json:"dstPort"`
	Hostname    string   `json:"srcDevice_hostname,omitempty"`
	User        string   `json:"user_username,omitempty"`
	ListMatches []string `json:"listMatches,omitempty"`
}

var base = time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)

func at(d time.Duration) string { return base.Add(d).Format(sink.TimeLayout) }

func conn(ts time.Duration, src, dst string, port int) flow {
	p := port
	return flow{Timestamp: at(ts), ObjectType: "Network", Src: src, Dst: dst, DstPort: &p}
}

// sweep returns n records from src to n distinct destinations on port,
// one every step starting at start.
func sweep(start, step time.Duration, src string, n, port int) []flow {
	var out []flow
	for i := 0; i < n; i++ {
		out = append(out, conn(start+time.Duration(i)*step, src, fmt.Sprintf("10.9.%d.%d", i/250, i%250+1), port))
	}
	return out
}

func writeFlows(t testing.TB, dir, name string, flows []flow) string {
	t.Helper()
	p := filepath.Join(dir, name)
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	enc := json.NewEncoder(f)
	for _, fl := range flows {
		if err := enc.Encode(fl); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return p
}

// env is a store in a temporary directory with a compiled rule.
type env struct {
	t      testing.TB
	dir    string
	store  *Store
	params psql.Params
	enrich *loader.Enrichment
	engine string // "": the default
}

func newEnv(t testing.TB) *env {
	t.Helper()
	dir := t.TempDir()
	s, err := Open(context.Background(), filepath.Join(dir, "state.duckdb"), StoreOptions{Threads: 2, MemoryLimit: "1GB"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return &env{t: t, dir: dir, store: s, enrich: &loader.Enrichment{InternalNetworks: loader.DefaultInternalNetworks}}
}

func (e *env) compiled() *psql.Compiled {
	e.t.Helper()
	r, err := psql.LoadRule("", nil)
	if err != nil {
		e.t.Fatal(err)
	}
	res, err := psql.Resolve(r, e.params)
	if err != nil {
		e.t.Fatal(err)
	}
	c, err := psql.Compile(res)
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

func (e *env) config() Config {
	return Config{Compiled: e.compiled(), Enrichment: e.enrich, Format: loader.FormatAuto, OutDir: filepath.Join(e.dir, "out"), Parse: &loader.ParseContext{Year: 2024}, Engine: e.engine}
}

// detect runs a one-shot detect over the flows.
func (e *env) detect(flows []flow) *Outcome {
	e.t.Helper()
	p := writeFlows(e.t, e.dir, "in.jsonl", flows)
	out, err := e.store.Detect(context.Background(), []loader.Input{{Path: p}}, e.config())
	if err != nil {
		e.t.Fatal(err)
	}
	for _, err := range out.InputErrors {
		e.t.Fatal(err)
	}
	return out
}

func inputsOf(paths ...string) []loader.Input {
	var out []loader.Input
	for _, p := range paths {
		out = append(out, loader.Input{Path: p})
	}
	return out
}

func stringsContains(s, sub string) bool { return strings.Contains(s, sub) }

func mustPrefix(s string) netip.Prefix {
	p, err := loader.ParsePrefix(s)
	if err != nil {
		panic(err)
	}
	return p
}
