package loader

// This file is named format_cisco_iosxe.go, not format_cisco_ios.go: Go reads
// a "_ios" file-name suffix as a GOOS=ios build constraint.

import (
	"bytes"
	"fmt"
)

// Cisco IOS / IOS-XE syslog. ACL log lines are connection records of
// objectType Network:
//
//	%SEC-6-IPACCESSLOGP: list 102 denied tcp 10.1.1.1(1234) -> 10.2.2.2(445), 5 packets
//	%SEC-6-IPACCESSLOGDP: list 151 denied icmp 10.1.1.1 -> 10.2.2.2 (3/4), 1 packet
//	%SEC-6-IPACCESSLOGNP: list 171 denied 0 10.1.1.1 -> 255.255.255.255, 1 packet
//	%SEC-6-IPACCESSLOGRP / IPACCESSLOGSP (routing, IGMP), %FMANFP-6-IPACCESSLOGP
//	(IOS-XE data plane, after "R0/0: fman_fp_image: "), %IPV6_ACL-6-ACCESSLOGP,
//	%IPV6-6-ACCESSLOGP and their DP/NP/SP variants.
//
// One line is one record however many packets it counts (the packet count
// has no column in the normalized schema). Rate-limit summaries
// (IPACCESSLOGRL), standard-ACL lines (IPACCESSLOGS: no destination) and
// every other %FAC-SEV-MNEMONIC message are skipped. Sumo's IOS catch-all
// maps no addresses; portsweep does.

func init() {
	Register(Format{
		Name:        "cisco-ios",
		Description: "Cisco IOS / IOS-XE syslog ACL logging (%SEC-6-IPACCESSLOGP and variants)",
		Example:     "Mar  4 10:15:03 10.40.0.1 88213: Mar  4 10:15:02.417: %SEC-6-IPACCESSLOGP: list 120 denied tcp 10.40.7.23(50112) -> 10.40.2.15(445), 1 packet",
		ParseLine:   iosParseLine,
		MatchLine:   iosMatchLine,
	})
}

func iosMatchLine(line []byte) bool {
	s, _ := iosFindTag(line)
	return s >= 0
}

// iosFindTag finds "%FACILITY[-SUB]-SEVERITY-MNEMONIC" (upper case, a
// one-digit severity, a mnemonic starting with a letter, then ':' or a
// blank) and returns the index of '%' and the tag's end, or -1.
func iosFindTag(line []byte) (int, int) {
	for i := 0; i < len(line); i++ {
		if line[i] != '%' {
			continue
		}
		if e := iosTagEnd(line[i+1:]); e > 0 {
			return i, i + 1 + e
		}
	}
	return -1, -1
}

// iosTagEnd returns the length of a valid tag at the start of b, or 0.
func iosTagEnd(b []byte) int {
	n := 0
	parts, sevAt, lastPart := 1, -1, 0
	for n < len(b) && n < 96 {
		c := b[n]
		switch {
		case c >= 'A' && c <= 'Z', c == '_':
		case c >= '0' && c <= '9':
		case c == '-':
			if n == lastPart {
				return 0 // empty part
			}
			if n-lastPart == 1 && b[lastPart] >= '0' && b[lastPart] <= '7' {
				sevAt = parts
			}
			parts++
			lastPart = n + 1
		case c == ':' || c == ' ':
			goto done
		default:
			return 0
		}
		n++
	}
	if n >= len(b) {
		return 0
	}
done:
	// severity must be the second-to-last part, the mnemonic start with a letter
	if parts < 3 || sevAt != parts-1 || lastPart >= n || b[lastPart] < 'A' || b[lastPart] > 'Z' {
		return 0
	}
	return n
}

func iosParseLine(ctx *ParseContext, line []byte, rec *Record) error {
	h, msg := SplitSyslog(ctx, line)
	ts, te := iosFindTag(msg)
	if ts < 0 {
		return fmt.Errorf("ios: no %%FACILITY-SEVERITY-MNEMONIC tag")
	}
	tag := msg[ts+1 : te]
	mn := tag[bytes.LastIndexByte(tag, '-')+1:]
	ai := bytes.Index(mn, []byte("ACCESSLOG"))
	if ai < 0 {
		return ErrSkip(fmt.Sprintf("ios %s: not an ACL log message", tag))
	}
	switch string(mn[ai+len("ACCESSLOG"):]) {
	case "P", "DP", "NP", "RP", "SP":
	case "RL":
		return ErrSkip(fmt.Sprintf("ios %s: ACL logging rate-limit summary", tag))
	case "S":
		return ErrSkip(fmt.Sprintf("ios %s: standard ACL, no destination", tag))
	default:
		return ErrSkip(fmt.Sprintf("ios %s: not a per-packet ACL log message", tag))
	}
	if t, ok := ciscoDeviceTime(ctx, msg[:ts]); ok {
		rec.Time = t
	} else if h.HasTime {
		rec.Time = h.Time
	} else {
		return fmt.Errorf("ios %s: no timestamp", tag)
	}
	body := msg[te:]
	li := bytes.Index(body, []byte("list "))
	if li < 0 {
		return fmt.Errorf("ios %s: no \"list\"", tag)
	}
	body = body[li+5:]
	arrow := bytes.Index(body, []byte("->"))
	if arrow < 0 {
		return fmt.Errorf("ios %s: no \"->\"", tag)
	}
	left := bytes.Fields(body[:arrow]) // name action proto [mac] src[(port)] [interface...]
	if len(left) < 4 {
		return fmt.Errorf("ios %s: too few fields before \"->\"", tag)
	}
	switch string(left[1]) {
	case "permitted":
		rec.Success = Bool(true)
	case "denied":
		rec.Success = Bool(false)
	default:
		return fmt.Errorf("ios %s: unknown action %q", tag, left[1])
	}
	proto := kvProto(left[2])
	var src, sport []byte
	for _, tok := range left[3:] {
		a, p := iosAddrPort(tok)
		if asaLooksIP(a) {
			src, sport = a, p
			break
		}
	}
	if src == nil {
		return fmt.Errorf("ios %s: no source address", tag)
	}
	right := bytes.TrimLeft(body[arrow+2:], " ")
	end := 0
	for end < len(right) && right[end] != ' ' && right[end] != ',' {
		end++
	}
	dst, dport := iosAddrPort(right[:end])
	if !asaLooksIP(dst) {
		return fmt.Errorf("ios %s: no destination address", tag)
	}
	if !bytes.Contains(right[end:], []byte(" packet")) {
		return fmt.Errorf("ios %s: truncated: no packet count", tag)
	}
	rec.ObjectType = ObjectNetwork
	rec.Vendor, rec.Product = "Cisco", "IOS"
	rec.DeviceEventID = string(tag)
	rec.SrcIP, rec.DstIP = string(src), string(dst)
	rec.IPProtocol = proto
	err := kvStrictPorts(rec, sport, dport, "source port", "destination port", func(name string, text []byte) error {
		return fmt.Errorf("ios %s: bad %s %q", tag, name, text)
	})
	if err != nil {
		return err
	}
	if (proto == "tcp" || proto == "udp") && !rec.DstPort.Valid {
		return fmt.Errorf("ios %s: %s without destination port", tag, proto)
	}
	return nil
}

// iosAddrPort splits "10.1.1.1(1234)" into address and port; a token
// without "(port)" is returned whole with a nil port.
func iosAddrPort(tok []byte) ([]byte, []byte) {
	open := bytes.IndexByte(tok, '(')
	if open <= 0 || tok[len(tok)-1] != ')' {
		return tok, nil
	}
	return tok[:open], tok[open+1 : len(tok)-1]
}
