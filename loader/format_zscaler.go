package loader

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Zscaler Internet Access NSS firewall feed, JSON lines, either wrapped
//
//	{"sourcetype":"zscalernss-fw","event":{"datetime":"Sat Mar  2 10:15:00 2024","csip":"10.1.1.1","csport":"50000","cdip":"10.1.1.2","cdport":"445","proto":"TCP","action":"Block",...}}
//
// (also with "version":"v2") or as the bare event object. Ports may be
// JSON strings or numbers. The client's view of the connection is used,
// as Sumo's mapper does: src = csip/csport, dst = cdip/cdport (sdip/sdport
// is the server after DNAT). Events without a client or destination
// address, or with both unspecified (0.0.0.0), are skipped: they are no
// usable connection. Time is epochtime when present, else datetime (in tz).

func init() {
	Register(Format{
		Name:        "zscaler-fw",
		Description: "Zscaler ZIA NSS firewall feed, JSON lines (csip/cdip/cdport)",
		Example:     `{"sourcetype":"zscalernss-fw","event":{"datetime":"Sat Mar  2 10:15:00 2024","epochtime":"1709374500","tz":"GMT","login":"alice%40example.com","csip":"10.20.30.40","csport":"51514","cdip":"10.20.31.7","cdport":"445","sdip":"10.20.31.7","sdport":"445","proto":"TCP","nwsvc":"SMB","action":"Block","rulelabel":"Block_Lateral_SMB","locationname":"HQ"}}`,
		ParseLine:   zscalerParseLine,
		MatchLine:   zscalerMatchLine,
	})
}

var (
	zscalerMarkCsip = []byte(`"csip"`)
	zscalerMarkCdip = []byte(`"cdip"`)
)

func zscalerMatchLine(line []byte) bool {
	return bytes.Contains(line, zscalerMarkCsip) && bytes.Contains(line, zscalerMarkCdip)
}

// zscalerStr accepts a JSON string, number, bool or null as text.
type zscalerStr string

func (z *zscalerStr) UnmarshalJSON(b []byte) error {
	if len(b) >= 2 && b[0] == '"' && b[len(b)-1] == '"' && bytes.IndexByte(b, '\\') < 0 {
		*z = zscalerStr(b[1 : len(b)-1])
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*z = zscalerStr(s)
		return nil
	}
	if string(b) == "null" {
		*z = ""
		return nil
	}
	if len(b) > 0 && (b[0] == '{' || b[0] == '[') {
		return fmt.Errorf("unexpected %c", b[0])
	}
	*z = zscalerStr(b)
	return nil
}

type zscalerEvent struct {
	Datetime  zscalerStr `json:"datetime"`
	Epochtime zscalerStr `json:"epochtime"`
	Tz        zscalerStr `json:"tz"`
	Csip      zscalerStr `json:"csip"`
	Csport    zscalerStr `json:"csport"`
	Cdip      zscalerStr `json:"cdip"`
	Cdport    zscalerStr `json:"cdport"`
	Proto     zscalerStr `json:"proto"`
	Action    zscalerStr `json:"action"`
	Login     zscalerStr `json:"login"`
	User      zscalerStr `json:"user"`
}

type zscalerLine struct {
	zscalerEvent
	Sourcetype zscalerStr    `json:"sourcetype"`
	Event      *zscalerEvent `json:"event"`
}

func zscalerParseLine(ctx *ParseContext, line []byte, rec *Record) error {
	var l zscalerLine
	if err := json.Unmarshal(line, &l); err != nil {
		return fmt.Errorf("zscaler-fw: bad JSON: %v", err)
	}
	ev := &l.zscalerEvent
	if l.Event != nil {
		ev = l.Event
	}
	src, dst := strings.TrimSpace(string(ev.Csip)), strings.TrimSpace(string(ev.Cdip))
	if src == "" || dst == "" {
		return ErrSkip("zscaler-fw: event without client or destination address")
	}
	if zscalerUnspecified(src) && zscalerUnspecified(dst) {
		return ErrSkip("zscaler-fw: event with unspecified addresses (0.0.0.0), not a connection")
	}
	t, ok := zscalerTime(ctx, ev)
	if !ok {
		return fmt.Errorf("zscaler-fw: no usable time (epochtime %q, datetime %q)", ev.Epochtime, ev.Datetime)
	}
	rec.Time = t
	rec.ObjectType = ObjectNetwork
	rec.SrcIP = src
	rec.DstIP = dst
	rec.IPProtocol = kvProto([]byte(ev.Proto))
	kvLenientPorts(rec, []byte(ev.Csport), []byte(ev.Cdport))
	for _, u := range []zscalerStr{ev.Login, ev.User} {
		if s := zscalerUser(string(u)); s != "" {
			rec.Username = s
			break
		}
	}
	switch strings.ToLower(string(ev.Action)) {
	case "allow", "allowed", "accept":
		rec.Success = Bool(true)
	case "block", "blocked", "drop", "dropped", "deny", "reset", "reject":
		rec.Success = Bool(false)
	}
	rec.Vendor = "Zscaler"
	rec.Product = "ZIA Firewall"
	rec.DeviceEventID = "zscalernss-fw"
	if l.Sourcetype != "" {
		rec.DeviceEventID = string(l.Sourcetype)
	}
	return nil
}

func zscalerUnspecified(ip string) bool {
	return ip == "0.0.0.0" || ip == "::" || ip == "0:0:0:0:0:0:0:0"
}

// zscalerUser decodes the URL-encoded login NSS writes (alice%40example.com)
// and drops placeholders.
func zscalerUser(s string) string {
	s = strings.TrimSpace(s)
	switch s {
	case "", "Unknown", "NA", "N/A", "None", "none":
		return ""
	}
	if strings.IndexByte(s, '%') >= 0 {
		if d, err := url.PathUnescape(s); err == nil {
			return d
		}
	}
	return s
}

func zscalerTime(ctx *ParseContext, ev *zscalerEvent) (time.Time, bool) {
	if ev.Epochtime != "" {
		if t, ok := ParseEpochText(strings.TrimSpace(string(ev.Epochtime))); ok {
			return t, true
		}
	}
	if ev.Datetime == "" {
		return time.Time{}, false
	}
	loc := ctx.location()
	if ev.Tz != "" {
		if z := kvZoneOffset([]byte(ev.Tz)); z != nil {
			loc = z
		}
	}
	// "Mon Oct 16 22:55:48 2023", also with doubled blanks.
	f := strings.Fields(string(ev.Datetime))
	if len(f) == 5 {
		if t, err := time.ParseInLocation("Mon Jan 2 15:04:05 2006", strings.Join(f, " "), loc); err == nil {
			return t, true
		}
	}
	if t, ok := ParseTimestamp(&ParseContext{Location: loc}, string(ev.Datetime)); ok {
		return t, true
	}
	return time.Time{}, false
}
