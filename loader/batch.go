//go:build duckdb_arrow

package loader

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	duckdb "github.com/duckdb/duckdb-go/v2"
)

// RawView is the temporary view of a batch as loaded, before enrichment:
// the normalized columns plus where each record came from. It unites
// ParsedTable (what Go parsed, inserted through Arrow) with the normalized
// Parquet inputs, which DuckDB reads in place.
const RawView = "batch_raw"

// ParsedTable holds the records Go parsed.
const ParsedTable = "batch_parsed"

const createParsedTable = `CREATE OR REPLACE TEMP TABLE batch_parsed (
	"timestamp" TIMESTAMP,
	objectType VARCHAR,
	srcDevice_ip VARCHAR,
	dstDevice_ip VARCHAR,
	srcDevice_ip_isInternal BOOLEAN,
	dstDevice_ip_isInternal BOOLEAN,
	srcPort INTEGER,
	dstPort INTEGER,
	ipProtocol VARCHAR,
	srcDevice_hostname VARCHAR,
	user_username VARCHAR,
	listMatches VARCHAR[],
	success BOOLEAN,
	metadata_vendor VARCHAR,
	metadata_product VARCHAR,
	metadata_deviceEventId VARCHAR,
	input_id INTEGER,
	row_no BIGINT,
	record_no BIGINT
)`

// rawSchema is the Arrow form of batch_parsed, column for column.
var rawSchema = arrow.NewSchema([]arrow.Field{
	{Name: "timestamp", Type: &arrow.TimestampType{Unit: arrow.Microsecond}, Nullable: true},
	{Name: "objectType", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "srcDevice_ip", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "dstDevice_ip", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "srcDevice_ip_isInternal", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
	{Name: "dstDevice_ip_isInternal", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
	{Name: "srcPort", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	{Name: "dstPort", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	{Name: "ipProtocol", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "srcDevice_hostname", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "user_username", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "listMatches", Type: arrow.ListOf(arrow.BinaryTypes.String), Nullable: true},
	{Name: "success", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
	{Name: "metadata_vendor", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "metadata_product", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "metadata_deviceEventId", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "input_id", Type: arrow.PrimitiveTypes.Int32, Nullable: false},
	{Name: "row_no", Type: arrow.PrimitiveTypes.Int64, Nullable: false},
	{Name: "record_no", Type: arrow.PrimitiveTypes.Int64, Nullable: false},
}, nil)

// arrowRowsPerBatch is how many records one Arrow record batch holds.
const arrowRowsPerBatch = 64 << 10

// ArrowSink turns Records into Arrow record batches and inserts them into
// batch_parsed through the binding's Arrow interface.
type ArrowSink struct {
	conn    *sql.Conn
	arrow   *duckdb.Arrow
	builder *array.RecordBuilder
	rows    int
}

var viewSeq atomic.Int64

// NewArrowSink prepares conn (which must stay reserved for this sink's
// lifetime) to receive Arrow batches into a fresh batch_parsed.
func NewArrowSink(ctx context.Context, conn *sql.Conn) (*ArrowSink, error) {
	if _, err := conn.ExecContext(ctx, createParsedTable); err != nil {
		return nil, fmt.Errorf("create %s: %w", ParsedTable, err)
	}
	s := &ArrowSink{conn: conn, builder: array.NewRecordBuilder(memory.DefaultAllocator, rawSchema)}
	// The Arrow handle is taken inside Raw but used outside it: statements
	// run on the connection from inside Raw deadlock (DESIGN §5).
	err := conn.Raw(func(dc any) error {
		a, err := duckdb.NewArrowFromConn(dc.(driver.Conn))
		s.arrow = a
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("open the Arrow interface: %w", err)
	}
	return s, nil
}

// Append adds one record from input inputID at position rowNo (its line
// or row, which several records of one line share) as the recordNo-th
// record of that input (unique within it).
func (s *ArrowSink) Append(ctx context.Context, r *Record, inputID int32, rowNo, recordNo int64) error {
	b := s.builder
	ts := b.Field(0).(*array.TimestampBuilder)
	if r.Time.IsZero() {
		ts.AppendNull()
	} else {
		ts.Append(arrow.Timestamp(r.Time.UnixMicro()))
	}
	appendString(b.Field(1), r.ObjectType)
	appendString(b.Field(2), r.SrcIP)
	appendString(b.Field(3), r.DstIP)
	appendBool(b.Field(4), r.SrcIsInternal)
	appendBool(b.Field(5), r.DstIsInternal)
	appendInt32(b.Field(6), r.SrcPort)
	appendInt32(b.Field(7), r.DstPort)
	appendString(b.Field(8), r.IPProtocol)
	appendString(b.Field(9), r.SrcHostname)
	appendString(b.Field(10), r.Username)
	lb := b.Field(11).(*array.ListBuilder)
	if len(r.ListMatches) == 0 {
		lb.AppendNull()
	} else {
		lb.Append(true)
		vb := lb.ValueBuilder().(*array.StringBuilder)
		for _, m := range r.ListMatches {
			vb.Append(m)
		}
	}
	appendBool(b.Field(12), r.Success)
	appendString(b.Field(13), r.Vendor)
	appendString(b.Field(14), r.Product)
	appendString(b.Field(15), r.DeviceEventID)
	b.Field(16).(*array.Int32Builder).Append(inputID)
	b.Field(17).(*array.Int64Builder).Append(rowNo)
	b.Field(18).(*array.Int64Builder).Append(recordNo)
	s.rows++
	if s.rows >= arrowRowsPerBatch {
		return s.Flush(ctx)
	}
	return nil
}

// Flush inserts the records appended so far.
func (s *ArrowSink) Flush(ctx context.Context) error {
	if s.rows == 0 {
		return nil
	}
	rec := s.builder.NewRecordBatch()
	defer rec.Release()
	s.rows = 0
	reader, err := array.NewRecordReader(rawSchema, []arrow.RecordBatch{rec})
	if err != nil {
		return err
	}
	defer reader.Release()
	return s.InsertReader(ctx, reader, ParsedTable)
}

// InsertReader inserts every batch of reader into table, whose columns
// must match the reader's schema in order.
func (s *ArrowSink) InsertReader(ctx context.Context, reader array.RecordReader, table string) error {
	view := fmt.Sprintf("arrow_in_%d", viewSeq.Add(1))
	release, err := s.arrow.RegisterView(reader, view)
	if err != nil {
		return fmt.Errorf("register Arrow batch: %w", err)
	}
	defer release()
	// The view can be read once only (DESIGN §5): insert straight from it.
	if _, err := s.conn.ExecContext(ctx, "INSERT INTO "+table+" SELECT * FROM "+view); err != nil {
		return fmt.Errorf("insert Arrow batch into %s: %w", table, err)
	}
	_, err = s.conn.ExecContext(ctx, "DROP VIEW IF EXISTS "+view)
	return err
}

// Close releases the builder.
func (s *ArrowSink) Close() { s.builder.Release() }

// Query runs a query on the sink's connection and returns its result as
// Arrow record batches: columns of fixed-width values cross into Go without
// a conversion per value.
func (s *ArrowSink) Query(ctx context.Context, query string, args ...any) (array.RecordReader, error) {
	return s.arrow.QueryContext(ctx, query, args...)
}

func appendString(b array.Builder, v string) {
	sb := b.(*array.StringBuilder)
	if v == "" {
		sb.AppendNull()
	} else {
		sb.Append(v)
	}
}

func appendBool(b array.Builder, v NullBool) {
	bb := b.(*array.BooleanBuilder)
	if v.Valid {
		bb.Append(v.V)
	} else {
		bb.AppendNull()
	}
}

func appendInt32(b array.Builder, v NullInt32) {
	ib := b.(*array.Int32Builder)
	if v.Valid {
		ib.Append(v.V)
	} else {
		ib.AppendNull()
	}
}

// DictionaryTable maps the address texts of the batch that need more than
// their text to be classified: those that are not IP addresses (ip NULL:
// the record is rejected), that are not in canonical form, that are
// internal, or that fall in a match list. A text absent from it is a valid,
// canonical, external address in no list: the common case of the many
// external peers, which so stays out of the join's hash table. IPTable
// gives the integer id of each internal address; detection sorts and groups
// on ids, not on text.
const (
	DictionaryTable = "ip_dictionary"
	IPTable         = "ip_ids"
)

var dictionarySchema = arrow.NewSchema([]arrow.Field{
	{Name: "raw", Type: arrow.BinaryTypes.String},
	{Name: "id", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	{Name: "ip", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "internal", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
	{Name: "lists", Type: arrow.ListOf(arrow.BinaryTypes.String), Nullable: true},
}, nil)

var ipSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int32},
	{Name: "ip", Type: arrow.BinaryTypes.String},
}, nil)

// distinctTexts returns the distinct non-NULL texts of a one-column query,
// with those of the carried tail when withTail.
func (s *ArrowSink) distinctTexts(ctx context.Context, q string, withTail bool) (map[string]bool, error) {
	if withTail {
		q += ` UNION ALL SELECT entity FROM tail UNION ALL SELECT dst FROM tail`
	}
	rows, err := s.conn.QueryContext(ctx, `SELECT DISTINCT a FROM (`+q+`) AS t(a) WHERE a IS NOT NULL`)
	if err != nil {
		return nil, fmt.Errorf("addresses that need an id: %w", err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			return nil, err
		}
		out[a] = true
	}
	return out, rows.Err()
}

// BuildDictionary reads the distinct address texts of batch_raw (and of
// the carried tail when withTail) and writes ip_dictionary and ip_ids.
// Classifying distinct texts in Go with net/netip is exact and costs one
// parse per address, not per record.
func (s *ArrowSink) BuildDictionary(ctx context.Context, e *Enrichment, withTail bool) (int, error) {
	if _, err := s.conn.ExecContext(ctx, `CREATE OR REPLACE TEMP TABLE ip_dictionary (raw VARCHAR, id INTEGER, ip VARCHAR, internal BOOLEAN, lists VARCHAR[]);
		CREATE OR REPLACE TEMP TABLE ip_ids (id INTEGER, ip VARCHAR)`); err != nil {
		return 0, fmt.Errorf("create %s: %w", DictionaryTable, err)
	}
	// An address needs an id whatever its own facts when a record states
	// its internal flag itself, or when it comes from the tail: such
	// records may qualify. Those texts are few (none for inputs without
	// the flags, where DuckDB folds the filter away), so they are read
	// apart, and the DISTINCT over all texts stays a plain one.
	needsID, err := s.distinctTexts(ctx, `SELECT srcDevice_ip FROM batch_raw WHERE srcDevice_ip_isInternal IS NOT NULL
		UNION ALL SELECT dstDevice_ip FROM batch_raw WHERE dstDevice_ip_isInternal IS NOT NULL`, withTail)
	if err != nil {
		return 0, err
	}
	q := `SELECT srcDevice_ip AS a FROM batch_raw UNION ALL SELECT dstDevice_ip FROM batch_raw`
	if withTail {
		q += ` UNION ALL SELECT entity FROM tail UNION ALL SELECT dst FROM tail`
	}
	q = `SELECT DISTINCT a FROM (` + q + `) WHERE a IS NOT NULL`
	reader, err := s.arrow.QueryContext(ctx, q)
	if err != nil {
		return 0, fmt.Errorf("distinct addresses: %w", err)
	}
	defer reader.Release()
	b := array.NewRecordBuilder(memory.DefaultAllocator, dictionarySchema)
	defer b.Release()
	ids := array.NewRecordBuilder(memory.DefaultAllocator, ipSchema)
	defer ids.Release()
	// The reader hands over batches of 2048 texts: they are classified in
	// parallel across batches, then numbered in order.
	var texts []interface{ Value(int) string }
	var batches []arrow.RecordBatch
	defer func() {
		for _, b := range batches {
			b.Release()
		}
	}()
	for reader.Next() {
		rec := reader.RecordBatch()
		t, ok := rec.Column(0).(interface{ Value(int) string })
		if !ok {
			return 0, fmt.Errorf("distinct addresses: unexpected Arrow type %s", rec.Column(0).DataType())
		}
		rec.Retain()
		batches = append(batches, rec)
		texts = append(texts, t)
	}
	if err := reader.Err(); err != nil {
		return 0, fmt.Errorf("distinct addresses: %w", err)
	}
	facts := make([][]*AddressFacts, len(batches))
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < len(batches); i += workers {
				t := texts[i]
				facts[i] = e.classifyTexts(t, int(batches[i].NumRows()), func(j int) bool { return len(needsID) > 0 && needsID[t.Value(j)] })
			}
		}(w)
	}
	wg.Wait()
	idOf := map[string]int32{}
	n := 0
	for k, batchFacts := range facts {
		batchTexts := texts[k]
		for i, f := range batchFacts {
			if f == nil {
				continue // classified by its absence
			}
			raw := batchTexts.Value(i)
			if f.Canonical == "" {
				b.Field(0).(*array.StringBuilder).Append(raw)
				b.Field(1).AppendNull()
				b.Field(2).AppendNull()
				b.Field(3).AppendNull()
				b.Field(4).AppendNull()
				n++
				continue
			}
			id, known := idOf[f.Canonical]
			if !known {
				id = int32(len(idOf))
				idOf[f.Canonical] = id
				ids.Field(0).(*array.Int32Builder).Append(id)
				ids.Field(1).(*array.StringBuilder).Append(f.Canonical)
			}
			b.Field(0).(*array.StringBuilder).Append(raw)
			b.Field(1).(*array.Int32Builder).Append(id)
			b.Field(2).(*array.StringBuilder).Append(f.Canonical)
			b.Field(3).(*array.BooleanBuilder).Append(f.Internal)
			lb := b.Field(4).(*array.ListBuilder)
			if len(f.Lists) == 0 {
				lb.AppendNull() // NULL, not [], lets classify skip the list work
			} else {
				lb.Append(true)
				for _, l := range f.Lists {
					lb.ValueBuilder().(*array.StringBuilder).Append(l)
				}
			}
			n++
		}
	}
	if n == 0 {
		return 0, nil
	}
	for _, t := range []struct {
		b      *array.RecordBuilder
		schema *arrow.Schema
		table  string
	}{{b, dictionarySchema, DictionaryTable}, {ids, ipSchema, IPTable}} {
		rec := t.b.NewRecordBatch()
		reader, err := array.NewRecordReader(t.schema, []arrow.RecordBatch{rec})
		if err != nil {
			rec.Release()
			return 0, err
		}
		err = s.InsertReader(ctx, reader, t.table)
		reader.Release()
		rec.Release()
		if err != nil {
			return 0, err
		}
	}
	return n, nil
}
