package detect

import (
	"context"
	"fmt"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/portsweep/portsweep/sink"
)

// signalColumns are the signals table's columns in sink.Signal order.
const signalColumns = `signal_id, rule_id, name, summary, severity, stage, tags, srcDevice_ip, dstPort,
	srcDevice_hostname, user_username, entities, first_seen, crossed_at, distinct_dst_count, dst_sample,
	record_count, suppressed, suppressed_reason, rule_version, sql_hash`

// querySignals reads signals; where is a fixed clause written in this
// package, never user text.
func (s *Store) querySignals(ctx context.Context, where string, args ...any) ([]sink.Signal, error) {
	rows, err := s.DB.QueryContext(ctx, `SELECT `+signalColumns+` FROM signal_log `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("read signals: %w", err)
	}
	defer rows.Close()
	var out []sink.Signal
	for rows.Next() {
		var sg sink.Signal
		var tags, sample duckdb.Composite[[]string]
		var entities duckdb.Composite[[]sink.Entity]
		var severity, version int32
		if err := rows.Scan(&sg.SignalID, &sg.RuleID, &sg.Name, &sg.Summary, &severity, &sg.Stage, &tags,
			&sg.SrcDeviceIP, &sg.DstPort, &sg.SrcHostname, &sg.Username, &entities, &sg.FirstSeen, &sg.CrossedAt,
			&sg.DistinctDstCount, &sample, &sg.RecordCount, &sg.Suppressed, &sg.SuppressedReason, &version, &sg.SQLHash); err != nil {
			return nil, fmt.Errorf("read signal: %w", err)
		}
		sg.Severity, sg.RuleVersion = int(severity), int(version)
		sg.Tags, sg.DstSample, sg.Entities = tags.Get(), sample.Get(), entities.Get()
		sg.FirstSeen, sg.CrossedAt = sg.FirstSeen.UTC(), sg.CrossedAt.UTC()
		out = append(out, sg)
	}
	return out, rows.Err()
}

// StatefulSignals returns every signal of stateful runs in crossing order.
func (s *Store) StatefulSignals(ctx context.Context) ([]sink.Signal, error) {
	return s.querySignals(ctx, `WHERE stateful ORDER BY crossed_at, srcDevice_ip, dstPort`)
}
