package loader

import (
	"net/netip"
	"testing"
)

func testEnrichment() *Enrichment {
	return &Enrichment{
		InternalNetworks: append(append([]netip.Prefix{}, DefaultInternalNetworks...), netip.MustParsePrefix("fd00::/8")),
		MatchLists:       []MatchList{{Name: "nms_ips", Prefixes: []netip.Prefix{netip.MustParsePrefix("198.51.100.7/32")}}},
	}
}

// needsEntry is the rule classifyTexts must follow, from Facts alone: a
// text needs a dictionary entry unless it is a valid, canonical, external
// address in no list.
func needsEntry(e *Enrichment, s string) bool {
	f := e.Facts(s)
	return f.Canonical == "" || f.Canonical != s || f.Internal || len(f.Lists) > 0
}

type stringValues []string

func (v stringValues) Value(i int) string { return v[i] }

func TestClassifyTextsKeepsWhatNeedsAnEntry(t *testing.T) {
	e := testEnrichment()
	texts := stringValues{
		"8.8.8.8", "10.1.2.3", "172.31.0.1", "172.32.0.1", "192.168.1.1", "198.51.100.7", "198.51.100.8",
		"", " 8.8.8.8", "8.8.8.8 ", "008.8.8.8", "8.8.8", "256.1.1.1", "not-an-address",
		"::ffff:8.8.8.8", "::ffff:10.0.0.1", "2001:db8::1", "2001:DB8::1", "2001:db8:0::1", "fd00::1", "fe80::1%eth0",
	}
	for _, needsID := range []bool{false, true} {
		got := e.classifyTexts(texts, len(texts), func(int) bool { return needsID })
		for i, s := range texts {
			want := needsID || needsEntry(e, s)
			if (got[i] != nil) != want {
				t.Errorf("needsID %v, %q: entry %v, want %v", needsID, s, got[i] != nil, want)
			}
			if got[i] != nil && got[i].Canonical != e.Facts(s).Canonical {
				t.Errorf("%q: facts %+v, want %+v", s, *got[i], e.Facts(s))
			}
		}
	}
	// A long run of texts gives each text its own answer.
	many := make(stringValues, 1<<15)
	for i := range many {
		many[i] = texts[i%len(texts)]
	}
	got := e.classifyTexts(many, len(many), func(int) bool { return false })
	for i, s := range many {
		if (got[i] != nil) != needsEntry(e, s) {
			t.Fatalf("text %d %q: entry %v in a long run", i, s, got[i] != nil)
		}
	}
}

// FuzzPlainExternal: a text the fast path lets through must be one that
// Facts calls valid, canonical, external and in no list.
func FuzzPlainExternal(f *testing.F) {
	for _, s := range []string{"8.8.8.8", "10.0.0.1", "008.8.8.8", "::ffff:8.8.8.8", "", " 1.1.1.1", "198.51.100.7"} {
		f.Add(s)
	}
	e := testEnrichment()
	f.Fuzz(func(t *testing.T, s string) {
		if e.plainExternal(s) && needsEntry(e, s) {
			t.Errorf("%q passed the fast path but needs an entry: %+v", s, e.Facts(s))
		}
	})
}
