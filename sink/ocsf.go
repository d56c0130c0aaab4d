package sink

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
)

// NativeBody is the webhook body in portsweep's own format: the Signal's JSON
// object, byte for byte the line WriteJSONLines writes (without the newline).
func NativeBody(s Signal) ([]byte, error) {
	return encodeJSON(s)
}

// OCSF Detection Finding constants (OCSF 1.1.0).
const (
	OCSFVersion = "1.1.0"

	ocsfCategoryUID = 2    // Findings
	ocsfClassUID    = 2004 // Detection Finding
	ocsfActivityID  = 1    // Create
	ocsfTypeUID     = ocsfClassUID*100 + ocsfActivityID
	ocsfStatusID    = 1 // New
	ocsfAnalyticID  = 1 // Rule

	// maxOCSFDestinations bounds the per-destination evidences (the
	// detector already bounds dst_sample; this keeps the body bounded even
	// if it did not).
	maxOCSFDestinations = 100
)

// OCSFSeverity maps a signal severity (Sumo Logic Cloud SIEM scale, 0–10) to
// an OCSF severity_id and its caption:
//
//	≤0 → 0 Unknown
//	 1 → 1 Informational   (the Internal Port Sweep rule's severity)
//	2–3 → 2 Low
//	4–6 → 3 Medium
//	7–8 → 4 High
//	≥9 → 5 Critical
//
// The bands follow Sumo's own Low/Medium/High/Critical reading of the 0–10
// scale, with 1 set apart as Informational. OCSF's 6 Fatal is never used: a
// detection does not report the detector's own failure.
func OCSFSeverity(severity int) (int, string) {
	switch {
	case severity <= 0:
		return 0, "Unknown"
	case severity == 1:
		return 1, "Informational"
	case severity <= 3:
		return 2, "Low"
	case severity <= 6:
		return 3, "Medium"
	case severity <= 8:
		return 4, "High"
	default:
		return 5, "Critical"
	}
}

// mitreNames names the ATT&CK ids a port sweep rule is likely to carry. Ids not
// listed are sent with their uid only.
var mitreNames = map[string]string{
	"TA0007":    "Discovery",
	"TA0008":    "Lateral Movement",
	"TA0043":    "Reconnaissance",
	"T1018":     "Remote System Discovery",
	"T1046":     "Network Service Discovery",
	"T1595":     "Active Scanning",
	"T1595.001": "Scanning IP Blocks",
	"T1595.002": "Vulnerability Scanning",
	"T1595.003": "Wordlist Scanning",
}

const (
	tagTactic    = "_mitreAttackTactic:"
	tagTechnique = "_mitreAttackTechnique:"
)

type ocsfFinding struct {
	ActivityID   int            `json:"activity_id"`
	ActivityName string         `json:"activity_name"`
	CategoryUID  int            `json:"category_uid"`
	CategoryName string         `json:"category_name"`
	ClassUID     int            `json:"class_uid"`
	ClassName    string         `json:"class_name"`
	TypeUID      int            `json:"type_uid"`
	TypeName     string         `json:"type_name"`
	SeverityID   int            `json:"severity_id"`
	Severity     string         `json:"severity"`
	StatusID     int            `json:"status_id"`
	Status       string         `json:"status"`
	Time         int64          `json:"time"`
	StartTime    int64          `json:"start_time"`
	EndTime      int64          `json:"end_time"`
	Count        int64          `json:"count"`
	Message      string         `json:"message"`
	Metadata     ocsfMetadata   `json:"metadata"`
	FindingInfo  ocsfFindingInf `json:"finding_info"`
	Evidences    []ocsfEvidence `json:"evidences"`
	Unmapped     ocsfUnmapped   `json:"unmapped"`
}

type ocsfMetadata struct {
	Version string      `json:"version"`
	UID     string      `json:"uid"`
	Product ocsfProduct `json:"product"`
}

type ocsfProduct struct {
	Name       string `json:"name"`
	VendorName string `json:"vendor_name"`
}

type ocsfFindingInf struct {
	UID           string       `json:"uid"`
	Title         string       `json:"title"`
	Desc          string       `json:"desc"`
	Types         []string     `json:"types"`
	FirstSeenTime int64        `json:"first_seen_time"`
	LastSeenTime  int64        `json:"last_seen_time"`
	Analytic      ocsfAnalytic `json:"analytic"`
	Attacks       []ocsfAttack `json:"attacks,omitempty"`
}

type ocsfAnalytic struct {
	UID     string `json:"uid"`
	Name    string `json:"name"`
	TypeID  int    `json:"type_id"`
	Type    string `json:"type"`
	Version string `json:"version,omitempty"`
}

type ocsfAttack struct {
	Tactic       *ocsfNamed `json:"tactic,omitempty"`
	Technique    *ocsfNamed `json:"technique,omitempty"`
	SubTechnique *ocsfNamed `json:"sub_technique,omitempty"`
}

type ocsfNamed struct {
	UID  string `json:"uid"`
	Name string `json:"name,omitempty"`
}

type ocsfEvidence struct {
	Actor       *ocsfActor    `json:"actor,omitempty"`
	SrcEndpoint *ocsfEndpoint `json:"src_endpoint,omitempty"`
	DstEndpoint *ocsfEndpoint `json:"dst_endpoint,omitempty"`
	Data        *ocsfSweep    `json:"data,omitempty"`
}

type ocsfActor struct {
	User ocsfUser `json:"user"`
}

type ocsfUser struct {
	Name string `json:"name"`
}

type ocsfEndpoint struct {
	IP       string `json:"ip,omitempty"`
	Hostname string `json:"hostname,omitempty"`
	Port     int32  `json:"port,omitempty"`
}

// ocsfSweep is the aggregate evidence that has no OCSF attribute of its own.
type ocsfSweep struct {
	DstPort          int32      `json:"dst_port"`
	DstSample        []string   `json:"dst_sample"`
	DistinctDstCount int64      `json:"distinct_dst_count"`
	RecordCount      int64      `json:"record_count"`
	Window           ocsfWindow `json:"window"`
}

type ocsfWindow struct {
	StartTime int64 `json:"start_time"`
	EndTime   int64 `json:"end_time"`
}

type ocsfUnmapped struct {
	Stage            string   `json:"stage"`
	Tags             []string `json:"tags"`
	Entities         []Entity `json:"entities"`
	Suppressed       bool     `json:"suppressed"`
	SuppressedReason string   `json:"suppressed_reason,omitempty"`
	SQLHash          string   `json:"sql_hash,omitempty"`
}

// OCSFBody is the webhook body as an OCSF 1.1.0 Detection Finding
// (class_uid 2004, activity Create, type_uid 200401, status New).
//
// Mapping:
//   - time = crossed_at; start_time/first_seen_time = first_seen;
//     end_time/last_seen_time = crossed_at (all epoch milliseconds);
//     count = record_count; message = summary.
//   - severity_id from severity, see OCSFSeverity.
//   - metadata: version 1.1.0, product portsweep/portsweep, uid = signal_id.
//   - finding_info: uid = signal_id, title = name, desc = summary,
//     types ["Internal Port Sweep"], analytic {uid rule_id, name, type Rule,
//     version rule_version}, attacks from the tags (see ocsfAttacks).
//   - evidences[0] is the sweep as a whole: src_endpoint {ip, hostname},
//     actor.user.name (when known), and data {dst_port, dst_sample,
//     distinct_dst_count, record_count, window {start_time, end_time}}.
//     It has no dst_endpoint: OCSF requires an endpoint to name a host (at
//     least one of ip, hostname, …), and a sweep has many. Instead
//     evidences[1..] hold one {src_endpoint {ip}, dst_endpoint {ip, port}}
//     per sampled destination (at most 100), so that a SIEM can search
//     findings by destination IP with the ordinary OCSF paths.
//   - unmapped: stage, tags, entities, suppressed, suppressed_reason, sql_hash.
func OCSFBody(s Signal) ([]byte, error) {
	sevID, sev := OCSFSeverity(s.Severity)
	first, crossed := s.FirstSeen.UnixMilli(), s.CrossedAt.UnixMilli()
	title := s.Name
	if title == "" {
		title = "Internal Port Sweep"
	}
	var version string
	if s.RuleVersion != 0 {
		version = strconv.Itoa(s.RuleVersion)
	}
	sample := s.DstSample
	if sample == nil {
		sample = []string{}
	}
	sweep := ocsfEvidence{
		SrcEndpoint: &ocsfEndpoint{IP: s.SrcDeviceIP, Hostname: s.SrcHostname},
		Data: &ocsfSweep{
			DstPort:          s.DstPort,
			DstSample:        sample,
			DistinctDstCount: s.DistinctDstCount,
			RecordCount:      s.RecordCount,
			Window:           ocsfWindow{StartTime: first, EndTime: crossed},
		},
	}
	if s.Username != "" {
		sweep.Actor = &ocsfActor{User: ocsfUser{Name: s.Username}}
	}
	evidences := []ocsfEvidence{sweep}
	for i, dst := range sample {
		if i == maxOCSFDestinations {
			break
		}
		evidences = append(evidences, ocsfEvidence{
			SrcEndpoint: &ocsfEndpoint{IP: s.SrcDeviceIP},
			DstEndpoint: &ocsfEndpoint{IP: dst, Port: s.DstPort},
		})
	}
	tags := s.Tags
	if tags == nil {
		tags = []string{}
	}
	entities := s.Entities
	if entities == nil {
		entities = []Entity{}
	}
	f := ocsfFinding{
		ActivityID:   ocsfActivityID,
		ActivityName: "Create",
		CategoryUID:  ocsfCategoryUID,
		CategoryName: "Findings",
		ClassUID:     ocsfClassUID,
		ClassName:    "Detection Finding",
		TypeUID:      ocsfTypeUID,
		TypeName:     "Detection Finding: Create",
		SeverityID:   sevID,
		Severity:     sev,
		StatusID:     ocsfStatusID,
		Status:       "New",
		Time:         crossed,
		StartTime:    first,
		EndTime:      crossed,
		Count:        s.RecordCount,
		Message:      s.Summary,
		Metadata: ocsfMetadata{
			Version: OCSFVersion,
			UID:     s.SignalID,
			Product: ocsfProduct{Name: "portsweep", VendorName: "portsweep"},
		},
		FindingInfo: ocsfFindingInf{
			UID:           s.SignalID,
			Title:         title,
			Desc:          s.Summary,
			Types:         []string{"Internal Port Sweep"},
			FirstSeenTime: first,
			LastSeenTime:  crossed,
			Analytic: ocsfAnalytic{
				UID:     s.RuleID,
				Name:    s.Name,
				TypeID:  ocsfAnalyticID,
				Type:    "Rule",
				Version: version,
			},
			Attacks: ocsfAttacks(s.Tags),
		},
		Evidences: evidences,
		Unmapped: ocsfUnmapped{
			Stage:            s.Stage,
			Tags:             tags,
			Entities:         entities,
			Suppressed:       s.Suppressed,
			SuppressedReason: s.SuppressedReason,
			SQLHash:          s.SQLHash,
		},
	}
	return encodeJSON(f)
}

// ocsfAttacks turns `_mitreAttackTactic:X` and `_mitreAttackTechnique:Y` tags
// into OCSF attack objects: one per technique tag, in tag order, each carrying
// the rule's first tactic (the rule files its techniques under it). A
// sub-technique (an id with a dot, T1595.001) goes in sub_technique with its
// parent (T1595) as technique. Tactics beyond the first, or tactics of a rule
// without techniques, get an entry of their own. Duplicate tags are dropped;
// known ids get their ATT&CK name (mitreNames), others only a uid.
func ocsfAttacks(tags []string) []ocsfAttack {
	var tactics, techniques []string
	seen := map[string]bool{}
	for _, t := range tags {
		var id string
		var list *[]string
		switch {
		case strings.HasPrefix(t, tagTactic):
			id, list = strings.TrimSpace(strings.TrimPrefix(t, tagTactic)), &tactics
		case strings.HasPrefix(t, tagTechnique):
			id, list = strings.TrimSpace(strings.TrimPrefix(t, tagTechnique)), &techniques
		default:
			continue
		}
		if id == "" || seen[id] {
			continue
		}
		seen[id] = true
		*list = append(*list, id)
	}
	named := func(id string) *ocsfNamed { return &ocsfNamed{UID: id, Name: mitreNames[id]} }
	var out []ocsfAttack
	for _, tech := range techniques {
		a := ocsfAttack{}
		if len(tactics) > 0 {
			a.Tactic = named(tactics[0])
		}
		if parent, _, ok := strings.Cut(tech, "."); ok {
			a.Technique = named(parent)
			a.SubTechnique = named(tech)
		} else {
			a.Technique = named(tech)
		}
		out = append(out, a)
	}
	rest := tactics
	if len(techniques) > 0 && len(rest) > 0 {
		rest = rest[1:]
	}
	for _, tac := range rest {
		out = append(out, ocsfAttack{Tactic: named(tac)})
	}
	return out
}

// encodeJSON marshals v like WriteJSONLines does (no HTML escaping), without
// the trailing newline.
func encodeJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
