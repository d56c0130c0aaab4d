package loader

import (
	"bufio"
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// Windows connection events, as Event XML (windows-xml) and as the JSON that
// Winlogbeat / Elastic Agent / NXLog write (windows-json). Both are read as
// whole streams. Two events are connection records, objectType Network:
//
// Security 5156 (WFP permitted a connection), metadata_deviceEventId
// "Security-5156": SourceAddress/SourcePort, DestAddress/DestPort, Protocol
// (IANA number), Direction. WFP names the local machine "Source", so for
// Direction %%14592 / Inbound the remote side initiated: src = DestAddress,
// dst = SourceAddress, dstPort = SourcePort. Outbound (%%14593) or absent:
// as logged. success = true. Time = TimeCreated SystemTime (JSON:
// winlog.time_created, else @timestamp, else NXLog EventTime). No host or
// user (as Sumo maps it).
//
// Sysmon event 3 (network connection), "Microsoft-Windows-Sysmon/Operational-3":
// SourceIp/SourcePort/SourceHostname, DestinationIp/DestinationPort/
// DestinationHostname, Protocol (tcp/udp), User, Initiated, UtcTime (UTC).
// Sysmon lists the local socket as Source whatever the direction: in the
// samples an inbound RDP connection is logged with Initiated=false,
// SourceIp/SourcePort = the local listener (…:3389) and Destination = the
// remote client with its ephemeral port. So Initiated=false is turned around
// (src = Destination*, dst = Source*, dstPort = SourcePort) and User, the
// account of the local listening process, is not given to the remote source.
// Initiated=true or absent: as logged, User → user_username, SourceHostname →
// srcDevice_hostname. success stays null. Time = UtcTime, else SystemTime.
//
// Other event ids (5157 blocked, 5158 bind, Sysmon 22 DNS, ...) are skipped.

func init() {
	Register(Format{
		Name:        "windows-xml",
		Description: "Windows Event XML: Security 5156 and Sysmon event 3",
		Example:     `<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System><Provider Name="Microsoft-Windows-Sysmon"/><EventID>3</EventID><TimeCreated SystemTime="2024-03-01T09:00:01.2500000Z"/><Channel>Microsoft-Windows-Sysmon/Operational</Channel><Computer>ws-0042.corp.example</Computer></System><EventData><Data Name="UtcTime">2024-03-01 09:00:01.250</Data><Data Name="User">CORP\alice</Data><Data Name="Protocol">tcp</Data><Data Name="Initiated">true</Data><Data Name="SourceIp">10.1.2.3</Data><Data Name="SourceHostname">ws-0042.corp.example</Data><Data Name="SourcePort">51515</Data><Data Name="DestinationIp">10.1.9.9</Data><Data Name="DestinationPort">445</Data></EventData></Event>`,
		Sniff:       windowsSniffXML,
		Stream:      windowsStreamXML,
	})
	Register(Format{
		Name:        "windows-json",
		Description: "Windows 5156 / Sysmon 3 as Winlogbeat, Elastic Agent or NXLog JSON (lines, arrays or {\"events\":[...]})",
		Example:     `{"@timestamp":"2024-03-01T09:00:01.250Z","winlog":{"channel":"Security","provider_name":"Microsoft-Windows-Security-Auditing","event_id":"5156","computer_name":"ws-0042.corp.example","time_created":"2024-03-01T09:00:01.2500000Z","event_data":{"Direction":"%%14593","SourceAddress":"10.1.2.3","SourcePort":"51515","DestAddress":"10.1.9.9","DestPort":"445","Protocol":"6"}}}`,
		Sniff:       windowsSniffJSON,
		Stream:      windowsStreamJSON,
	})
}

// windowsEvent is one event in a form common to XML and JSON.
type windowsEvent struct {
	EventID    string
	Provider   string
	Channel    string
	Computer   string
	SystemTime string // TimeCreated SystemTime / time_created
	AltTime    string // @timestamp or NXLog EventTime
	Data       map[string]string
}

func (ev *windowsEvent) reset() {
	d := ev.Data
	*ev = windowsEvent{Data: d}
	if ev.Data == nil {
		ev.Data = map[string]string{}
	}
	clear(ev.Data)
}

// windowsMap turns an event into a record: nil, an ErrSkip or an error.
func windowsMap(ctx *ParseContext, ev *windowsEvent, rec *Record) error {
	id := strings.TrimSpace(ev.EventID)
	d := ev.Data
	switch {
	case id == "5156" && !windowsIsSysmon(ev):
		return windowsMap5156(ctx, ev, rec)
	case id == "3" && (windowsIsSysmon(ev) || (ev.Provider == "" && ev.Channel == "" && d["DestinationIp"] != "")):
		return windowsMapSysmon3(ctx, ev, rec)
	case id == "":
		return errors.New("windows: event without EventID")
	}
	src := ev.Provider
	if src == "" {
		src = ev.Channel
	}
	if src == "" {
		src = "Windows"
	}
	return ErrSkip("windows: " + src + " event " + id + " is not a connection record")
}

func windowsIsSysmon(ev *windowsEvent) bool {
	return strings.Contains(ev.Provider, "Sysmon") || strings.Contains(ev.Channel, "Sysmon")
}

func windowsMap5156(ctx *ParseContext, ev *windowsEvent, rec *Record) error {
	d := ev.Data
	srcIP, dstIP := windowsAddr(d["SourceAddress"]), windowsAddr(d["DestAddress"])
	if srcIP == "" || dstIP == "" {
		return errors.New("windows 5156: missing SourceAddress or DestAddress")
	}
	sp, ok := windowsPort(d["SourcePort"])
	if !ok {
		return fmt.Errorf("windows 5156: bad SourcePort %q", d["SourcePort"])
	}
	dp, ok := windowsPort(d["DestPort"])
	if !ok {
		return fmt.Errorf("windows 5156: bad DestPort %q", d["DestPort"])
	}
	rec.IPProtocol = crowdstrikeProtoName(strings.TrimSpace(d["Protocol"]))
	if suricataIsICMP(rec.IPProtocol) {
		sp, dp = NullInt32{}, NullInt32{}
	}
	switch strings.ToLower(strings.TrimSpace(d["Direction"])) {
	case "%%14592", "inbound":
		srcIP, dstIP, sp, dp = dstIP, srcIP, dp, sp
	}
	t, ok := windowsTime(ctx, ev.SystemTime, ev.AltTime)
	if !ok {
		return errors.New("windows 5156: no usable TimeCreated")
	}
	rec.Time = t
	rec.ObjectType = ObjectNetwork
	rec.SrcIP, rec.DstIP, rec.SrcPort, rec.DstPort = srcIP, dstIP, sp, dp
	rec.Success = Bool(true)
	rec.Vendor, rec.Product, rec.DeviceEventID = "Microsoft", "Windows", "Security-5156"
	return nil
}

func windowsMapSysmon3(ctx *ParseContext, ev *windowsEvent, rec *Record) error {
	d := ev.Data
	srcIP, dstIP := windowsAddr(d["SourceIp"]), windowsAddr(d["DestinationIp"])
	if srcIP == "" || dstIP == "" {
		return errors.New("sysmon 3: missing SourceIp or DestinationIp")
	}
	sp, ok := windowsPort(d["SourcePort"])
	if !ok {
		return fmt.Errorf("sysmon 3: bad SourcePort %q", d["SourcePort"])
	}
	dp, ok := windowsPort(d["DestinationPort"])
	if !ok {
		return fmt.Errorf("sysmon 3: bad DestinationPort %q", d["DestinationPort"])
	}
	proto := strings.ToLower(strings.TrimSpace(d["Protocol"]))
	if proto != "" && proto[0] >= '0' && proto[0] <= '9' {
		proto = crowdstrikeProtoName(proto)
	}
	if proto == "icmp" || proto == "ipv6-icmp" || proto == "icmpv6" {
		sp, dp = NullInt32{}, NullInt32{}
	}
	t, ok := windowsTime(ctx, d["UtcTime"], "")
	if !ok {
		t, ok = windowsTime(ctx, ev.SystemTime, ev.AltTime)
	}
	if !ok {
		return errors.New("sysmon 3: no usable UtcTime")
	}
	rec.Time = t
	rec.ObjectType = ObjectNetwork
	rec.IPProtocol = proto
	if strings.EqualFold(strings.TrimSpace(d["Initiated"]), "false") {
		rec.SrcIP, rec.DstIP, rec.SrcPort, rec.DstPort = dstIP, srcIP, dp, sp
		rec.SrcHostname = windowsDash(d["DestinationHostname"])
	} else {
		rec.SrcIP, rec.DstIP, rec.SrcPort, rec.DstPort = srcIP, dstIP, sp, dp
		rec.SrcHostname = windowsDash(d["SourceHostname"])
		rec.Username = windowsDash(d["User"])
	}
	rec.Vendor, rec.Product, rec.DeviceEventID = "Microsoft", "Sysmon", "Microsoft-Windows-Sysmon/Operational-3"
	return nil
}

func windowsDash(s string) string {
	s = strings.TrimSpace(s)
	if s == "-" {
		return ""
	}
	return s
}

// windowsAddr strips brackets and a zone id ("fe80::1%12").
func windowsAddr(s string) string {
	s = strings.TrimSpace(s)
	s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	if i := strings.IndexByte(s, '%'); i > 0 {
		s = s[:i]
	}
	if s == "-" {
		return ""
	}
	return s
}

func windowsPort(s string) (NullInt32, bool) {
	s = strings.TrimSpace(s)
	if s == "" || s == "-" {
		return NullInt32{}, true
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 65535 {
		return NullInt32{}, false
	}
	return Int32(int32(n)), true
}

// windowsTime reads SystemTime ("2024-03-01T09:00:01.2500000Z", python-evtx's
// "2024-03-01 09:00:01.250000", Sysmon's "2024-03-01 09:00:01.250" in UTC),
// falling back to alt. Zone-less text is UTC: Windows records UTC times.
// windowsUTC reads zone-less Windows times as UTC.
var windowsUTC = &ParseContext{Location: time.UTC}

func windowsTime(ctx *ParseContext, s, alt string) (time.Time, bool) {
	for i, v := range []string{s, alt} {
		v = strings.TrimSpace(v)
		if v == "" {
			continue
		}
		c := windowsUTC
		if i == 1 {
			c = ctx // @timestamp is zoned; NXLog's EventTime is the collector's local time
		}
		if t, ok := suricataParseISO(c, v); ok {
			return t, true
		}
		if t, ok := ParseEpochText(v); ok {
			return t, true
		}
	}
	return time.Time{}, false
}

// ---- XML ----

var windowsXMLNS = []byte("schemas.microsoft.com/win/2004/08/events/event")

func windowsSniffXML(head []byte) bool {
	h := windowsHeadUTF8(head)
	t := bytes.TrimLeft(h, " \t\r\n")
	if len(t) == 0 || t[0] != '<' {
		return false
	}
	return bytes.Contains(h, windowsXMLNS) ||
		(bytes.Contains(h, []byte("<Event>")) && bytes.Contains(h, []byte("<EventID")))
}

// windowsHeadUTF8 returns head as UTF-8, transcoding a UTF-16 head with BOM.
func windowsHeadUTF8(head []byte) []byte {
	if len(head) >= 2 && ((head[0] == 0xFF && head[1] == 0xFE) || (head[0] == 0xFE && head[1] == 0xFF)) {
		b, _ := io.ReadAll(windowsUTF16Reader(bytes.NewReader(head)))
		return b
	}
	return bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
}

// windowsUTF16Reader transcodes UTF-16 with a BOM to UTF-8.
func windowsUTF16Reader(r io.Reader) io.Reader {
	return &windowsUTF16{r: bufio.NewReaderSize(r, 64<<10)}
}

type windowsUTF16 struct {
	r       *bufio.Reader
	started bool
	big     bool
	out     []byte
	err     error
}

func (u *windowsUTF16) unit() (uint16, error) {
	a, err := u.r.ReadByte()
	if err != nil {
		return 0, err
	}
	b, err := u.r.ReadByte()
	if err != nil {
		return 0, io.EOF // a lone trailing byte is dropped
	}
	if u.big {
		return uint16(a)<<8 | uint16(b), nil
	}
	return uint16(b)<<8 | uint16(a), nil
}

func (u *windowsUTF16) Read(p []byte) (int, error) {
	if !u.started {
		u.started = true
		bom, err := u.r.Peek(2)
		if err == nil && bom[0] == 0xFE && bom[1] == 0xFF {
			u.big = true
		}
		if err == nil && ((bom[0] == 0xFE && bom[1] == 0xFF) || (bom[0] == 0xFF && bom[1] == 0xFE)) {
			u.r.Discard(2)
		}
	}
	for len(u.out) < len(p) && u.err == nil {
		c, err := u.unit()
		if err != nil {
			u.err = err
			break
		}
		r := rune(c)
		if utf16.IsSurrogate(r) {
			c2, err := u.unit()
			if err != nil {
				u.err = err
				r = utf8.RuneError
			} else {
				r = utf16.DecodeRune(r, rune(c2))
			}
		}
		u.out = utf8.AppendRune(u.out, r)
	}
	n := copy(p, u.out)
	u.out = u.out[:copy(u.out, u.out[n:])]
	if n == 0 && u.err != nil {
		return 0, u.err
	}
	return n, nil
}

// windowsCountingReader counts the newlines its reader has passed on, so
// that a decoder restarted after a syntax error can report file lines.
type windowsCountingReader struct {
	r     *bufio.Reader
	lines int64
}

func (c *windowsCountingReader) ReadByte() (byte, error) {
	b, err := c.r.ReadByte()
	if err == nil && b == '\n' {
		c.lines++
	}
	return b, err
}

func (c *windowsCountingReader) Read(p []byte) (int, error) {
	// Byte by byte keeps the position exact for restarts; encoding/xml
	// reads through ReadByte anyway when it is offered.
	if len(p) == 0 {
		return 0, nil
	}
	b, err := c.ReadByte()
	if err != nil {
		return 0, err
	}
	p[0] = b
	return 1, nil
}

func windowsStreamXML(ctx *ParseContext, r io.Reader, out Emitter) error {
	br := bufio.NewReaderSize(r, 64<<10)
	if bom, err := br.Peek(2); err == nil && ((bom[0] == 0xFF && bom[1] == 0xFE) || (bom[0] == 0xFE && bom[1] == 0xFF)) {
		br = bufio.NewReaderSize(windowsUTF16Reader(br), 64<<10)
	}
	cr := &windowsCountingReader{r: br}
	var (
		ev  windowsEvent
		rec Record
	)
	ev.reset()
	for {
		baseLine := cr.lines
		dec := xml.NewDecoder(cr)
		dec.CharsetReader = func(label string, in io.Reader) (io.Reader, error) {
			// The input is UTF-8 by now (UTF-16 was transcoded above);
			// other declared charsets are read as they are.
			return in, nil
		}
		err := windowsDecodeXML(ctx, dec, baseLine, &ev, &rec, out)
		if err == nil {
			return nil
		}
		var se *xml.SyntaxError
		if !errors.As(err, &se) {
			if errors.Is(err, io.ErrUnexpectedEOF) {
				out.Quarantine(cr.lines+1, nil, "windows-xml: truncated XML")
				return nil
			}
			return fmt.Errorf("windows-xml: %w", err)
		}
		out.Quarantine(baseLine+int64(se.Line), nil, "windows-xml: "+se.Msg)
		// Resynchronize at the next <Event start.
		if !windowsSkipToEvent(cr) {
			return nil
		}
	}
}

// windowsSkipToEvent advances to just before the next "<Event" tag and
// reports whether there is one.
func windowsSkipToEvent(cr *windowsCountingReader) bool {
	const tag = "<Event"
	for {
		p, _ := cr.r.Peek(len(tag) + 1)
		if len(p) == 0 {
			return false
		}
		if len(p) == len(tag)+1 && string(p[:len(tag)]) == tag {
			switch p[len(tag)] {
			case '>', ' ', '\t', '\n', '\r':
				return true
			}
		}
		if len(p) < len(tag)+1 && !bytes.HasPrefix([]byte(tag), p) {
			return false // too short to hold an event
		}
		if _, err := cr.ReadByte(); err != nil {
			return false
		}
	}
}

// windowsDecodeXML reads events until EOF (nil) or a decoding error.
func windowsDecodeXML(ctx *ParseContext, dec *xml.Decoder, baseLine int64, ev *windowsEvent, rec *Record, out Emitter) error {
	var (
		inEvent, inSystem, inEventData bool
		field                          string // System child whose text is wanted
		dataName                       string
		inData                         bool
		text                           strings.Builder
		eventLine                      int64
	)
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			if inEvent {
				return io.ErrUnexpectedEOF
			}
			return nil
		}
		if err != nil {
			var se *xml.SyntaxError
			if !inEvent && errors.As(err, &se) && strings.HasPrefix(se.Msg, "unexpected end element") {
				return nil // the closing </Events> after a restart
			}
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch name := t.Name.Local; {
			case name == "Event":
				ev.reset()
				inEvent, inSystem, inEventData = true, false, false
				line, _ := dec.InputPos()
				eventLine = baseLine + int64(line)
			case !inEvent:
			case name == "System":
				inSystem = true
			case name == "EventData" || name == "UserData":
				inEventData = true
			case inSystem:
				switch name {
				case "Provider":
					ev.Provider = windowsAttr(t, "Name")
				case "TimeCreated":
					ev.SystemTime = windowsAttr(t, "SystemTime")
				case "EventID", "Channel", "Computer":
					field = name
					text.Reset()
				}
			case inEventData:
				// <Data Name="..."> under EventData; UserData leaves by
				// their element name.
				dataName = name
				if name == "Data" {
					dataName = windowsAttr(t, "Name")
				}
				inData = true
				text.Reset()
			}
		case xml.CharData:
			if field != "" || inData {
				text.Write(t)
			}
		case xml.EndElement:
			switch name := t.Name.Local; {
			case name == "Event" && inEvent:
				inEvent = false
				rec.Reset()
				emitParsed(out, rec, windowsMap(ctx, ev, rec), eventLine, nil)
			case name == "System":
				inSystem = false
			case name == "EventData" || name == "UserData":
				inEventData = false
			case field != "" && name == field:
				v := strings.TrimSpace(text.String())
				switch field {
				case "EventID":
					ev.EventID = v
				case "Channel":
					ev.Channel = v
				case "Computer":
					ev.Computer = v
				}
				field = ""
			case inData && (name == "Data" || name == dataName):
				if dataName != "" {
					ev.Data[dataName] = text.String()
				}
				inData, dataName = false, ""
			}
		}
	}
}

func windowsAttr(t xml.StartElement, name string) string {
	for _, a := range t.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// ---- JSON ----

func windowsSniffJSON(head []byte) bool {
	h := bytes.TrimLeft(bytes.TrimPrefix(head, []byte("\xef\xbb\xbf")), " \t\r\n")
	if len(h) == 0 || (h[0] != '{' && h[0] != '[') {
		return false
	}
	has := func(s string) bool { return bytes.Contains(h, []byte(s)) }
	switch {
	case has(`"winlog"`) && has(`"event_id"`):
		return true
	case has(`"event_data"`) && has(`"event_id"`) && has(`"computer_name"`):
		return true // Winlogbeat before 7
	case has(`"EventID"`) && (has(`"SourceName"`) || has(`"Channel"`)) && has(`"Hostname"`):
		return true // NXLog im_msvistalog
	}
	return false
}

// windowsStreamJSON reads NDJSON (one event per line, bad lines quarantined
// by line number) or, when the first line is not a complete JSON value,
// whole JSON documents: an event, an array of events or the elastic-package
// {"events":[...]} wrapper, possibly pretty-printed (positions are then
// event numbers).
func windowsStreamJSON(ctx *ParseContext, r io.Reader, out Emitter) error {
	br := bufio.NewReaderSize(r, 256<<10)
	var ev windowsEvent
	var rec Record
	ev.reset()
	// Find the first non-blank line without consuming the input.
	first, err := windowsPeekFirstLine(br)
	if err != nil {
		return fmt.Errorf("windows-json: %w", err)
	}
	if len(first) == 0 {
		return nil
	}
	handle := func(pos int64, raw []byte) {
		windowsJSONValue(ctx, pos, raw, &ev, &rec, out)
	}
	f := bytes.TrimSpace(first)
	if json.Valid(f) || !(bytes.HasSuffix(f, []byte("{")) || bytes.HasSuffix(f, []byte("[")) || bytes.HasSuffix(f, []byte(","))) {
		return readLines(br, func(pos int64, line []byte) {
			line = bytes.TrimPrefix(line, []byte("\xef\xbb\xbf"))
			if !json.Valid(line) {
				out.Quarantine(pos, line, "windows-json: invalid JSON")
				return
			}
			handle(pos, line)
		}, out)
	}
	dec := json.NewDecoder(br)
	var n int64
	for {
		var raw json.RawMessage
		err := dec.Decode(&raw)
		if err == io.EOF {
			return nil
		}
		n++
		if err != nil {
			var se *json.SyntaxError
			if errors.As(err, &se) || errors.Is(err, io.ErrUnexpectedEOF) {
				out.Quarantine(n, nil, "windows-json: "+err.Error())
				return nil
			}
			return fmt.Errorf("windows-json: %w", err)
		}
		handle(n, raw)
	}
}

func windowsPeekFirstLine(br *bufio.Reader) ([]byte, error) {
	for size := 4096; ; size *= 2 {
		if size > br.Size() {
			size = br.Size()
		}
		p, err := br.Peek(size)
		rest := bytes.TrimLeft(bytes.TrimPrefix(p, []byte("\xef\xbb\xbf")), " \t\r\n")
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			return bytes.TrimRight(rest[:i], "\r"), nil
		}
		if err != nil || size == br.Size() {
			if err == io.EOF || err == bufio.ErrBufferFull || err == nil {
				return bytes.TrimRight(rest, "\r"), nil
			}
			return nil, err
		}
	}
}

// windowsJSONValue handles one JSON value: an event, an array of values or
// an {"events":[...]} wrapper.
func windowsJSONValue(ctx *ParseContext, pos int64, raw []byte, ev *windowsEvent, rec *Record, out Emitter) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return
	}
	if raw[0] == '[' {
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			out.Quarantine(pos, raw, "windows-json: "+err.Error())
			return
		}
		for _, it := range items {
			windowsJSONValue(ctx, pos, it, ev, rec, out)
		}
		return
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil {
		out.Quarantine(pos, raw, "windows-json: "+err.Error())
		return
	}
	if evs, ok := top["events"]; ok && len(top) == 1 && len(bytes.TrimSpace(evs)) > 0 && bytes.TrimSpace(evs)[0] == '[' {
		windowsJSONValue(ctx, pos, evs, ev, rec, out)
		return
	}
	ev.reset()
	windowsJSONEvent(top, ev)
	rec.Reset()
	emitParsed(out, rec, windowsMap(ctx, ev, rec), pos, raw)
}

// windowsJSONEvent fills ev from Winlogbeat 7+/Elastic Agent ("winlog"),
// Winlogbeat 5/6 (top-level event_id/event_data) or NXLog (flat) JSON.
func windowsJSONEvent(top map[string]json.RawMessage, ev *windowsEvent) {
	str := func(m map[string]json.RawMessage, k string) string {
		v, ok := m[k]
		if !ok {
			return ""
		}
		s, _ := suricataString(bytes.TrimSpace(v))
		return s
	}
	fillData := func(raw json.RawMessage) {
		var m map[string]json.RawMessage
		if json.Unmarshal(raw, &m) != nil {
			return
		}
		for k, v := range m {
			if s, _ := suricataString(bytes.TrimSpace(v)); s != "" {
				ev.Data[k] = s
			}
		}
	}
	ev.AltTime = str(top, "@timestamp")
	w := top
	if raw, ok := top["winlog"]; ok {
		var m map[string]json.RawMessage
		if json.Unmarshal(raw, &m) == nil {
			w = m
		}
	}
	if _, ok := w["event_id"]; ok {
		ev.EventID = str(w, "event_id")
		ev.Channel = str(w, "channel")
		ev.Provider = str(w, "provider_name")
		if ev.Provider == "" {
			ev.Provider = str(w, "source_name")
		}
		ev.Computer = str(w, "computer_name")
		ev.SystemTime = str(w, "time_created")
		if raw, ok := w["event_data"]; ok {
			fillData(raw)
		}
		if raw, ok := w["user_data"]; ok {
			fillData(raw)
		}
		if ev.EventID == "" {
			if raw, ok := top["event"]; ok {
				var m map[string]json.RawMessage
				if json.Unmarshal(raw, &m) == nil {
					ev.EventID = str(m, "code")
				}
			}
		}
		return
	}
	// NXLog: the event fields and the EventData fields side by side.
	ev.EventID = str(top, "EventID")
	ev.Channel = str(top, "Channel")
	ev.Provider = str(top, "SourceName")
	if ev.Provider == "" {
		ev.Provider = str(top, "ProviderName")
	}
	ev.Computer = str(top, "Hostname")
	if ev.AltTime == "" {
		ev.AltTime = str(top, "EventTime")
	}
	for k, v := range top {
		if s, _ := suricataString(bytes.TrimSpace(v)); s != "" {
			ev.Data[k] = s
		}
	}
}
