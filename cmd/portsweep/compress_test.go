package main

import (
	"compress/gzip"
	"os"
	"strings"

	"github.com/klauspost/compress/zstd"
)

func compress(path string, data []byte) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if strings.HasSuffix(path, ".gz") {
		w := gzip.NewWriter(f)
		if _, err := w.Write(data); err != nil {
			return err
		}
		return w.Close()
	}
	w, err := zstd.NewWriter(f)
	if err != nil {
		return err
	}
	if _, err := w.Write(data); err != nil {
		return err
	}
	return w.Close()
}
