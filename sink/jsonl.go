package sink

import (
	"encoding/json"
	"io"
)

// WriteJSONLines writes each signal as one JSON object per line.
func WriteJSONLines(w io.Writer, signals []Signal) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, s := range signals {
		if err := enc.Encode(s); err != nil {
			return err
		}
	}
	return nil
}
