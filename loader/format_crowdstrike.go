package loader

import (
	"bytes"
	"errors"
	"fmt"
	"time"
)

// CrowdStrike Falcon Data Replicator (FDR) JSON lines.
//
// Connection records (objectType Network):
//   - NetworkConnectIP4 / NetworkConnectIP6: the host connected out. src =
//     LocalAddressIP4/6 + LocalPort, dst = RemoteAddressIP4/6 + RemotePort.
//     Sumo maps these two.
//   - NetworkReceiveAcceptIP4 / NetworkReceiveAcceptIP6: the host accepted an
//     inbound connection; the remote side initiated it, so src = Remote,
//     dst = Local, dstPort = LocalPort. (portsweep maps these too: an
//     internal sweep seen only by the targets' sensors still shows up.)
//
// Time: ContextTimeStamp (epoch seconds with fraction, the event time on the
// host) when present, else timestamp (epoch ms, the cloud's receive time).
// ComputerName and UserName (when the export carries them) describe the
// sensor's host, so they are set as srcDevice_hostname / user_username only
// for outbound events, where that host is the source. Success stays null:
// the sensor reports the attempt, not its outcome.
// Every other event_simpleName (RawBindIP4, ProcessRollup2, DnsRequest, ...)
// is skipped.

func init() {
	Register(Format{
		Name:        "crowdstrike-fdr",
		Description: "CrowdStrike Falcon Data Replicator JSON (NetworkConnectIP4/6, NetworkReceiveAcceptIP4/6)",
		Example:     `{"event_simpleName":"NetworkConnectIP4","ContextTimeStamp":"1709287201.250","LocalAddressIP4":"10.1.2.3","LocalPort":"51515","RemoteAddressIP4":"10.1.9.9","RemotePort":"445","Protocol":"6","ConnectionDirection":"0","ComputerName":"WS-0042","aid":"0123456789abcdef0123456789abcdef","timestamp":"1709287201400"}`,
		ParseLine:   crowdstrikeParseLine,
		MatchLine:   crowdstrikeMatchLine,
	})
}

var crowdstrikeKeyName = []byte(`"event_simpleName"`)

func crowdstrikeMatchLine(line []byte) bool {
	return bytes.Contains(line, crowdstrikeKeyName)
}

func crowdstrikeParseLine(ctx *ParseContext, line []byte, rec *Record) error {
	it, err := suricataObject(line)
	if err != nil {
		return fmt.Errorf("crowdstrike: %v", err)
	}
	var name, l4, l6, r4, r6, lport, rport, proto, ts, cts, host, user []byte
	for {
		k, v, ok := it.next()
		if !ok {
			break
		}
		switch string(k) {
		case "event_simpleName":
			name = v
		case "LocalAddressIP4":
			l4 = v
		case "LocalAddressIP6":
			l6 = v
		case "RemoteAddressIP4":
			r4 = v
		case "RemoteAddressIP6":
			r6 = v
		case "LocalPort":
			lport = v
		case "RemotePort":
			rport = v
		case "Protocol":
			proto = v
		case "timestamp":
			ts = v
		case "ContextTimeStamp":
			cts = v
		case "ComputerName":
			host = v
		case "UserName":
			user = v
		}
	}
	if it.err != nil {
		return fmt.Errorf("crowdstrike: %v", it.err)
	}
	ev, _ := suricataString(name)
	var inbound, v6 bool
	switch ev {
	case "NetworkConnectIP4":
	case "NetworkConnectIP6":
		v6 = true
	case "NetworkReceiveAcceptIP4":
		inbound = true
	case "NetworkReceiveAcceptIP6":
		inbound, v6 = true, true
	case "":
		return errors.New("crowdstrike: no event_simpleName")
	default:
		return ErrSkip("crowdstrike: " + ev + " is not a connection event")
	}
	rec.ObjectType = ObjectNetwork
	rec.Vendor, rec.Product, rec.DeviceEventID = "CrowdStrike", "Falcon Data Replicator", ev

	// The address family of the event name first, the other one as a
	// fallback (IP6 events may carry an IPv4 remote address).
	local := crowdstrikeAddr(l4, l6, v6)
	remote := crowdstrikeAddr(r4, r6, v6)
	if local == "" || remote == "" {
		return fmt.Errorf("crowdstrike %s: missing local or remote address", ev)
	}
	lp, ok := crowdstrikePort(lport)
	if !ok {
		return fmt.Errorf("crowdstrike %s: bad LocalPort %s", ev, lport)
	}
	rp, ok := crowdstrikePort(rport)
	if !ok {
		return fmt.Errorf("crowdstrike %s: bad RemotePort %s", ev, rport)
	}
	p, _ := suricataString(proto)
	rec.IPProtocol = crowdstrikeProtoName(p)
	if suricataIsICMP(rec.IPProtocol) {
		lp, rp = NullInt32{}, NullInt32{}
	}
	if inbound {
		rec.SrcIP, rec.SrcPort, rec.DstIP, rec.DstPort = remote, rp, local, lp
	} else {
		rec.SrcIP, rec.SrcPort, rec.DstIP, rec.DstPort = local, lp, remote, rp
		rec.SrcHostname, _ = suricataString(host)
		rec.Username, _ = suricataString(user)
	}

	t, ok := crowdstrikeTime(cts)
	if !ok {
		t, ok = crowdstrikeTime(ts)
	}
	if !ok {
		return fmt.Errorf("crowdstrike %s: no usable ContextTimeStamp or timestamp", ev)
	}
	rec.Time = t
	return nil
}

func crowdstrikeAddr(v4, v6 []byte, preferV6 bool) string {
	a, _ := suricataString(v4)
	b, _ := suricataString(v6)
	if preferV6 && b != "" {
		return b
	}
	if a != "" {
		return a
	}
	return b
}

// crowdstrikePort reads "443" or 443; absent is null.
func crowdstrikePort(v []byte) (NullInt32, bool) {
	if v == nil {
		return NullInt32{}, true
	}
	return suricataPort(v)
}

func crowdstrikeTime(v []byte) (t time.Time, ok bool) {
	s, _ := suricataString(v)
	if s == "" {
		return t, false
	}
	return ParseEpochText(s)
}

// crowdstrikeProtoName maps an IANA protocol number to its lowercase name,
// keeping the number as text when unknown.
func crowdstrikeProtoName(n string) string {
	for len(n) > 1 && n[0] == '0' {
		n = n[1:]
	}
	switch n {
	case "1":
		return "icmp"
	case "2":
		return "igmp"
	case "6":
		return "tcp"
	case "17":
		return "udp"
	case "41":
		return "ipv6"
	case "47":
		return "gre"
	case "50":
		return "esp"
	case "51":
		return "ah"
	case "58":
		return "ipv6-icmp"
	case "132":
		return "sctp"
	}
	return n
}
