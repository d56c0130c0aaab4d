package loader

import (
	"bytes"
	"errors"
	"fmt"
)

// Palo Alto Networks PAN-OS syslog, CSV ("default" format), any syslog
// header or none:
//
//	Mar  2 10:15:01 PA-3220 1,2024/03/02 10:15:01,013201000001,TRAFFIC,end,2562,2024/03/02 10:15:00,10.1.1.1,10.1.1.2,0.0.0.0,0.0.0.0,allow-smb,corp\alice,,ms-ds-smb,vsys1,trust,trust,ethernet1/2,ethernet1/2,fwd,2024/03/02 10:15:01,4711,1,50000,445,0,0,0x19,tcp,allow,...
//
// The first 31 positions (up to Action) are the same in TRAFFIC and THREAT
// logs of every PAN-OS version from 6.x to 11.x; later versions only
// append fields, so they are read by position and the rest is ignored.
// TRAFFIC (start/end/drop/deny) and THREAT lines become Network records
// (Sumo's syslog/JSON traffic and threat mappers are Network); SYSTEM,
// CONFIG and the other log types are skipped. Time is the Generated Time
// (device local). DeviceEventID is "<TYPE>-<subtype>", e.g. TRAFFIC-end.
// Source and destination are kept as logged, also for server-to-client
// THREAT records.

func init() {
	Register(Format{
		Name:        "paloalto",
		Description: "Palo Alto Networks PAN-OS syslog CSV (TRAFFIC and THREAT)",
		Example:     `<14>Mar  2 10:15:01 PA-3220 1,2024/03/02 10:15:01,013201000001,TRAFFIC,drop,2562,2024/03/02 10:15:00,10.20.30.40,10.20.31.7,0.0.0.0,0.0.0.0,deny-lateral,corp\mallory,,not-applicable,vsys1,trust,trust,ethernet1/2,,default,2024/03/02 10:15:01,0,1,51514,445,0,0,0x0,tcp,deny,60,60,0,1,2024/03/02 10:15:00,0,any,0,7200000001,0x0,10.0.0.0-10.255.255.255,10.0.0.0-10.255.255.255,0,1,0,policy-deny,0,0,0,0,,PA-3220,from-policy,,,0,,0,,N/A,0,0,0,0`,
		ParseLine:   paloaltoParseLine,
		MatchLine:   paloaltoMatchLine,
	})
}

// paloaltoFields is how many leading CSV fields are read.
const paloaltoFields = 36

// paloaltoStart finds the start of the CSV message: the field before
// ",YYYY/MM/DD HH:MM:SS,serial,TYPE,". It returns -1 when there is none.
func paloaltoStart(line []byte) (start int, typ []byte) {
	limit := min(len(line), 512)
	for i := 0; i < limit; i++ {
		if line[i] != ',' {
			continue
		}
		d := line[i+1:]
		if len(d) < 21 || d[4] != '/' || d[7] != '/' || d[10] != ' ' || d[13] != ':' || d[16] != ':' || d[19] != ',' ||
			d[0] < '0' || d[0] > '9' || d[18] < '0' || d[18] > '9' {
			continue
		}
		// serial, then the log type in capitals
		rest := d[20:]
		c := bytes.IndexByte(rest, ',')
		if c < 0 {
			return -1, nil
		}
		rest = rest[c+1:]
		c = bytes.IndexByte(rest, ',')
		if c < 2 || !paloaltoIsType(rest[:c]) {
			continue
		}
		typ = rest[:c]
		j := i
		for j > 0 && line[j-1] != ' ' && line[j-1] != '>' && line[j-1] != '\t' {
			j--
		}
		return j, typ
	}
	return -1, nil
}

func paloaltoIsType(b []byte) bool {
	for _, ch := range b {
		if (ch < 'A' || ch > 'Z') && ch != '-' && ch != '_' {
			return false
		}
	}
	return true
}

func paloaltoMatchLine(line []byte) bool {
	s, _ := paloaltoStart(line)
	return s >= 0
}

// paloaltoSplit splits CSV into at most len(f) fields; quoted fields ("a,b"
// with "" for a quote) are returned without their quotes. It returns the
// number of fields, and false for an unterminated quote.
func paloaltoSplit(b []byte, f [][]byte) (int, bool) {
	n, i := 0, 0
	for n < len(f) {
		if i < len(b) && b[i] == '"' {
			j := i + 1
			for {
				k := bytes.IndexByte(b[j:], '"')
				if k < 0 {
					return n, false
				}
				j += k
				if j+1 < len(b) && b[j+1] == '"' {
					j += 2
					continue
				}
				break
			}
			f[n] = b[i+1 : j]
			n++
			i = j + 1
			if i >= len(b) {
				return n, true
			}
			if b[i] != ',' { // junk after the closing quote: keep to the comma
				k := bytes.IndexByte(b[i:], ',')
				if k < 0 {
					return n, true
				}
				i += k
			}
			i++
			continue
		}
		k := bytes.IndexByte(b[i:], ',')
		if k < 0 {
			f[n] = b[i:]
			return n + 1, true
		}
		f[n] = b[i : i+k]
		n++
		i += k + 1
	}
	return n, true
}

func paloaltoParseLine(ctx *ParseContext, line []byte, rec *Record) error {
	start, typ := paloaltoStart(line)
	if start < 0 {
		return errors.New("paloalto: no PAN-OS CSV message (receive time, serial, type)")
	}
	switch string(typ) {
	case "TRAFFIC", "THREAT":
	default:
		return ErrSkip("paloalto: " + string(typ) + " log, not a connection")
	}
	var fa [paloaltoFields][]byte
	n, ok := paloaltoSplit(line[start:], fa[:])
	if !ok {
		return fmt.Errorf("paloalto: %s: unterminated quoted field", typ)
	}
	if n < 31 {
		return fmt.Errorf("paloalto: %s: %d fields, need at least 31 (truncated line)", typ, n)
	}
	f := fa[:n]
	src, dst := f[7], f[8]
	if len(src) == 0 || len(dst) == 0 {
		return fmt.Errorf("paloalto: %s: no source or destination address", typ)
	}
	t, ok := kvDateTime(f[6], ctx.location())
	if !ok {
		if t, ok = kvDateTime(f[1], ctx.location()); !ok {
			return fmt.Errorf("paloalto: %s: bad generated time %q", typ, f[6])
		}
	}
	rec.Time = t
	rec.ObjectType = ObjectNetwork
	rec.SrcIP = string(src)
	rec.DstIP = string(dst)
	rec.IPProtocol = kvProto(f[29])
	kvLenientPorts(rec, f[24], f[25])
	if len(f[12]) > 0 {
		rec.Username = string(f[12])
	}
	rec.Success = paloaltoSuccess(f[30])
	rec.Vendor = "Palo Alto Networks"
	rec.Product = "PAN-OS"
	if sub := f[4]; len(sub) > 0 {
		rec.DeviceEventID = string(typ) + "-" + string(sub)
	} else {
		rec.DeviceEventID = string(typ)
	}
	return nil
}

func paloaltoSuccess(a []byte) NullBool {
	switch string(a) {
	case "allow", "alert", "continue", "override":
		return Bool(true)
	case "deny", "drop", "drop-icmp", "drop-all-packets", "sinkhole", "block":
		return Bool(false)
	}
	if bytes.HasPrefix(a, []byte("reset-")) || bytes.HasPrefix(a, []byte("block-")) {
		return Bool(false)
	}
	return NullBool{}
}
