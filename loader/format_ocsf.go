package loader

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// OCSF 1.x Network Activity (class_uid 4001) events as JSON lines, as
// Amazon Security Lake, AWS and many SIEM pipelines write them.
//
// Record type: an event of one connection (activity Open, Close, Reset,
// Fail, Refuse, Traffic, Unknown or Other) is a connection record, Network.
// When metadata.product says the source is a flow log (product or feature
// name containing "VPC" or "flow", e.g. Security Lake's VPC flow logs,
// product "Amazon VPC", feature "Flowlogs"; or a log_name containing
// "flow"), the events are flow summaries: NetworkFlow. Listen events have no
// peer and are skipped. Time is start_time when present (the connection's
// start), else time (epoch milliseconds).

func init() {
	Register(Format{
		Name:        "ocsf-network",
		Description: "OCSF 1.x Network Activity events (class_uid 4001), JSON lines",
		Example:     `{"class_uid":4001,"category_uid":4,"activity_id":1,"type_uid":400101,"time":1709632800123,"severity_id":1,"src_endpoint":{"ip":"10.1.0.4","port":50112,"hostname":"ws-17.corp.example"},"dst_endpoint":{"ip":"10.1.0.5","port":445},"connection_info":{"protocol_name":"tcp","protocol_num":6,"direction_id":3},"disposition_id":1,"action_id":1,"actor":{"user":{"name":"jdoe"}},"metadata":{"version":"1.1.0","product":{"name":"Sensor","vendor_name":"Example Corp"}}}`,
		MatchLine:   ocsfMatchLine,
		ParseLine:   ocsfParseLine,
	})
}

func ocsfMatchLine(line []byte) bool {
	for _, m := range [][]byte{[]byte(`"class_uid":4001`), []byte(`"class_uid": 4001`)} {
		if i := bytes.Index(line, m); i >= 0 {
			j := i + len(m)
			if j >= len(line) || line[j] < '0' || line[j] > '9' {
				return true
			}
		}
	}
	return false
}

type ocsfEndpoint struct {
	IP       string `json:"ip"`
	Port     gcpInt `json:"port"`
	Hostname string `json:"hostname"`
}

type ocsfEvent struct {
	ClassUID      gcpInt        `json:"class_uid"`
	ActivityID    gcpInt        `json:"activity_id"`
	TypeUID       gcpInt        `json:"type_uid"`
	Time          gcpInt        `json:"time"`
	TimeDT        string        `json:"time_dt"`
	StartTime     gcpInt        `json:"start_time"`
	StartTimeDT   string        `json:"start_time_dt"`
	Src           *ocsfEndpoint `json:"src_endpoint"`
	Dst           *ocsfEndpoint `json:"dst_endpoint"`
	DispositionID gcpInt        `json:"disposition_id"`
	ActionID      gcpInt        `json:"action_id"`
	StatusID      gcpInt        `json:"status_id"`
	Conn          *struct {
		ProtocolName string `json:"protocol_name"`
		ProtocolNum  gcpInt `json:"protocol_num"`
	} `json:"connection_info"`
	Actor *struct {
		User *struct {
			Name string `json:"name"`
		} `json:"user"`
	} `json:"actor"`
	Metadata *struct {
		LogName string `json:"log_name"`
		Product *struct {
			Name       string `json:"name"`
			VendorName string `json:"vendor_name"`
			Feature    *struct {
				Name string `json:"name"`
			} `json:"feature"`
		} `json:"product"`
	} `json:"metadata"`
}

func ocsfParseLine(ctx *ParseContext, line []byte, rec *Record) error {
	if i := bytes.IndexByte(line, '{'); i > 0 {
		line = line[i:] // a syslog or other prefix
	}
	var ev ocsfEvent
	if err := json.Unmarshal(line, &ev); err != nil {
		return fmt.Errorf("ocsf-network: %v", err)
	}
	if !ev.ClassUID.Valid {
		return errors.New("ocsf-network: no class_uid")
	}
	if ev.ClassUID.V != 4001 {
		return ErrSkip("ocsf-network: event of another OCSF class")
	}
	act := int64(0)
	if ev.ActivityID.Valid {
		act = ev.ActivityID.V
	}
	if act == 7 {
		return ErrSkip("ocsf-network: Listen activity, not a connection")
	}
	if ev.Src == nil || ev.Dst == nil || ev.Src.IP == "" || ev.Dst.IP == "" {
		return ErrSkip("ocsf-network: event without src_endpoint.ip or dst_endpoint.ip")
	}
	switch {
	case ev.StartTime.Valid && ev.StartTime.V > 0:
		rec.Time = EpochTime(ev.StartTime.V)
	case ev.StartTimeDT != "":
		t, ok := ParseTimestamp(ctx, ev.StartTimeDT)
		if !ok {
			return fmt.Errorf("ocsf-network: bad start_time_dt %.40q", ev.StartTimeDT)
		}
		rec.Time = t
	case ev.Time.Valid && ev.Time.V > 0:
		rec.Time = EpochTime(ev.Time.V)
	case ev.TimeDT != "":
		t, ok := ParseTimestamp(ctx, ev.TimeDT)
		if !ok {
			return fmt.Errorf("ocsf-network: bad time_dt %.40q", ev.TimeDT)
		}
		rec.Time = t
	default:
		return errors.New("ocsf-network: no time")
	}
	rec.SrcIP, rec.DstIP = ev.Src.IP, ev.Dst.IP
	rec.SrcHostname = ev.Src.Hostname
	if ev.Conn != nil {
		if ev.Conn.ProtocolNum.Valid && ev.Conn.ProtocolNum.V >= 0 && ev.Conn.ProtocolNum.V <= 255 {
			rec.IPProtocol = kvProto([]byte(strconv.FormatInt(ev.Conn.ProtocolNum.V, 10)))
		} else if ev.Conn.ProtocolName != "" {
			rec.IPProtocol = kvProto([]byte(strings.ToLower(ev.Conn.ProtocolName)))
		}
	}
	if !kvPortless(rec.IPProtocol) {
		for _, p := range []struct {
			v   gcpInt
			dst *NullInt32
		}{{ev.Src.Port, &rec.SrcPort}, {ev.Dst.Port, &rec.DstPort}} {
			if !p.v.Valid {
				continue
			}
			if p.v.V < 0 || p.v.V > 65535 {
				return fmt.Errorf("ocsf-network: bad port %d", p.v.V)
			}
			*p.dst = Int32(int32(p.v.V))
		}
	}
	if ev.Actor != nil && ev.Actor.User != nil {
		rec.Username = ev.Actor.User.Name
	}
	rec.Success = ocsfSuccess(&ev, act)
	rec.ObjectType = ObjectNetwork
	rec.Vendor, rec.Product = "OCSF", "Network Activity"
	if m := ev.Metadata; m != nil {
		flow := strings.Contains(strings.ToLower(m.LogName), "flow")
		if p := m.Product; p != nil {
			if p.VendorName != "" {
				rec.Vendor = p.VendorName
			}
			if p.Name != "" {
				rec.Product = p.Name
			}
			name := strings.ToLower(p.Name)
			if strings.Contains(name, "vpc") || strings.Contains(name, "flow") {
				flow = true
			}
			if p.Feature != nil && strings.Contains(strings.ToLower(p.Feature.Name), "flow") {
				flow = true
			}
		}
		if flow {
			rec.ObjectType = ObjectNetworkFlow
		}
	}
	typ := int64(400100) + act
	if ev.TypeUID.Valid {
		typ = ev.TypeUID.V
	}
	rec.DeviceEventID = strconv.FormatInt(typ, 10)
	return nil
}

// ocsfSuccess reads action_id (1 Allowed, 2 Denied), then disposition_id,
// then the activity (Refuse, Fail) and status_id.
func ocsfSuccess(ev *ocsfEvent, act int64) NullBool {
	if ev.ActionID.Valid {
		switch ev.ActionID.V {
		case 1:
			return Bool(true)
		case 2:
			return Bool(false)
		}
	}
	if ev.DispositionID.Valid {
		switch ev.DispositionID.V {
		case 1: // Allowed
			return Bool(true)
		case 2, 3, 4, 6, 25, 26: // Blocked, Quarantined, Isolated, Dropped, Rejected, Unauthorized
			return Bool(false)
		}
	}
	switch act {
	case 4, 5: // Fail, Refuse
		return Bool(false)
	}
	if ev.StatusID.Valid {
		switch ev.StatusID.V {
		case 1:
			return Bool(true)
		case 2:
			return Bool(false)
		}
	}
	return NullBool{}
}
