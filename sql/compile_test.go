package sql

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestDefaultRuleCompiles(t *testing.T) {
	r, err := LoadRule("", nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Resolve(r, Params{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := Compile(res)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`objectType IN ('Network')`,
		`("dstPort" BETWEEN 1 AND 1024 OR "dstPort" = 3389)`,
		`['proxy_servers', 'lan_scanner_exception_ips', 'nms_ips', 'vuln_scanners']::VARCHAR[]`,
		`lag(ts, 20 - 1) OVER (PARTITION BY entity, grp ORDER BY ts)`,
		`/ 300000000)::BIGINT AS bucket`,
		`INTERVAL 300000000 MICROSECONDS`,
	} {
		if !strings.Contains(c.Script(), want) {
			t.Errorf("compiled SQL lacks %q", want)
		}
	}
	if res.Suppression != 72*time.Hour || res.Threshold != 20 || res.Window != 5*time.Minute {
		t.Errorf("defaults: %+v", res)
	}
}

func TestParsePorts(t *testing.T) {
	tests := []struct {
		spec, want string
		wantErr    bool
	}{
		{"1-1024,3389", "1-1024,3389", false},
		{"3389, 22", "22,3389", false},
		{"all", "all", false},
		{"ALL", "all", false},
		{"0-65535", "0-65535", false},
		{"", "", true},
		{"70000", "", true},
		{"10-5", "", true},
		{"22;DROP TABLE x", "", true},
		{"1-", "", true},
	}
	for _, tt := range tests {
		p, err := ParsePorts(tt.spec)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParsePorts(%q) error %v, want error %v", tt.spec, err, tt.wantErr)
			continue
		}
		if err == nil && p.String() != tt.want {
			t.Errorf("ParsePorts(%q) = %s, want %s", tt.spec, p, tt.want)
		}
	}
}

func TestResolveRejectsUnsafeValues(t *testing.T) {
	r, _ := LoadRule("", nil)
	for name, p := range map[string]Params{
		"record type with quote": {RecordTypes: []string{"Network') OR 1=1 --"}},
		"list name with space":   {ExclusionLists: []string{"a b"}},
		"negative threshold":     {Threshold: -1},
		"sub-microsecond window": {Window: time.Nanosecond},
	} {
		if _, err := Resolve(r, p); !errors.Is(err, ErrInvalidParameter) {
			t.Errorf("%s: got %v, want ErrInvalidParameter", name, err)
		}
	}
	res, err := Resolve(r, Params{Suppression: time.Minute})
	if err != nil || res.Suppression != 5*time.Minute {
		t.Errorf("suppression shorter than the window must be raised to it: %v %v", res.Suppression, err)
	}
}

func TestBadRuleNamesTheField(t *testing.T) {
	base, err := ruleFiles.ReadFile(DefaultRulePath)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, from, to, field string }{
		{"threshold", "threshold: 20", "threshold: 0", "threshold"},
		{"window", "window: 5m", "window: soon", "window"},
		{"unknown field", "severity: 1", "severity: 1\nseverty: 2", "severty"},
		{"group_by", "group_by: [srcDevice_ip, dstPort]", "group_by: [dstPort]", "group_by"},
		{"group_by text column", "group_by: [srcDevice_ip, dstPort]", "group_by: [srcDevice_ip, ipProtocol]", "group_by"},
		{"unknown parameter", "{{record_types}}", "{{record_kinds}}", "conditions[0].expression"},
		{"statement in expression", "NOT list_has_any", "1; DROP TABLE x; NOT list_has_any", "conditions[3].expression"},
		{"ports default", `ports: "1-1024,3389"`, `ports: "x"`, "defaults.ports"},
		{"entity field", "field: user_username", "field: username", "entities[2].field"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := strings.Replace(string(base), tt.from, tt.to, 1)
			if text == string(base) {
				t.Fatalf("test edit %q not applied", tt.from)
			}
			_, err := ParseRule([]byte(text))
			if err == nil || !strings.Contains(err.Error(), tt.field) {
				t.Errorf("got %v, want an error naming %q", err, tt.field)
			}
		})
	}
}
