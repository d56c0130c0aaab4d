package sink

import (
	"encoding/json"
	"time"
)

// TimeLayout is how signals render times: RFC 3339, UTC, microseconds.
const TimeLayout = "2006-01-02T15:04:05.000000Z07:00"

// Entity is one thing a signal is about.
type Entity struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

// Signal is one threshold crossing of the rule (DESIGN §1).
type Signal struct {
	SignalID         string    `json:"signal_id"`
	RuleID           string    `json:"rule_id"`
	Name             string    `json:"name"`
	Summary          string    `json:"summary"`
	Severity         int       `json:"severity"`
	Stage            string    `json:"stage"`
	Tags             []string  `json:"tags"`
	SrcDeviceIP      string    `json:"srcDevice_ip"`
	DstPort          int32     `json:"dstPort"`
	SrcHostname      string    `json:"srcDevice_hostname"`
	Username         string    `json:"user_username"`
	Entities         []Entity  `json:"entities"`
	FirstSeen        time.Time `json:"first_seen"`
	CrossedAt        time.Time `json:"crossed_at"`
	DistinctDstCount int64     `json:"distinct_dst_count"`
	DstSample        []string  `json:"dst_sample"`
	RecordCount      int64     `json:"record_count"`
	Suppressed       bool      `json:"suppressed"`
	SuppressedReason string    `json:"suppressed_reason"`
	RuleVersion      int       `json:"rule_version"`
	SQLHash          string    `json:"sql_hash"`
}

// MarshalJSON renders times as TimeLayout in UTC.
func (s Signal) MarshalJSON() ([]byte, error) {
	type plain Signal
	return json.Marshal(struct {
		plain
		FirstSeen string `json:"first_seen"`
		CrossedAt string `json:"crossed_at"`
	}{plain(s), s.FirstSeen.UTC().Format(TimeLayout), s.CrossedAt.UTC().Format(TimeLayout)})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (s *Signal) UnmarshalJSON(b []byte) error {
	type plain Signal
	var v struct {
		plain
		FirstSeen string `json:"first_seen"`
		CrossedAt string `json:"crossed_at"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*s = Signal(v.plain)
	var err error
	if s.FirstSeen, err = time.Parse(time.RFC3339Nano, v.FirstSeen); err != nil {
		return err
	}
	s.CrossedAt, err = time.Parse(time.RFC3339Nano, v.CrossedAt)
	return err
}
