package loader

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// FormatNormalized is the name of the normalized schema's JSON lines form.
const FormatNormalized = "normalized"

func init() {
	Register(Format{
		Name:        FormatNormalized,
		Description: "normalized records (DESIGN §3) as JSON lines; Parquet files with these columns are read by DuckDB directly",
		Example:     `{"timestamp":"2024-05-01T10:00:00.000001Z","objectType":"Network","srcDevice_ip":"10.1.1.5","dstDevice_ip":"10.1.2.7","dstPort":445}`,
		ParseLine:   parseNormalizedLine,
		MatchLine: func(line []byte) bool {
			return len(line) > 0 && line[0] == '{' && bytes.Contains(line, []byte(`"srcDevice_ip"`)) && bytes.Contains(line, []byte(`"objectType"`))
		},
		Priority: -10,
	})
}

type normalizedLine struct {
	Timestamp     json.RawMessage `json:"timestamp"`
	ObjectType    *string         `json:"objectType"`
	SrcIP         *string         `json:"srcDevice_ip"`
	DstIP         *string         `json:"dstDevice_ip"`
	SrcIsInternal *bool           `json:"srcDevice_ip_isInternal"`
	DstIsInternal *bool           `json:"dstDevice_ip_isInternal"`
	SrcPort       json.RawMessage `json:"srcPort"`
	DstPort       json.RawMessage `json:"dstPort"`
	IPProtocol    string          `json:"ipProtocol"`
	SrcHostname   string          `json:"srcDevice_hostname"`
	Username      string          `json:"user_username"`
	ListMatches   []string        `json:"listMatches"`
	Success       *bool           `json:"success"`
	Vendor        string          `json:"metadata_vendor"`
	Product       string          `json:"metadata_product"`
	DeviceEventID string          `json:"metadata_deviceEventId"`
}

func parseNormalizedLine(ctx *ParseContext, line []byte, rec *Record) error {
	var n normalizedLine
	if err := json.Unmarshal(line, &n); err != nil {
		return fmt.Errorf("not a JSON object: %v", err)
	}
	switch {
	case n.Timestamp == nil || string(n.Timestamp) == "null":
		return fmt.Errorf("missing column timestamp")
	case n.ObjectType == nil:
		return fmt.Errorf("missing column objectType")
	case n.SrcIP == nil:
		return fmt.Errorf("missing column srcDevice_ip")
	case n.DstIP == nil:
		return fmt.Errorf("missing column dstDevice_ip")
	}
	t, err := ParseJSONTime(ctx, n.Timestamp)
	if err != nil {
		return fmt.Errorf("timestamp: %v", err)
	}
	rec.Time = t
	rec.ObjectType, rec.SrcIP, rec.DstIP = *n.ObjectType, *n.SrcIP, *n.DstIP
	if n.SrcIsInternal != nil {
		rec.SrcIsInternal = Bool(*n.SrcIsInternal)
	}
	if n.DstIsInternal != nil {
		rec.DstIsInternal = Bool(*n.DstIsInternal)
	}
	if rec.SrcPort, err = parseJSONPort(n.SrcPort); err != nil {
		return fmt.Errorf("srcPort: %v", err)
	}
	if rec.DstPort, err = parseJSONPort(n.DstPort); err != nil {
		return fmt.Errorf("dstPort: %v", err)
	}
	rec.IPProtocol, rec.SrcHostname, rec.Username = n.IPProtocol, n.SrcHostname, n.Username
	rec.ListMatches = append(rec.ListMatches, n.ListMatches...)
	if n.Success != nil {
		rec.Success = Bool(*n.Success)
	}
	rec.Vendor, rec.Product, rec.DeviceEventID = n.Vendor, n.Product, n.DeviceEventID
	return nil
}

// ParseJSONTime reads a JSON timestamp: an epoch number in s (with
// fraction), ms, µs or ns, or a string holding RFC 3339 text or an epoch.
func ParseJSONTime(ctx *ParseContext, raw json.RawMessage) (time.Time, error) {
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return time.Time{}, err
		}
		if t, ok := ParseEpochText(s); ok {
			return t, nil
		}
		if t, ok := ParseTimestamp(ctx, s); ok {
			return t, nil
		}
		return time.Time{}, fmt.Errorf("%q is neither RFC 3339 nor an epoch", s)
	}
	if t, ok := ParseEpochText(string(raw)); ok {
		return t, nil
	}
	// Exponent forms such as 1.7e9 seconds.
	f, err := strconv.ParseFloat(string(raw), 64)
	if err != nil || f != f {
		return time.Time{}, fmt.Errorf("%s is not a time", raw)
	}
	return time.UnixMicro(int64(f * 1e6)).UTC(), nil
}

func parseJSONPort(raw json.RawMessage) (NullInt32, error) {
	if len(raw) == 0 || string(raw) == "null" || string(raw) == `""` {
		return NullInt32{}, nil
	}
	s := string(raw)
	if s[0] == '"' {
		if err := json.Unmarshal(raw, &s); err != nil {
			return NullInt32{}, err
		}
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < 0 || v > 65535 {
		return NullInt32{}, fmt.Errorf("%s is not a port number", raw)
	}
	return Int32(int32(v)), nil
}
