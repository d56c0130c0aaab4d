package detect

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	duckdb "github.com/duckdb/duckdb-go/v2"

	psql "github.com/portsweep/portsweep/sql"
)

// Store is an open portsweep database.
type Store struct {
	DB   *sql.DB
	Path string
}

// StoreOptions tune DuckDB for the machine.
type StoreOptions struct {
	Threads     int    // 0: DuckDB's default (all cores)
	MemoryLimit string // e.g. "1GB"; "" for DuckDB's default
	ReadOnly    bool
}

// requiredExtensions ship inside the binding; nothing can be downloaded on
// an air-gapped machine, so their absence is fatal at start-up.
var requiredExtensions = []string{"parquet", "json", "icu"}

// Open opens (creating if needed) the database at path and brings its
// schema up to date. Every connection works in UTC.
func Open(ctx context.Context, path string, opts StoreOptions) (*Store, error) {
	if path != "" && path != ":memory:" && !opts.ReadOnly {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, fmt.Errorf("database %s: %w", path, err)
		}
	}
	dsn := path
	var params []string
	if opts.ReadOnly {
		params = append(params, "access_mode=READ_ONLY")
	}
	if opts.Threads > 0 {
		params = append(params, fmt.Sprintf("threads=%d", opts.Threads))
	}
	if opts.MemoryLimit != "" {
		params = append(params, "memory_limit="+opts.MemoryLimit)
	}
	if len(params) > 0 {
		dsn += "?" + strings.Join(params, "&")
	}
	connector, err := duckdb.NewConnector(dsn, func(ex driver.ExecerContext) error {
		_, err := ex.ExecContext(ctx, "SET TimeZone = 'UTC'", nil)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	db := sql.OpenDB(connector)
	s := &Store{DB: db, Path: path}
	if err := s.checkExtensions(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if !opts.ReadOnly {
		if err := s.migrate(ctx); err != nil {
			db.Close()
			return nil, fmt.Errorf("database %s: %w", path, err)
		}
	}
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.DB.Close() }

func (s *Store) checkExtensions(ctx context.Context) error {
	rows, err := s.DB.QueryContext(ctx, "SELECT extension_name FROM duckdb_extensions() WHERE loaded")
	if err != nil {
		return fmt.Errorf("list DuckDB extensions: %w", err)
	}
	defer rows.Close()
	loaded := map[string]bool{}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return err
		}
		loaded[name] = true
	}
	var missing []string
	for _, e := range requiredExtensions {
		if !loaded[e] {
			missing = append(missing, e)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("this DuckDB build lacks the built-in extensions %s; portsweep never downloads extensions: rebuild with a duckdb-go that links them", strings.Join(missing, ", "))
	}
	return rows.Err()
}

// SchemaVersion returns the database's schema version (0 when new).
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v sql.NullInt64
	err := s.DB.QueryRowContext(ctx, "SELECT max(version) FROM schema_version").Scan(&v)
	return int(v.Int64), err
}

func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.DB.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, applied_at TIMESTAMP DEFAULT current_timestamp)"); err != nil {
		return fmt.Errorf("create schema_version: %w", err)
	}
	current, err := s.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	migrations, err := psql.Migrations()
	if err != nil {
		return err
	}
	latest := 0
	for _, m := range migrations {
		latest = m.Version
		if m.Version <= current {
			continue
		}
		tx, err := s.DB.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
			tx.Rollback()
			return fmt.Errorf("migrate to schema %s: %w", m.Name, err)
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO schema_version (version) VALUES (?)", m.Version); err != nil {
			tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migrate to schema %s: %w", m.Name, err)
		}
	}
	if current > latest {
		return errors.New("database schema is newer than this portsweep; upgrade portsweep")
	}
	return nil
}
