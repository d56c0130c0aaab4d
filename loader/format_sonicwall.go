package loader

import (
	"bytes"
	"errors"
	"fmt"
)

// Dell / SonicWall SonicOS key=value syslog:
//
//	id=firewall sn=C0EAE4000000 time="2024-03-02 10:15:00 UTC" fw=10.0.0.1 pri=6 c=262144 m=98 msg="Connection Opened" n=1 src=10.1.1.1:50000:X0 dst=10.1.1.2:445:X0 proto=tcp/445
//
// Connection records are the messages with a source, a destination and a
// proto= (98 Connection Opened, 537 Connection Closed, 36/37/38 drops,
// 97 web hits, ...); src/dst are IP:port:zone[:host], with srcV6=/dstV6=
// carrying IPv6 addresses. Messages without proto= (admin logins, VPN
// negotiation, IPS alerts) and m=1197 NAT Mapping (a duplicate of the
// connection's own record) are skipped. DeviceEventID is the m= id.

func init() {
	Register(Format{
		Name:        "sonicwall",
		Description: "Dell/SonicWall SonicOS key=value syslog (id=firewall ... m= src= dst= proto=)",
		Example:     `<134>id=firewall sn=C0EAE4000001 time="2024-03-02 10:15:00 UTC" fw=10.0.0.1 pri=6 c=262144 m=98 msg="Connection Opened" n=4711 src=10.20.30.40:51514:X0 dst=10.20.31.7:445:X0 proto=tcp/445 fw_action="NA"`,
		ParseLine:   sonicwallParseLine,
		MatchLine:   sonicwallMatchLine,
	})
}

var (
	sonicwallMarkID  = []byte("id=")
	sonicwallMarkSN  = []byte(" sn=")
	sonicwallMarkFW  = []byte(" fw=")
	sonicwallMarkPri = []byte(" pri=")
)

func sonicwallMatchLine(line []byte) bool {
	return bytes.Contains(line, sonicwallMarkSN) && bytes.Contains(line, sonicwallMarkPri) &&
		bytes.Contains(line, sonicwallMarkFW) && bytes.Contains(line, sonicwallMarkID)
}

// sonicwallEndpoint splits "IP:port:zone[:host]" (IPv4; the IP may be
// empty when srcV6/dstV6 carries the address).
func sonicwallEndpoint(b []byte) (ip, port []byte) {
	i := bytes.IndexByte(b, ':')
	if i < 0 {
		return b, nil
	}
	ip, rest := b[:i], b[i+1:]
	if j := bytes.IndexByte(rest, ':'); j >= 0 {
		rest = rest[:j]
	}
	return ip, rest
}

func sonicwallParseLine(ctx *ParseContext, line []byte, rec *Record) error {
	h, msg := SplitSyslog(ctx, line)
	s := kvNewEq(msg)
	var (
		id, m, tm, src, dst, src6, dst6, proto, action, usr []byte
		usrEsc                                              bool
	)
	for {
		k, v, esc, ok := s.next()
		if !ok {
			break
		}
		switch string(k) {
		case "id":
			id = v
		case "m":
			m = v
		case "time":
			tm = v
		case "src":
			src = v
		case "dst":
			dst = v
		case "srcV6":
			src6 = v
		case "dstV6":
			dst6 = v
		case "proto":
			proto = v
		case "fw_action":
			action = v
		case "usr":
			usr, usrEsc = v, esc
		}
	}
	if s.bad {
		return errors.New("sonicwall: unterminated quoted value (truncated line)")
	}
	if len(id) == 0 {
		return errors.New("sonicwall: no id= field")
	}
	srcIP, srcPort := sonicwallEndpoint(src)
	dstIP, dstPort := sonicwallEndpoint(dst)
	if len(srcIP) == 0 {
		srcIP = src6
	}
	if len(dstIP) == 0 {
		dstIP = dst6
	}
	if len(proto) == 0 {
		return ErrSkip("sonicwall: m=" + string(m) + " has no proto, not a connection")
	}
	if string(m) == "1197" {
		return ErrSkip("sonicwall: m=1197 NAT mapping, not a connection")
	}
	if len(srcIP) == 0 || len(dstIP) == 0 {
		if len(src) == 0 && len(dst) == 0 && len(src6) == 0 && len(dst6) == 0 {
			return ErrSkip("sonicwall: m=" + string(m) + " has no addresses, not a connection")
		}
		return fmt.Errorf("sonicwall: m=%s without a source or destination address", m)
	}

	// Event time: time= (device local, optional zone name), else header.
	switch {
	case len(tm) >= 19:
		loc := ctx.location()
		if len(tm) > 20 && tm[19] == ' ' {
			if z := kvZoneOffset(tm[20:]); z != nil {
				loc = z
			}
		}
		t, ok := kvDateTime(tm[:19], loc)
		if !ok {
			return fmt.Errorf("sonicwall: bad time %q", tm)
		}
		rec.Time = t
	case h.HasTime:
		rec.Time = h.Time
	default:
		return errors.New("sonicwall: no event time")
	}

	pname, pport := proto, []byte(nil)
	if i := bytes.IndexByte(proto, '/'); i >= 0 {
		pname, pport = proto[:i], proto[i+1:]
	}
	rec.ObjectType = ObjectNetwork
	rec.SrcIP = string(srcIP)
	rec.DstIP = string(dstIP)
	rec.IPProtocol = kvProto(pname)
	kvLenientPorts(rec, srcPort, dstPort)
	if !kvPortless(rec.IPProtocol) && !rec.DstPort.Valid {
		if p, ok := kvPort(pport); ok {
			rec.DstPort = p
		}
	}
	if len(usr) > 0 && !bytes.HasPrefix(usr, []byte("Unknown")) {
		rec.Username = kvString(usr, usrEsc)
	}
	rec.Success = sonicwallSuccess(action, m)
	rec.Vendor = "SonicWall"
	rec.Product = "SonicOS"
	rec.DeviceEventID = string(m)
	return nil
}

// sonicwallSuccess reads fw_action (drop → false, forward → true); when it
// is NA or absent, the message id decides for the well-known ones.
func sonicwallSuccess(action, m []byte) NullBool {
	switch string(action) {
	case "drop", "reject", "block", "deny":
		return Bool(false)
	case "forward", "allow", "accept":
		return Bool(true)
	}
	switch string(m) {
	case "14", "36", "37", "38":
		return Bool(false) // web site access denied, TCP/UDP/ICMP packet dropped
	case "97", "98", "537":
		return Bool(true) // web site hit, connection opened / closed
	}
	return NullBool{}
}
