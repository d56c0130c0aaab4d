package loader

import (
	"bytes"
	"errors"
	"fmt"
	"time"
)

// Check Point Log Exporter (syslog). Two variants are read:
//
//	<134>1 2024-03-02T10:00:00Z gw1 CheckPoint 1930 - [action:"Drop"; ...; src:"10.1.1.1"; dst:"10.1.1.2"; proto:"6"; service:"445"; s_port:"50000"]
//	<85>1 2024-03-02T10:00:00Z 10.0.0.9 CP-GW - Log [Fields@1.3.6.1.4.1.2620 src="10.1.1.1" dst="10.1.1.2" proto="6" svc="445" sport_svc="50000" ProductName="VPN-1 & FireWall-1"]
//
// The key:"value"; list may also be the syslog message itself. Every blade
// whose log carries src and dst (Firewall, Application Control, URL
// Filtering, IPS/SmartDefense, Threat Prevention ...) gives a Network
// record; logs without them (Log Update, System Monitor, ...) are skipped.
// DeviceEventID is the action (Sumo's Check Point mappers are per action),
// or the product when the log has no action.

func init() {
	Register(Format{
		Name:        "checkpoint",
		Description: "Check Point Log Exporter syslog (key:\"value\"; and [Fields@1.3.6.1.4.1.2620 key=\"value\"])",
		Example:     `<134>1 2024-03-02T10:15:00Z gw-hq CheckPoint 2210 - [action:"Drop"; ifdir:"inbound"; loguid:"{0x65e2fb14,0x1,0x2a00a8c0,0xc0000001}"; origin:"10.0.0.1"; time:"1709374500"; product:"VPN-1 & FireWall-1"; src:"10.20.30.40"; dst:"10.20.31.7"; proto:"6"; s_port:"51514"; service:"445"; service_id:"microsoft-ds"]`,
		ParseLine:   checkpointParseLine,
		MatchLine:   checkpointMatchLine,
	})
}

var (
	checkpointMarkFields  = []byte("@1.3.6.1.4.1.2620")
	checkpointMarkLoguid  = []byte(`loguid:"`)
	checkpointMarkOrigSic = []byte(`originsicname:"`)
	checkpointMarkProduct = []byte(`product:"`)
	checkpointMarkOrigin  = []byte(`origin:"`)
)

func checkpointMatchLine(line []byte) bool {
	if bytes.Contains(line, checkpointMarkFields) {
		return true
	}
	if bytes.Contains(line, checkpointMarkLoguid) || bytes.Contains(line, checkpointMarkOrigSic) {
		return true
	}
	return bytes.Contains(line, checkpointMarkProduct) && bytes.Contains(line, checkpointMarkOrigin)
}

func checkpointParseLine(ctx *ParseContext, line []byte, rec *Record) error {
	// RFC 5424 lines (the usual Log Exporter output) are split here without
	// SplitSyslog: the structured data is scanned once, by the key scanner.
	var h SyslogHeader
	body, stamp, ok := checkpointSplit5424(line)
	if !ok {
		var msg []byte
		h, msg = SplitSyslog(ctx, line)
		body = msg
		if len(h.SD) > 0 {
			body = h.SD
		}
	}
	var s kvScanner
	if bytes.Contains(body, checkpointMarkFields) {
		s = kvNewEq(body)
	} else {
		s = kvNewColon(body)
	}
	var (
		src, dst, service, sport, proto, tm, action []byte
		user, srcUser, machine, product             []byte
		userEsc, srcUserEsc, machineEsc, productEsc bool
		pairs                                       int
	)
	for {
		k, v, esc, ok := s.next()
		if !ok {
			break
		}
		pairs++
		switch string(k) {
		case "src":
			src = v
		case "dst":
			dst = v
		case "service", "svc":
			service = v
		case "s_port", "sport_svc":
			sport = v
		case "proto":
			proto = v
		case "time":
			tm = v
		case "action":
			action = v
		case "user":
			user, userEsc = v, esc
		case "src_user_name":
			srcUser, srcUserEsc = v, esc
		case "src_machine_name":
			machine, machineEsc = v, esc
		case "product", "ProductName":
			product, productEsc = v, esc
		}
	}
	if pairs == 0 {
		return errors.New("checkpoint: no key:\"value\" fields")
	}
	if s.bad {
		return errors.New("checkpoint: unterminated quoted value (truncated line)")
	}
	if len(src) == 0 || len(dst) == 0 {
		what := "log"
		if len(product) > 0 {
			what = kvString(product, productEsc)
		}
		return ErrSkip("checkpoint: " + what + " without src/dst, not a connection")
	}

	// Event time: the time field (epoch), else the syslog header.
	switch {
	case len(tm) > 0:
		t, ok := ParseEpochText(string(tm))
		if !ok {
			t, ok = ParseTimestamp(ctx, string(tm))
		}
		if !ok {
			return fmt.Errorf("checkpoint: bad time %q", tm)
		}
		rec.Time = t
	case h.HasTime:
		rec.Time = h.Time
	default:
		t, ok := checkpointStampTime(ctx, stamp)
		if !ok {
			return errors.New("checkpoint: no event time")
		}
		rec.Time = t
	}

	rec.ObjectType = ObjectNetwork
	rec.SrcIP = string(src)
	rec.DstIP = string(dst)
	rec.IPProtocol = kvProto(proto)
	if !kvPortless(rec.IPProtocol) {
		if p, ok := kvPort(sport); ok {
			rec.SrcPort = p
		}
		rec.DstPort = checkpointServicePort(service)
	}
	switch {
	case len(user) > 0:
		rec.Username = kvString(user, userEsc)
	case len(srcUser) > 0:
		rec.Username = kvString(srcUser, srcUserEsc)
	}
	if len(machine) > 0 {
		rec.SrcHostname = kvString(machine, machineEsc)
	}
	rec.Success = checkpointSuccess(action)
	rec.Vendor = "Check Point"
	if len(product) > 0 {
		rec.Product = kvString(product, productEsc)
	} else {
		rec.Product = "Check Point"
	}
	if len(action) > 0 {
		rec.DeviceEventID = string(action)
	} else {
		rec.DeviceEventID = rec.Product
	}
	return nil
}

// checkpointServicePort reads the destination port from service: "445",
// "445/tcp" or "tcp/445"; anything without a number gives null.
func checkpointServicePort(b []byte) NullInt32 {
	if p, ok := kvPort(b); ok {
		return p
	}
	if i := bytes.IndexByte(b, '/'); i >= 0 {
		if p, ok := kvPort(b[:i]); ok {
			return p
		}
		if p, ok := kvPort(b[i+1:]); ok {
			return p
		}
	}
	return NullInt32{}
}

func checkpointSuccess(a []byte) NullBool {
	switch {
	case len(a) == 0:
		return NullBool{}
	case bytes.EqualFold(a, []byte("accept")), bytes.EqualFold(a, []byte("allow")):
		return Bool(true)
	case bytes.EqualFold(a, []byte("drop")), bytes.EqualFold(a, []byte("reject")),
		bytes.EqualFold(a, []byte("block")), bytes.EqualFold(a, []byte("prevent")):
		return Bool(false)
	}
	return NullBool{}
}

// checkpointSplit5424 splits "<PRI>1 TIMESTAMP HOST APP PROCID MSGID rest"
// and returns rest (structured data and message) and the timestamp.
func checkpointSplit5424(line []byte) (rest, stamp []byte, ok bool) {
	b := line
	if len(b) > 0 && b[0] == '<' {
		i := bytes.IndexByte(b[:min(len(b), 6)], '>')
		if i < 2 {
			return nil, nil, false
		}
		b = b[i+1:]
	}
	if len(b) < 2 || b[0] != '1' || b[1] != ' ' {
		return nil, nil, false
	}
	b = b[2:]
	for f := 0; f < 5; f++ {
		sp := bytes.IndexByte(b, ' ')
		if sp < 0 {
			return nil, nil, false
		}
		if f == 0 {
			stamp = b[:sp]
		}
		b = b[sp+1:]
	}
	return b, stamp, true
}

// checkpointStampTime reads an RFC 5424 timestamp, including the broken
// form some Log Exporter versions write, "2023-01-13T10:10:16--5:00" (a
// doubled sign and a one-digit hour offset), which ParseTimestamp rejects.
func checkpointStampTime(ctx *ParseContext, b []byte) (time.Time, bool) {
	if len(b) < 19 || (len(b) == 1 && b[0] == '-') {
		return time.Time{}, false
	}
	zone := b[19:]
	ns := 0
	if len(zone) > 0 && zone[0] == '.' {
		j, n := 1, 0
		for j < len(zone) && zone[j] >= '0' && zone[j] <= '9' {
			if n < 9 {
				ns = ns*10 + int(zone[j]-'0')
				n++
			}
			j++
		}
		for ; n < 9; n++ {
			ns *= 10
		}
		zone = zone[j:]
	}
	var loc *time.Location
	switch {
	case len(zone) == 0:
		loc = ctx.location()
	case len(zone) == 1 && (zone[0] == 'Z' || zone[0] == 'z'):
		loc = time.UTC
	default:
		if len(zone) > 2 && (zone[0] == '-' || zone[0] == '+') && (zone[1] == '-' || zone[1] == '+') {
			zone = zone[1:]
		}
		loc = kvZoneOffset(zone)
	}
	if loc == nil {
		return time.Time{}, false
	}
	t, ok := kvDateTime(b[:19], loc)
	if !ok {
		return time.Time{}, false
	}
	return t.Add(time.Duration(ns)), true
}
