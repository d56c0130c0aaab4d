package loader

import (
	"bytes"
	"os"
	"time"
)

// PeekStart estimates an input's earliest event time from its head (the
// first 64 KiB), for ordering an archive by event time before reading it.
// ok is false for Parquet and for heads without a record.
func PeekStart(ctx *ParseContext, path string) (start time.Time, ok bool) {
	o, err := openInput(path, os.Stdin)
	if err != nil || o.parquet {
		return time.Time{}, false
	}
	defer o.Close()
	head, _ := o.r.Peek(64 << 10)
	formats := DetectFormats(head)
	if len(formats) == 0 {
		return time.Time{}, false
	}
	if cut := bytes.LastIndexByte(head, '\n'); cut > 0 && formats[0].ParseLine != nil {
		head = head[:cut+1]
	}
	p := &startFinder{}
	ReadFormat(ctx, formats[0], bytes.NewReader(head), p)
	return p.start, !p.start.IsZero()
}

// startFinder keeps the earliest record time it is given.
type startFinder struct{ start time.Time }

func (p *startFinder) Emit(r *Record) {
	if !r.Time.IsZero() && (p.start.IsZero() || r.Time.Before(p.start)) {
		p.start = r.Time
	}
}
func (p *startFinder) Skip(string)                      {}
func (p *startFinder) Quarantine(int64, []byte, string) {}
