package loader

import "bytes"

// sniffLines is how many non-blank lines of a file's head auto-detection reads.
const sniffLines = 50

// DetectFormats picks the format of an input from its head (up to 64 KiB).
// A whole-stream format whose Sniff accepts the head wins alone. Otherwise
// the line formats that match at least one of the first lines are returned,
// most matches first: more than one means a mixed syslog stream, read line
// by line with ReadMixedLines. None means the input is of no known format.
func DetectFormats(head []byte) []*Format {
	all := Formats()
	for _, f := range all {
		if f.Sniff != nil && f.Sniff(head) {
			return []*Format{f}
		}
	}
	counts := map[*Format]int{}
	lines := bytes.Split(head, []byte("\n"))
	if len(lines) > 1 {
		lines = lines[:len(lines)-1] // the last one may be cut short
	}
	seen := 0
	for _, line := range lines {
		line = bytes.TrimRight(line, "\r")
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		if seen++; seen > sniffLines {
			break
		}
		for _, f := range all {
			if f.MatchLine != nil && f.MatchLine(line) {
				counts[f]++
				break
			}
		}
	}
	var out []*Format
	for _, f := range all {
		if counts[f] > 0 {
			out = append(out, f)
		}
	}
	for i := 1; i < len(out); i++ { // stable: most matches first
		for j := i; j > 0 && counts[out[j]] > counts[out[j-1]]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}
