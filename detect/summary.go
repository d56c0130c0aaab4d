package detect

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/portsweep/portsweep/loader"
)

// Summary is a run's funnel (the --summary file; other tools read its keys).
type Summary struct {
	RunID              string                         `json:"run_id"`
	Mode               string                         `json:"mode"`
	RecordsRead        int64                          `json:"records_read"`
	RecordsSkipped     int64                          `json:"records_skipped"`
	RecordsRejected    int64                          `json:"records_rejected"`
	RecordsLate        int64                          `json:"records_late"`
	RecordsQualifying  int64                          `json:"records_qualifying"`
	Groups             int64                          `json:"groups"`
	Episodes           int64                          `json:"episodes"`
	Signals            int64                          `json:"signals"`
	Suppressed         int64                          `json:"suppressed"`
	RejectedByReason   map[string]int64               `json:"rejected_by_reason"`
	DroppedByCondition map[string]int64               `json:"dropped_by_condition"`
	ExcludedByList     map[string]int64               `json:"excluded_by_list"`
	SkippedByReason    map[string]int64               `json:"skipped_by_reason"`
	Formats            map[string]*loader.FormatStats `json:"formats"`
	Inputs             []InputSummary                 `json:"inputs"`
	Conditions         []string                       `json:"conditions"`
}

// InputSummary is one input's line in the summary.
type InputSummary struct {
	Path    string `json:"path"`
	Format  string `json:"format"`
	Records int64  `json:"records"`
	Status  string `json:"status"`
	Error   string `json:"error,omitempty"`
}

func newSummary(runID, mode string) *Summary {
	return &Summary{
		RunID: runID, Mode: mode,
		RejectedByReason: map[string]int64{}, DroppedByCondition: map[string]int64{},
		ExcludedByList: map[string]int64{}, SkippedByReason: map[string]int64{},
		Formats: map[string]*loader.FormatStats{},
	}
}

// Print writes the funnel for a person, in the rule's order.
func (s *Summary) Print(w io.Writer) {
	fmt.Fprintf(w, "portsweep %s %s\n", s.Mode, s.RunID)
	for _, in := range s.Inputs {
		line := fmt.Sprintf("  input %s: %s, %d records", in.Path, in.Format, in.Records)
		if in.Error != "" {
			line += " — FAILED: " + in.Error
		}
		fmt.Fprintln(w, line)
	}
	for _, name := range sortedKeys(s.Formats) {
		f := s.Formats[name]
		fmt.Fprintf(w, "  format %-20s read %d, connections %d, skipped %d, quarantined %d\n", name, f.Read, f.Connections, f.Skipped, f.Quarantined)
	}
	row := func(label string, n int64, extra string) {
		fmt.Fprintf(w, "  %-32s%10d%s\n", label, n, extra)
	}
	row("records read", s.RecordsRead, "")
	row("skipped (not connections)", s.RecordsSkipped, "")
	row("rejected", s.RecordsRejected, inline(s.RejectedByReason))
	if s.RecordsLate > 0 || s.Mode != "detect" {
		row("late", s.RecordsLate, "")
	}
	for _, c := range s.Conditions {
		extra := ""
		if c == "match_lists" {
			extra = inline(s.ExcludedByList)
		}
		row("dropped by "+c, s.DroppedByCondition[c], extra)
	}
	row("qualifying", s.RecordsQualifying, "")
	row("groups", s.Groups, "")
	row("episodes", s.Episodes, "")
	row("signals", s.Signals, fmt.Sprintf(" (suppressed %d)", s.Suppressed))
}

func inline(m map[string]int64) string {
	if len(m) == 0 {
		return ""
	}
	parts := make([]string, 0, len(m))
	for _, k := range sortedKeys(m) {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	return "  (" + strings.Join(parts, ", ") + ")"
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
