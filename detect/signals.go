package detect

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/portsweep/portsweep/sink"
	psql "github.com/portsweep/portsweep/sql"
)

// Crossing is one row of the compiled crossings query.
type Crossing struct {
	Entity           string
	Group            int32
	CrossedAt        time.Time
	FirstSeen        time.Time
	DistinctDstCount int64
	RecordCount      int64
	DstSample        []string
	Hostname         string
	Username         string
}

// SignalID is deterministic: the same rule, group and crossing time give
// the same id, however the records were batched.
func SignalID(ruleID, entity string, group int32, crossedAt time.Time) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%d\x00%s", ruleID, entity, group, crossedAt.UTC().Format(sink.TimeLayout))
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// newSignal fills a signal from the rule and a crossing; suppression is
// decided afterwards.
func newSignal(c *psql.Compiled, x Crossing) sink.Signal {
	r := c.Resolved.Rule
	s := sink.Signal{
		SignalID: SignalID(r.ID, x.Entity, x.Group, x.CrossedAt),
		RuleID:   r.ID, Name: r.Name, Severity: r.Severity, Stage: r.Stage,
		Tags:        append([]string(nil), r.Tags...),
		SrcDeviceIP: x.Entity, DstPort: x.Group,
		SrcHostname: x.Hostname, Username: x.Username,
		FirstSeen: x.FirstSeen.UTC(), CrossedAt: x.CrossedAt.UTC(),
		DistinctDstCount: x.DistinctDstCount, DstSample: x.DstSample, RecordCount: x.RecordCount,
		RuleVersion: r.Version, SQLHash: c.Hash,
	}
	values := map[string]string{
		"srcDevice_ip": s.SrcDeviceIP, "dstPort": strconv.Itoa(int(s.DstPort)),
		"srcDevice_hostname": s.SrcHostname, "user_username": s.Username,
	}
	s.Summary = placeholder.ReplaceAllStringFunc(r.Summary, func(m string) string {
		return values[strings.Trim(m, "{} ")]
	})
	for _, e := range r.Entities {
		if v := values[e.Field]; v != "" {
			s.Entities = append(s.Entities, sink.Entity{Type: e.Type, Value: v})
		}
	}
	return s
}

// priorSignal is an earlier unsuppressed signal of an entity.
type priorSignal struct {
	ID        string
	CrossedAt time.Time
}

// suppress marks, in crossing order, each signal whose entity had an
// unsuppressed signal less than period before it (DESIGN §1): it is still
// kept, with the earlier signal's id as the reason. prior holds the last
// unsuppressed signal per entity from earlier runs and is updated.
// Signals at the same instant are ordered by port, so the lower port wins.
func suppress(signals []sink.Signal, period time.Duration, prior map[string]priorSignal) {
	sort.SliceStable(signals, func(i, j int) bool { return signalLess(signals[i], signals[j]) })
	for i := range signals {
		s := &signals[i]
		if p, ok := prior[s.SrcDeviceIP]; ok && s.CrossedAt.Sub(p.CrossedAt) < period && !s.CrossedAt.Before(p.CrossedAt) {
			s.Suppressed = true
			s.SuppressedReason = fmt.Sprintf("entity %s already had signal %s at %s, within the %s suppression period",
				s.SrcDeviceIP, p.ID, p.CrossedAt.UTC().Format(sink.TimeLayout), period)
			continue
		}
		prior[s.SrcDeviceIP] = priorSignal{ID: s.SignalID, CrossedAt: s.CrossedAt}
	}
}

func signalLess(a, b sink.Signal) bool {
	if !a.CrossedAt.Equal(b.CrossedAt) {
		return a.CrossedAt.Before(b.CrossedAt)
	}
	if a.SrcDeviceIP != b.SrcDeviceIP {
		return a.SrcDeviceIP < b.SrcDeviceIP
	}
	return a.DstPort < b.DstPort
}

var placeholder = regexp.MustCompile(`\{\{\s*[A-Za-z_]+\s*\}\}`)
