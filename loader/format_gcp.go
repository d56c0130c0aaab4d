package loader

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Google Cloud VPC Flow Logs and Firewall Rules Logging, as Cloud Logging
// LogEntry JSON: one entry per line (Pub/Sub, GCS or `gcloud logging read
// --format=json` exports), a JSON array of entries, a wrapper object with an
// "entries" or "events" array (Logging API responses, elastic-package test
// files whose elements are {"json": entry}), or a Pub/Sub push message
// {"message":{"data": entry or base64 entry}}.
//
// VPC flow entries (logName .../compute.googleapis.com%2Fvpc_flows) are flow
// summaries: NetworkFlow, timed at jsonPayload.start_time. Firewall entries
// (.../compute.googleapis.com%2Ffirewall) log the first packet of a
// connection with the rule's disposition: Network, as Sumo's "GCP Firewall"
// mapper does. Both report the connection 5-tuple as logged.

func init() {
	Register(Format{
		Name:        "gcp-vpc-flow",
		Description: "Google Cloud VPC flow logs and firewall rules logs (Cloud Logging LogEntry JSON: NDJSON, array or wrapper)",
		Example:     `{"insertId":"1x2y3z","jsonPayload":{"connection":{"src_ip":"10.128.0.7","src_port":51514,"dest_ip":"10.128.0.9","dest_port":443,"protocol":6},"reporter":"SRC","start_time":"2024-03-05T10:00:00.120Z","end_time":"2024-03-05T10:00:05.980Z","src_instance":{"vm_name":"web-1","project_id":"demo-project"}},"logName":"projects/demo-project/logs/compute.googleapis.com%2Fvpc_flows","timestamp":"2024-03-05T10:00:31.5Z"}`,
		Sniff:       gcpSniff,
		Stream:      gcpStream,
	})
}

func gcpSniff(head []byte) bool {
	if !bytes.Contains(head, []byte(`"jsonPayload"`)) {
		return false
	}
	for _, m := range []string{
		"compute.googleapis.com%2Fvpc_flows", "compute.googleapis.com/vpc_flows",
		"compute.googleapis.com%2Ffirewall", "compute.googleapis.com/firewall",
	} {
		if bytes.Contains(head, []byte(m)) {
			return true
		}
	}
	i := bytes.Index(head, []byte(`"connection"`))
	if i < 0 {
		return false
	}
	near := head[i:min(len(head), i+400)]
	return bytes.Contains(near, []byte(`"src_ip"`)) && bytes.Contains(near, []byte(`"dest_ip"`))
}

// gcpInt is an integer JSON value that may also be written as a string
// (protobuf JSON writes 64-bit integers as strings) or a float.
type gcpInt struct {
	V     int64
	Valid bool
}

func (n *gcpInt) UnmarshalJSON(b []byte) error {
	*n = gcpInt{}
	if len(b) >= 2 && b[0] == '"' && b[len(b)-1] == '"' {
		b = b[1 : len(b)-1]
	}
	if len(b) == 0 || string(b) == "null" {
		return nil
	}
	if v, err := strconv.ParseInt(string(b), 10, 64); err == nil {
		*n = gcpInt{v, true}
		return nil
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || f != f || f > 9e18 || f < -9e18 {
		return fmt.Errorf("not an integer: %.40q", b)
	}
	*n = gcpInt{int64(f), true}
	return nil
}

type gcpConnection struct {
	SrcIP    string `json:"src_ip"`
	SrcPort  gcpInt `json:"src_port"`
	DestIP   string `json:"dest_ip"`
	DestPort gcpInt `json:"dest_port"`
	Protocol gcpInt `json:"protocol"`
}

type gcpInstance struct {
	VMName string `json:"vm_name"`
}

type gcpPayload struct {
	Connection     *gcpConnection `json:"connection"`
	StartTime      string         `json:"start_time"`
	Reporter       string         `json:"reporter"`
	SrcInstance    *gcpInstance   `json:"src_instance"`
	Disposition    string         `json:"disposition"`
	Instance       *gcpInstance   `json:"instance"`
	RemoteInstance *gcpInstance   `json:"remote_instance"`
	RuleDetails    *struct {
		Direction string `json:"direction"`
		Action    string `json:"action"`
	} `json:"rule_details"`
}

type gcpEntry struct {
	LogName     string      `json:"logName"`
	Timestamp   string      `json:"timestamp"`
	JSONPayload *gcpPayload `json:"jsonPayload"`
}

// gcpElement is one element of an input: a LogEntry, or a wrapper of one.
type gcpElement struct {
	gcpEntry
	JSON    json.RawMessage `json:"json"`
	Message *struct {
		Data json.RawMessage `json:"data"`
	} `json:"message"`
}

func gcpStream(ctx *ParseContext, r io.Reader, out Emitter) error {
	var rec Record
	return gcpJSONValues(r, out, "gcp-vpc-flow", []string{"entries", "events"}, func(pos int64, raw []byte) {
		rec.Reset()
		err := gcpParseElement(ctx, raw, &rec, 0)
		if p, ok := out.(positioner); ok && err == nil {
			p.SetPos(pos)
		}
		emitParsed(out, &rec, err, pos, raw)
	})
}

func gcpParseElement(ctx *ParseContext, raw []byte, rec *Record, depth int) error {
	if len(raw) == 0 || raw[0] != '{' {
		return errors.New("gcp-vpc-flow: element is not a JSON object")
	}
	var el gcpElement
	if err := json.Unmarshal(raw, &el); err != nil {
		return fmt.Errorf("gcp-vpc-flow: %v", err)
	}
	if depth < 2 {
		if len(el.JSON) > 0 && el.JSON[0] == '{' {
			return gcpParseElement(ctx, el.JSON, rec, depth+1)
		}
		if el.Message != nil && len(el.Message.Data) > 0 && el.JSONPayload == nil {
			data := el.Message.Data
			if data[0] == '"' {
				var s string
				if err := json.Unmarshal(data, &s); err != nil {
					return fmt.Errorf("gcp-vpc-flow: message.data: %v", err)
				}
				dec, err := base64.StdEncoding.DecodeString(s)
				if err != nil {
					return fmt.Errorf("gcp-vpc-flow: message.data is not base64: %v", err)
				}
				data = dec
			}
			return gcpParseElement(ctx, data, rec, depth+1)
		}
	}
	return gcpFill(ctx, &el.gcpEntry, rec)
}

func gcpFill(ctx *ParseContext, e *gcpEntry, rec *Record) error {
	firewall := false
	switch {
	case strings.Contains(e.LogName, "vpc_flows"):
	case strings.Contains(e.LogName, "firewall"):
		firewall = true
	case strings.Contains(e.LogName, "nat_flows"):
		return ErrSkip("gcp-vpc-flow: Cloud NAT translation log, not a connection record")
	case e.LogName != "":
		return ErrSkip("gcp-vpc-flow: LogEntry of another log, not a VPC flow or firewall log")
	default:
		if e.JSONPayload == nil {
			return ErrSkip("gcp-vpc-flow: LogEntry without jsonPayload")
		}
		firewall = e.JSONPayload.Disposition != "" || e.JSONPayload.RuleDetails != nil
	}
	p := e.JSONPayload
	if p == nil || p.Connection == nil {
		return errors.New("gcp-vpc-flow: no jsonPayload.connection")
	}
	c := p.Connection
	if c.SrcIP == "" || c.DestIP == "" {
		return errors.New("gcp-vpc-flow: connection without src_ip or dest_ip")
	}
	ts := e.Timestamp
	if !firewall && p.StartTime != "" {
		ts = p.StartTime
	}
	if ts == "" {
		return errors.New("gcp-vpc-flow: no start_time or timestamp")
	}
	t, ok := ParseTimestamp(ctx, ts)
	if !ok {
		return fmt.Errorf("gcp-vpc-flow: bad time %.64q", ts)
	}
	rec.Time = t
	rec.SrcIP, rec.DstIP = c.SrcIP, c.DestIP
	if c.Protocol.Valid {
		if c.Protocol.V < 0 || c.Protocol.V > 255 {
			return fmt.Errorf("gcp-vpc-flow: bad protocol %d", c.Protocol.V)
		}
		rec.IPProtocol = kvProto([]byte(strconv.FormatInt(c.Protocol.V, 10)))
	}
	if !kvPortless(rec.IPProtocol) {
		var err error
		if rec.SrcPort, err = gcpPort(c.SrcPort); err != nil {
			return err
		}
		if rec.DstPort, err = gcpPort(c.DestPort); err != nil {
			return err
		}
	}
	rec.Vendor, rec.Product = "Google", "GCP"
	if firewall {
		rec.ObjectType = ObjectNetwork
		rec.DeviceEventID = "firewall"
		switch strings.ToUpper(p.Disposition) {
		case "ALLOWED":
			rec.Success = Bool(true)
		case "DENIED":
			rec.Success = Bool(false)
		default:
			if p.RuleDetails != nil {
				switch strings.ToUpper(p.RuleDetails.Action) {
				case "ALLOW":
					rec.Success = Bool(true)
				case "DENY":
					rec.Success = Bool(false)
				}
			}
		}
		// The logged VM is the one the rule applied to: the source for
		// egress rules; for ingress the source is the remote instance.
		if p.RuleDetails != nil {
			switch strings.ToUpper(p.RuleDetails.Direction) {
			case "EGRESS":
				if p.Instance != nil {
					rec.SrcHostname = p.Instance.VMName
				}
			case "INGRESS":
				if p.RemoteInstance != nil {
					rec.SrcHostname = p.RemoteInstance.VMName
				}
			}
		}
		return nil
	}
	rec.ObjectType = ObjectNetworkFlow
	rec.DeviceEventID = "vpc_flows"
	// src_instance describes the VM with the connection's src_ip whichever
	// side reported the flow.
	if p.SrcInstance != nil {
		rec.SrcHostname = p.SrcInstance.VMName
	}
	return nil
}

func gcpPort(n gcpInt) (NullInt32, error) {
	if !n.Valid {
		return NullInt32{}, nil
	}
	if n.V < 0 || n.V > 65535 {
		return NullInt32{}, fmt.Errorf("gcp-vpc-flow: bad port %d", n.V)
	}
	return Int32(int32(n.V)), nil
}

// gcpJSONValues reads a stream of JSON values and calls elem with the raw
// bytes of every element: the elements of a top-level array, of an array
// under one of wrapperKeys of a top-level object, or a top-level object
// itself. It is shared by the cloud flow-log formats (GCP, Azure).
//
// When the first non-blank line is a complete one-line object the input is
// read as NDJSON, line by line, so that a bad line is quarantined alone and
// positions are line numbers. Otherwise it is read as a stream of JSON
// documents with json.Decoder (pretty-printed or one huge line); positions
// are element numbers, and a syntax error quarantines the rest of the input.
func gcpJSONValues(r io.Reader, out Emitter, name string, wrapperKeys []string, elem func(pos int64, raw []byte)) error {
	br := bufio.NewReaderSize(r, 1<<20)
	head, err := br.Peek(1 << 20)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return fmt.Errorf("%s: %w", name, err)
	}
	if gcpNDJSON(head, err != nil && errors.Is(err, io.EOF)) {
		quoted := make([][]byte, len(wrapperKeys))
		for i, k := range wrapperKeys {
			quoted[i] = []byte(`"` + k + `"`)
		}
		return readLines(br, func(pos int64, line []byte) {
			line = bytes.TrimSpace(line)
			if len(line) > 0 && line[0] == '{' && !gcpContainsAny(line, quoted) {
				elem(pos, line) // fast path: an element, not a wrapper
				return
			}
			dec := json.NewDecoder(bytes.NewReader(line))
			var n int64
			if err := gcpWalkValue(dec, wrapperKeys, func(raw []byte) { n++; elem(pos, raw) }); err != nil {
				out.Quarantine(pos, line, fmt.Sprintf("%s: %v", name, err))
				return
			}
			if _, err := dec.Token(); !errors.Is(err, io.EOF) {
				out.Quarantine(pos, line, name+": data after the JSON value")
			}
		}, out)
	}
	dec := json.NewDecoder(br)
	var n int64
	for {
		err := gcpWalkValue(dec, wrapperKeys, func(raw []byte) { n++; elem(n, raw) })
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			var se *json.SyntaxError
			if errors.As(err, &se) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, errGCPShape) {
				out.Quarantine(n+1, nil, fmt.Sprintf("%s: %v at byte %d; rest of the input not read", name, err, dec.InputOffset()))
				return nil
			}
			return fmt.Errorf("%s: %w", name, err)
		}
	}
}

func gcpContainsAny(b []byte, subs [][]byte) bool {
	for _, s := range subs {
		if bytes.Contains(b, s) {
			return true
		}
	}
	return false
}

var errGCPShape = errors.New("not a JSON object or array")

// gcpNDJSON reports whether the first non-blank line of head is a complete
// one-line JSON object (a blob written as `{"records":[{...}` and one
// record per line is not).
func gcpNDJSON(head []byte, atEOF bool) bool {
	for len(head) > 0 {
		nl := bytes.IndexByte(head, '\n')
		var line []byte
		if nl < 0 {
			if !atEOF {
				return false
			}
			line, head = head, nil
		} else {
			line, head = head[:nl], head[nl+1:]
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		return len(line) >= 2 && line[0] == '{' && line[len(line)-1] == '}' && json.Valid(line)
	}
	return false
}

// gcpWalkValue reads one JSON value from dec and reports its elements.
func gcpWalkValue(dec *json.Decoder, wrapperKeys []string, elem func(raw []byte)) error {
	tok, err := dec.Token()
	if err != nil {
		return err // io.EOF here is the clean end of the input
	}
	if err := gcpWalkRest(dec, tok, wrapperKeys, elem); err != nil {
		if errors.Is(err, io.EOF) {
			return io.ErrUnexpectedEOF
		}
		return err
	}
	return nil
}

func gcpWalkRest(dec *json.Decoder, tok json.Token, wrapperKeys []string, elem func(raw []byte)) error {
	switch tok {
	case json.Delim('['):
		if err := gcpWalkArray(dec, elem); err != nil {
			return err
		}
		return nil
	case json.Delim('{'):
	default:
		return errGCPShape
	}
	// An object: either a wrapper with an array of elements under a
	// wrapper key, or an element itself, rebuilt from its members.
	var rebuilt []byte
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return err
		}
		key, _ := kt.(string)
		wrapper := false
		for _, w := range wrapperKeys {
			if key == w {
				wrapper = true
			}
		}
		var raw json.RawMessage
		if wrapper {
			t, err := dec.Token()
			if err != nil {
				return err
			}
			if t == json.Delim('[') {
				if err := gcpWalkArray(dec, elem); err != nil {
					return err
				}
				continue
			}
			// not an array: keep it as a member of an element
			if d, ok := t.(json.Delim); ok && d == '{' {
				return errGCPShape
			}
			raw, _ = json.Marshal(t)
		} else if err := dec.Decode(&raw); err != nil {
			return err
		}
		if rebuilt == nil {
			rebuilt = append(rebuilt, '{')
		} else {
			rebuilt = append(rebuilt, ',')
		}
		kb, _ := json.Marshal(key)
		rebuilt = append(rebuilt, kb...)
		rebuilt = append(rebuilt, ':')
		rebuilt = append(rebuilt, raw...)
	}
	if _, err := dec.Token(); err != nil { // '}'
		return err
	}
	if rebuilt != nil {
		elem(append(rebuilt, '}'))
	}
	return nil
}

func gcpWalkArray(dec *json.Decoder, elem func(raw []byte)) error {
	for dec.More() {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return err
		}
		elem(raw)
	}
	_, err := dec.Token() // ']'
	return err
}

// gcpEpoch turns a decimal epoch field into a time (unit by magnitude).
func gcpEpoch(s []byte) (time.Time, bool) {
	v, ok := kvAtoi(s)
	if !ok {
		return time.Time{}, false
	}
	return EpochTime(v), true
}
