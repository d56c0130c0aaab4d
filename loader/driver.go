package loader

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// maxLineBytes bounds one line; longer lines are quarantined, not fatal.
const maxLineBytes = 4 << 20

// ReadFormat reads all of r as format f, reporting to out. It returns an
// error only when the input itself cannot be read; bad lines are
// quarantined through out.
func ReadFormat(ctx *ParseContext, f *Format, r io.Reader, out Emitter) error {
	if f.Stream != nil {
		return f.Stream(ctx, r, out)
	}
	return readLines(r, func(pos int64, line []byte) {
		parseOneLine(ctx, f, pos, line, out)
	}, out)
}

// ReadMixedLines reads a syslog stream whose lines may come from several
// line formats, choosing the format per line among formats and telling
// chosen (nil for a line no format matches; it is quarantined).
func ReadMixedLines(ctx *ParseContext, formats []*Format, r io.Reader, out Emitter, chosen func(line []byte, f *Format)) error {
	var last *Format
	return readLines(r, func(pos int64, line []byte) {
		f := last
		if f == nil || !f.MatchLine(line) {
			f = nil
			for _, cand := range formats {
				if cand.MatchLine != nil && cand.MatchLine(line) {
					f = cand
					break
				}
			}
		}
		if f == nil {
			if chosen != nil {
				chosen(line, nil)
			}
			out.Quarantine(pos, line, "no known format matches this line")
			return
		}
		last = f
		if chosen != nil {
			chosen(line, f)
		}
		parseOneLine(ctx, f, pos, line, out)
	}, out)
}

// positioner is implemented by emitters that want each record's line number.
type positioner interface{ SetPos(pos int64) }

func parseOneLine(ctx *ParseContext, f *Format, pos int64, line []byte, out Emitter) {
	if p, ok := out.(positioner); ok {
		p.SetPos(pos)
	}
	var rec Record
	emitParsed(out, &rec, f.ParseLine(ctx, line, &rec), pos, line)
}

// emitParsed hands the outcome of parsing raw (at pos) to out: rec is
// emitted if err is nil, an ErrSkip is a skip, any other error quarantines
// raw.
func emitParsed(out Emitter, rec *Record, err error, pos int64, raw []byte) {
	var skip ErrSkip
	switch {
	case err == nil:
		out.Emit(rec)
	case errors.As(err, &skip):
		out.Skip(string(skip))
	default:
		out.Quarantine(pos, raw, err.Error())
	}
}

// readLines calls fn for each non-blank line with its 1-based number. Lines
// longer than maxLineBytes are quarantined.
func readLines(r io.Reader, fn func(pos int64, line []byte), out Emitter) error {
	br := bufio.NewReaderSize(r, 256<<10)
	var pos int64
	var long []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			if len(long) < maxLineBytes {
				long = append(long, chunk...)
			}
			continue
		}
		if len(chunk) > 0 || long != nil {
			pos++
			line := chunk
			if long != nil {
				long = append(long, chunk...)
				line, long = long, nil
			}
			if len(line) >= maxLineBytes {
				out.Quarantine(pos, line[:256], fmt.Sprintf("line longer than %d bytes", maxLineBytes))
			} else {
				line = bytes.TrimRight(line, "\r\n")
				if len(bytes.TrimSpace(line)) > 0 {
					fn(pos, line)
				}
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read line %d: %w", pos+1, err)
		}
	}
}
