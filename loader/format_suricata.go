package loader

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Suricata EVE JSON (one event per line).
//
// Connection records:
//   - event_type "flow": one bidirectional flow, src = the side that sent the
//     first packet (the initiator). objectType Network: Sumo's
//     "Suricata - JSON" _default_ mapper makes every EVE event a Network
//     record. Time = flow.start (the connection start), else timestamp.
//   - event_type "alert" and "drop" with src_ip/dest_ip: Network. When a
//     Suricata 7 alert carries flow.src_ip/flow.dest_ip (the flow's own
//     direction) those are used; otherwise an alert raised on a to_client
//     packet is turned around so that src stays the initiator.
//   - event_type "netflow": NetworkFlow. Netflow events are unidirectional
//     summaries, one per direction: the reply half has the server as src_ip
//     and the client's ephemeral port as dest_port, so it is no connection
//     attempt; NetworkFlow keeps these out of the rule by default.
//
// Everything else (dns, http, tls, fileinfo, anomaly, stats, ...) is skipped.
//
// Success: alert.action allowed → true, blocked → false; drop → false. For
// TCP flows the flags decide: a SYN seen towards the client (SYN-ACK) → true,
// only RST/other flags towards the client or a lone SYN → false; otherwise
// flow.state established/closed → true, new (no reply seen) → false.

func init() {
	Register(Format{
		Name:        "suricata-eve",
		Description: "Suricata EVE JSON lines (flow, netflow, alert, drop events)",
		Example:     `{"timestamp":"2024-03-01T10:00:02.125000+0100","flow_id":9988776655,"event_type":"flow","src_ip":"10.1.2.3","src_port":51515,"dest_ip":"10.1.9.9","dest_port":445,"proto":"TCP","flow":{"pkts_toserver":3,"pkts_toclient":2,"start":"2024-03-01T10:00:01.000000+0100","end":"2024-03-01T10:00:02.000000+0100","state":"closed","reason":"timeout"},"tcp":{"tcp_flags":"1b","tcp_flags_ts":"1b","tcp_flags_tc":"1b"}}`,
		ParseLine:   suricataParseLine,
		MatchLine:   suricataMatchLine,
	})
}

var (
	suricataKeyEventType = []byte(`"event_type"`)
	suricataKeyFlowID    = []byte(`"flow_id"`)
	suricataStats        = []byte(`"event_type":"stats"`)
)

func suricataMatchLine(line []byte) bool {
	if !bytes.Contains(line, suricataKeyEventType) {
		return false
	}
	return bytes.Contains(line, suricataKeyFlowID) || bytes.Contains(line, suricataStats)
}

func suricataParseLine(ctx *ParseContext, line []byte, rec *Record) error {
	it, err := suricataObject(line)
	if err != nil {
		return fmt.Errorf("suricata: %v", err)
	}
	var (
		eventType, ts, srcIP, dstIP, proto, direction []byte
		srcPort, dstPort                              []byte
		flowObj, alertObj, tcpObj, netflowObj         []byte
	)
	for {
		k, v, ok := it.next()
		if !ok {
			break
		}
		switch string(k) {
		case "event_type":
			eventType = v
		case "timestamp":
			ts = v
		case "src_ip":
			srcIP = v
		case "dest_ip":
			dstIP = v
		case "src_port":
			srcPort = v
		case "dest_port":
			dstPort = v
		case "proto":
			proto = v
		case "flow":
			flowObj = v
		case "alert":
			alertObj = v
		case "tcp":
			tcpObj = v
		case "netflow":
			netflowObj = v
		case "direction":
			direction = v
		}
	}
	if it.err != nil {
		return fmt.Errorf("suricata: %v", it.err)
	}
	et := suricataEventType(eventType)
	switch et {
	case "flow", "alert", "drop":
		rec.ObjectType = ObjectNetwork
	case "netflow":
		rec.ObjectType = ObjectNetworkFlow
	case "":
		return errors.New("suricata: no event_type")
	default:
		return ErrSkip("suricata: " + suricataSkipReason(et))
	}
	rec.Vendor, rec.Product, rec.DeviceEventID = "Suricata", "Suricata", et

	// Time: the event's own start for flow/netflow, else the packet time.
	var start, state, action []byte
	var flowSrc, flowDst, flowSrcPort, flowDstPort []byte
	if flowObj != nil && (et == "flow" || et == "alert" || et == "drop") {
		fi, err := suricataObject(flowObj)
		if err != nil {
			return fmt.Errorf("suricata %s: flow: %v", et, err)
		}
		for {
			k, v, ok := fi.next()
			if !ok {
				break
			}
			switch string(k) {
			case "start":
				start = v
			case "state":
				state = v
			case "src_ip":
				flowSrc = v
			case "dest_ip":
				flowDst = v
			case "src_port":
				flowSrcPort = v
			case "dest_port":
				flowDstPort = v
			}
		}
		if fi.err != nil {
			return fmt.Errorf("suricata %s: flow: %v", et, fi.err)
		}
	}
	if netflowObj != nil && et == "netflow" {
		start = suricataMember(netflowObj, "start")
	}
	if alertObj != nil {
		action = suricataMember(alertObj, "action")
	}
	tsText := ts
	if (et == "flow" || et == "netflow") && len(suricataRawInner(start)) > 0 {
		tsText = start
	}
	tsb := suricataRawInner(tsText)
	if len(tsb) == 0 {
		return fmt.Errorf("suricata %s: no timestamp", et)
	}
	var t time.Time
	var ok bool
	if len(tsb) <= 40 {
		var buf [40]byte
		t, ok = suricataParseISO(ctx, string(append(buf[:0], tsb...)))
	} else {
		t, ok = suricataParseISO(ctx, string(tsb))
	}
	if !ok {
		return fmt.Errorf("suricata %s: bad timestamp %q", et, tsb)
	}
	rec.Time = t

	// Direction: src is the initiator.
	swap := false
	if (et == "alert" || et == "drop") && flowSrc != nil && flowDst != nil {
		srcIP, dstIP, srcPort, dstPort = flowSrc, flowDst, flowSrcPort, flowDstPort
	} else if et == "alert" && suricataRawEq(direction, "to_client") {
		swap = true
	}
	src, _ := suricataString(srcIP)
	dst, _ := suricataString(dstIP)
	if src == "" || dst == "" {
		if et == "alert" || et == "drop" {
			return ErrSkip("suricata: " + et + " without addresses")
		}
		return fmt.Errorf("suricata %s: missing src_ip or dest_ip", et)
	}
	if swap {
		src, dst = dst, src
		srcPort, dstPort = dstPort, srcPort
	}
	rec.SrcIP, rec.DstIP = src, dst

	rec.IPProtocol = suricataProtoRaw(proto)
	if !suricataIsICMP(rec.IPProtocol) {
		if srcPort != nil {
			v, ok := suricataPort(srcPort)
			if !ok {
				return fmt.Errorf("suricata %s: bad src_port %q", et, srcPort)
			}
			rec.SrcPort = v
		}
		if dstPort != nil {
			v, ok := suricataPort(dstPort)
			if !ok {
				return fmt.Errorf("suricata %s: bad dest_port %q", et, dstPort)
			}
			rec.DstPort = v
		}
	}

	switch et {
	case "alert":
		switch {
		case suricataRawEq(action, "allowed"):
			rec.Success = Bool(true)
		case suricataRawEq(action, "blocked"):
			rec.Success = Bool(false)
		}
	case "drop":
		rec.Success = Bool(false)
	case "flow":
		rec.Success = suricataFlowSuccess(rec.IPProtocol, state, tcpObj)
	}
	return nil
}

// suricataEventType returns the event type, interned for the common ones.
func suricataEventType(v []byte) string {
	in := suricataRawInner(v)
	switch string(in) {
	case "flow":
		return "flow"
	case "alert":
		return "alert"
	case "drop":
		return "drop"
	case "netflow":
		return "netflow"
	case "dns":
		return "dns"
	case "http":
		return "http"
	case "tls":
		return "tls"
	case "stats":
		return "stats"
	case "fileinfo":
		return "fileinfo"
	case "anomaly":
		return "anomaly"
	}
	s, _ := suricataString(v)
	return s
}

// suricataRawInner returns the text inside a raw JSON string value without
// decoding escapes (nil when v is not a string). For values compared with
// fixed ASCII words or parsed as numbers/times, escapes do not occur.
func suricataRawInner(v []byte) []byte {
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
		return nil
	}
	return v[1 : len(v)-1]
}

// suricataRawEq reports whether the raw JSON string v is s.
func suricataRawEq(v []byte, s string) bool {
	return string(suricataRawInner(v)) == s && len(v) >= 2
}

// suricataProtoRaw maps a raw JSON proto value without allocating for the
// common names.
func suricataProtoRaw(v []byte) string {
	in := suricataRawInner(v)
	if in == nil {
		if len(v) > 0 && v[0] >= '0' && v[0] <= '9' {
			return crowdstrikeProtoName(string(v))
		}
		return ""
	}
	switch string(in) {
	case "TCP", "tcp":
		return "tcp"
	case "UDP", "udp":
		return "udp"
	case "ICMP", "icmp":
		return "icmp"
	}
	s, _ := suricataString(v)
	return suricataProtoName(s)
}

func suricataSkipReason(et string) string {
	switch et {
	case "dns", "http", "tls", "fileinfo", "anomaly", "stats", "smb", "ssh", "smtp", "ftp", "dhcp", "krb5", "nfs", "snmp", "sip", "rdp", "mqtt", "quic", "ike", "rfb", "files", "dcerpc", "tftp", "ntp":
		return et + " event, not a connection"
	}
	return "event_type " + et + " is not a connection record"
}

// suricataFlowSuccess judges a flow event. See the comment at the top.
func suricataFlowSuccess(proto string, state, tcpObj []byte) NullBool {
	if proto == "tcp" && tcpObj != nil {
		fts, ok1 := suricataHexByte(suricataRawInner(suricataMember(tcpObj, "tcp_flags_ts")))
		ftc, ok2 := suricataHexByte(suricataRawInner(suricataMember(tcpObj, "tcp_flags_tc")))
		if ok1 && ok2 {
			const syn, rst = 0x02, 0x04
			switch {
			case ftc&syn != 0:
				return Bool(true)
			case ftc&rst != 0:
				return Bool(false)
			case ftc == 0 && fts&syn != 0:
				return Bool(false)
			}
		}
	}
	switch {
	case suricataRawEq(state, "established"), suricataRawEq(state, "closed"):
		return Bool(true)
	case suricataRawEq(state, "new"):
		return Bool(false)
	}
	return NullBool{}
}

func suricataHexByte(s []byte) (byte, bool) {
	if len(s) == 0 || len(s) > 2 {
		return 0, false
	}
	var v byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		v = v<<4 | c
	}
	return v, true
}

// suricataProtoName lowercases the protocol without allocating for the
// common names; numbers become names where known.
func suricataProtoName(p string) string {
	switch p {
	case "TCP", "tcp":
		return "tcp"
	case "UDP", "udp":
		return "udp"
	case "ICMP", "icmp":
		return "icmp"
	case "IPv6-ICMP", "IPV6-ICMP", "ipv6-icmp", "ICMPv6", "icmpv6":
		return "ipv6-icmp"
	case "SCTP", "sctp":
		return "sctp"
	case "":
		return ""
	}
	if p[0] >= '0' && p[0] <= '9' {
		return crowdstrikeProtoName(p)
	}
	return string(bytes.ToLower([]byte(p)))
}

func suricataIsICMP(p string) bool {
	return p == "icmp" || p == "ipv6-icmp"
}

// suricataPort reads a JSON number or numeric string as a port.
func suricataPort(v []byte) (NullInt32, bool) {
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		v = v[1 : len(v)-1]
	}
	if len(v) == 0 || string(v) == "null" {
		return NullInt32{}, true
	}
	n := 0
	for _, c := range v {
		if c < '0' || c > '9' {
			return NullInt32{}, false
		}
		n = n*10 + int(c-'0')
		if n > 65535 {
			return NullInt32{}, false
		}
	}
	return Int32(int32(n)), true
}

// suricataParseISO reads "2006-01-02T15:04:05[.frac][Z|±hh:mm|±hhmm]" (also
// with a space instead of T) without allocating, falling back to
// ParseTimestamp for other forms. Zone-less text is read in ctx's location.
func suricataParseISO(ctx *ParseContext, s string) (time.Time, bool) {
	if len(s) < 19 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ') || s[13] != ':' || s[16] != ':' {
		return ParseTimestamp(ctx, s)
	}
	num := func(a, b int) int {
		v := 0
		for i := a; i < b; i++ {
			c := s[i]
			if c < '0' || c > '9' {
				return -1
			}
			v = v*10 + int(c-'0')
		}
		return v
	}
	y, mo, d, h, mi, sec := num(0, 4), num(5, 7), num(8, 10), num(11, 13), num(14, 16), num(17, 19)
	if y < 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 60 {
		return time.Time{}, false
	}
	i := 19
	ns := 0
	if i < len(s) && s[i] == '.' {
		i++
		j := i
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			if j-i < 9 {
				ns = ns*10 + int(s[j]-'0')
			}
			j++
		}
		if j == i {
			return time.Time{}, false
		}
		for k := j - i; k < 9; k++ {
			ns *= 10
		}
		i = j
	}
	if i == len(s) {
		return time.Date(y, time.Month(mo), d, h, mi, sec, ns, ctx.location()), true
	}
	if s[i] == 'Z' && i+1 == len(s) {
		return time.Date(y, time.Month(mo), d, h, mi, sec, ns, time.UTC), true
	}
	if s[i] != '+' && s[i] != '-' {
		return ParseTimestamp(ctx, s)
	}
	sign := 1
	if s[i] == '-' {
		sign = -1
	}
	rest := s[i+1:]
	var oh, om int
	switch {
	case len(rest) == 4:
		oh, om = num(i+1, i+3), num(i+3, i+5)
	case len(rest) == 5 && rest[2] == ':':
		oh, om = num(i+1, i+3), num(i+4, i+6)
	case len(rest) == 2:
		oh, om = num(i+1, i+3), 0
	default:
		return time.Time{}, false
	}
	if oh < 0 || om < 0 || oh > 23 || om > 59 {
		return time.Time{}, false
	}
	off := time.Duration(sign) * (time.Duration(oh)*time.Hour + time.Duration(om)*time.Minute)
	return time.Date(y, time.Month(mo), d, h, mi, sec, ns, time.UTC).Add(-off), true
}

// ---- a small allocation-free JSON object scanner, shared by the JSON line
// formats of this family (suricata-eve, zeek-json, crowdstrike-fdr) ----

// suricataIter walks the members of one JSON object.
type suricataIter struct {
	b     []byte
	i     int
	first bool
	err   error
}

// suricataObject starts an iterator over the object that b holds (leading
// and trailing white space allowed).
func suricataObject(b []byte) (suricataIter, error) {
	i := suricataSkipWS(b, 0)
	if i >= len(b) || b[i] != '{' {
		return suricataIter{}, errors.New("not a JSON object")
	}
	return suricataIter{b: b, i: i + 1, first: true}, nil
}

// next returns the next member's key (raw, without quotes) and raw value
// (strings keep their quotes). ok is false at the end or on an error (err).
func (it *suricataIter) next() (key, val []byte, ok bool) {
	if it.err != nil || it.b == nil {
		return nil, nil, false
	}
	b := it.b
	i := suricataSkipWS(b, it.i)
	if i >= len(b) {
		it.err = errors.New("truncated JSON object")
		return nil, nil, false
	}
	if b[i] == '}' {
		it.i = i + 1
		it.b = nil
		return nil, nil, false
	}
	if !it.first {
		if b[i] != ',' {
			it.err = fmt.Errorf("expected ',' at offset %d", i)
			return nil, nil, false
		}
		i = suricataSkipWS(b, i+1)
	}
	it.first = false
	if i >= len(b) || b[i] != '"' {
		it.err = fmt.Errorf("expected a key at offset %d", i)
		return nil, nil, false
	}
	kend, err := suricataStringEnd(b, i)
	if err != nil {
		it.err = err
		return nil, nil, false
	}
	key = b[i+1 : kend-1]
	i = suricataSkipWS(b, kend)
	if i >= len(b) || b[i] != ':' {
		it.err = fmt.Errorf("expected ':' at offset %d", i)
		return nil, nil, false
	}
	i = suricataSkipWS(b, i+1)
	vend, err := suricataValueEnd(b, i)
	if err != nil {
		it.err = err
		return nil, nil, false
	}
	it.i = vend
	return key, b[i:vend], true
}

// suricataMember returns the raw value of key in the object obj, or nil.
func suricataMember(obj []byte, key string) []byte {
	it, err := suricataObject(obj)
	if err != nil {
		return nil
	}
	for {
		k, v, ok := it.next()
		if !ok {
			return nil
		}
		if string(k) == key {
			return v
		}
	}
}

func suricataSkipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// suricataStringEnd returns the offset just past the string starting at b[i].
func suricataStringEnd(b []byte, i int) (int, error) {
	j := i + 1
	for {
		k := bytes.IndexByte(b[j:], '"')
		if k < 0 {
			return 0, errors.New("unterminated string")
		}
		j += k
		bs := 0
		for m := j - 1; m > i && b[m] == '\\'; m-- {
			bs++
		}
		if bs%2 == 0 {
			return j + 1, nil
		}
		j++
	}
}

// suricataValueEnd returns the offset just past the JSON value at b[i].
func suricataValueEnd(b []byte, i int) (int, error) {
	if i >= len(b) {
		return 0, errors.New("missing value")
	}
	switch b[i] {
	case '"':
		return suricataStringEnd(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				e, err := suricataStringEnd(b, j)
				if err != nil {
					return 0, err
				}
				j = e - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1, nil
				}
			}
		}
		return 0, errors.New("unterminated object or array")
	default:
		j := i
		for j < len(b) {
			c := b[j]
			if c == ',' || c == '}' || c == ']' || c == ' ' || c == '\t' || c == '\r' || c == '\n' {
				break
			}
			j++
		}
		if j == i {
			return 0, fmt.Errorf("unexpected %q at offset %d", b[i], i)
		}
		return j, nil
	}
}

// suricataString returns the text of a raw JSON string value (ok false when
// v is not a string; numbers and literals are returned as their text with
// ok false). Escapes are decoded (rare; allocates).
func suricataString(v []byte) (string, bool) {
	if len(v) < 2 || v[0] != '"' {
		if len(v) == 0 || string(v) == "null" {
			return "", false
		}
		return string(v), false
	}
	inner := v[1 : len(v)-1]
	if bytes.IndexByte(inner, '\\') < 0 {
		return string(inner), true
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return string(inner), true
	}
	return s, true
}
