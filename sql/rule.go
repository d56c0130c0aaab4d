package sql

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
)

//go:embed rules/*.yaml
var ruleFiles embed.FS

// DefaultRulePath is the embedded rule portsweep runs unless told otherwise.
const DefaultRulePath = "rules/internal_port_sweep.yaml"

// Rule is a threshold rule over the normalized schema, as a rule file says it.
type Rule struct {
	ID            string      `yaml:"id"`
	Name          string      `yaml:"name"`
	Version       int         `yaml:"version"`
	Description   string      `yaml:"description"`
	Conditions    []Condition `yaml:"conditions"`
	GroupBy       []string    `yaml:"group_by"`
	DistinctCount string      `yaml:"distinct_count"`
	Threshold     int         `yaml:"threshold"`
	Window        Duration    `yaml:"window"`
	Entities      []Entity    `yaml:"entities"`
	Summary       string      `yaml:"summary"`
	Severity      int         `yaml:"severity"`
	Stage         string      `yaml:"stage"`
	Tags          []string    `yaml:"tags"`
	Suppression   Duration    `yaml:"suppression"`
	Defaults      Defaults    `yaml:"defaults"`
}

// Condition is one named filter of the rule; the funnel reports drops by name.
type Condition struct {
	Name       string `yaml:"name"`
	Expression string `yaml:"expression"`
}

// Entity names a signal field that identifies something (ip, host, user).
type Entity struct {
	Field string `yaml:"field"`
	Type  string `yaml:"type"`
}

// Defaults are the rule's parameter values before flags override them.
type Defaults struct {
	RecordTypes    []string `yaml:"record_types"`
	Ports          string   `yaml:"ports"`
	ExclusionLists []string `yaml:"exclusion_lists"`
}

// Duration reads "5m", "72h" from YAML. A bad value is kept as an error
// for validation to report with the field's name.
type Duration struct {
	value time.Duration
	err   error
}

// UnmarshalText parses a Go duration string.
func (d *Duration) UnmarshalText(b []byte) error {
	d.value, d.err = time.ParseDuration(string(b))
	return nil
}

// D returns the value as a time.Duration.
func (d Duration) D() time.Duration { return d.value }

// NormalizedColumns are the columns of DESIGN §3 with their DuckDB types.
var NormalizedColumns = map[string]string{
	"timestamp": "TIMESTAMP", "objectType": "VARCHAR",
	"srcDevice_ip": "VARCHAR", "dstDevice_ip": "VARCHAR",
	"srcDevice_ip_isInternal": "BOOLEAN", "dstDevice_ip_isInternal": "BOOLEAN",
	"srcPort": "INTEGER", "dstPort": "INTEGER", "ipProtocol": "VARCHAR",
	"srcDevice_hostname": "VARCHAR", "user_username": "VARCHAR",
	"listMatches": "VARCHAR[]", "success": "BOOLEAN",
	"metadata_vendor": "VARCHAR", "metadata_product": "VARCHAR", "metadata_deviceEventId": "VARCHAR",
}

var (
	identPattern       = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	placeholderPattern = regexp.MustCompile(`\{\{\s*([A-Za-z_]+)\s*\}\}`)
)

// LoadRule reads a rule file; an empty path means the embedded default.
func LoadRule(path string, readFile func(string) ([]byte, error)) (*Rule, error) {
	var data []byte
	var err error
	if path == "" {
		path = DefaultRulePath
		data, err = ruleFiles.ReadFile(DefaultRulePath)
	} else {
		data, err = readFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("read rule %s: %w", path, err)
	}
	r, err := ParseRule(data)
	if err != nil {
		return nil, fmt.Errorf("rule %s: %w", path, err)
	}
	return r, nil
}

// ParseRule decodes and validates a rule; unknown fields are errors.
func ParseRule(data []byte) (*Rule, error) {
	var r Rule
	dec := yaml.NewDecoder(bytes.NewReader(data), yaml.DisallowUnknownField())
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("decode: %s", yaml.FormatError(err, false, true))
	}
	if err := r.validate(); err != nil {
		return nil, err
	}
	return &r, nil
}

// FieldError names the rule field that is wrong.
type FieldError struct {
	Field string
	Msg   string
}

func (e *FieldError) Error() string { return fmt.Sprintf("field %s: %s", e.Field, e.Msg) }

func fieldErr(field, format string, args ...any) error {
	return &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

var knownParameters = map[string]bool{"record_types": true, "ports": true, "exclusion_lists": true}

func (r *Rule) validate() error {
	if r.ID == "" || !regexp.MustCompile(`^[A-Za-z0-9_.-]+$`).MatchString(r.ID) {
		return fieldErr("id", "must be non-empty letters, digits, '-', '_' or '.', got %q", r.ID)
	}
	if r.Name == "" {
		return fieldErr("name", "must not be empty")
	}
	if len(r.Conditions) == 0 || len(r.Conditions) > 200 {
		return fieldErr("conditions", "must list 1 to 200 conditions, got %d", len(r.Conditions))
	}
	seen := map[string]bool{}
	for i, c := range r.Conditions {
		f := fmt.Sprintf("conditions[%d]", i)
		if !identPattern.MatchString(c.Name) || seen[c.Name] {
			return fieldErr(f+".name", "must be a unique identifier, got %q", c.Name)
		}
		seen[c.Name] = true
		if strings.TrimSpace(c.Expression) == "" {
			return fieldErr(f+".expression", "must not be empty")
		}
		if strings.ContainsAny(c.Expression, ";") || strings.Contains(c.Expression, "--") || strings.Contains(c.Expression, "/*") {
			return fieldErr(f+".expression", "must be a single expression without ';' or comments")
		}
		for _, m := range placeholderPattern.FindAllStringSubmatch(c.Expression, -1) {
			if !knownParameters[m[1]] {
				return fieldErr(f+".expression", "unknown parameter {{%s}}", m[1])
			}
		}
	}
	// Detection keeps the second key as an INTEGER (the work table's grp).
	if len(r.GroupBy) != 2 || r.GroupBy[0] != "srcDevice_ip" || NormalizedColumns[r.GroupBy[1]] != "INTEGER" {
		return fieldErr("group_by", "must be [srcDevice_ip, <integer normalized column: srcPort or dstPort>], got %v", r.GroupBy)
	}
	if r.DistinctCount != "dstDevice_ip" && r.DistinctCount != "srcDevice_ip" {
		return fieldErr("distinct_count", "must be an address column, got %q", r.DistinctCount)
	}
	if r.Threshold < 1 {
		return fieldErr("threshold", "must be at least 1, got %d", r.Threshold)
	}
	if r.Window.err != nil || r.Window.D() <= 0 {
		return fieldErr("window", "must be a positive duration such as 5m")
	}
	for i, e := range r.Entities {
		if NormalizedColumns[e.Field] == "" {
			return fieldErr(fmt.Sprintf("entities[%d].field", i), "unknown column %q", e.Field)
		}
		if !strings.HasPrefix(e.Type, "_") {
			return fieldErr(fmt.Sprintf("entities[%d].type", i), "must start with '_', got %q", e.Type)
		}
	}
	if r.Summary == "" {
		return fieldErr("summary", "must not be empty")
	}
	if r.Suppression.err != nil || r.Suppression.D() < 0 {
		return fieldErr("suppression", "must be a duration such as 72h")
	}
	if _, err := ParsePorts(r.Defaults.Ports); err != nil {
		return fieldErr("defaults.ports", "%v", err)
	}
	for _, t := range r.Defaults.RecordTypes {
		if !identPattern.MatchString(t) {
			return fieldErr("defaults.record_types", "invalid record type %q", t)
		}
	}
	for _, l := range r.Defaults.ExclusionLists {
		if !identPattern.MatchString(l) {
			return fieldErr("defaults.exclusion_lists", "invalid list name %q", l)
		}
	}
	return nil
}

// ErrInvalidParameter wraps every rejected parameter value.
var ErrInvalidParameter = errors.New("invalid parameter")
