package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portsweep/portsweep/detect"
)

// writeParquet writes the rows of a query to a Parquet file with DuckDB.
func writeParquet(t *testing.T, path, query string) {
	t.Helper()
	s, err := detect.Open(context.Background(), ":memory:", detect.StoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.DB.Exec(fmt.Sprintf("COPY (%s) TO '%s' (FORMAT parquet)", query, path)); err != nil {
		t.Fatal(err)
	}
}

// TestVendorParquetLayouts: AWS VPC flow logs and OCSF 4001 in Parquet are
// recognized by their columns and a sweep in them fires once.
func TestVendorParquetLayouts(t *testing.T) {
	tmp := t.TempDir()
	aws := filepath.Join(tmp, "vpc.parquet")
	writeParquet(t, aws, `SELECT 2 AS version, '123456789012' AS account_id, 'eni-1' AS interface_id,
		'10.20.30.40' AS srcaddr, '10.20.31.' || i AS dstaddr, 40000 + i AS srcport, 445 AS dstport, 6 AS protocol,
		3 AS packets, 180 AS bytes, 1709632800 + i AS start, 1709632860 + i AS "end", 'REJECT' AS action, 'OK' AS log_status
		FROM range(1, 26) r(i)
		UNION ALL SELECT 2, '123456789012', 'eni-1', NULL, NULL, NULL, NULL, NULL, NULL, NULL, 1709632800, 1709632860, NULL, 'NODATA'`)
	ocsf := filepath.Join(tmp, "ocsf.parquet")
	writeParquet(t, ocsf, `SELECT 4001 AS class_uid, 1 AS activity_id, 1709632800000 + i * 1000 AS "time",
		{'ip': 'fd00::10', 'port': 50000 + i, 'hostname': 'ws-10'} AS src_endpoint,
		{'ip': 'fd00::1:' || i, 'port': 22} AS dst_endpoint,
		{'protocol_num': 6} AS connection_info, 2 AS action_id,
		{'user': {'name': 'jdoe'}} AS actor,
		{'product': {'name': 'EDR Sensor', 'vendor_name': 'Example'}, 'version': '1.1.0'} AS metadata
		FROM range(1, 26) r(i)
		UNION ALL SELECT 4002, 1, 1709632800000, {'ip': 'fd00::10', 'port': 1, 'hostname': ''}, {'ip': 'fd00::2', 'port': 80}, {'protocol_num': 6}, 1,
		{'user': {'name': ''}}, {'product': {'name': 'EDR Sensor', 'vendor_name': 'Example'}, 'version': '1.1.0'}`)
	tests := []struct {
		file, format, extra string
		src                 string
		port                int32
		user                string
	}{
		{aws, "aws-vpc-flow-parquet", "--record-types=Network,NetworkFlow", "10.20.30.40", 445, ""},
		{ocsf, "ocsf-network-parquet", "--internal-networks=fd00::/8", "fd00::10", 22, "jdoe"},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			summary := filepath.Join(tmp, tt.format+".json")
			code, stdout, stderr := runCLI(t, "", "detect", "--db", filepath.Join(tmp, tt.format+".duckdb"), "--out", tmp, "--json", "--summary", summary, tt.extra, tt.file)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			signals := parseSignals(t, stdout)
			if len(signals) != 1 || signals[0].SrcDeviceIP != tt.src || signals[0].DstPort != tt.port || signals[0].Username != tt.user || signals[0].DistinctDstCount != 20 {
				t.Fatalf("signals: %s\n%s", stdout, stderr)
			}
			b, _ := os.ReadFile(summary)
			var s struct {
				Formats map[string]struct{ Read, Connections, Skipped int64 } `json:"formats"`
			}
			json.Unmarshal(b, &s)
			if f := s.Formats[tt.format]; f.Read != 26 || f.Connections != 25 || f.Skipped != 1 {
				t.Errorf("formats: %s", b)
			}
		})
	}
	// Parquet with neither layout names the missing column and the file.
	other := filepath.Join(tmp, "other.parquet")
	writeParquet(t, other, `SELECT 1 AS a, 'x' AS objectType`)
	code, _, stderr := runCLI(t, "", "detect", "--db", filepath.Join(tmp, "o.duckdb"), "--out", tmp, other)
	if code != exitInputError || !strings.Contains(stderr, `missing required column "timestamp"`) || !strings.Contains(stderr, "other.parquet") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
}
