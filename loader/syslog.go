package loader

import (
	"bytes"
	"strconv"
	"time"
)

// SyslogHeader is what SplitSyslog found before the message.
type SyslogHeader struct {
	Time     time.Time
	HasTime  bool
	Host     string
	App      string // RFC 5424 APP-NAME; empty for RFC 3164
	MsgID    string // RFC 5424 MSGID
	RFC5424  bool
	Priority int // -1 when absent
	// SD is the raw RFC 5424 structured data ("[id k=\"v\"]..."), nil for "-".
	SD []byte
}

// SplitSyslog parses an optional syslog header (RFC 5424, RFC 3164 and the
// common variants devices write: a year after the day, milliseconds, a zone
// name, a colon after the time, ISO 8601 stamps) and returns it with the
// message that follows. A line without a recognizable header is returned
// whole with HasTime false.
func SplitSyslog(ctx *ParseContext, line []byte) (SyslogHeader, []byte) {
	h := SyslogHeader{Priority: -1}
	rest := line
	if len(rest) > 2 && rest[0] == '<' {
		if end := bytes.IndexByte(rest[:min(len(rest), 6)], '>'); end > 1 {
			if p, err := strconv.Atoi(string(rest[1:end])); err == nil {
				h.Priority = p
				rest = rest[end+1:]
			}
		}
	}
	if len(rest) > 2 && rest[0] == '1' && rest[1] == ' ' {
		if msg, ok := split5424(ctx, rest[2:], &h); ok {
			return h, msg
		}
	}
	rest = bytes.TrimLeft(rest, " ")
	t, n := parseLeadingTime(ctx, rest)
	if n == 0 {
		return h, rest
	}
	h.Time, h.HasTime = t, true
	rest = bytes.TrimLeft(rest[n:], " ")
	if len(rest) > 0 && rest[0] == ':' {
		return h, bytes.TrimLeft(rest[1:], " ")
	}
	tok := rest
	if sp := bytes.IndexByte(rest, ' '); sp >= 0 {
		tok = rest[:sp]
	}
	if len(tok) > 0 && !bytes.ContainsAny(tok, "=%{[\"") && tok[len(tok)-1] != ':' {
		h.Host = string(tok)
		rest = bytes.TrimLeft(rest[len(tok):], " ")
		if len(rest) > 0 && rest[0] == ':' {
			rest = bytes.TrimLeft(rest[1:], " ")
		}
	}
	return h, rest
}

func split5424(ctx *ParseContext, b []byte, h *SyslogHeader) ([]byte, bool) {
	fields := [5][]byte{}
	for i := 0; i < 5; i++ {
		sp := bytes.IndexByte(b, ' ')
		if sp < 0 {
			return nil, false
		}
		fields[i], b = b[:sp], b[sp+1:]
	}
	h.RFC5424 = true
	if string(fields[0]) != "-" {
		if t, ok := ParseTimestamp(ctx, string(fields[0])); ok {
			h.Time, h.HasTime = t, true
		}
	}
	h.Host = nilDash(fields[1])
	h.App = nilDash(fields[2])
	h.MsgID = nilDash(fields[4])
	if len(b) > 0 && b[0] == '-' {
		b = b[1:]
	} else if len(b) > 0 && b[0] == '[' {
		end := structuredDataEnd(b)
		h.SD, b = b[:end], b[end:]
	}
	b = bytes.TrimPrefix(bytes.TrimLeft(b, " "), []byte("\xef\xbb\xbf"))
	return b, true
}

// structuredDataEnd returns the length of the SD-ELEMENTs at the start of b,
// honouring quoted values with \" and \] escapes.
func structuredDataEnd(b []byte) int {
	i := 0
	for i < len(b) && b[i] == '[' {
		inQuote := false
		i++
		for i < len(b) {
			c := b[i]
			if c == '\\' && inQuote {
				i += 2
				continue
			}
			if c == '"' {
				inQuote = !inQuote
			} else if c == ']' && !inQuote {
				i++
				break
			}
			i++
		}
	}
	if i > len(b) {
		i = len(b)
	}
	return i
}

func nilDash(b []byte) string {
	if len(b) == 1 && b[0] == '-' {
		return ""
	}
	return string(b)
}

var monthIndex = map[string]time.Month{
	"Jan": 1, "Feb": 2, "Mar": 3, "Apr": 4, "May": 5, "Jun": 6,
	"Jul": 7, "Aug": 8, "Sep": 9, "Oct": 10, "Nov": 11, "Dec": 12,
}

// parseLeadingTime reads a timestamp at the start of b and returns it with
// the number of bytes it used (0 when there is none).
func parseLeadingTime(ctx *ParseContext, b []byte) (time.Time, int) {
	if len(b) >= 19 && b[4] == '-' && b[7] == '-' && (b[10] == 'T' || b[10] == ' ') {
		end := bytes.IndexByte(b[11:], ' ')
		if end < 0 {
			end = len(b)
		} else {
			end += 11
		}
		if t, ok := ParseTimestamp(ctx, string(b[:end])); ok {
			return t, end
		}
		if b[10] == ' ' && len(b) >= 19 { // "2006-01-02 15:04:05" then more
			if t, ok := ParseTimestamp(ctx, string(b[:19])); ok {
				return t, 19
			}
		}
		return time.Time{}, 0
	}
	if len(b) < 15 {
		return time.Time{}, 0
	}
	mon, ok := monthIndex[string(b[:3])]
	if !ok || b[3] != ' ' {
		return time.Time{}, 0
	}
	i := 4
	if b[i] == ' ' {
		i++
	}
	day, n := leadingInt(b[i:])
	if n == 0 || day < 1 || day > 31 {
		return time.Time{}, 0
	}
	i += n
	if i >= len(b) || b[i] != ' ' {
		return time.Time{}, 0
	}
	i++
	year := 0
	if y, n := leadingInt(b[i:]); n == 4 && i+n < len(b) && b[i+n] == ' ' {
		year = y
		i += n + 1
	}
	if len(b) < i+8 || b[i+2] != ':' || b[i+5] != ':' {
		return time.Time{}, 0
	}
	hh, n1 := leadingInt(b[i : i+2])
	mm, n2 := leadingInt(b[i+3 : i+5])
	ss, n3 := leadingInt(b[i+6 : i+8])
	if n1 != 2 || n2 != 2 || n3 != 2 || hh > 23 || mm > 59 || ss > 60 {
		return time.Time{}, 0
	}
	i += 8
	nanos := 0
	if i < len(b) && b[i] == '.' {
		frac, n := leadingInt(b[i+1:])
		if n > 0 && n <= 9 {
			nanos = frac
			for k := n; k < 9; k++ {
				nanos *= 10
			}
			i += 1 + n
		}
	}
	loc := ctx.location()
	// A zone abbreviation such as "UTC" or "EDT" may follow.
	if i+4 <= len(b) && b[i] == ' ' {
		j := i + 1
		for j < len(b) && j-i <= 5 && b[j] >= 'A' && b[j] <= 'Z' {
			j++
		}
		if j-i-1 >= 3 && (j == len(b) || b[j] == ' ' || b[j] == ':') {
			if z, ok := zoneOffsets[string(b[i+1:j])]; ok {
				loc = time.FixedZone(string(b[i+1:j]), z)
				i = j
			}
		}
	}
	if year == 0 {
		year = ctx.year()
	}
	return time.Date(year, mon, day, hh, mm, ss, nanos, loc), i
}

// zoneOffsets are the zone names devices commonly print, in seconds east of UTC.
var zoneOffsets = map[string]int{
	"UTC": 0, "GMT": 0, "Z": 0,
	"EST": -5 * 3600, "EDT": -4 * 3600, "CST": -6 * 3600, "CDT": -5 * 3600,
	"MST": -7 * 3600, "MDT": -6 * 3600, "PST": -8 * 3600, "PDT": -7 * 3600,
	"CET": 3600, "CEST": 2 * 3600,
}

func leadingInt(b []byte) (int, int) {
	v, n := 0, 0
	for n < len(b) && n < 10 && b[n] >= '0' && b[n] <= '9' {
		v = v*10 + int(b[n]-'0')
		n++
	}
	return v, n
}

// timestampLayouts are the text forms ParseTimestamp accepts, zoned first.
var timestampLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999Z0700",
	"2006-01-02 15:04:05.999999999 -0700",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999",
}

// ParseTimestamp reads RFC 3339 and the ISO 8601 variants logs use; text
// without a zone is read in the context's location.
func ParseTimestamp(ctx *ParseContext, s string) (time.Time, bool) {
	for _, layout := range timestampLayouts {
		if t, err := time.ParseInLocation(layout, s, ctx.location()); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// EpochTime turns an epoch number into a time, choosing the unit by its
// magnitude: seconds below 1e11 (until year 5138), milliseconds below 1e14,
// microseconds below 1e17, nanoseconds above.
func EpochTime(v int64) time.Time {
	abs := v
	if abs < 0 {
		abs = -abs
	}
	switch {
	case abs < 1e11:
		return time.Unix(v, 0).UTC()
	case abs < 1e14:
		return time.UnixMilli(v).UTC()
	case abs < 1e17:
		return time.UnixMicro(v).UTC()
	default:
		return time.Unix(0, v).UTC()
	}
}

// ParseEpochText reads "1657997480", "1657997480.123456" or the ms/µs/ns
// integer forms.
func ParseEpochText(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	dot := -1
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '.' && dot < 0 {
			dot = i
			continue
		}
		if (c < '0' || c > '9') && !(i == 0 && c == '-') {
			return time.Time{}, false
		}
	}
	if dot < 0 {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return time.Time{}, false
		}
		return EpochTime(v), true
	}
	sec, err := strconv.ParseInt(s[:dot], 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	frac := s[dot+1:]
	if len(frac) > 9 {
		frac = frac[:9]
	}
	ns := 0
	if frac != "" {
		n, err := strconv.Atoi(frac)
		if err != nil {
			return time.Time{}, false
		}
		ns = n
		for k := len(frac); k < 9; k++ {
			ns *= 10
		}
	}
	if sec < 0 {
		ns = -ns
	}
	return time.Unix(sec, int64(ns)).UTC(), true
}
