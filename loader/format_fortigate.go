package loader

import (
	"bytes"
	"errors"
	"fmt"
)

// Fortinet FortiGate key=value syslog (FortiOS 5.x-7.x):
//
//	<189>date=2024-03-02 time=10:15:00 devname="fw1" devid="FG100E..." logid="0000000013" type="traffic" subtype="forward" ... srcip=10.1.1.1 srcport=50000 dstip=10.1.1.2 dstport=445 proto=6 action="deny" ...
//
// type=traffic (forward, local, multicast, sniffer) and type=utm (ips,
// virus, webfilter, app-ctrl, dlp, ssl, voip, waf, emailfilter, anomaly,
// ...) with srcip/dstip are Network records: one line is one session (or
// one UTM verdict on a session), which is what the rule counts. Sumo maps
// its JSON "Fortinet Traffic Logs" as NetworkFlow, but its CEF/Traffic
// Master and UTM mappers as Network; for the key=value syslog portsweep
// takes Network throughout. type=event and UTM DNS events are skipped.
// DeviceEventID is "<type>-<subtype>" (e.g. "traffic-forward").

func init() {
	Register(Format{
		Name:        "fortigate",
		Description: "Fortinet FortiGate key=value syslog (type=traffic and type=utm)",
		Example:     `<189>date=2024-03-02 time=10:15:00 devname="fw-hq" devid="FG100ETK00000001" logid="0000000013" type="traffic" subtype="forward" level="notice" vd="root" eventtime=1709374500 srcip=10.20.30.40 srcport=51514 srcintf="port1" srcintfrole="lan" dstip=10.20.31.7 dstport=445 dstintf="port2" dstintfrole="lan" sessionid=88231 proto=6 action="deny" policyid=0 service="SMB" duration=0 sentbyte=0 rcvdbyte=0`,
		ParseLine:   fortigateParseLine,
		MatchLine:   fortigateMatchLine,
	})
}

var (
	fortigateMarkLogid   = []byte("logid=")
	fortigateMarkDevid   = []byte("devid=")
	fortigateMarkDevname = []byte("devname=")
	fortigateMarkType    = []byte(" type=")
)

func fortigateMatchLine(line []byte) bool {
	return bytes.Contains(line, fortigateMarkLogid) &&
		(bytes.Contains(line, fortigateMarkDevid) || bytes.Contains(line, fortigateMarkDevname)) &&
		bytes.Contains(line, fortigateMarkType)
}

func fortigateParseLine(ctx *ParseContext, line []byte, rec *Record) error {
	h, msg := SplitSyslog(ctx, line)
	s := kvNewEq(msg)
	var (
		typ, sub, srcip, dstip, srcport, dstport, proto, action []byte
		eventtime, date, tm, tz, user, srcname                  []byte
		userEsc, srcnameEsc                                     bool
		pairs                                                   int
	)
	for {
		k, v, esc, ok := s.next()
		if !ok {
			break
		}
		pairs++
		switch string(k) {
		case "type":
			typ = v
		case "subtype":
			sub = v
		case "srcip":
			srcip = v
		case "dstip":
			dstip = v
		case "srcport":
			srcport = v
		case "dstport":
			dstport = v
		case "proto":
			proto = v
		case "action":
			action = v
		case "eventtime":
			eventtime = v
		case "date":
			date = v
		case "time":
			tm = v
		case "tz":
			tz = v
		case "user":
			user, userEsc = v, esc
		case "srcname":
			srcname, srcnameEsc = v, esc
		}
	}
	if s.bad {
		return errors.New("fortigate: unterminated quoted value (truncated line)")
	}
	if len(typ) == 0 {
		if pairs == 0 {
			return errors.New("fortigate: no key=value fields")
		}
		return errors.New("fortigate: no type field")
	}
	switch string(typ) {
	case "traffic":
	case "utm":
		if string(sub) == "dns" {
			return ErrSkip("fortigate: utm-dns, a DNS event, not a connection")
		}
	case "event":
		return ErrSkip("fortigate: type=event, not a connection")
	default:
		// FortiOS 5.0 named UTM types directly (type=ips, type=virus ...)
		switch string(typ) {
		case "ips", "virus", "webfilter", "app-ctrl", "dlp", "anomaly", "waf", "voip", "ssl", "emailfilter":
		default:
			return ErrSkip("fortigate: type=" + string(typ) + ", not a connection")
		}
	}
	if len(srcip) == 0 || len(dstip) == 0 {
		if string(typ) == "traffic" {
			return fmt.Errorf("fortigate: %s-%s without srcip/dstip", typ, sub)
		}
		return ErrSkip("fortigate: " + string(typ) + "-" + string(sub) + " without srcip/dstip")
	}

	// Event time: eventtime (epoch s/ms/us/ns), else date+time(+tz), else header.
	haveTime := false
	if len(eventtime) > 0 {
		if v, ok := kvAtoi(eventtime); ok {
			rec.Time, haveTime = EpochTime(v), true
		} else if t, ok := ParseEpochText(string(eventtime)); ok {
			rec.Time, haveTime = t, true
		}
	}
	if !haveTime && len(date) == 10 && len(tm) >= 8 {
		var buf [32]byte
		dt := append(append(append(buf[:0], date...), ' '), tm[:8]...)
		loc := kvZoneOffset(tz)
		if loc == nil {
			loc = ctx.location()
		}
		rec.Time, haveTime = kvDateTime(dt, loc)
	}
	if !haveTime && h.HasTime {
		rec.Time, haveTime = h.Time, true
	}
	if !haveTime {
		return errors.New("fortigate: no event time (eventtime, date/time or syslog header)")
	}

	rec.ObjectType = ObjectNetwork
	rec.SrcIP = string(srcip)
	rec.DstIP = string(dstip)
	rec.IPProtocol = kvProto(proto)
	kvLenientPorts(rec, srcport, dstport)
	if len(user) > 0 && string(user) != "N/A" {
		rec.Username = kvString(user, userEsc)
	}
	if len(srcname) > 0 && string(srcname) != "N/A" {
		rec.SrcHostname = kvString(srcname, srcnameEsc)
	}
	rec.Success = fortigateSuccess(action)
	rec.Vendor = "Fortinet"
	rec.Product = "FortiGate"
	if len(sub) > 0 {
		rec.DeviceEventID = string(typ) + "-" + string(sub)
	} else {
		rec.DeviceEventID = string(typ)
	}
	return nil
}

func fortigateSuccess(a []byte) NullBool {
	switch string(a) {
	case "accept", "close", "timeout", "server-rst", "client-rst", "pass", "passthrough", "allow", "permit", "start":
		return Bool(true)
	case "deny", "block", "blocked", "dropped", "drop", "reset", "reject", "denied":
		return Bool(false)
	}
	return NullBool{}
}
