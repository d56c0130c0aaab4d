package loader

import (
	"bufio"
	"fmt"
	"io"
	"net/netip"
	"regexp"
	"sort"
	"strings"
)

// DefaultInternalNetworks are RFC 1918's private IPv4 ranges (DESIGN §3).
var DefaultInternalNetworks = []netip.Prefix{
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.168.0.0/16"),
}

// MatchList is a named set of addresses and networks (--match-list).
type MatchList struct {
	Name     string
	Prefixes []netip.Prefix
}

var listNamePattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// ParseMatchList reads one IP or CIDR per line; '#' starts a comment.
func ParseMatchList(name string, r io.Reader) (MatchList, error) {
	if !listNamePattern.MatchString(name) {
		return MatchList{}, fmt.Errorf("match list name %q: use letters, digits and '_'", name)
	}
	ml := MatchList{Name: name}
	sc := bufio.NewScanner(r)
	line := 0
	for sc.Scan() {
		line++
		text, _, _ := strings.Cut(sc.Text(), "#")
		text = strings.TrimSpace(text)
		if text == "" {
			continue
		}
		p, err := ParsePrefix(text)
		if err != nil {
			return MatchList{}, fmt.Errorf("match list %s line %d: %w", name, line, err)
		}
		ml.Prefixes = append(ml.Prefixes, p)
	}
	return ml, sc.Err()
}

// ParsePrefix reads "10.0.0.0/8", "fd00::/8" or a single address, with
// IPv4-mapped IPv6 forms reduced to IPv4.
func ParsePrefix(s string) (netip.Prefix, error) {
	if !strings.Contains(s, "/") {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("not an IP address or CIDR: %q", s)
		}
		a = a.Unmap().WithZone("")
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("not an IP address or CIDR: %q", s)
	}
	if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
		p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
	}
	return p.Masked(), nil
}

// Enrichment holds what turns an address text into its normalized facts.
type Enrichment struct {
	InternalNetworks []netip.Prefix
	MatchLists       []MatchList
}

// AddressFacts is what enrichment knows about one address text.
type AddressFacts struct {
	Canonical string // "" when the text is not an IP address
	Internal  bool
	Lists     []string
}

// CanonicalIP returns the canonical text of an address (IPv4-mapped IPv6
// as IPv4, zone dropped) or false when s is not an IP address.
func CanonicalIP(s string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(strings.TrimSpace(s))
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap().WithZone(""), true
}

// Facts classifies one address text.
func (e *Enrichment) Facts(s string) AddressFacts {
	a, ok := CanonicalIP(s)
	if !ok {
		return AddressFacts{}
	}
	f := AddressFacts{Canonical: a.String()}
	for _, p := range e.InternalNetworks {
		if p.Contains(a) {
			f.Internal = true
			break
		}
	}
	for _, ml := range e.MatchLists {
		for _, p := range ml.Prefixes {
			if p.Contains(a) {
				f.Lists = append(f.Lists, ml.Name)
				break
			}
		}
	}
	sort.Strings(f.Lists)
	return f
}

// plainExternal reports whether s, exactly as written, is an IPv4 address
// outside the internal networks and every match list. netip accepts an
// IPv4 text only in canonical dotted-decimal form (no leading zeros, no
// spaces), so such a text is its own canonical form: the common case of
// the many external peers, which needs no dictionary entry and no string
// allocation.
func (e *Enrichment) plainExternal(s string) bool {
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is4() {
		return false
	}
	for _, p := range e.InternalNetworks {
		if p.Contains(a) {
			return false
		}
	}
	for _, ml := range e.MatchLists {
		for _, p := range ml.Prefixes {
			if p.Contains(a) {
				return false
			}
		}
	}
	return true
}

// classifyTexts returns the facts of n address texts, nil for a valid,
// canonical, external text in no list that needs no id. BuildDictionary
// runs it on several batches at once: the facts of one text do not depend
// on another's.
func (e *Enrichment) classifyTexts(texts interface{ Value(int) string }, n int, needsID func(int) bool) []*AddressFacts {
	out := make([]*AddressFacts, n)
	for i := 0; i < n; i++ {
		s := texts.Value(i)
		if needsID(i) {
			f := e.Facts(s)
			out[i] = &f
			continue
		}
		if e.plainExternal(s) {
			continue
		}
		if f := e.Facts(s); f.Canonical == "" || f.Canonical != s || f.Internal || len(f.Lists) > 0 {
			out[i] = &f
		}
	}
	return out
}
