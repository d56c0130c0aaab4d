package loader

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"
)

// Zeek (Bro) conn.log, as TSV with "#" headers (zeek-tsv) and as JSON lines
// (zeek-json). Every conn record is a connection: objectType Network,
// src = id.orig_h (the originator), dst = id.resp_h, dstPort = id.resp_p.
// For ICMP Zeek stores the ICMP type and code in the port columns; portsweep
// leaves both ports null (DESIGN §1).
//
// Success from conn_state (https://docs.zeek.org/en/master/scripts/base/protocols/conn/main.zeek.html):
//   - true: SF (normal establish and end), S1 (established, not
//     terminated), S2/S3 (established, close attempt seen from one side),
//     RSTO/RSTR (established, then reset by either side);
//   - false: S0 (attempt, no reply), REJ (attempt rejected), RSTOS0
//     (originator SYN then RST, no SYN-ACK), SH (originator SYN then FIN,
//     no SYN-ACK): an attempt that was never established;
//   - null: RSTRH and SHR (only the responder's SYN-ACK seen, the
//     originator's SYN was missed), OTH (midstream traffic, no SYN seen),
//     and anything else: the capture cannot tell whether the attempt worked.
//
// In TSV files only logs whose #path is "conn" are connection records; rows
// of other logs (dns, http, ...) are skipped. Columns are found by name from
// each #fields header (a concatenated or rotated file may redefine them);
// extra columns (labels) are ignored. A row with the wrong column count, a
// bad ts or missing addresses is quarantined with its line number.

func init() {
	Register(Format{
		Name:        "zeek-tsv",
		Description: "Zeek/Bro conn.log, tab-separated with #fields headers",
		Example:     "1709287201.250000\tCa1b2c3d4e5f6g7h8\t10.1.2.3\t51515\t10.1.9.9\t445\ttcp\t-\t0.001200\t0\t0\tS0\t-\t-\t0\tS\t1\t60\t0\t0\t-",
		Sniff:       zeekSniffTSV,
		Stream:      zeekStreamTSV,
	})
	Register(Format{
		Name:        "zeek-json",
		Description: "Zeek/Bro conn.log as JSON lines (LogAscii::use_json)",
		Example:     `{"ts":1709287201.25,"uid":"Ca1b2c3d4e5f6g7h8","id.orig_h":"10.1.2.3","id.orig_p":51515,"id.resp_h":"10.1.9.9","id.resp_p":445,"proto":"tcp","conn_state":"S0","history":"S","orig_pkts":1,"resp_pkts":0}`,
		ParseLine:   zeekParseJSONLine,
		MatchLine:   zeekMatchJSONLine,
	})
}

// ---- TSV ----

func zeekSniffTSV(head []byte) bool {
	h := bytes.TrimLeft(head, " \t\r\n\xef\xbb\xbf")
	return bytes.HasPrefix(h, []byte("#separator")) ||
		bytes.HasPrefix(h, []byte("#fields\t")) ||
		bytes.HasPrefix(h, []byte("#path\t"))
}

// zeekTSV is the state of one TSV stream: the current header definitions.
type zeekTSV struct {
	sep         byte
	unset       []byte
	empty       []byte
	path        string
	haveFields  bool
	nfields     int
	ts, origH   int
	origP       int
	respH       int
	respP       int
	proto       int
	state       int
	missingCols string // non-empty: this #fields lacks a required column
	cols        [][]byte
}

func zeekStreamTSV(ctx *ParseContext, r io.Reader, out Emitter) error {
	z := &zeekTSV{sep: '\t', unset: []byte("-"), empty: []byte("(empty)")}
	var rec Record
	return readLines(r, func(pos int64, line []byte) {
		h := line
		if len(h) > 0 && (h[0] == ' ' || h[0] == '\t') {
			h = bytes.TrimLeft(h, " \t")
		}
		if len(h) > 0 && h[0] == '#' {
			if err := z.header(h); err != nil {
				out.Quarantine(pos, line, err.Error())
			}
			return
		}
		rec.Reset()
		err := z.row(ctx, line, &rec)
		emitParsed(out, &rec, err, pos, line)
	}, out)
}

// header applies one "#..." line.
func (z *zeekTSV) header(h []byte) error {
	if bytes.HasPrefix(h, []byte("#separator")) {
		v := bytes.TrimSpace(h[len("#separator"):])
		sep, ok := zeekUnescape(v)
		if !ok || len(sep) != 1 {
			return fmt.Errorf("zeek: unsupported #separator %q", v)
		}
		z.sep = sep[0]
		z.path = "" // a new log's header block starts here
		return nil
	}
	name, rest := h, []byte(nil)
	if i := bytes.IndexByte(h, z.sep); i >= 0 {
		name, rest = h[:i], h[i+1:]
	}
	switch string(name) {
	case "#unset_field":
		z.unset = append([]byte(nil), rest...)
	case "#empty_field":
		z.empty = append([]byte(nil), rest...)
	case "#path":
		z.path = string(rest)
	case "#fields":
		z.defineFields(rest)
	}
	// #set_separator, #open, #close, #types and comments need nothing.
	return nil
}

func (z *zeekTSV) defineFields(rest []byte) {
	z.haveFields = true
	z.ts, z.origH, z.origP, z.respH, z.respP, z.proto, z.state = -1, -1, -1, -1, -1, -1, -1
	n := 0
	for _, name := range bytes.Split(rest, []byte{z.sep}) {
		switch string(name) {
		case "ts":
			z.ts = n
		case "id.orig_h":
			z.origH = n
		case "id.orig_p":
			z.origP = n
		case "id.resp_h":
			z.respH = n
		case "id.resp_p":
			z.respP = n
		case "proto":
			z.proto = n
		case "conn_state":
			z.state = n
		}
		n++
	}
	z.nfields = n
	z.missingCols = ""
	for _, c := range []struct {
		name string
		idx  int
	}{{"ts", z.ts}, {"id.orig_h", z.origH}, {"id.resp_h", z.respH}} {
		if c.idx < 0 {
			z.missingCols += " " + c.name
		}
	}
	if cap(z.cols) < n {
		z.cols = make([][]byte, n)
	}
	z.cols = z.cols[:n]
}

// row parses one data row into rec.
func (z *zeekTSV) row(ctx *ParseContext, line []byte, rec *Record) error {
	if z.path != "" && z.path != "conn" {
		return ErrSkip("zeek: " + z.path + " log, not conn")
	}
	if !z.haveFields {
		return errors.New("zeek: data row before any #fields header")
	}
	if z.missingCols != "" {
		return fmt.Errorf("zeek: #fields header lacks%s", z.missingCols)
	}
	// Split into the reused column slice, counting columns.
	n, start := 0, 0
	for i := 0; i <= len(line); i++ {
		if i == len(line) || line[i] == z.sep {
			if n < len(z.cols) {
				z.cols[n] = line[start:i]
			}
			n++
			start = i + 1
		}
	}
	if n != z.nfields {
		return fmt.Errorf("zeek: %d columns, #fields has %d", n, z.nfields)
	}
	col := func(i int) []byte {
		if i < 0 {
			return nil
		}
		v := z.cols[i]
		if bytes.Equal(v, z.unset) || bytes.Equal(v, z.empty) {
			return nil
		}
		return v
	}
	t, ok := zeekParseTS(col(z.ts))
	if !ok {
		return fmt.Errorf("zeek: bad ts %q", z.cols[z.ts])
	}
	return zeekFill(rec, t, string(col(z.origH)), string(col(z.respH)), col(z.origP), col(z.respP), col(z.proto), col(z.state))
}

// zeekFill fills rec from the textual conn fields (nil = unset).
func zeekFill(rec *Record, t time.Time, origH, respH string, origP, respP, proto, state []byte) error {
	if len(origH) == 0 || len(respH) == 0 {
		return errors.New("zeek: id.orig_h or id.resp_h unset")
	}
	rec.Time = t
	rec.ObjectType = ObjectNetwork
	rec.Vendor, rec.Product, rec.DeviceEventID = "Zeek", "conn", "conn"
	rec.SrcIP, rec.DstIP = origH, respH
	rec.IPProtocol = zeekProto(proto)
	if rec.IPProtocol != "icmp" {
		if origP != nil {
			p, ok := suricataPort(origP)
			if !ok {
				return fmt.Errorf("zeek: bad id.orig_p %q", origP)
			}
			rec.SrcPort = p
		}
		if respP != nil {
			p, ok := suricataPort(respP)
			if !ok {
				return fmt.Errorf("zeek: bad id.resp_p %q", respP)
			}
			rec.DstPort = p
		}
	}
	rec.Success = zeekSuccess(state)
	return nil
}

func zeekProto(p []byte) string {
	switch string(p) {
	case "tcp":
		return "tcp"
	case "udp":
		return "udp"
	case "icmp":
		return "icmp"
	case "":
		return ""
	case "unknown_transport":
		return "unknown_transport"
	}
	return string(bytes.ToLower(p))
}

func zeekSuccess(state []byte) NullBool {
	switch string(state) {
	case "SF", "S1", "S2", "S3", "RSTO", "RSTR":
		return Bool(true)
	case "S0", "REJ", "RSTOS0", "SH":
		return Bool(false)
	}
	return NullBool{}
}

// zeekParseTS reads Zeek's "seconds.fraction" exactly (no float64).
func zeekParseTS(b []byte) (time.Time, bool) {
	if len(b) == 0 || len(b) > 40 {
		return time.Time{}, false
	}
	var sec int64
	i := 0
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		if i >= 18 {
			return time.Time{}, false
		}
		sec = sec*10 + int64(b[i]-'0')
		i++
	}
	if i == 0 {
		return time.Time{}, false
	}
	var ns int64
	if i < len(b) {
		if b[i] != '.' {
			return time.Time{}, false
		}
		i++
		digits := 0
		for ; i < len(b); i++ {
			c := b[i]
			if c < '0' || c > '9' {
				return time.Time{}, false
			}
			if digits < 9 {
				ns = ns*10 + int64(c-'0')
				digits++
			}
		}
		for ; digits < 9; digits++ {
			ns *= 10
		}
	}
	return time.Unix(sec, ns).UTC(), true
}

// zeekUnescape decodes the \xHH escapes of a #separator value.
func zeekUnescape(v []byte) ([]byte, bool) {
	var out []byte
	for i := 0; i < len(v); i++ {
		if v[i] == '\\' && i+1 < len(v) && v[i+1] == 'x' {
			if i+4 > len(v) {
				return nil, false
			}
			x, err := strconv.ParseUint(string(v[i+2:i+4]), 16, 8)
			if err != nil {
				return nil, false
			}
			out = append(out, byte(x))
			i += 3
			continue
		}
		out = append(out, v[i])
	}
	return out, true
}

// ---- JSON ----

var (
	zeekKeyUID   = []byte(`"uid"`)
	zeekKeyOrigH = []byte(`"id.orig_h"`)
	zeekKeyNest  = []byte(`"orig_h"`)
)

func zeekMatchJSONLine(line []byte) bool {
	return bytes.Contains(line, zeekKeyUID) &&
		(bytes.Contains(line, zeekKeyOrigH) || bytes.Contains(line, zeekKeyNest))
}

func zeekParseJSONLine(ctx *ParseContext, line []byte, rec *Record) error {
	it, err := suricataObject(line)
	if err != nil {
		return fmt.Errorf("zeek-json: %v", err)
	}
	var ts, origH, origP, respH, respP, proto, state, path []byte
	hasState := false
	for {
		k, v, ok := it.next()
		if !ok {
			break
		}
		switch string(k) {
		case "ts":
			ts = v
		case "id.orig_h":
			origH = v
		case "id.orig_p":
			origP = v
		case "id.resp_h":
			respH = v
		case "id.resp_p":
			respP = v
		case "proto":
			proto = v
		case "conn_state":
			state, hasState = v, true
		case "_path":
			path = v
		case "id":
			in, err := suricataObject(v)
			if err != nil {
				return fmt.Errorf("zeek-json: id: %v", err)
			}
			for {
				k2, v2, ok := in.next()
				if !ok {
					break
				}
				switch string(k2) {
				case "orig_h":
					origH = v2
				case "orig_p":
					origP = v2
				case "resp_h":
					respH = v2
				case "resp_p":
					respP = v2
				}
			}
			if in.err != nil {
				return fmt.Errorf("zeek-json: id: %v", in.err)
			}
		}
	}
	if it.err != nil {
		return fmt.Errorf("zeek-json: %v", it.err)
	}
	if p, _ := suricataString(path); p != "" {
		if p != "conn" {
			return ErrSkip("zeek-json: " + p + " log, not conn")
		}
	} else if !hasState {
		return ErrSkip("zeek-json: not a conn record (no conn_state)")
	}
	var t time.Time
	var ok bool
	switch {
	case len(ts) > 0 && ts[0] == '"':
		s, _ := suricataString(ts)
		if t, ok = zeekParseTS([]byte(s)); !ok {
			t, ok = suricataParseISO(ctx, s)
		}
	case len(ts) > 0:
		t, ok = zeekParseJSONNumberTS(ts)
	}
	if !ok {
		return fmt.Errorf("zeek-json: bad or missing ts %q", ts)
	}
	oh, _ := suricataString(origH)
	rh, _ := suricataString(respH)
	st, _ := suricataString(state)
	pr, _ := suricataString(proto)
	if oh == "" || rh == "" {
		return errors.New("zeek-json: id.orig_h or id.resp_h missing")
	}
	return zeekFill(rec, t, oh, rh, zeekJSONNull(origP), zeekJSONNull(respP), []byte(pr), []byte(st))
}

func zeekJSONNull(v []byte) []byte {
	if string(v) == "null" {
		return nil
	}
	return v
}

// zeekParseJSONNumberTS reads a JSON number ts from its decimal text,
// including exponent forms such as 1.5e9, without float64 rounding.
func zeekParseJSONNumberTS(b []byte) (time.Time, bool) {
	e := bytes.IndexAny(b, "eE")
	if e < 0 {
		return zeekParseTS(b)
	}
	mant, expText := b[:e], b[e+1:]
	exp, err := strconv.Atoi(string(expText))
	if err != nil || exp < -30 || exp > 30 {
		return time.Time{}, false
	}
	// Shift the decimal point of the mantissa by exp digits.
	dot := bytes.IndexByte(mant, '.')
	intPart, frac := mant, []byte(nil)
	if dot >= 0 {
		intPart, frac = mant[:dot], mant[dot+1:]
	}
	digits := append(append([]byte(nil), intPart...), frac...)
	point := len(intPart) + exp
	for point > len(digits) {
		digits = append(digits, '0')
	}
	for point < 1 {
		digits = append([]byte{'0'}, digits...)
		point++
	}
	text := append(append(append([]byte(nil), digits[:point]...), '.'), digits[point:]...)
	if bytes.HasSuffix(text, []byte(".")) {
		text = text[:len(text)-1]
	}
	return zeekParseTS(text)
}
