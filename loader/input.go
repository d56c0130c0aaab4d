package loader

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/klauspost/compress/zstd"
)

// Input is one file to read ("-" is standard input).
type Input struct {
	Path string
}

// StdinPath names standard input among inputs.
const StdinPath = "-"

// ExpandPaths turns command-line arguments (files, directories, globs, "-")
// into inputs in a stable order. Directories are walked; hidden files and
// directories are skipped. An argument that matches nothing is an error
// returned alongside the inputs found for the others.
func ExpandPaths(args []string) ([]Input, []error) {
	var out []Input
	var errs []error
	seen := map[string]bool{}
	add := func(p string) {
		if !seen[p] {
			seen[p] = true
			out = append(out, Input{Path: p})
		}
	}
	for _, arg := range args {
		if arg == StdinPath {
			add(arg)
			continue
		}
		matches := []string{arg}
		if strings.ContainsAny(arg, "*?[") {
			m, err := filepath.Glob(arg)
			if err != nil || len(m) == 0 {
				errs = append(errs, fmt.Errorf("%s: no file matches", arg))
				continue
			}
			matches = m
		}
		for _, m := range matches {
			st, err := os.Stat(m)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", m, err))
				continue
			}
			if !st.IsDir() {
				add(m)
				continue
			}
			var files []string
			err = filepath.WalkDir(m, func(p string, d fs.DirEntry, err error) error {
				if err != nil {
					return err
				}
				if p != m && strings.HasPrefix(d.Name(), ".") {
					if d.IsDir() {
						return filepath.SkipDir
					}
					return nil
				}
				if d.Type().IsRegular() && !isSidecar(d.Name()) {
					files = append(files, p)
				}
				return nil
			})
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", m, err))
			}
			sort.Strings(files)
			for _, f := range files {
				add(f)
			}
		}
	}
	return out, errs
}

// isSidecar tells files that sit beside inputs but are not inputs.
func isSidecar(name string) bool {
	return strings.HasSuffix(name, ".expect.json") || strings.HasSuffix(name, ".golden.json") ||
		strings.HasSuffix(name, ".golden.jsonl") || strings.HasSuffix(name, ".md")
}

var (
	gzipMagic    = []byte{0x1f, 0x8b}
	zstdMagic    = []byte{0x28, 0xb5, 0x2f, 0xfd}
	parquetMagic = []byte("PAR1")
)

// opened is an input ready to read, decompressed.
type opened struct {
	r       *bufio.Reader
	closers []io.Closer
	parquet bool // the raw bytes are a Parquet file
}

func (o *opened) Close() error {
	var errs []error
	for i := len(o.closers) - 1; i >= 0; i-- {
		errs = append(errs, o.closers[i].Close())
	}
	return errors.Join(errs...)
}

// openInput opens a file or stdin and undoes gzip or zstd compression,
// recognized by magic bytes rather than by name.
func openInput(path string, stdin io.Reader) (*opened, error) {
	o := &opened{}
	var src io.Reader
	if path == StdinPath {
		src = stdin
	} else {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		o.closers = append(o.closers, f)
		src = f
	}
	br := bufio.NewReaderSize(src, 256<<10)
	magic, _ := br.Peek(4)
	switch {
	case bytes.HasPrefix(magic, gzipMagic):
		zr, err := gzip.NewReader(br)
		if err != nil {
			o.Close()
			return nil, fmt.Errorf("gzip: %w", err)
		}
		o.closers = append(o.closers, zr)
		br = bufio.NewReaderSize(zr, 256<<10)
	case bytes.HasPrefix(magic, zstdMagic):
		zr, err := zstd.NewReader(br)
		if err != nil {
			o.Close()
			return nil, fmt.Errorf("zstd: %w", err)
		}
		o.closers = append(o.closers, zr.IOReadCloser())
		br = bufio.NewReaderSize(zr, 256<<10)
	case bytes.HasPrefix(magic, parquetMagic):
		o.parquet = true
	}
	o.r = br
	return o, nil
}
