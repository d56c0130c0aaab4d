package loader

import (
	"bytes"
	"strconv"
	"time"
)

// kvScanner walks the key/value pairs of a firewall log message without
// allocating. Two styles are supported:
//
//   - kvStyleEq: key=value and key="value with spaces" (also 'single'
//     quotes), pairs separated by blanks; words without '=' are skipped.
//     Used by FortiGate, SonicWall, Sophos UTM and Check Point's
//     [Fields@...] structured data.
//   - kvStyleColon: Check Point Log Exporter key:"value"; pairs, also
//     inside an RFC 5424 [ ... ] bracket and with doubled colons
//     (sys_message::"...").
//
// Quoted values may contain backslash escapes (\" and \]); the scanner
// returns the raw bytes between the quotes and sets esc so that callers
// unescape (kvUnescape) only the values they keep.
type kvScanner struct {
	b     []byte
	i     int
	colon bool
	// bad is set when a quoted value has no closing quote (a cut line).
	bad bool
}

func kvNewEq(b []byte) kvScanner    { return kvScanner{b: b} }
func kvNewColon(b []byte) kvScanner { return kvScanner{b: b, colon: true} }

// next returns the next pair; ok is false at the end.
func (s *kvScanner) next() (key, val []byte, esc, ok bool) {
	if s.colon {
		return s.nextColon()
	}
	return s.nextEq()
}

func (s *kvScanner) nextEq() (key, val []byte, esc, ok bool) {
	b := s.b
	for s.i < len(b) {
		// skip blanks
		for s.i < len(b) && (b[s.i] == ' ' || b[s.i] == '\t') {
			s.i++
		}
		if s.i >= len(b) {
			break
		}
		start := s.i
		for s.i < len(b) && b[s.i] != '=' && b[s.i] != ' ' && b[s.i] != '\t' {
			s.i++
		}
		if s.i >= len(b) || b[s.i] != '=' || s.i == start {
			// a word without '=': skip it
			for s.i < len(b) && b[s.i] != ' ' && b[s.i] != '\t' {
				s.i++
			}
			continue
		}
		key = b[start:s.i]
		s.i++ // '='
		if s.i < len(b) && (b[s.i] == '"' || b[s.i] == '\'') {
			q := b[s.i]
			vs := s.i + 1
			end, e, found := kvFindQuote(b, vs, q)
			if !found {
				s.bad = true
				s.i = len(b)
				return key, b[vs:], e, true
			}
			s.i = end + 1 // past the closing quote
			return key, b[vs:end], e, true
		}
		vs := s.i
		for s.i < len(b) && b[s.i] != ' ' && b[s.i] != '\t' {
			s.i++
		}
		return key, b[vs:s.i], false, true
	}
	return nil, nil, false, false
}

func (s *kvScanner) nextColon() (key, val []byte, esc, ok bool) {
	b := s.b
	for s.i < len(b) {
		for s.i < len(b) && (b[s.i] == ' ' || b[s.i] == ';' || b[s.i] == '[' || b[s.i] == ']' || b[s.i] == '\t') {
			s.i++
		}
		if s.i >= len(b) {
			break
		}
		start := s.i
		for s.i < len(b) && b[s.i] != ':' && b[s.i] != ';' && b[s.i] != ' ' {
			s.i++
		}
		if s.i >= len(b) || b[s.i] != ':' || s.i == start {
			for s.i < len(b) && b[s.i] != ';' && b[s.i] != ' ' {
				s.i++
			}
			continue
		}
		key = b[start:s.i]
		for s.i < len(b) && b[s.i] == ':' {
			s.i++
		}
		if s.i < len(b) && b[s.i] == '"' {
			vs := s.i + 1
			end, e, found := kvFindQuote(b, vs, '"')
			if !found {
				s.bad = true
				s.i = len(b)
				return key, b[vs:], e, true
			}
			s.i = end + 1
			return key, b[vs:end], e, true
		}
		vs := s.i
		for s.i < len(b) && b[s.i] != ';' && b[s.i] != ']' {
			s.i++
		}
		return key, bytes.TrimRight(b[vs:s.i], " "), false, true
	}
	return nil, nil, false, false
}

// kvFindQuote finds the closing quote q at or after i, skipping quotes
// escaped by a backslash; esc reports whether the value holds a backslash.
func kvFindQuote(b []byte, i int, q byte) (end int, esc, found bool) {
	j := i
	for j <= len(b) {
		k := bytes.IndexByte(b[j:], q)
		if k < 0 {
			return len(b), esc || bytes.IndexByte(b[i:], '\\') >= 0, false
		}
		end = j + k
		// count the backslashes right before the quote
		n := 0
		for m := end - 1; m >= i && b[m] == '\\'; m-- {
			n++
		}
		if n > 0 {
			esc = true
		}
		if n%2 == 0 {
			if !esc && bytes.IndexByte(b[i:end], '\\') >= 0 {
				esc = true
			}
			return end, esc, true
		}
		j = end + 1
	}
	return len(b), esc, false
}

// kvString returns a value as a string, removing backslash escapes when esc.
func kvString(v []byte, esc bool) string {
	if !esc {
		return string(v)
	}
	out := make([]byte, 0, len(v))
	for i := 0; i < len(v); i++ {
		if v[i] == '\\' && i+1 < len(v) {
			i++
		}
		out = append(out, v[i])
	}
	return string(out)
}

// kvAtoi parses a non-negative decimal integer of at most 18 digits.
func kvAtoi(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var v int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int64(c-'0')
	}
	return v, true
}

// kvPort parses a port number 0..65535.
func kvPort(b []byte) (NullInt32, bool) {
	if len(b) > 5 {
		return NullInt32{}, false
	}
	v, ok := kvAtoi(b)
	if !ok || v > 65535 {
		return NullInt32{}, false
	}
	return Int32(int32(v)), true
}

// kvLenientPorts sets rec's ports, unless its protocol is portless, from
// texts kept only where they are ports; any other text leaves that port
// NULL (formats whose port fields may hold placeholders).
func kvLenientPorts(rec *Record, sport, dport []byte) {
	if kvPortless(rec.IPProtocol) {
		return
	}
	if p, ok := kvPort(sport); ok {
		rec.SrcPort = p
	}
	if p, ok := kvPort(dport); ok {
		rec.DstPort = p
	}
}

// kvStrictPorts sets rec's ports, unless its protocol is portless (ICMP
// may carry type and code in the port fields: never read as ports), from
// texts that may be absent (nil). A text present that is not a port is
// the error bad makes from the port's name (srcName or dstName) and text.
func kvStrictPorts(rec *Record, sport, dport []byte, srcName, dstName string, bad func(name string, text []byte) error) error {
	if kvPortless(rec.IPProtocol) {
		return nil
	}
	if sport != nil {
		p, ok := kvPort(sport)
		if !ok {
			return bad(srcName, sport)
		}
		rec.SrcPort = p
	}
	if dport != nil {
		p, ok := kvPort(dport)
		if !ok {
			return bad(dstName, dport)
		}
		rec.DstPort = p
	}
	return nil
}

// kvProtoNames maps IANA protocol numbers to the lowercase names used in
// the ipProtocol column.
var kvProtoNames = map[int64]string{
	1: "icmp", 2: "igmp", 4: "ipip", 6: "tcp", 17: "udp", 41: "ipv6", 47: "gre",
	50: "esp", 51: "ah", 58: "ipv6-icmp", 88: "eigrp", 89: "ospf", 103: "pim",
	112: "vrrp", 115: "l2tp", 132: "sctp", 33: "dccp",
}

// kvProto turns a protocol field (a number or a name) into the lowercase
// protocol name, or the number as text when the number is unknown.
func kvProto(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if n, ok := kvAtoi(b); ok {
		if name, ok := kvProtoNames[n]; ok {
			return name
		}
		return strconv.FormatInt(n, 10)
	}
	switch string(b) { // common spellings, without allocating
	case "tcp", "TCP":
		return "tcp"
	case "udp", "UDP":
		return "udp"
	case "icmp", "ICMP":
		return "icmp"
	case "ipv6-icmp", "icmp6", "icmpv6", "ICMPV6", "ICMPv6", "ICMP6", "IPV6-ICMP":
		return "ipv6-icmp"
	}
	return string(bytes.ToLower(b))
}

// kvPortless reports whether a protocol has no ports (ICMP, GRE, ESP...).
func kvPortless(proto string) bool {
	switch proto {
	case "icmp", "ipv6-icmp", "igmp", "ipip", "ipv6", "gre", "esp", "ah", "eigrp", "ospf", "pim", "vrrp", "ip":
		return true
	}
	return false
}

// kvZoneOffset parses "-0500", "+05:30", "UTC", "GMT" into a fixed zone.
// An empty or unknown zone returns nil.
func kvZoneOffset(b []byte) *time.Location {
	s := bytes.TrimSpace(b)
	if len(s) == 0 {
		return nil
	}
	if s[0] == '+' || s[0] == '-' {
		d := make([]byte, 0, 4)
		for _, c := range s[1:] {
			if c >= '0' && c <= '9' {
				d = append(d, c)
			} else if c != ':' {
				return nil
			}
		}
		if len(d) == 1 || len(d) == 2 {
			d = append(d, '0', '0')
		}
		if len(d) == 3 {
			d = append([]byte{'0'}, d...)
		}
		if len(d) != 4 {
			return nil
		}
		h := int(d[0]-'0')*10 + int(d[1]-'0')
		m := int(d[2]-'0')*10 + int(d[3]-'0')
		if h > 14 || m > 59 {
			return nil
		}
		off := h*3600 + m*60
		if s[0] == '-' {
			off = -off
		}
		if off == 0 {
			return time.UTC
		}
		return time.FixedZone(string(s), off)
	}
	if off, ok := zoneOffsets[string(s)]; ok {
		if off == 0 {
			return time.UTC
		}
		return time.FixedZone(string(s), off)
	}
	return nil
}

// kvDateTime parses "YYYY-MM-DD HH:MM:SS" (or with '/' or ':' between the
// date parts, or 'T' or '-' between date and time) in loc, without
// allocating. Fractional seconds after a '.' are kept.
func kvDateTime(b []byte, loc *time.Location) (time.Time, bool) {
	if len(b) < 19 {
		return time.Time{}, false
	}
	d := func(i, n int) (int, bool) {
		v := 0
		for k := i; k < i+n; k++ {
			c := b[k]
			if c < '0' || c > '9' {
				return 0, false
			}
			v = v*10 + int(c-'0')
		}
		return v, true
	}
	sep := b[4]
	if (sep != '-' && sep != '/' && sep != ':') || b[7] != sep || (b[10] != ' ' && b[10] != 'T' && b[10] != '-') || b[13] != ':' || b[16] != ':' {
		return time.Time{}, false
	}
	y, ok1 := d(0, 4)
	mo, ok2 := d(5, 2)
	dd, ok3 := d(8, 2)
	hh, ok4 := d(11, 2)
	mi, ok5 := d(14, 2)
	ss, ok6 := d(17, 2)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || mo < 1 || mo > 12 || dd < 1 || dd > 31 || hh > 23 || mi > 59 || ss > 60 {
		return time.Time{}, false
	}
	ns := 0
	if len(b) > 20 && b[19] == '.' {
		n := 0
		for k := 20; k < len(b) && b[k] >= '0' && b[k] <= '9'; k++ {
			if n < 9 {
				ns = ns*10 + int(b[k]-'0')
				n++
			}
		}
		for ; n > 0 && n < 9; n++ {
			ns *= 10
		}
	}
	if loc == nil {
		loc = time.UTC
	}
	return time.Date(y, time.Month(mo), dd, hh, mi, ss, ns, loc), true
}
