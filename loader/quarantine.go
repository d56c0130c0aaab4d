package loader

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"unicode/utf8"
)

// maxQuarantinedRaw bounds how much of a bad line is kept.
const maxQuarantinedRaw = 4096

// Quarantine writes bad lines and rows, with their source and reason, to
// DIR/quarantine/<run id>.jsonl. The file is created on first use.
type Quarantine struct {
	path string
	mu   sync.Mutex
	f    *os.File
	w    *bufio.Writer
	n    int64
}

// NewQuarantine returns a quarantine that writes under dir; an empty dir
// counts without writing.
func NewQuarantine(dir, runID string) *Quarantine {
	if dir == "" {
		return &Quarantine{}
	}
	return &Quarantine{path: filepath.Join(dir, "quarantine", runID+".jsonl")}
}

// Entry is one quarantined line or row.
type Entry struct {
	File   string `json:"file"`
	Pos    int64  `json:"pos"`
	Reason string `json:"reason"`
	Raw    string `json:"raw"`
}

// Add writes one entry.
func (q *Quarantine) Add(file string, pos int64, raw []byte, reason string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.n++
	if q.path == "" {
		return nil
	}
	if q.f == nil {
		if err := os.MkdirAll(filepath.Dir(q.path), 0o755); err != nil {
			return fmt.Errorf("quarantine: %w", err)
		}
		f, err := os.OpenFile(q.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return fmt.Errorf("quarantine: %w", err)
		}
		q.f, q.w = f, bufio.NewWriter(f)
	}
	if len(raw) > maxQuarantinedRaw {
		raw = raw[:maxQuarantinedRaw]
	}
	text := string(raw)
	if !utf8.ValidString(text) {
		text = fmt.Sprintf("%q", raw)
	}
	b, _ := json.Marshal(Entry{File: file, Pos: pos, Reason: reason, Raw: text})
	q.w.Write(b)
	return q.w.WriteByte('\n')
}

// Count is how many entries were added.
func (q *Quarantine) Count() int64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.n
}

// Path is the file entries go to ("" when not writing).
func (q *Quarantine) Path() string { return q.path }

// Close flushes and closes the file.
func (q *Quarantine) Close() error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.f == nil {
		return nil
	}
	if err := q.w.Flush(); err != nil {
		q.f.Close()
		return err
	}
	return q.f.Close()
}
