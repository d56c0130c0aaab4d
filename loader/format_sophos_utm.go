package loader

import (
	"bytes"
	"errors"
	"fmt"
)

// Sophos UTM 9 packet filter log (ulogd) over syslog:
//
//	<30>2024:03:02-10:15:00 utm-hq ulogd[4321]: id="2001" severity="info" sys="SecureNet" sub="packetfilter" name="Packet dropped" action="drop" fwrule="60001" initf="eth0" srcip="10.1.1.1" dstip="10.1.1.2" proto="6" length="52" srcport="50000" dstport="445"
//
// Every sub="packetfilter" line with srcip and dstip is a Network record
// (Sumo's "_default_" mapper); other subsystems (http, ips, ...) are
// skipped. The YYYY:MM:DD-HH:MM:SS stamp is device local time.
// DeviceEventID is the id= value (2001 dropped, 2002 accepted, ...).

func init() {
	Register(Format{
		Name:        "sophos-utm",
		Description: "Sophos UTM 9 packet filter syslog (ulogd, sub=\"packetfilter\")",
		Example:     `<30>2024:03:02-10:15:00 utm-hq ulogd[4321]: id="2001" severity="info" sys="SecureNet" sub="packetfilter" name="Packet dropped" action="drop" fwrule="60001" initf="eth1" srcmac="00:53:00:aa:bb:01" dstmac="00:53:00:aa:bb:02" srcip="10.20.30.40" dstip="10.20.31.7" proto="6" length="52" tos="0x00" prec="0x00" ttl="128" srcport="51514" dstport="445" tcpflags="SYN"`,
		ParseLine:   sophosUTMParseLine,
		MatchLine:   sophosUTMMatchLine,
	})
}

var (
	sophosUTMMarkSys = []byte(` sys="`)
	sophosUTMMarkSub = []byte(` sub="`)
	sophosUTMMarkSev = []byte(`severity="`)
)

func sophosUTMMatchLine(line []byte) bool {
	return bytes.Contains(line, sophosUTMMarkSub) && bytes.Contains(line, sophosUTMMarkSys) &&
		bytes.Contains(line, sophosUTMMarkSev)
}

func sophosUTMParseLine(ctx *ParseContext, line []byte, rec *Record) error {
	// Header: optional <PRI>, then the UTM's own YYYY:MM:DD-HH:MM:SS stamp;
	// other syslog headers are read by SplitSyslog.
	rest := line
	if len(rest) > 2 && rest[0] == '<' {
		if end := bytes.IndexByte(rest[:min(len(rest), 6)], '>'); end > 1 {
			rest = rest[end+1:]
		}
	}
	rest = bytes.TrimLeft(rest, " ")
	t, haveTime := kvDateTime(rest, ctx.location())
	if haveTime {
		rest = rest[19:]
	} else {
		h, msg := SplitSyslog(ctx, line)
		t, haveTime, rest = h.Time, h.HasTime, msg
	}

	s := kvNewEq(rest)
	var id, sub, action, srcip, dstip, proto, srcport, dstport []byte
	for {
		k, v, _, ok := s.next()
		if !ok {
			break
		}
		switch string(k) {
		case "id":
			id = v
		case "sub":
			sub = v
		case "action":
			action = v
		case "srcip":
			srcip = v
		case "dstip":
			dstip = v
		case "proto":
			proto = v
		case "srcport":
			srcport = v
		case "dstport":
			dstport = v
		}
	}
	if s.bad {
		return errors.New("sophos-utm: unterminated quoted value (truncated line)")
	}
	if len(sub) == 0 {
		return errors.New("sophos-utm: no sub= field")
	}
	if string(sub) != "packetfilter" {
		return ErrSkip("sophos-utm: sub=" + string(sub) + ", not a packet filter record")
	}
	if len(srcip) == 0 || len(dstip) == 0 {
		return fmt.Errorf("sophos-utm: packetfilter id=%s without srcip/dstip", id)
	}
	if !haveTime {
		return errors.New("sophos-utm: no event time")
	}
	rec.Time = t
	rec.ObjectType = ObjectNetwork
	rec.SrcIP = string(srcip)
	rec.DstIP = string(dstip)
	rec.IPProtocol = kvProto(proto)
	kvLenientPorts(rec, srcport, dstport)
	switch string(action) {
	case "accept", "allow", "pass":
		rec.Success = Bool(true)
	case "drop", "reject", "block", "deny":
		rec.Success = Bool(false)
	}
	rec.Vendor = "Sophos"
	rec.Product = "UTM"
	rec.DeviceEventID = string(id)
	return nil
}
