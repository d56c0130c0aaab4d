package loader

import (
	"bytes"
	"fmt"
)

// Cisco Firepower Threat Defense syslog (%FTD-). The connection events
// 430002 (connection start) and 430003 (connection end) are "Key: value"
// lists; they are connection records of objectType Network. (Sumo maps the
// eStreamer "Access Control" events as NetworkFlow, but the syslog
// connection events are per-connection records with initiator and
// responder, the same kind of record as an ASA build/teardown, which Sumo
// maps as Network.) ASA message ids logged under %FTD- (302013, 106023,
// ...) are read with the ASA parser. Intrusion (430001) and file events
// (430004, 430005) and all other ids are skipped.

func init() {
	Register(Format{
		Name:        "cisco-ftd",
		Description: "Cisco Firepower Threat Defense syslog (%FTD-): 430002/430003 connection events and ASA-style ids",
		Example:     "2024-03-04T10:15:02Z ftd-core-2 %FTD-1-430002: EventPriority: Low, DeviceUUID: 1f6b2c10-0000-11ee-8000-0a0b0c0d0e0f, InstanceID: 1, FirstPacketSecond: 2024-03-04T10:15:02Z, ConnectionID: 3391, AccessControlRuleAction: Allow, SrcIP: 10.40.7.23, DstIP: 10.40.2.15, SrcPort: 50112, DstPort: 445, Protocol: tcp, IngressInterface: inside, EgressInterface: dmz, ACPolicy: Corp, AccessControlRuleName: Allow-SMB, User: CORP\\jdoe, InitiatorPackets: 1, ResponderPackets: 0, InitiatorBytes: 66, ResponderBytes: 0",
		ParseLine:   ftdParseLine,
		MatchLine:   ftdMatchLine,
	})
}

var ftdMarker = []byte("%FTD-")

func ftdMatchLine(line []byte) bool { return bytes.Contains(line, ftdMarker) }

func ftdParseLine(ctx *ParseContext, line []byte, rec *Record) error {
	m, err := ciscoSplitTagged(ctx, line, ftdMarker, "ftd")
	if err != nil {
		return err
	}
	switch m.id {
	case 430002, 430003:
		return ftdConnection(ctx, m, rec)
	case 430001, 430004, 430005:
		return ErrSkip(fmt.Sprintf("ftd %s: intrusion or file event, not a connection record", m.ids))
	}
	return asaParseMessage("ftd", "FTD", m, rec)
}

// ftdConnection maps a 430002/430003 "Key: value, Key: value" list.
func ftdConnection(ctx *ParseContext, m ciscoTagged, rec *Record) error {
	var src, dst, sport, dport, proto, user, action, first []byte
	b := m.body
	for len(b) > 0 {
		var seg []byte
		if c := bytes.Index(b, []byte(", ")); c >= 0 {
			seg, b = b[:c], b[c+2:]
		} else {
			seg, b = b, nil
		}
		colon := bytes.Index(seg, []byte(": "))
		if colon <= 0 {
			continue // a value that itself contained ", " (user agents, URLs)
		}
		k, v := seg[:colon], bytes.TrimSpace(seg[colon+2:])
		switch string(k) {
		case "SrcIP", "InitiatorIP":
			if src == nil {
				src = v
			}
		case "DstIP", "ResponderIP":
			if dst == nil {
				dst = v
			}
		case "SrcPort", "InitiatorPort":
			if sport == nil {
				sport = v
			}
		case "DstPort", "ResponderPort":
			if dport == nil {
				dport = v
			}
		case "Protocol":
			if proto == nil {
				proto = v
			}
		case "User":
			if user == nil {
				user = v
			}
		case "AccessControlRuleAction":
			if action == nil {
				action = v
			}
		case "FirstPacketSecond":
			if first == nil {
				first = v
			}
		}
	}
	if m.time.IsZero() {
		t, ok := ParseTimestamp(ctx, string(first))
		if !ok {
			return fmt.Errorf("ftd %s: no timestamp", m.ids)
		}
		m.time = t
	}
	if len(src) == 0 {
		return fmt.Errorf("ftd %s: no SrcIP", m.ids)
	}
	if len(dst) == 0 {
		return fmt.Errorf("ftd %s: no DstIP", m.ids)
	}
	if len(proto) == 0 {
		return fmt.Errorf("ftd %s: no Protocol", m.ids)
	}
	rec.Time = m.time
	rec.ObjectType = ObjectNetwork
	rec.Vendor, rec.Product = "Cisco", "FTD"
	rec.DeviceEventID = string(m.ids)
	rec.SrcIP, rec.DstIP = string(src), string(dst)
	rec.IPProtocol = kvProto(proto)
	err := kvStrictPorts(rec, sport, dport, "SrcPort", "DstPort", func(name string, text []byte) error {
		return fmt.Errorf("ftd %s: bad %s %q", m.ids, name, text)
	})
	if err != nil {
		return err
	}
	if dport == nil && (rec.IPProtocol == "tcp" || rec.IPProtocol == "udp") {
		return fmt.Errorf("ftd %s: no DstPort", m.ids)
	}
	if ftdRealUser(user) {
		rec.Username = string(user)
	}
	rec.Success = ftdSuccess(action)
	return nil
}

// ftdRealUser reports whether a User value names a user (FTD writes
// placeholders such as "No Authentication Required" or "Not Found").
func ftdRealUser(u []byte) bool {
	switch string(u) {
	case "", "No Authentication Required", "Not Found", "Unknown", "No Authentication",
		"Pending", "Guest", "Failed Authentication", "Unknown User", "N/A", "-":
		return false
	}
	return true
}

// ftdSuccess maps AccessControlRuleAction: Allow, Trust and Fastpath let
// the connection through; Block and its variants stop it; Monitor and
// unknown actions say nothing about the outcome.
func ftdSuccess(a []byte) NullBool {
	switch string(a) {
	case "Allow", "Trust", "Fastpath", "Fast-forward", "Fast-Forward":
		return Bool(true)
	case "Block", "Block with reset", "Interactive Block", "Interactive Block with reset", "Block With Reset", "Drop":
		return Bool(false)
	}
	return NullBool{}
}
