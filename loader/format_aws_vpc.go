package loader

import (
	"bytes"
	"errors"
	"fmt"
	"io"
)

// AWS VPC Flow Logs as text (the S3 and CloudWatch Logs delivery): space
// separated fields, the default version 2 format
//
//	version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status
//
// with or without its header line, or a custom format whose field order is
// given by a header line (S3 writes one at the top of every object; a header
// may also appear again mid-stream where objects were concatenated). Field
// names may be written as AWS lists them (pkt-srcaddr), with underscores
// (pkt_srcaddr) or as ${...} format variables. Each row is one NetworkFlow
// record timed at its capture window's start; NODATA and SKIPDATA rows are
// skipped. Rows of one direction of traffic each: srcaddr/dstaddr are the
// packets' addresses as logged (a response flow is logged separately, with
// the server as source).

func init() {
	Register(Format{
		Name:        "aws-vpc-flow",
		Description: "AWS VPC flow logs, text (default v2 format or a custom format with its header line)",
		Example:     "2 111122223333 eni-0a1b2c3d4e5f60718 10.0.1.15 10.0.2.20 49152 445 6 3 180 1709632800 1709632860 ACCEPT OK",
		Sniff:       awsVPCSniff,
		Stream:      awsVPCStream,
	})
}

const awsVPCMaxFields = 64

// awsVPCLayout holds the column index of each field portsweep reads (-1
// when the format lacks it).
type awsVPCLayout struct {
	n                                                  int
	version, src, dst, sport, dport, proto, start, end int
	action, status, pktSrc, pktDst                     int
}

var awsVPCDefault = awsVPCLayout{n: 14, version: 0, src: 3, dst: 4, sport: 5, dport: 6, proto: 7,
	start: 10, end: 11, action: 12, status: 13, pktSrc: -1, pktDst: -1}

// awsVPCSplit splits a line at runs of blanks into dst and returns the
// count (awsVPCMaxFields+1 when there are more).
func awsVPCSplit(line []byte, dst *[awsVPCMaxFields][]byte) int {
	n := 0
	i := 0
	for i < len(line) {
		for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
			i++
		}
		if i >= len(line) {
			break
		}
		j := i
		for j < len(line) && line[j] != ' ' && line[j] != '\t' {
			j++
		}
		if n == awsVPCMaxFields {
			return n + 1
		}
		dst[n] = line[i:j]
		n++
		i = j
	}
	return n
}

// awsVPCFieldName normalizes a header word: ${pkt_srcaddr} -> pkt-srcaddr.
func awsVPCFieldName(w []byte) string {
	w = bytes.TrimPrefix(w, []byte("${"))
	w = bytes.TrimSuffix(w, []byte("}"))
	return string(bytes.ReplaceAll(bytes.ToLower(w), []byte("_"), []byte("-")))
}

// awsVPCHeader parses a header line; ok is false when the line is not one.
func awsVPCHeader(line []byte) (awsVPCLayout, bool) {
	if !bytes.Contains(line, []byte("srcaddr")) && !bytes.Contains(line, []byte("dstaddr")) {
		return awsVPCLayout{}, false
	}
	var f [awsVPCMaxFields][]byte
	n := awsVPCSplit(line, &f)
	if n > awsVPCMaxFields || n == 0 {
		return awsVPCLayout{}, false
	}
	l := awsVPCLayout{n: n, version: -1, src: -1, dst: -1, sport: -1, dport: -1, proto: -1,
		start: -1, end: -1, action: -1, status: -1, pktSrc: -1, pktDst: -1}
	for i := 0; i < n; i++ {
		w := f[i]
		if len(w) == 0 || (w[0] >= '0' && w[0] <= '9') || w[0] == '-' {
			return awsVPCLayout{}, false // a data row
		}
		for _, c := range w {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '$' || c == '{' || c == '}') {
				return awsVPCLayout{}, false
			}
		}
		switch awsVPCFieldName(w) {
		case "version":
			l.version = i
		case "srcaddr":
			l.src = i
		case "dstaddr":
			l.dst = i
		case "srcport":
			l.sport = i
		case "dstport":
			l.dport = i
		case "protocol":
			l.proto = i
		case "start":
			l.start = i
		case "end":
			l.end = i
		case "action":
			l.action = i
		case "log-status":
			l.status = i
		case "pkt-srcaddr":
			l.pktSrc = i
		case "pkt-dstaddr":
			l.pktDst = i
		}
	}
	if (l.src < 0 && l.pktSrc < 0) || (l.dst < 0 && l.pktDst < 0) {
		return awsVPCLayout{}, false
	}
	return l, true
}

// awsVPCDefaultRow reports whether a line looks like a default-format row:
// 14 fields, version 2, a 12-digit account id, a known log-status.
func awsVPCDefaultRow(line []byte) bool {
	var f [awsVPCMaxFields][]byte
	if awsVPCSplit(line, &f) != 14 || string(f[0]) != "2" || len(f[1]) != 12 {
		return false
	}
	if _, ok := kvAtoi(f[1]); !ok {
		return false
	}
	switch string(f[13]) {
	case "OK", "NODATA", "SKIPDATA":
		return true
	}
	return false
}

func awsVPCSniff(head []byte) bool {
	for len(head) > 0 {
		nl := bytes.IndexByte(head, '\n')
		if nl < 0 {
			nl = len(head)
		}
		line := bytes.TrimSpace(head[:nl])
		head = head[min(nl+1, len(head)):]
		if len(line) == 0 {
			continue
		}
		if _, ok := awsVPCHeader(line); ok {
			return true
		}
		return awsVPCDefaultRow(line)
	}
	return false
}

func awsVPCStream(ctx *ParseContext, r io.Reader, out Emitter) error {
	layout := awsVPCDefault
	header := false
	var rec Record
	var f [awsVPCMaxFields][]byte
	return readLines(r, func(pos int64, line []byte) {
		if l, ok := awsVPCHeader(line); ok {
			layout, header = l, true
			return
		}
		rec.Reset()
		n := awsVPCSplit(line, &f)
		if n != layout.n {
			reason := fmt.Sprintf("aws-vpc-flow: %d fields, the format has %d", n, layout.n)
			if !header {
				reason += " (a custom format needs its header line)"
			}
			out.Quarantine(pos, line, reason)
			return
		}
		err := awsVPCRow(&layout, f[:n], &rec)
		switch e := err.(type) {
		case nil:
			if p, ok := out.(positioner); ok {
				p.SetPos(pos)
			}
			out.Emit(&rec)
		case ErrSkip:
			out.Skip(string(e))
		default:
			out.Quarantine(pos, line, err.Error())
		}
	}, out)
}

func awsVPCCol(f [][]byte, i int) []byte {
	if i < 0 {
		return nil
	}
	if v := f[i]; !(len(v) == 1 && v[0] == '-') {
		return v
	}
	return nil
}

var awsVPCEventIDs = [...]string{"vpc-flow-v0", "vpc-flow-v1", "vpc-flow-v2", "vpc-flow-v3", "vpc-flow-v4", "vpc-flow-v5", "vpc-flow-v6", "vpc-flow-v7", "vpc-flow-v8", "vpc-flow-v9"}

func awsVPCRow(l *awsVPCLayout, f [][]byte, rec *Record) error {
	switch string(awsVPCCol(f, l.status)) {
	case "NODATA":
		return ErrSkip("aws-vpc-flow: NODATA, no traffic in the capture window")
	case "SKIPDATA":
		return ErrSkip("aws-vpc-flow: SKIPDATA, records skipped during the capture window")
	}
	src, dst := awsVPCCol(f, l.src), awsVPCCol(f, l.dst)
	if src == nil {
		src = awsVPCCol(f, l.pktSrc)
	}
	if dst == nil {
		dst = awsVPCCol(f, l.pktDst)
	}
	if src == nil || dst == nil {
		if l.status < 0 && src == nil && dst == nil {
			return ErrSkip("aws-vpc-flow: row without addresses (NODATA or SKIPDATA)")
		}
		return fmt.Errorf("aws-vpc-flow: no source or destination address")
	}
	ts := awsVPCCol(f, l.start)
	if l.start < 0 { // a custom format without start: the window's end
		ts = awsVPCCol(f, l.end)
	}
	if ts == nil {
		return errors.New("aws-vpc-flow: no start time")
	}
	t, ok := gcpEpoch(ts)
	if !ok {
		return fmt.Errorf("aws-vpc-flow: bad start time %.24q", ts)
	}
	rec.Time = t
	rec.SrcIP, rec.DstIP = string(src), string(dst)
	rec.IPProtocol = kvProto(awsVPCCol(f, l.proto))
	if !kvPortless(rec.IPProtocol) {
		if p := awsVPCCol(f, l.sport); p != nil {
			if rec.SrcPort, ok = kvPort(p); !ok {
				return fmt.Errorf("aws-vpc-flow: bad srcport %.12q", p)
			}
		}
		if p := awsVPCCol(f, l.dport); p != nil {
			if rec.DstPort, ok = kvPort(p); !ok {
				return fmt.Errorf("aws-vpc-flow: bad dstport %.12q", p)
			}
		}
	}
	switch string(awsVPCCol(f, l.action)) {
	case "ACCEPT":
		rec.Success = Bool(true)
	case "REJECT":
		rec.Success = Bool(false)
	case "":
	default:
		return fmt.Errorf("aws-vpc-flow: bad action %.12q", awsVPCCol(f, l.action))
	}
	rec.ObjectType = ObjectNetworkFlow
	rec.Vendor, rec.Product = "AWS", "VPC Flow Logs"
	rec.DeviceEventID = "vpc-flow"
	if v := awsVPCCol(f, l.version); len(v) == 1 && v[0] >= '0' && v[0] <= '9' {
		rec.DeviceEventID = awsVPCEventIDs[v[0]-'0']
	}
	return nil
}
