package loader

import (
	"bytes"
	"errors"
	"fmt"
	"time"
)

// Cisco ASA syslog: %ASA-<level>-<id>: after a syslog header of many
// variants. Connection builds and teardowns (302013-302016, 302020/302021,
// and the SCTP twins 302035/302036) and the access denies and ACL hits
// (106001, 106006, 106007, 106010, 106015, 106023, 106100) are connection
// records of objectType Network, as Sumo's ASA message-id mappers make them.
// Everything else (translations 305011/305012, 313001, 338xxx, 304001, VPN
// and system messages) is skipped.
//
// The parser is shared with the cisco-ftd format: FTD logs the same ids
// under %FTD-.

func init() {
	Register(Format{
		Name:        "cisco-asa",
		Description: "Cisco ASA syslog (%ASA-): 302013-302021 builds/teardowns, 106xxx denies and ACL hits",
		Example:     "Mar 04 2024 10:15:02 fw-edge-1 : %ASA-6-302013: Built outbound TCP connection 4410021 for dmz:10.40.2.15/445 (10.40.2.15/445) to inside:10.40.7.23/50112 (10.40.7.23/50112)",
		ParseLine:   asaParseLine,
		MatchLine:   asaMatchLine,
	})
}

var asaMarker = []byte("%ASA-")

func asaMatchLine(line []byte) bool { return bytes.Contains(line, asaMarker) }

func asaParseLine(ctx *ParseContext, line []byte, rec *Record) error {
	m, err := ciscoSplitTagged(ctx, line, asaMarker, "asa")
	if err != nil {
		return err
	}
	return asaParseMessage("asa", "ASA", m, rec)
}

// ciscoTagged is an ASA/FTD message located in its line.
type ciscoTagged struct {
	time time.Time
	id   int    // the six-digit message id
	ids  []byte // the id as logged
	body []byte // the text after "%ASA-6-302013: "
}

// ciscoSplitTagged finds marker ("%ASA-" or "%FTD-") in line and returns the
// message id, the body and the event time: the device's own stamp right
// before the tag when there is one, else the syslog header's (zero when
// the line has neither).
func ciscoSplitTagged(ctx *ParseContext, line, marker []byte, name string) (ciscoTagged, error) {
	var m ciscoTagged
	h, msg := SplitSyslog(ctx, line)
	at := bytes.Index(msg, marker)
	if at < 0 {
		return m, fmt.Errorf("%s: no %s tag", name, marker)
	}
	if t, ok := ciscoDeviceTime(ctx, msg[:at]); ok {
		m.time = t
	} else if h.HasTime {
		m.time = h.Time
	}
	rest := msg[at+len(marker):]
	end := 0
	for end < len(rest) && rest[end] != ':' && rest[end] != ' ' {
		end++
	}
	tag := rest[:end]
	id := tag
	if dash := bytes.LastIndexByte(tag, '-'); dash >= 0 {
		id = tag[dash+1:]
	}
	if len(id) != 6 {
		return m, fmt.Errorf("%s: bad message id %q", name, tag)
	}
	n, ok := kvAtoi(id)
	if !ok {
		return m, fmt.Errorf("%s: bad message id %q", name, tag)
	}
	m.id, m.ids = int(n), id
	rest = rest[end:]
	if len(rest) > 0 && rest[0] == ':' {
		rest = rest[1:]
	}
	m.body = bytes.TrimSpace(rest)
	return m, nil
}

// ciscoDeviceTime finds the last timestamp in the text before a message
// tag ("585917: Feb  8 04:00:47.272: ", "*Mar  1 00:01:02.123 UTC: ").
func ciscoDeviceTime(ctx *ParseContext, pre []byte) (time.Time, bool) {
	var found time.Time
	ok := false
	for i := 0; i < len(pre); i++ {
		if i > 0 && pre[i-1] != ' ' && pre[i-1] != ':' {
			continue
		}
		c := pre[i]
		j := i
		if c == '*' || c == '.' {
			j++
			if j >= len(pre) {
				break
			}
			c = pre[j]
		}
		if !(c >= 'A' && c <= 'S') && !(c >= '0' && c <= '9') {
			continue
		}
		if t, n := parseLeadingTime(ctx, pre[j:]); n > 0 {
			found, ok = t, true
			i = j + n - 1
		}
	}
	return found, ok
}

// asaParseMessage maps one ASA-style message (shared by cisco-asa and
// cisco-ftd) into rec.
func asaParseMessage(name, product string, m ciscoTagged, rec *Record) error {
	rec.Time = m.time
	rec.ObjectType = ObjectNetwork
	rec.Vendor = "Cisco"
	rec.Product = product
	var err error
	switch m.id {
	case 302013, 302014, 302015, 302016, 302035, 302036:
		err = asaBuiltTeardown(m.body, m.id, rec)
	case 302020, 302021:
		err = asaICMP(m.body, m.id == 302020, rec)
	case 106001, 106006, 106007, 106015:
		err = asaFromTo(m.body, rec)
	case 106010, 106023:
		err = asaSrcDst(m.body, m.id == 106023, rec)
	case 106100:
		err = asaACL(m.body, rec)
	default:
		return ErrSkip(fmt.Sprintf("%s %s: not a connection record", name, m.ids))
	}
	if err != nil {
		var skip ErrSkip
		if errors.As(err, &skip) {
			return ErrSkip(fmt.Sprintf("%s %s: %s", name, m.ids, skip))
		}
		return fmt.Errorf("%s %s: %w", name, m.ids, err)
	}
	if m.time.IsZero() {
		return fmt.Errorf("%s %s: no timestamp", name, m.ids)
	}
	rec.DeviceEventID = string(m.ids)
	return nil
}

// asaEndpoint is one side of a connection as the ASA prints it.
type asaEndpoint struct {
	addr    []byte
	port    NullInt32
	hasPort bool
	user    []byte // identity firewall user attached to the address, realm stripped
	mapped  bool   // a " (mapped/port)" group followed the address
}

// asaLooksIP reports whether b has the shape of an IPv4 or IPv6 address.
func asaLooksIP(b []byte) bool {
	if len(b) < 2 {
		return false
	}
	dots, colons := 0, 0
	hex := false
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
		case c == '.':
			dots++
		case c == ':':
			colons++
		case (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'):
			hex = true
		default:
			return false
		}
	}
	if colons >= 2 {
		return true
	}
	return colons == 0 && !hex && dots == 3
}

// asaAddrPort splits "ifc:addr/port", "addr/port", "ifc:addr" or "addr"
// (IPv6 allowed; the interface name is cut at the first colon when the
// whole is not an address). It returns an error for an empty address or
// a bad port.
func asaAddrPort(tok []byte) (asaEndpoint, error) {
	var ep asaEndpoint
	a := tok
	if sl := bytes.LastIndexByte(a, '/'); sl >= 0 {
		p, ok := kvPort(a[sl+1:])
		if !ok {
			return ep, fmt.Errorf("bad port in %q", tok)
		}
		ep.port, ep.hasPort = p, true
		a = a[:sl]
	}
	if !asaLooksIP(a) {
		if c := bytes.IndexByte(a, ':'); c >= 0 {
			a = a[c+1:]
		}
	}
	if pct := bytes.IndexByte(a, '%'); pct > 0 {
		a = a[:pct]
	}
	a = bytes.Trim(a, "[]")
	if len(a) == 0 {
		return ep, fmt.Errorf("no address in %q", tok)
	}
	ep.addr = a
	return ep, nil
}

// asaEndpointAt parses an endpoint token at the start of b ("ifc:addr/port"
// followed by an optional " (mapped/port)" and attached "(realm\user)"
// groups) and returns it with the rest of b.
func asaEndpointAt(b []byte) (asaEndpoint, []byte, error) {
	end := 0
	for end < len(b) && b[end] != ' ' && b[end] != '(' && b[end] != ',' {
		end++
	}
	ep, err := asaAddrPort(b[:end])
	if err != nil {
		return ep, b, err
	}
	rest := b[end:]
	for {
		g := rest
		spaced := false
		if len(g) > 1 && g[0] == ' ' && g[1] == '(' {
			g, spaced = g[1:], true
		}
		if len(g) == 0 || g[0] != '(' {
			break
		}
		close := bytes.IndexByte(g, ')')
		if close < 0 {
			return ep, rest, fmt.Errorf("unclosed parenthesis")
		}
		in := g[1:close]
		mapped := bytes.IndexByte(in, '/') >= 0 && bytes.IndexByte(in, '\\') < 0 && bytes.IndexByte(in, ' ') < 0
		if spaced && !mapped {
			break // a connection user after the endpoint, not part of it
		}
		if mapped {
			ep.mapped = true
		} else if ep.user == nil {
			ep.user = asaIdfwUser(in)
		}
		rest = g[close+1:]
	}
	return ep, rest, nil
}

// asaIdfwUser turns "LOCAL\user" or "AD\user, sg_info" into the user name
// the ASA prints elsewhere for the connection (the realm cut off).
func asaIdfwUser(in []byte) []byte {
	if c := bytes.IndexByte(in, ','); c >= 0 {
		in = in[:c]
	}
	if bs := bytes.IndexByte(in, '\\'); bs >= 0 {
		in = in[bs+1:]
	}
	in = bytes.TrimSpace(in)
	if len(in) == 0 {
		return nil
	}
	return in
}

// asaIndexTop returns the index of sep in b outside parentheses, or -1.
func asaIndexTop(b []byte, sep string) int {
	depth := 0
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '(':
			depth++
		case ')':
			if depth > 0 {
				depth--
			}
		default:
			if depth == 0 && b[i] == sep[0] && bytes.HasPrefix(b[i:], []byte(sep)) {
				return i
			}
		}
	}
	return -1
}

// asaBareUser returns a lone word left after an endpoint ("... /53 user1 to").
func asaBareUser(rest []byte) []byte {
	rest = bytes.TrimSpace(rest)
	if len(rest) == 0 || bytes.IndexByte(rest, ' ') >= 0 || rest[0] == '(' {
		return nil
	}
	return rest
}

// asaTrailingUser returns the "(user)" group that starts rest, if any.
func asaTrailingUser(rest []byte) []byte {
	rest = bytes.TrimLeft(rest, " ")
	if len(rest) < 3 || rest[0] != '(' {
		return nil
	}
	close := bytes.IndexByte(rest, ')')
	if close < 0 {
		return nil
	}
	u := bytes.TrimSpace(rest[1:close])
	if len(u) == 0 {
		return nil
	}
	return u
}

// asaFill sets addresses, ports, protocol and user of rec; src is the
// initiator.
func asaFill(rec *Record, src, dst asaEndpoint, proto string, user []byte) {
	rec.SrcIP, rec.DstIP = string(src.addr), string(dst.addr)
	rec.IPProtocol = proto
	if !kvPortless(proto) {
		if src.hasPort {
			rec.SrcPort = src.port
		}
		if dst.hasPort {
			rec.DstPort = dst.port
		}
	}
	if !asaLooksIP(src.addr) {
		// The ASA "names" feature prints a configured name for the host.
		rec.SrcHostname = rec.SrcIP
	}
	if src.user != nil {
		rec.Username = string(src.user)
	} else if user != nil {
		rec.Username = string(user)
	}
}

var (
	asaFor      = []byte(" for ")
	asaDuration = " duration "
)

// asaBuiltTeardown handles
//
//	Built {inbound|outbound} TCP connection N for ifc:A/pa (mA/mpa)[(idfw)] to ifc:B/pb (mB/mpb)[(idfw)] [(user)]
//	Teardown TCP connection N for ifc:A/pa[(idfw)] to ifc:B/pb[(idfw)] duration ... bytes ... [reason] [(user)]
//
// The "for" side is the ASA's foreign (lower security) side. In a build,
// "inbound" means the for side initiated, "outbound" the to side. A
// teardown does not say; the side with the lower port is taken as the
// responder, and on equal ports the to side as the initiator (outbound,
// the common case).
func asaBuiltTeardown(body []byte, id int, rec *Record) error {
	built := id == 302013 || id == 302015 || id == 302035
	var inbound bool
	f := bytes.Fields(body[:min(len(body), 48)])
	if built {
		if len(f) < 3 || string(f[0]) != "Built" {
			return fmt.Errorf("expected \"Built\"")
		}
		switch string(f[1]) {
		case "inbound":
			inbound = true
		case "outbound":
		default:
			return fmt.Errorf("no direction")
		}
		f = f[2:]
	} else {
		if len(f) < 2 || string(f[0]) != "Teardown" {
			return fmt.Errorf("expected \"Teardown\"")
		}
		f = f[1:]
	}
	proto := kvProto(f[0])
	fa := bytes.Index(body, asaFor)
	if fa < 0 {
		return fmt.Errorf("no \"for\" endpoint")
	}
	a := body[fa+len(asaFor):]
	to := asaIndexTop(a, " to ")
	if to < 0 {
		return fmt.Errorf("no \"to\" endpoint")
	}
	b := a[to+4:]
	a = a[:to]
	epA, restA, err := asaEndpointAt(a)
	if err != nil {
		return err
	}
	if u := asaBareUser(restA); u != nil && epA.user == nil {
		epA.user = u
	}
	var user []byte
	if built {
		epB, restB, err := asaEndpointAt(b)
		if err != nil {
			return err
		}
		if !epB.mapped {
			return fmt.Errorf("truncated: no mapped address after the \"to\" endpoint")
		}
		user = asaTrailingUser(restB)
		if !epA.hasPort || !epB.hasPort {
			return fmt.Errorf("endpoint without port")
		}
		if inbound {
			asaFill(rec, epA, epB, proto, user)
		} else {
			asaFill(rec, epB, epA, proto, user)
		}
		rec.Success = Bool(true)
		return nil
	}
	d := asaIndexTop(b, asaDuration)
	if d < 0 {
		return fmt.Errorf("truncated: no duration")
	}
	tail := b[d:]
	b = b[:d]
	epB, restB, err := asaEndpointAt(b)
	if err != nil {
		return err
	}
	if u := asaBareUser(restB); u != nil && epB.user == nil {
		epB.user = u
	}
	if tail[len(tail)-1] == ')' {
		if open := bytes.LastIndex(tail, []byte(" (")); open >= 0 {
			user = asaTrailingUser(tail[open:])
		}
	}
	if !epA.hasPort || !epB.hasPort {
		return fmt.Errorf("endpoint without port")
	}
	if epA.port.V <= epB.port.V {
		asaFill(rec, epB, epA, proto, user) // the for side answered
	} else {
		asaFill(rec, epA, epB, proto, user) // the for side has the higher port: it initiated
	}
	rec.Success = Bool(true)
	return nil
}

// asaICMP handles 302020/302021:
//
//	Built {inbound|outbound} ICMP connection for faddr F/id[(idfw)] gaddr G/id laddr L/id [(user)] [type T code C]
//	Teardown ICMP connection for faddr F/id gaddr G/id laddr L/id [(user)] [type T code C]
//
// Inbound builds were initiated by faddr, outbound ones by laddr; a
// teardown does not say and is read as outbound (laddr initiated).
func asaICMP(body []byte, built bool, rec *Record) error {
	inbound := false
	if built {
		switch {
		case bytes.HasPrefix(body, []byte("Built inbound ")):
			inbound = true
		case bytes.HasPrefix(body, []byte("Built outbound ")):
		default:
			return fmt.Errorf("expected \"Built inbound|outbound\"")
		}
	} else if !bytes.HasPrefix(body, []byte("Teardown ")) {
		return fmt.Errorf("expected \"Teardown\"")
	}
	fi := bytes.Index(body, []byte("faddr "))
	li := bytes.Index(body, []byte("laddr "))
	if fi < 0 || li < 0 || li < fi {
		return fmt.Errorf("no faddr/laddr")
	}
	epF, _, err := asaEndpointAt(body[fi+6:])
	if err != nil {
		return err
	}
	epL, restL, err := asaEndpointAt(body[li+6:])
	if err != nil {
		return err
	}
	if !epF.hasPort || !epL.hasPort {
		return fmt.Errorf("truncated: address without /id")
	}
	user := asaTrailingUser(restL)
	proto := "icmp"
	if bytes.IndexByte(epF.addr, ':') >= 0 || bytes.IndexByte(epL.addr, ':') >= 0 {
		proto = "ipv6-icmp"
	}
	if inbound {
		asaFill(rec, epF, epL, proto, user)
	} else {
		asaFill(rec, epL, epF, proto, user)
	}
	rec.Success = Bool(true)
	return nil
}

// asaFromTo handles the denies written "from A/pa to B/pb ...":
//
//	106001 Inbound TCP connection denied from A/pa to B/pb flags F on interface I
//	106006 Deny inbound UDP from A/pa to B/pb on interface I
//	106007 Deny inbound UDP from A/pa to B/pb due to DNS Query
//	106015 Deny TCP (no connection) from A/pa to B/pb flags F on interface I
func asaFromTo(body []byte, rec *Record) error {
	var proto string
	switch {
	case bytes.HasPrefix(body, []byte("Inbound ")):
		f := bytes.Fields(body[:min(len(body), 24)])
		if len(f) < 2 {
			return fmt.Errorf("no protocol")
		}
		proto = kvProto(f[1])
	case bytes.HasPrefix(body, []byte("Deny inbound ")):
		f := bytes.Fields(body[:min(len(body), 24)])
		if len(f) < 3 {
			return fmt.Errorf("no protocol")
		}
		proto = kvProto(f[2])
	case bytes.HasPrefix(body, []byte("Deny ")):
		f := bytes.Fields(body[:min(len(body), 24)])
		if len(f) < 2 {
			return fmt.Errorf("no protocol")
		}
		proto = kvProto(f[1])
	default:
		return fmt.Errorf("expected \"Deny\"")
	}
	fr := bytes.Index(body, []byte(" from "))
	if fr < 0 {
		return fmt.Errorf("no source")
	}
	a := body[fr+6:]
	to := asaIndexTop(a, " to ")
	if to < 0 {
		return fmt.Errorf("no destination")
	}
	src, _, err := asaEndpointAt(a[:to])
	if err != nil {
		return err
	}
	dst, rest, err := asaEndpointAt(a[to+4:])
	if err != nil {
		return err
	}
	if len(rest) == 0 {
		return fmt.Errorf("truncated after the destination")
	}
	asaFill(rec, src, dst, proto, nil)
	if !kvPortless(proto) && !rec.DstPort.Valid {
		return fmt.Errorf("no destination port")
	}
	rec.Success = Bool(false)
	return nil
}

// asaSrcDst handles
//
//	106023 Deny tcp src ifc:A/pa[(user, sg)] dst ifc:B/pb[(user, sg)] [(type T, code C)] by access-group "acl" [h, h]
//	106010 Deny inbound tcp src ifc:A/pa dst ifc:B/pb
//
// and "Deny protocol 47 src ...".
func asaSrcDst(body []byte, needTail bool, rec *Record) error {
	if !bytes.HasPrefix(body, []byte("Deny ")) {
		return fmt.Errorf("expected \"Deny\"")
	}
	si := bytes.Index(body, []byte(" src "))
	if si < 0 {
		return fmt.Errorf("no source")
	}
	f := bytes.Fields(body[4:si])
	if len(f) > 0 && (string(f[0]) == "inbound" || string(f[0]) == "outbound") {
		f = f[1:]
	}
	if len(f) > 0 && string(f[0]) == "protocol" {
		f = f[1:]
	}
	if len(f) != 1 {
		return fmt.Errorf("no protocol")
	}
	proto := kvProto(f[0])
	a := body[si+5:]
	di := asaIndexTop(a, " dst ")
	if di < 0 {
		return fmt.Errorf("no destination")
	}
	src, _, err := asaEndpointAt(a[:di])
	if err != nil {
		return err
	}
	dst, rest, err := asaEndpointAt(a[di+5:])
	if err != nil {
		return err
	}
	if needTail && !bytes.Contains(rest, []byte(" by access-")) {
		return fmt.Errorf("truncated: no access-group")
	}
	asaFill(rec, src, dst, proto, nil)
	if (proto == "tcp" || proto == "udp") && !rec.DstPort.Valid {
		return fmt.Errorf("no destination port")
	}
	rec.Success = Bool(false)
	return nil
}

// asaACL handles 106100:
//
//	access-list ACL {permitted|denied|est-allowed} proto ifc/A(pa)[(user, sg)] -> ifc/B(pb)[(user, sg)] hit-cnt N ...
//
// For ICMP the parenthesized numbers are type and code, not ports.
func asaACL(body []byte, rec *Record) error {
	if !bytes.HasPrefix(body, []byte("access-list ")) {
		return fmt.Errorf("expected \"access-list\"")
	}
	arrow := bytes.Index(body, []byte(" -> "))
	if arrow < 0 {
		return fmt.Errorf("no destination")
	}
	f := bytes.Fields(body[:arrow])
	if len(f) != 5 {
		return fmt.Errorf("unexpected fields before \"->\"")
	}
	switch string(f[2]) {
	case "permitted", "est-allowed":
		rec.Success = Bool(true)
	case "denied":
		rec.Success = Bool(false)
	default:
		return fmt.Errorf("unknown action %q", f[2])
	}
	proto := kvProto(f[3])
	src, err := asaACLEndpoint(f[4])
	if err != nil {
		return err
	}
	rest := body[arrow+4:]
	hc := bytes.Index(rest, []byte(" hit-cnt "))
	if hc < 0 {
		return fmt.Errorf("truncated: no hit-cnt")
	}
	dst, err := asaACLEndpoint(bytes.TrimSpace(rest[:hc]))
	if err != nil {
		return err
	}
	asaFill(rec, src, dst, proto, nil)
	return nil
}

// asaACLEndpoint parses "ifc/addr(port)[(user, sg)]".
func asaACLEndpoint(b []byte) (asaEndpoint, error) {
	var ep asaEndpoint
	if sl := bytes.IndexByte(b, '/'); sl >= 0 {
		b = b[sl+1:]
	}
	open := bytes.IndexByte(b, '(')
	if open < 0 {
		return ep, fmt.Errorf("no port in %q", b)
	}
	ep.addr = b[:open]
	if len(ep.addr) == 0 {
		return ep, fmt.Errorf("no address")
	}
	b = b[open+1:]
	close := bytes.IndexByte(b, ')')
	if close < 0 {
		return ep, fmt.Errorf("unclosed port")
	}
	p, ok := kvPort(b[:close])
	if !ok {
		return ep, fmt.Errorf("bad port %q", b[:close])
	}
	ep.port, ep.hasPort = p, true
	b = b[close+1:]
	if len(b) > 1 && b[0] == '(' {
		if c := bytes.IndexByte(b, ')'); c > 0 {
			ep.user = asaIdfwUser(b[1:c])
		}
	}
	return ep, nil
}
