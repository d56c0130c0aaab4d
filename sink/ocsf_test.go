package sink

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

func sampleSignal() Signal {
	first := time.Date(2025, 6, 1, 10, 0, 0, 123_456_000, time.UTC)
	crossed := first.Add(3*time.Minute + 250*time.Millisecond)
	var dsts []string
	for i := 1; i <= 20; i++ {
		dsts = append(dsts, fmt.Sprintf("10.0.1.%d", i))
	}
	return Signal{
		SignalID: "sig-0123456789abcdef",
		RuleID:   "THRESHOLD-S00081",
		Name:     "Internal Port Sweep",
		Summary:  "Internal port sweep from IP: 10.0.0.5",
		Severity: 1,
		Stage:    "Discovery",
		Tags: []string{
			"_mitreAttackTactic:TA0043",
			"_mitreAttackTechnique:T1046",
			"_mitreAttackTechnique:T1595",
			"_mitreAttackTechnique:T1595.001",
		},
		SrcDeviceIP: "10.0.0.5",
		DstPort:     445,
		SrcHostname: "ws-17.corp",
		Username:    "alice",
		Entities: []Entity{
			{Type: "_ip", Value: "10.0.0.5"},
			{Type: "_hostname", Value: "ws-17.corp"},
			{Type: "_username", Value: "alice"},
		},
		FirstSeen:        first,
		CrossedAt:        crossed,
		DistinctDstCount: 20,
		DstSample:        dsts,
		RecordCount:      37,
		RuleVersion:      3,
		SQLHash:          "deadbeef",
	}
}

// jpath walks a decoded JSON value along a dotted path; numeric elements index
// arrays. ok is false when the path does not exist.
func jpath(v any, path string) (any, bool) {
	for _, p := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = x[p]; !ok {
				return nil, false
			}
		case []any:
			i, err := strconv.Atoi(p)
			if err != nil || i < 0 || i >= len(x) {
				return nil, false
			}
			v = x[i]
		default:
			return nil, false
		}
	}
	return v, true
}

func decodeJSON(t *testing.T, b []byte) map[string]any {
	t.Helper()
	if !json.Valid(b) {
		t.Fatalf("not valid JSON: %s", b)
	}
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("decode: %v", err)
	}
	return m
}

// norm makes expected values comparable with decoded ones (json.Number).
func norm(v any) any {
	switch x := v.(type) {
	case int:
		return json.Number(strconv.Itoa(x))
	case int32:
		return json.Number(strconv.Itoa(int(x)))
	case int64:
		return json.Number(strconv.FormatInt(x, 10))
	case []string:
		out := make([]any, len(x))
		for i, s := range x {
			out[i] = s
		}
		return out
	}
	return v
}

func TestOCSFBody(t *testing.T) {
	base := sampleSignal()
	firstMs, crossedMs := base.FirstSeen.UnixMilli(), base.CrossedAt.UnixMilli()

	bare := base
	bare.SrcHostname, bare.Username, bare.Entities = "", "", nil
	bare.Tags = []string{"_mitreAttackTactic:TA0007", "_mitreAttackTechnique:T9999", "other:tag", "_mitreAttackTechnique:T9999"}
	bare.Severity = 7
	bare.DstSample = []string{"10.9.9.9"}

	suppressed := base
	suppressed.Suppressed = true
	suppressed.SuppressedReason = "suppressed by earlier signal sig-earlier"

	noTags := base
	noTags.Tags = nil

	tacticsOnly := base
	tacticsOnly.Tags = []string{"_mitreAttackTactic:TA0043", "_mitreAttackTactic:TA0007"}

	cases := []struct {
		name   string
		sig    Signal
		want   map[string]any // path → value
		absent []string       // paths that must not exist
		check  func(t *testing.T, m map[string]any)
	}{
		{
			name: "rule defaults",
			sig:  base,
			want: map[string]any{
				"class_uid": 2004, "category_uid": 2, "type_uid": 200401, "activity_id": 1,
				"class_name": "Detection Finding", "activity_name": "Create",
				"severity_id": 1, "severity": "Informational", "status_id": 1, "status": "New",
				"time": crossedMs, "start_time": firstMs, "end_time": crossedMs, "count": 37,
				"message":                                   "Internal port sweep from IP: 10.0.0.5",
				"metadata.version":                          "1.1.0",
				"metadata.uid":                              "sig-0123456789abcdef",
				"metadata.product.name":                     "portsweep",
				"metadata.product.vendor_name":              "portsweep",
				"finding_info.uid":                          "sig-0123456789abcdef",
				"finding_info.title":                        "Internal Port Sweep",
				"finding_info.desc":                         "Internal port sweep from IP: 10.0.0.5",
				"finding_info.types":                        []string{"Internal Port Sweep"},
				"finding_info.first_seen_time":              firstMs,
				"finding_info.last_seen_time":               crossedMs,
				"finding_info.analytic.uid":                 "THRESHOLD-S00081",
				"finding_info.analytic.name":                "Internal Port Sweep",
				"finding_info.analytic.type_id":             1,
				"finding_info.analytic.type":                "Rule",
				"finding_info.analytic.version":             "3",
				"finding_info.attacks.0.tactic.uid":         "TA0043",
				"finding_info.attacks.0.tactic.name":        "Reconnaissance",
				"finding_info.attacks.0.technique.uid":      "T1046",
				"finding_info.attacks.0.technique.name":     "Network Service Discovery",
				"finding_info.attacks.1.tactic.uid":         "TA0043",
				"finding_info.attacks.1.technique.uid":      "T1595",
				"finding_info.attacks.1.technique.name":     "Active Scanning",
				"finding_info.attacks.2.technique.uid":      "T1595",
				"finding_info.attacks.2.sub_technique.uid":  "T1595.001",
				"finding_info.attacks.2.sub_technique.name": "Scanning IP Blocks",
				"evidences.0.src_endpoint.ip":               "10.0.0.5",
				"evidences.0.src_endpoint.hostname":         "ws-17.corp",
				"evidences.0.actor.user.name":               "alice",
				"evidences.0.data.dst_port":                 445,
				"evidences.0.data.distinct_dst_count":       20,
				"evidences.0.data.record_count":             37,
				"evidences.0.data.window.start_time":        firstMs,
				"evidences.0.data.window.end_time":          crossedMs,
				"evidences.0.data.dst_sample":               base.DstSample,
				"evidences.1.src_endpoint.ip":               "10.0.0.5",
				"evidences.1.dst_endpoint.ip":               "10.0.1.1",
				"evidences.1.dst_endpoint.port":             445,
				"evidences.20.dst_endpoint.ip":              "10.0.1.20",
				"unmapped.stage":                            "Discovery",
				"unmapped.suppressed":                       false,
				"unmapped.sql_hash":                         "deadbeef",
			},
			absent: []string{
				"finding_info.attacks.3", "finding_info.attacks.0.sub_technique",
				"evidences.0.dst_endpoint", "evidences.21", "unmapped.suppressed_reason",
			},
		},
		{
			name: "no hostname, no user, unknown technique, other severity",
			sig:  bare,
			want: map[string]any{
				"severity_id": 4, "severity": "High",
				"evidences.0.src_endpoint.ip":          "10.0.0.5",
				"evidences.1.dst_endpoint.ip":          "10.9.9.9",
				"finding_info.attacks.0.tactic.uid":    "TA0007",
				"finding_info.attacks.0.tactic.name":   "Discovery",
				"finding_info.attacks.0.technique.uid": "T9999",
				"unmapped.tags":                        bare.Tags,
			},
			absent: []string{
				"evidences.0.src_endpoint.hostname", "evidences.0.actor",
				"finding_info.attacks.0.technique.name", // unknown id: uid only
				"finding_info.attacks.1",                // duplicate tag dropped, other:tag ignored
				"evidences.2",
			},
			check: func(t *testing.T, m map[string]any) {
				if v, _ := jpath(m, "unmapped.entities"); !reflect.DeepEqual(v, []any{}) {
					t.Errorf("unmapped.entities = %#v, want []", v)
				}
			},
		},
		{
			name: "suppressed",
			sig:  suppressed,
			want: map[string]any{
				"unmapped.suppressed":        true,
				"unmapped.suppressed_reason": "suppressed by earlier signal sig-earlier",
				"status_id":                  1,
			},
		},
		{
			name:   "no tags",
			sig:    noTags,
			absent: []string{"finding_info.attacks"},
		},
		{
			name: "tactics only",
			sig:  tacticsOnly,
			want: map[string]any{
				"finding_info.attacks.0.tactic.uid":  "TA0043",
				"finding_info.attacks.1.tactic.uid":  "TA0007",
				"finding_info.attacks.1.tactic.name": "Discovery",
			},
			absent: []string{"finding_info.attacks.0.technique", "finding_info.attacks.2"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b, err := OCSFBody(tc.sig)
			if err != nil {
				t.Fatal(err)
			}
			m := decodeJSON(t, b)
			for p, want := range tc.want {
				got, ok := jpath(m, p)
				if !ok {
					t.Errorf("%s: missing", p)
					continue
				}
				if !reflect.DeepEqual(got, norm(want)) {
					t.Errorf("%s = %#v, want %#v", p, got, norm(want))
				}
			}
			for _, p := range tc.absent {
				if v, ok := jpath(m, p); ok {
					t.Errorf("%s present (%#v), want absent", p, v)
				}
			}
			if tc.check != nil {
				tc.check(t, m)
			}
		})
	}
}

func TestOCSFBodyBoundsDestinations(t *testing.T) {
	s := sampleSignal()
	s.DstSample = nil
	for i := 0; i < 250; i++ {
		s.DstSample = append(s.DstSample, fmt.Sprintf("10.1.%d.%d", i/200, i%200))
	}
	b, err := OCSFBody(s)
	if err != nil {
		t.Fatal(err)
	}
	m := decodeJSON(t, b)
	ev, _ := jpath(m, "evidences")
	if n := len(ev.([]any)); n != 1+maxOCSFDestinations {
		t.Fatalf("%d evidences, want %d", n, 1+maxOCSFDestinations)
	}
}

func TestOCSFSeverity(t *testing.T) {
	cases := []struct {
		in   int
		id   int
		name string
	}{
		{-1, 0, "Unknown"}, {0, 0, "Unknown"}, {1, 1, "Informational"},
		{2, 2, "Low"}, {3, 2, "Low"}, {4, 3, "Medium"}, {6, 3, "Medium"},
		{7, 4, "High"}, {8, 4, "High"}, {9, 5, "Critical"}, {10, 5, "Critical"}, {42, 5, "Critical"},
	}
	for _, tc := range cases {
		id, name := OCSFSeverity(tc.in)
		if id != tc.id || name != tc.name {
			t.Errorf("OCSFSeverity(%d) = %d %q, want %d %q", tc.in, id, name, tc.id, tc.name)
		}
	}
}

func TestNativeBody(t *testing.T) {
	s := sampleSignal()
	s.Summary = "sweep <from> 10.0.0.5 & co" // no HTML escaping, like the JSON lines
	b, err := NativeBody(s)
	if err != nil {
		t.Fatal(err)
	}
	var line bytes.Buffer
	if err := WriteJSONLines(&line, []Signal{s}); err != nil {
		t.Fatal(err)
	}
	if want := bytes.TrimSuffix(line.Bytes(), []byte("\n")); !bytes.Equal(b, want) {
		t.Fatalf("NativeBody differs from the JSON line:\n%s\n%s", b, want)
	}
	m := decodeJSON(t, b)
	for p, want := range map[string]any{
		"signal_id": s.SignalID, "rule_id": s.RuleID, "srcDevice_ip": "10.0.0.5", "dstPort": 445,
		"crossed_at": "2025-06-01T10:03:00.373456Z", "summary": "sweep <from> 10.0.0.5 & co",
	} {
		if got, _ := jpath(m, p); !reflect.DeepEqual(got, norm(want)) {
			t.Errorf("%s = %#v, want %#v", p, got, norm(want))
		}
	}
	var back Signal
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !back.CrossedAt.Equal(s.CrossedAt) || !back.FirstSeen.Equal(s.FirstSeen) || back.SignalID != s.SignalID ||
		!reflect.DeepEqual(back.DstSample, s.DstSample) {
		t.Fatalf("round trip differs: %+v", back)
	}
}
