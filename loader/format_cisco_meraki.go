package loader

import (
	"bytes"
	"fmt"
	"time"
)

// Cisco Meraki syslog: "<pri>1 <epoch.nanos> <device> <type> key=value ...".
// As Sumo maps them, the firewall event types (firewall, vpn_firewall,
// cellular_firewall, l7_firewall and the other *_firewall types) are
// Network records, the flow types (flows, ip_flow_start, ip_flow_end)
// NetworkFlow records. Every other type (urls, events, ids-alerts,
// security_event, airmarshal_events, ...) is skipped.

func init() {
	Register(Format{
		Name:        "cisco-meraki",
		Description: "Cisco Meraki MX/MR syslog: firewall (Network) and flows / ip_flow_* (NetworkFlow) events",
		Example:     "<134>1 1709547302.417305921 branch-mx67 firewall src=10.40.7.23 dst=10.40.2.15 mac=02:00:5E:10:20:30 protocol=tcp sport=50112 dport=445 pattern: allow all",
		ParseLine:   merakiParseLine,
		MatchLine:   merakiMatchLine,
	})
}

// merakiHeader is the part of a Meraki line before the event's fields.
type merakiHeader struct {
	sec, nsec int64
	host      []byte
	typ       []byte
	rest      []byte
}

// merakiSplit reads "[<pri>[1 ]]epoch.frac host type rest". strict
// requires the "<pri>1 " prefix or a known event type.
func merakiSplit(line []byte) (merakiHeader, bool) {
	var h merakiHeader
	b := line
	prefixed := false
	if len(b) > 2 && b[0] == '<' {
		end := bytes.IndexByte(b[:min(len(b), 6)], '>')
		if end < 2 {
			return h, false
		}
		if _, ok := kvAtoi(b[1:end]); !ok {
			return h, false
		}
		b = b[end+1:]
		if len(b) > 2 && b[0] == '1' && b[1] == ' ' {
			b = b[2:]
			prefixed = true
		}
	}
	// epoch seconds '.' fraction
	i := 0
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	if i < 9 || i > 11 || i >= len(b) || b[i] != '.' {
		return h, false
	}
	sec, _ := kvAtoi(b[:i])
	j := i + 1
	var ns int64
	digits := 0
	for j < len(b) && b[j] >= '0' && b[j] <= '9' {
		if digits < 9 {
			ns = ns*10 + int64(b[j]-'0')
			digits++
		}
		j++
	}
	if digits == 0 || j >= len(b) || b[j] != ' ' {
		return h, false
	}
	for k := digits; k < 9; k++ {
		ns *= 10
	}
	b = b[j+1:]
	sp := bytes.IndexByte(b, ' ')
	if sp <= 0 {
		return h, false
	}
	h.host = b[:sp]
	b = b[sp+1:]
	sp = bytes.IndexByte(b, ' ')
	if sp < 0 {
		sp = len(b)
	}
	typ := b[:sp]
	if len(typ) == 0 {
		return h, false
	}
	for _, c := range typ {
		if !(c >= 'a' && c <= 'z') && !(c >= '0' && c <= '9') && c != '_' && c != '-' {
			return h, false
		}
	}
	if !prefixed && merakiKind(typ) == "" && !merakiKnownOther(typ) {
		return h, false
	}
	h.sec, h.nsec, h.typ, h.rest = sec, ns, typ, b[sp:]
	return h, true
}

// merakiKind returns the objectType of a connection event type, or "".
func merakiKind(typ []byte) string {
	switch string(typ) {
	case "flows", "ip_flow_start", "ip_flow_end":
		return ObjectNetworkFlow
	}
	if bytes.HasSuffix(typ, []byte("firewall")) {
		return ObjectNetwork
	}
	return ""
}

func merakiKnownOther(typ []byte) bool {
	switch string(typ) {
	case "urls", "events", "ids-alerts", "security_event", "airmarshal_events", "ip_session_initiated":
		return true
	}
	return false
}

func merakiMatchLine(line []byte) bool {
	_, ok := merakiSplit(line)
	return ok
}

func merakiParseLine(ctx *ParseContext, line []byte, rec *Record) error {
	h, ok := merakiSplit(line)
	if !ok {
		return fmt.Errorf("meraki: no \"<pri>1 epoch device type\" header")
	}
	kind := merakiKind(h.typ)
	if kind == "" {
		return ErrSkip(fmt.Sprintf("meraki %s: not a connection event", h.typ))
	}
	rest := h.rest
	var pattern []byte
	if pi := bytes.Index(rest, []byte(" pattern:")); pi >= 0 {
		pattern = bytes.TrimSpace(rest[pi+9:])
		rest = rest[:pi]
	}
	var src, dst, sport, dport, proto, decision, verdict []byte
	s := kvNewEq(rest)
	for {
		k, v, _, ok := s.next()
		if !ok {
			break
		}
		switch string(k) {
		case "src":
			src = v
		case "dst":
			dst = v
		case "sport":
			sport = v
		case "dport":
			dport = v
		case "protocol":
			proto = v
		case "decision", "action":
			decision = v
		}
	}
	// "flows allow src=..." / "flows deny src=...": a verdict word first.
	if f := bytes.TrimLeft(rest, " "); len(f) > 0 {
		w := f
		if sp := bytes.IndexByte(f, ' '); sp >= 0 {
			w = f[:sp]
		}
		if bytes.IndexByte(w, '=') < 0 {
			verdict = w
		}
	}
	if len(src) == 0 {
		return fmt.Errorf("meraki %s: no src", h.typ)
	}
	if len(dst) == 0 {
		return fmt.Errorf("meraki %s: no dst", h.typ)
	}
	rec.Time = time.Unix(h.sec, h.nsec).UTC()
	rec.ObjectType = kind
	rec.Vendor, rec.Product = "Cisco", "Meraki"
	rec.DeviceEventID = string(h.typ)
	rec.SrcIP, rec.DstIP = string(src), string(dst)
	rec.IPProtocol = kvProto(proto)
	err := kvStrictPorts(rec, sport, dport, "sport", "dport", func(name string, text []byte) error {
		return fmt.Errorf("meraki %s: bad %s %q", h.typ, name, text)
	})
	if err != nil {
		return err
	}
	if (rec.IPProtocol == "tcp" || rec.IPProtocol == "udp") && !rec.DstPort.Valid {
		return fmt.Errorf("meraki %s: %s without dport", h.typ, rec.IPProtocol)
	}
	rec.Success = merakiSuccess(verdict, pattern, decision)
	return nil
}

// merakiSuccess reads the verdict: a leading allow/deny word, the firewall
// rule's "pattern: allow ..." / "pattern: deny ..." (or "Group Policy
// Allow"), or l7_firewall's decision=allowed|blocked. Null otherwise.
func merakiSuccess(verdict, pattern, decision []byte) NullBool {
	if v := merakiVerdictWord(verdict); v.Valid {
		return v
	}
	if len(pattern) > 0 {
		p := pattern
		if len(p) > 13 && bytes.EqualFold(p[:13], []byte("Group Policy ")) {
			p = p[13:]
		}
		w := p
		if sp := bytes.IndexAny(p, " ("); sp >= 0 {
			w = p[:sp]
		}
		if v := merakiVerdictWord(w); v.Valid {
			return v
		}
	}
	return merakiVerdictWord(decision)
}

func merakiVerdictWord(w []byte) NullBool {
	switch {
	case bytes.EqualFold(w, []byte("allow")), bytes.EqualFold(w, []byte("allowed")):
		return Bool(true)
	case bytes.EqualFold(w, []byte("deny")), bytes.EqualFold(w, []byte("denied")),
		bytes.EqualFold(w, []byte("block")), bytes.EqualFold(w, []byte("blocked")):
		return Bool(false)
	}
	return NullBool{}
}
