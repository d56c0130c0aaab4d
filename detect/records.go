package detect

import (
	"cmp"
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/portsweep/portsweep/loader"
	psql "github.com/portsweep/portsweep/sql"
)

// Engines that find the crossings.
const (
	EngineGo  = "go"  // one pass over the records, crossings in Go (engine.go)
	EngineSQL = "sql" // the compiled SQL: funnel, work table, crossings.sql
)

// analyzeInGo is the default engine's part of a step: one pass over the
// records counts the funnel and keeps the qualifying records, the carried
// tail joins them, and the engine finds the crossings.
func (a *analysis) analyzeInGo(ctx context.Context, conn *sql.Conn, sink *loader.ArrowSink, cfg *Config, st *carried, rejectedAt func() (map[string]int64, error), stage func(string)) error {
	c := cfg.Compiled
	recs, rejected, err := a.readRecords(ctx, sink, cfg, st)
	if err != nil {
		return err
	}
	if rejected > 0 {
		reasons, err := rejectedAt()
		if err != nil {
			return err
		}
		for why, n := range reasons {
			a.summary.RejectedByReason[why] += n
		}
	}
	stage("records")
	var tailRecs []record
	var tail []recordDetails
	if st.stateful {
		a.fresh = recs
		if tailRecs, tail, err = readTail(ctx, conn); err != nil {
			return err
		}
	}
	since, holdFrom, ok := a.crossingBounds(st)
	if !ok {
		return nil
	}
	r := c.Resolved
	episodes, groups := findEpisodes(append(slices.Clip(recs), tailRecs), r.Threshold, r.Window.Microseconds(), since.UnixMicro())
	a.summary.Groups = int64(groups)
	stage("crossings")
	if len(episodes) == 0 {
		a.finishSignals(c, st)
		return nil
	}
	var refs []int64
	for _, e := range episodes {
		for _, w := range e.window {
			if w.ref >= 0 {
				refs = append(refs, w.ref)
			}
		}
	}
	batch, err := lookupDetails(ctx, conn, refs)
	if err != nil {
		return err
	}
	ips, err := readIPs(ctx, conn)
	if err != nil {
		return err
	}
	details := func(ref int64) recordDetails {
		if ref < 0 {
			return tail[-ref-1]
		}
		return batch[ref]
	}
	crossings := make([]Crossing, len(episodes))
	for i, e := range episodes {
		crossings[i] = crossingOf(e, ips, details)
	}
	slices.SortFunc(crossings, func(x, y Crossing) int {
		return cmp.Or(x.CrossedAt.Compare(y.CrossedAt), cmp.Compare(x.Entity, y.Entity), cmp.Compare(x.Group, y.Group))
	})
	for _, x := range crossings {
		a.addCrossing(c, st, holdFrom, x)
	}
	a.finishSignals(c, st)
	stage("details")
	return nil
}

// readRecords reads every record once (the compiled records query): their
// funnel codes into the summary, the qualifying ones that are not late
// into the returned parts. It returns how many were rejected. While the
// reader converts one batch to Arrow, workers tally the ones before it.
func (a *analysis) readRecords(ctx context.Context, sink *loader.ArrowSink, cfg *Config, st *carried) ([][]record, int64, error) {
	c := cfg.Compiled
	query, args := c.RecordsOpen, []any(nil)
	if !st.from.IsZero() || !st.to.IsZero() {
		from, to := st.timeRange()
		query, args = c.Records, []any{from, to}
	}
	reader, err := sink.Query(ctx, query, args...)
	if err != nil {
		return nil, 0, fmt.Errorf("read records: %w", err)
	}
	defer reader.Release()
	lateBefore := int64(math.MinInt64)
	if !st.lateBefore.IsZero() {
		lateBefore = st.lateBefore.UnixMicro()
	}
	workers := runtime.GOMAXPROCS(0)
	tallies := make([]*recordTally, workers)
	batches := make(chan arrow.RecordBatch, workers)
	var wg sync.WaitGroup
	for w := range tallies {
		t := newRecordTally(len(c.Resolved.ExclusionLists), c.ListConditionCode(), lateBefore)
		tallies[w] = t
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range batches {
				t.add(b)
				b.Release()
			}
		}()
	}
	for reader.Next() {
		b := reader.RecordBatch()
		b.Retain()
		batches <- b
	}
	close(batches)
	wg.Wait()
	if err := reader.Err(); err != nil {
		return nil, 0, fmt.Errorf("read records: %w", err)
	}
	all := newRecordTally(len(c.Resolved.ExclusionLists), c.ListConditionCode(), lateBefore)
	for _, t := range tallies {
		all.merge(t)
	}
	if all.unidentified > 0 {
		cfg.log().Warn("qualifying records whose address has no id are not analysed: the rule admits external addresses, which the address dictionary leaves out",
			"records", all.unidentified)
	}
	var rejected int64
	for k, n := range all.counts {
		if n == 0 {
			continue
		}
		var late int64
		var perList []int64
		if k == psql.OutcomeQualifying {
			late = all.late
		}
		if k == all.listCode {
			perList = all.perList
		}
		rejected += a.countOutcome(c, st, k, "", n, late, perList)
	}
	if all.minTS <= all.maxTS {
		a.minTime, a.maxTime = microsToTime(all.minTS), microsToTime(all.maxTS)
	}
	return all.parts, rejected, nil
}

// recordTally is what one worker gathered from its batches of records.
type recordTally struct {
	counts             [256]int64 // records per funnel code
	late, unidentified int64
	perList            []int64 // records the list condition dropped, per exclusion list
	listCode           int
	lateBefore         int64
	minTS, maxTS       int64 // of the kept records
	parts              [][]record
}

func newRecordTally(lists, listCode int, lateBefore int64) *recordTally {
	return &recordTally{perList: make([]int64, lists), listCode: listCode, lateBefore: lateBefore, minTS: math.MaxInt64, maxTS: math.MinInt64}
}

// add tallies one batch of the records query: code, lists, entity, grp,
// dst, ts_us, ref.
func (t *recordTally) add(b arrow.RecordBatch) {
	code := b.Column(0).(*array.Uint8)
	lists := b.Column(1).(*array.Uint64)
	entity := b.Column(2).(*array.Int32)
	dst := b.Column(4).(*array.Int32)
	codes, entities, groups, dsts := code.Values(), entity.Int32Values(), b.Column(3).(*array.Int32).Int32Values(), dst.Int32Values()
	times, refs := b.Column(5).(*array.Int64).Int64Values(), b.Column(6).(*array.Int64).Int64Values()
	qualifying := 0
	for _, k := range codes {
		t.counts[k]++
		if k == psql.OutcomeQualifying {
			qualifying++
		}
	}
	if t.listCode != 0 && t.counts[t.listCode] > 0 {
		for i, k := range codes {
			if int(k) == t.listCode && lists.IsValid(i) {
				for l, bits := 0, lists.Value(i); bits != 0; l, bits = l+1, bits>>1 {
					t.perList[l] += int64(bits & 1)
				}
			}
		}
	}
	if qualifying == 0 {
		return
	}
	part := make([]record, 0, qualifying)
	for i, k := range codes {
		if k != psql.OutcomeQualifying {
			continue
		}
		ts := times[i]
		switch {
		case ts < t.lateBefore:
			t.late++
		case entity.IsNull(i) || dst.IsNull(i):
			t.unidentified++
		default:
			t.minTS, t.maxTS = min(t.minTS, ts), max(t.maxTS, ts)
			part = append(part, record{group: groupKey(entities[i], groups[i]), ts: ts, ref: refs[i], dst: dsts[i]})
		}
	}
	t.parts = append(t.parts, part)
}

func (t *recordTally) merge(o *recordTally) {
	for k, n := range o.counts {
		t.counts[k] += n
	}
	t.late += o.late
	t.unidentified += o.unidentified
	for l, n := range o.perList {
		t.perList[l] += n
	}
	t.minTS, t.maxTS = min(t.minTS, o.minTS), max(t.maxTS, o.maxTS)
	t.parts = append(t.parts, o.parts...)
}

// tailWithIDs is the carried tail with its addresses as ip_ids ids, as
// work holds records; both engines add it to the batch's records.
const tailWithIDs = `SELECT s.id AS entity, t.grp, d.id AS dst, t.ts, t.hostname, t.username
	FROM tail t JOIN ip_ids s ON s.ip = t.entity JOIN ip_ids d ON d.ip = t.dst`

// readTail reads the carried tail as records (ref -(i+1) for row i) with
// their details.
func readTail(ctx context.Context, conn *sql.Conn) ([]record, []recordDetails, error) {
	rows, err := conn.QueryContext(ctx, `SELECT entity, grp, dst, epoch_us(ts), hostname, username FROM (`+tailWithIDs+`)`)
	if err != nil {
		return nil, nil, fmt.Errorf("load the tail: %w", err)
	}
	defer rows.Close()
	var recs []record
	var details []recordDetails
	for rows.Next() {
		var entity, grp, dst int32
		var ts int64
		var d recordDetails
		if err := rows.Scan(&entity, &grp, &dst, &ts, &d.hostname, &d.username); err != nil {
			return nil, nil, fmt.Errorf("load the tail: %w", err)
		}
		details = append(details, d)
		recs = append(recs, record{group: groupKey(entity, grp), ts: ts, ref: -int64(len(details)), dst: dst})
	}
	return recs, details, rows.Err()
}

// lookupDetails returns the hostname and user name of the batch records
// refs names that have either; the others have none.
func lookupDetails(ctx context.Context, conn *sql.Conn, refs []int64) (map[int64]recordDetails, error) {
	out := map[int64]recordDetails{}
	if len(refs) == 0 {
		return out, nil
	}
	slices.Sort(refs)
	refs = slices.Compact(refs)
	if _, err := conn.ExecContext(ctx, `CREATE OR REPLACE TEMP TABLE detail_refs (ref BIGINT)`); err != nil {
		return nil, fmt.Errorf("look up record details: %w", err)
	}
	err := appendRows(conn, "detail_refs", len(refs), func(i int) []driver.Value { return []driver.Value{refs[i]} })
	if err != nil {
		return nil, fmt.Errorf("look up record details: %w", err)
	}
	rows, err := conn.QueryContext(ctx, `SELECT (b.input_id::BIGINT << 40) | b.record_no, coalesce(b.srcDevice_hostname, ''), coalesce(b.user_username, '')
		FROM batch_raw b SEMI JOIN detail_refs d ON (b.input_id::BIGINT << 40) | b.record_no = d.ref
		WHERE b.srcDevice_hostname <> '' OR b.user_username <> ''`)
	if err != nil {
		return nil, fmt.Errorf("look up record details: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var ref int64
		var d recordDetails
		if err := rows.Scan(&ref, &d.hostname, &d.username); err != nil {
			return nil, fmt.Errorf("look up record details: %w", err)
		}
		out[ref] = d
	}
	return out, rows.Err()
}

// readIPs returns the address text of each id of ip_ids.
func readIPs(ctx context.Context, conn *sql.Conn) ([]string, error) {
	rows, err := conn.QueryContext(ctx, `SELECT id, ip FROM ip_ids ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("read address ids: %w", err)
	}
	defer rows.Close()
	var ips []string
	for rows.Next() {
		var id int32
		var ip string
		if err := rows.Scan(&id, &ip); err != nil {
			return nil, err
		}
		for int(id) >= len(ips) {
			ips = append(ips, "")
		}
		ips[id] = ip
	}
	return ips, rows.Err()
}

// stageFresh writes the new records at or after horizon, with their
// details, to the temporary table fresh, from which a stateful run
// extends the tail.
func (a *analysis) stageFresh(ctx context.Context, conn *sql.Conn, horizon time.Time) error {
	if _, err := conn.ExecContext(ctx, `CREATE OR REPLACE TEMP TABLE fresh (entity INTEGER, grp INTEGER, dst INTEGER, ts TIMESTAMP, hostname VARCHAR, username VARCHAR)`); err != nil {
		return fmt.Errorf("keep new records: %w", err)
	}
	h := horizon.UnixMicro()
	var keep []record
	var refs []int64
	for _, part := range a.fresh {
		for _, r := range part {
			if r.ts >= h {
				keep = append(keep, r)
				refs = append(refs, r.ref)
			}
		}
	}
	if len(keep) == 0 {
		return nil
	}
	details, err := lookupDetails(ctx, conn, refs)
	if err != nil {
		return err
	}
	err = appendRows(conn, "fresh", len(keep), func(i int) []driver.Value {
		r := keep[i]
		d := details[r.ref]
		return []driver.Value{r.entity(), r.grp(), r.dst, microsToTime(r.ts), d.hostname, d.username}
	})
	if err != nil {
		return fmt.Errorf("keep new records: %w", err)
	}
	return nil
}

// appendRows appends n rows to a temporary table through DuckDB's
// Appender, inside Raw, where no database/sql statement may run on this
// connection (DESIGN §5); none does.
func appendRows(conn *sql.Conn, table string, n int, row func(i int) []driver.Value) error {
	return conn.Raw(func(dc any) error {
		app, err := duckdb.NewAppender(dc.(driver.Conn), "temp", "main", table)
		if err != nil {
			return err
		}
		for i := 0; i < n; i++ {
			if err := app.AppendRow(row(i)...); err != nil {
				app.Close()
				return err
			}
		}
		return app.Close()
	})
}
