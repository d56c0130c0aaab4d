package loader

import (
	"fmt"
	"io"
	"sort"
	"sync"
	"time"
)

// Object types of the normalized schema that the rule distinguishes.
const (
	ObjectNetwork     = "Network"
	ObjectNetworkFlow = "NetworkFlow"
)

// NullInt32 is an optional integer column value (ports).
type NullInt32 struct {
	V     int32
	Valid bool
}

// Int32 returns a valid NullInt32.
func Int32(v int32) NullInt32 { return NullInt32{V: v, Valid: true} }

// NullBool is an optional boolean column value.
type NullBool struct {
	V     bool
	Valid bool
}

// Bool returns a valid NullBool.
func Bool(v bool) NullBool { return NullBool{V: v, Valid: true} }

// Record is one connection record in the normalized schema as a parser
// produces it. Addresses are kept as logged; enrichment canonicalizes them,
// validates them and computes the internal flags and match lists.
type Record struct {
	Time          time.Time // event time; converted to UTC on output
	ObjectType    string
	SrcIP, DstIP  string
	SrcIsInternal NullBool // only when the input states it
	DstIsInternal NullBool
	SrcPort       NullInt32
	DstPort       NullInt32 // null for records without ports (ICMP)
	IPProtocol    string
	SrcHostname   string
	Username      string
	ListMatches   []string
	Success       NullBool
	Vendor        string
	Product       string
	DeviceEventID string
}

// Reset clears r for reuse, keeping the ListMatches backing array.
func (r *Record) Reset() {
	lm := r.ListMatches[:0]
	*r = Record{}
	r.ListMatches = lm
}

// ParseContext carries what a parser may need beyond the bytes: the year
// for syslog timestamps that omit it, and the zone for those without one.
type ParseContext struct {
	// Year completes timestamps without a year (RFC 3164). Zero means the
	// year of Now.
	Year int
	// Location interprets timestamps without a zone; nil means UTC.
	Location *time.Location
	// Now is the clock; nil means time.Now. Tests set it.
	Now func() time.Time
}

func (c *ParseContext) year() int {
	if c != nil && c.Year != 0 {
		return c.Year
	}
	if c != nil && c.Now != nil {
		return c.Now().UTC().Year()
	}
	return time.Now().UTC().Year()
}

func (c *ParseContext) location() *time.Location {
	if c != nil && c.Location != nil {
		return c.Location
	}
	return time.UTC
}

// Emitter receives what a parser finds in its input.
type Emitter interface {
	// Emit takes one connection record. The emitter copies what it keeps,
	// so the parser may reuse rec.
	Emit(rec *Record)
	// Skip counts a well-formed message that is not a connection record,
	// by reason (e.g. "asa 305011: translation, not a connection").
	Skip(reason string)
	// Quarantine sets aside a malformed message of this format: pos is the
	// 1-based line (or record) number, raw the offending text.
	Quarantine(pos int64, raw []byte, reason string)
}

// ErrSkip marks a line parser's result as a well-formed message that is not
// a connection record; its text is the skip reason.
type ErrSkip string

func (e ErrSkip) Error() string { return string(e) }

// Format is one input format that the loader can read.
type Format struct {
	Name        string // used by --format and in the summary
	Description string // one line for `portsweep formats`
	Example     string // one example line (our own, not a vendor sample)

	// ParseLine parses one line of a line-oriented format into rec (already
	// reset). It returns nil for a connection record, an ErrSkip for a
	// message that is not one, or another error for a malformed line.
	ParseLine func(ctx *ParseContext, line []byte, rec *Record) error
	// MatchLine reports whether a line is of this format; auto-detection
	// uses it per file and per line of mixed syslog streams. Cheap checks only.
	MatchLine func(line []byte) bool

	// Sniff reports whether the head of a file (up to 64 KiB) is of a
	// whole-stream format. Only for formats with Stream.
	Sniff func(head []byte) bool
	// Stream reads a whole input of a format that is not one message per
	// line (headers, documents, binary files).
	Stream func(ctx *ParseContext, r io.Reader, out Emitter) error
	// Priority orders auto-detection: lower values are tried first.
	Priority int
}

var (
	registryMu sync.Mutex
	registry   = map[string]*Format{}
)

// Register adds a format; format files call it from init.
func Register(f Format) {
	registryMu.Lock()
	defer registryMu.Unlock()
	if f.Name == "" {
		panic("loader: format without a name")
	}
	if _, dup := registry[f.Name]; dup {
		panic(fmt.Sprintf("loader: format %q registered twice", f.Name))
	}
	if (f.ParseLine == nil) == (f.Stream == nil) {
		panic(fmt.Sprintf("loader: format %q needs exactly one of ParseLine and Stream", f.Name))
	}
	ff := f
	registry[f.Name] = &ff
}

// Formats returns the registered formats in detection order.
func Formats() []*Format {
	registryMu.Lock()
	defer registryMu.Unlock()
	out := make([]*Format, 0, len(registry))
	for _, f := range registry {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Priority != out[j].Priority {
			return out[i].Priority < out[j].Priority
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// LookupFormat returns the format with that name.
func LookupFormat(name string) (*Format, bool) {
	registryMu.Lock()
	defer registryMu.Unlock()
	f, ok := registry[name]
	return f, ok
}
