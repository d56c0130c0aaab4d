package sql

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// PortRange is an inclusive range of destination ports.
type PortRange struct{ From, To int }

// Ports is the destination-port condition: All, or a set of ranges.
type Ports struct {
	All    bool
	Ranges []PortRange
}

// ParsePorts reads "1-1024,3389" or "all".
func ParsePorts(spec string) (Ports, error) {
	spec = strings.TrimSpace(spec)
	if strings.EqualFold(spec, "all") {
		return Ports{All: true}, nil
	}
	if spec == "" {
		return Ports{}, fmt.Errorf("%w: empty port list (use \"all\" for any port)", ErrInvalidParameter)
	}
	var p Ports
	for _, part := range strings.Split(spec, ",") {
		part = strings.TrimSpace(part)
		lo, hi, isRange := strings.Cut(part, "-")
		from, err1 := strconv.Atoi(strings.TrimSpace(lo))
		to := from
		var err2 error
		if isRange {
			to, err2 = strconv.Atoi(strings.TrimSpace(hi))
		}
		if err1 != nil || err2 != nil || from < 0 || to > 65535 || from > to {
			return Ports{}, fmt.Errorf("%w: port range %q (want N or N-M within 0-65535)", ErrInvalidParameter, part)
		}
		p.Ranges = append(p.Ranges, PortRange{from, to})
	}
	sort.Slice(p.Ranges, func(i, j int) bool { return p.Ranges[i].From < p.Ranges[j].From })
	return p, nil
}

// String renders the ports as ParsePorts reads them.
func (p Ports) String() string {
	if p.All {
		return "all"
	}
	parts := make([]string, len(p.Ranges))
	for i, r := range p.Ranges {
		if r.From == r.To {
			parts[i] = strconv.Itoa(r.From)
		} else {
			parts[i] = fmt.Sprintf("%d-%d", r.From, r.To)
		}
	}
	return strings.Join(parts, ",")
}

// Params are the values a run may set; zero values take the rule's.
type Params struct {
	Threshold      int
	Window         time.Duration
	Ports          *Ports
	RecordTypes    []string
	ExclusionLists []string
	Suppression    time.Duration
}

// Resolved is a rule with every parameter decided and validated.
type Resolved struct {
	Rule           *Rule
	Threshold      int
	Window         time.Duration
	Ports          Ports
	RecordTypes    []string
	ExclusionLists []string
	Suppression    time.Duration
}

// Resolve applies params over the rule's defaults and validates them.
func Resolve(r *Rule, p Params) (*Resolved, error) {
	ports, _ := ParsePorts(r.Defaults.Ports) // validated with the rule
	out := &Resolved{
		Rule: r, Threshold: r.Threshold, Window: r.Window.D(), Ports: ports,
		RecordTypes: r.Defaults.RecordTypes, ExclusionLists: r.Defaults.ExclusionLists,
		Suppression: r.Suppression.D(),
	}
	if p.Threshold != 0 {
		out.Threshold = p.Threshold
	}
	if p.Window != 0 {
		out.Window = p.Window
	}
	if p.Ports != nil {
		out.Ports = *p.Ports
	}
	if p.RecordTypes != nil {
		out.RecordTypes = p.RecordTypes
	}
	if p.ExclusionLists != nil {
		out.ExclusionLists = p.ExclusionLists
	}
	if p.Suppression != 0 {
		out.Suppression = p.Suppression
	}
	switch {
	case out.Threshold < 1:
		return nil, fmt.Errorf("%w: threshold %d (want at least 1)", ErrInvalidParameter, out.Threshold)
	case out.Window <= 0 || out.Window%time.Microsecond != 0:
		return nil, fmt.Errorf("%w: window %s (want a positive whole number of microseconds)", ErrInvalidParameter, out.Window)
	case len(out.RecordTypes) == 0:
		return nil, fmt.Errorf("%w: record types must not be empty", ErrInvalidParameter)
	}
	for _, t := range out.RecordTypes {
		if !identPattern.MatchString(t) {
			return nil, fmt.Errorf("%w: record type %q (letters, digits and '_' only)", ErrInvalidParameter, t)
		}
	}
	for _, l := range out.ExclusionLists {
		if !identPattern.MatchString(l) {
			return nil, fmt.Errorf("%w: list name %q (letters, digits and '_' only)", ErrInvalidParameter, l)
		}
	}
	// DESIGN §1: the suppression period is never shorter than the window.
	if out.Suppression < out.Window {
		out.Suppression = out.Window
	}
	return out, nil
}
