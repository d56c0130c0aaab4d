package sink

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

var utcMicros = &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}

var entityType = arrow.StructOf(
	arrow.Field{Name: "type", Type: arrow.BinaryTypes.String},
	arrow.Field{Name: "value", Type: arrow.BinaryTypes.String},
)

// SignalSchema is the Parquet/Arrow layout of a signal.
var SignalSchema = arrow.NewSchema([]arrow.Field{
	{Name: "signal_id", Type: arrow.BinaryTypes.String},
	{Name: "rule_id", Type: arrow.BinaryTypes.String},
	{Name: "name", Type: arrow.BinaryTypes.String},
	{Name: "summary", Type: arrow.BinaryTypes.String},
	{Name: "severity", Type: arrow.PrimitiveTypes.Int32},
	{Name: "stage", Type: arrow.BinaryTypes.String},
	{Name: "tags", Type: arrow.ListOf(arrow.BinaryTypes.String)},
	{Name: "srcDevice_ip", Type: arrow.BinaryTypes.String},
	{Name: "dstPort", Type: arrow.PrimitiveTypes.Int32},
	{Name: "srcDevice_hostname", Type: arrow.BinaryTypes.String},
	{Name: "user_username", Type: arrow.BinaryTypes.String},
	{Name: "entities", Type: arrow.ListOf(entityType)},
	{Name: "first_seen", Type: utcMicros},
	{Name: "crossed_at", Type: utcMicros},
	{Name: "distinct_dst_count", Type: arrow.PrimitiveTypes.Int32},
	{Name: "dst_sample", Type: arrow.ListOf(arrow.BinaryTypes.String)},
	{Name: "record_count", Type: arrow.PrimitiveTypes.Int64},
	{Name: "suppressed", Type: arrow.FixedWidthTypes.Boolean},
	{Name: "suppressed_reason", Type: arrow.BinaryTypes.String},
	{Name: "rule_version", Type: arrow.PrimitiveTypes.Int32},
	{Name: "sql_hash", Type: arrow.BinaryTypes.String},
}, nil)

// SignalsRecord builds one Arrow record batch of signals.
func SignalsRecord(signals []Signal) arrow.RecordBatch {
	b := array.NewRecordBuilder(memory.DefaultAllocator, SignalSchema)
	defer b.Release()
	str := func(i int, v string) { b.Field(i).(*array.StringBuilder).Append(v) }
	strs := func(i int, vs []string) {
		lb := b.Field(i).(*array.ListBuilder)
		lb.Append(true)
		for _, v := range vs {
			lb.ValueBuilder().(*array.StringBuilder).Append(v)
		}
	}
	for _, s := range signals {
		str(0, s.SignalID)
		str(1, s.RuleID)
		str(2, s.Name)
		str(3, s.Summary)
		b.Field(4).(*array.Int32Builder).Append(int32(s.Severity))
		str(5, s.Stage)
		strs(6, s.Tags)
		str(7, s.SrcDeviceIP)
		b.Field(8).(*array.Int32Builder).Append(s.DstPort)
		str(9, s.SrcHostname)
		str(10, s.Username)
		eb := b.Field(11).(*array.ListBuilder)
		eb.Append(true)
		sb := eb.ValueBuilder().(*array.StructBuilder)
		for _, e := range s.Entities {
			sb.Append(true)
			sb.FieldBuilder(0).(*array.StringBuilder).Append(e.Type)
			sb.FieldBuilder(1).(*array.StringBuilder).Append(e.Value)
		}
		b.Field(12).(*array.TimestampBuilder).Append(arrow.Timestamp(s.FirstSeen.UnixMicro()))
		b.Field(13).(*array.TimestampBuilder).Append(arrow.Timestamp(s.CrossedAt.UnixMicro()))
		b.Field(14).(*array.Int32Builder).Append(int32(s.DistinctDstCount))
		strs(15, s.DstSample)
		b.Field(16).(*array.Int64Builder).Append(s.RecordCount)
		b.Field(17).(*array.BooleanBuilder).Append(s.Suppressed)
		str(18, s.SuppressedReason)
		b.Field(19).(*array.Int32Builder).Append(int32(s.RuleVersion))
		str(20, s.SQLHash)
	}
	return b.NewRecordBatch()
}

// WriteParquet writes signals as dir/signals/date=YYYY-MM-DD/part-<runID>.parquet,
// one file per crossed_at date (UTC). Each file is written under a
// temporary name and renamed, so a reader never sees half a file. It
// returns the paths written.
func WriteParquet(dir, runID string, signals []Signal) ([]string, error) {
	byDate := map[string][]Signal{}
	for _, s := range signals {
		d := s.CrossedAt.UTC().Format("2006-01-02")
		byDate[d] = append(byDate[d], s)
	}
	dates := make([]string, 0, len(byDate))
	for d := range byDate {
		dates = append(dates, d)
	}
	sort.Strings(dates)
	var paths []string
	for _, d := range dates {
		p := filepath.Join(dir, "signals", "date="+d, "part-"+runID+".parquet")
		if err := writeParquetFile(p, byDate[d]); err != nil {
			return paths, fmt.Errorf("write signals %s: %w", p, err)
		}
		paths = append(paths, p)
	}
	return paths, nil
}

func writeParquetFile(path string, signals []Signal) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".part-*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	rec := SignalsRecord(signals)
	defer rec.Release()
	props := parquet.NewWriterProperties(parquet.WithCompression(compress.Codecs.Zstd))
	w, err := pqarrow.NewFileWriter(SignalSchema, tmp, props, pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema()))
	if err != nil {
		tmp.Close()
		return err
	}
	if err := w.Write(rec); err != nil {
		w.Close()
		return err
	}
	if err := w.Close(); err != nil { // closes tmp too
		return err
	}
	return os.Rename(tmp.Name(), path)
}
