package sql

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"text/template"
)

//go:embed templates/*.sql
var templateFiles embed.FS

var templates = template.Must(template.New("").Funcs(template.FuncMap{
	"ident": quoteIdent,
	"quote": quoteString,
	"add":   func(a, b int) int { return a + b },
}).ParseFS(templateFiles, "templates/*.sql"))

// Compiled is the SQL of one resolved rule. Each statement reads and writes
// the tables named in its template; none contains a user value that was not
// validated and rendered as a literal by this package.
type Compiled struct {
	Resolved *Resolved
	// Classify creates the view enriched: batch_raw with ip_dictionary,
	// and the reject reason of every record.
	Classify string
	// Funnel counts enriched by outcome code ($1, $2: the time range; $3:
	// late before); Outcome names the codes.
	Funnel string
	// FunnelOpen and WorkOpen are Funnel and Work without time range or
	// lateness, and without parameters (detect).
	FunnelOpen, WorkOpen string
	// Crossings finds the threshold crossings over the work table, with
	// the details of each crossing window. It binds one parameter: the
	// earliest crossing time of interest.
	Crossings string
	// Work inserts the qualifying records of enriched into work ($1: late
	// before; $2, $3: the time range).
	Work string
	// Records reads every record of enriched once with its funnel code,
	// for the crossing engine in Go ($1, $2: the time range);
	// RecordsOpen is it without the range and without parameters.
	Records, RecordsOpen string
	// Hash identifies the SQL that produced a signal (sql_hash).
	Hash string

	listConditionCode int
}

// ListConditionCode is the funnel code of the condition named
// match_lists (0: the rule has none).
func (c *Compiled) ListConditionCode() int { return c.listConditionCode }

// ConditionSQL is a rule condition with its parameters rendered.
type ConditionSQL struct {
	Name string
	SQL  string
}

type templateData struct {
	Conditions     []ConditionSQL
	ExclusionLists []string
	ExclusionSQL   string
	// ListConditionCode is the funnel code of the condition named
	// match_lists, whose dropped records are counted per exclusion list.
	ListConditionCode int
	// Bounded renders the time range and lateness tests.
	Bounded        bool
	Threshold      int
	Window         string
	WindowMicros   int64
	GroupColumn    string
	DistinctColumn string
}

// Compile renders the rule's SQL.
func Compile(r *Resolved) (*Compiled, error) {
	data := templateData{
		Threshold:      r.Threshold,
		WindowMicros:   r.Window.Microseconds(),
		Window:         fmt.Sprintf("INTERVAL %d MICROSECONDS", r.Window.Microseconds()),
		GroupColumn:    r.Rule.GroupBy[1],
		DistinctColumn: r.Rule.DistinctCount,
		ExclusionLists: r.ExclusionLists,
		ExclusionSQL:   stringList(r.ExclusionLists),
	}
	params := map[string]string{
		"record_types":    "(" + strings.Join(quoteAll(r.RecordTypes), ", ") + ")",
		"ports":           portPredicate(r.Ports, quoteIdent(r.Rule.GroupBy[1])),
		"exclusion_lists": stringList(r.ExclusionLists),
	}
	for _, c := range r.Rule.Conditions {
		expr := placeholderPattern.ReplaceAllStringFunc(c.Expression, func(m string) string {
			return params[placeholderPattern.FindStringSubmatch(m)[1]]
		})
		data.Conditions = append(data.Conditions, ConditionSQL{Name: c.Name, SQL: expr})
		if c.Name == ListCondition {
			data.ListConditionCode = len(data.Conditions)
		}
	}
	if len(r.ExclusionLists) > maxExclusionLists {
		return nil, fmt.Errorf("at most %d exclusion lists, got %d", maxExclusionLists, len(r.ExclusionLists))
	}
	out := &Compiled{Resolved: r, listConditionCode: data.ListConditionCode}
	open := data
	data.Bounded = true
	for _, t := range []struct {
		name string
		data templateData
		dst  *string
	}{
		{"classify.sql", data, &out.Classify}, {"funnel.sql", data, &out.Funnel}, {"work.sql", data, &out.Work},
		{"funnel.sql", open, &out.FunnelOpen}, {"work.sql", open, &out.WorkOpen}, {"crossings.sql", data, &out.Crossings},
		{"records.sql", data, &out.Records}, {"records.sql", open, &out.RecordsOpen},
	} {
		var buf bytes.Buffer
		if err := templates.ExecuteTemplate(&buf, t.name, t.data); err != nil {
			return nil, fmt.Errorf("render %s: %w", t.name, err)
		}
		*t.dst = buf.String()
	}
	sum := sha256.Sum256([]byte(out.Script()))
	out.Hash = hex.EncodeToString(sum[:8])
	return out, nil
}

// maxExclusionLists bounds the exclusion lists: records.sql reports a
// record's lists as the bits of one UBIGINT.
const maxExclusionLists = 64

// ListCondition is the rule condition whose dropped records the funnel
// counts per exclusion list.
const ListCondition = "match_lists"

// Funnel outcome codes besides the conditions' 1..N (and N+1, a record
// outside the time range).
const (
	outcomeRejected   = 0
	OutcomeQualifying = 255
)

// Outcome names a funnel code: rejected (the row's reject_reason names
// why), the condition that dropped the record, "outside_range", or
// qualifying.
func (c *Compiled) Outcome(code int) (name string, rejected, qualifying bool) {
	conds := c.Resolved.Rule.Conditions
	switch {
	case code == outcomeRejected:
		return "", true, false
	case code == OutcomeQualifying:
		return "", false, true
	case code >= 1 && code <= len(conds):
		return conds[code-1].Name, false, false
	default:
		return "outside_range", false, false
	}
}

// Script is the whole compiled SQL, for review.
func (c *Compiled) Script() string {
	r := c.Resolved
	var b strings.Builder
	fmt.Fprintf(&b, "-- %s %s (rule version %d)\n", r.Rule.ID, r.Rule.Name, r.Rule.Version)
	fmt.Fprintf(&b, "-- threshold %d distinct %s per (%s) within %s; ports %s; record types %s; exclusion lists %s; suppression %s\n",
		r.Threshold, r.Rule.DistinctCount, strings.Join(r.Rule.GroupBy, ", "), r.Window, r.Ports,
		strings.Join(r.RecordTypes, ","), strings.Join(r.ExclusionLists, ","), r.Suppression)
	fmt.Fprintf(&b, "\n-- 1. classify\n%s\n-- 2. funnel ($1, $2 = time range; $3 = late before)\n%s\n-- 3. work ($1 = late before; $2, $3 = time range)\n%s\n-- 4. crossings ($1 = earliest crossing of interest)\n%s", c.Classify, c.Funnel, c.Work, c.Crossings)
	fmt.Fprintf(&b, "\n-- 5. records ($1, $2 = time range): the default engine (--engine go) reads them in one pass\n--    instead of 2-4 and finds the same crossings in Go (detect/engine.go)\n%s", c.Records)
	return b.String()
}

func portPredicate(p Ports, col string) string {
	if p.All {
		return col + " IS NOT NULL"
	}
	parts := make([]string, len(p.Ranges))
	for i, r := range p.Ranges {
		if r.From == r.To {
			parts[i] = fmt.Sprintf("%s = %d", col, r.From)
		} else {
			parts[i] = fmt.Sprintf("%s BETWEEN %d AND %d", col, r.From, r.To)
		}
	}
	return "(" + strings.Join(parts, " OR ") + ")"
}

// quoteString renders s as a SQL string literal.
func quoteString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = quoteString(s)
	}
	return out
}

func stringList(ss []string) string {
	return "[" + strings.Join(quoteAll(ss), ", ") + "]::VARCHAR[]"
}

// quoteIdent renders a validated column name as a quoted identifier.
func quoteIdent(s string) string { return strconv.Quote(s) }
