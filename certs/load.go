package certs

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// maxBundleSize bounds a certificate file read from disk: trust bundles are
// kilobytes, so anything far larger is a mistake, not a bundle.
const maxBundleSize = 16 << 20

// LoadCertificates parses a bundle of certificates: PEM (any number of
// CERTIFICATE blocks; other blocks such as keys are skipped, so a combined
// cert+key file works) or DER (one certificate or several concatenated). The
// input is untrusted; it returns an error when it holds no certificate.
func LoadCertificates(data []byte) ([]*x509.Certificate, error) {
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if len(bytes.TrimSpace(trimmed)) == 0 {
		return nil, errors.New("no certificate found: input is empty")
	}
	if bytes.HasPrefix(trimmed, []byte("-----BEGIN")) {
		var out []*x509.Certificate
		rest := trimmed
		for i := 1; ; i++ {
			var block *pem.Block
			block, rest = pem.Decode(rest)
			if block == nil {
				break
			}
			if block.Type != "CERTIFICATE" && block.Type != "TRUSTED CERTIFICATE" && block.Type != "X509 CERTIFICATE" {
				continue
			}
			cs, err := x509.ParseCertificates(block.Bytes)
			if err != nil {
				return nil, fmt.Errorf("PEM block %d: %w", i, err)
			}
			out = append(out, cs...)
		}
		if len(out) == 0 {
			return nil, errors.New("no CERTIFICATE block found in PEM input")
		}
		return out, nil
	}
	// DER is parsed as given: its last bytes may well look like whitespace.
	cs, err := x509.ParseCertificates(data)
	if err != nil {
		return nil, fmt.Errorf("parse DER certificate: %w", err)
	}
	if len(cs) == 0 {
		return nil, errors.New("no certificate found in DER input")
	}
	return cs, nil
}

// LoadCertificateFile reads a PEM or DER certificate bundle from a file.
func LoadCertificateFile(path string) ([]*x509.Certificate, error) {
	data, err := readBounded(path)
	if err != nil {
		return nil, err
	}
	cs, err := LoadCertificates(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return cs, nil
}

// certificateFilesIn lists the files of a directory that look like
// certificates, sorted so that loading is deterministic.
func certificateFilesIn(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read trust directory: %w", err)
	}
	var out []string
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		switch strings.ToLower(filepath.Ext(e.Name())) {
		case ".pem", ".crt", ".cer", ".der":
			out = append(out, filepath.Join(dir, e.Name()))
		}
	}
	sort.Strings(out)
	return out, nil
}

func readBounded(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxBundleSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(data) > maxBundleSize {
		return nil, fmt.Errorf("%s is too large for a certificate file (limit %d bytes)", path, maxBundleSize)
	}
	return data, nil
}
