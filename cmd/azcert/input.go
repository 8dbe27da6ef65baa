package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/azcert/azcert/pkg/export"
)

// formatTLS marks a certificate read from a TLS handshake.
const formatTLS export.Format = "tls"

// isURL reports whether arg names a TLS server rather than a file.
func isURL(arg string) bool {
	return strings.HasPrefix(strings.ToLower(arg), "https://")
}

// readInput reads a file argument, or stdin for "-". It refuses
// directories and anything larger than a certificate file can be.
func (f *factory) readInput(arg string) ([]byte, error) {
	if arg == "-" {
		in, err := f.IO.stdin("the input file (-)")
		if err != nil {
			return nil, err
		}
		data, err := io.ReadAll(io.LimitReader(in, export.MaxInputSize+1))
		if err != nil {
			return nil, inputErrorf("reading standard input: %w", err)
		}
		return data, nil
	}
	fh, err := os.Open(arg)
	if err != nil {
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return nil, inputErrorf("%s: no such file", arg)
		case errors.Is(err, fs.ErrPermission):
			return nil, inputErrorf("%s: permission denied", arg)
		}
		return nil, inputErrorf("opening %s: %w", arg, unwrapPath(err))
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return nil, inputErrorf("reading %s: %w", arg, unwrapPath(err))
	}
	if st.IsDir() {
		return nil, inputErrorf("%s is a directory, not a certificate file", arg)
	}
	if st.Mode().IsRegular() && st.Size() > export.MaxInputSize {
		return nil, inputErrorf("%s is %d bytes, larger than any certificate or .pfx (limit %d)", arg, st.Size(), export.MaxInputSize)
	}
	data, err := io.ReadAll(io.LimitReader(fh, export.MaxInputSize+1))
	if err != nil {
		if errors.Is(err, fs.ErrPermission) {
			return nil, inputErrorf("%s: permission denied", arg)
		}
		return nil, inputErrorf("reading %s: %w", arg, unwrapPath(err))
	}
	return data, nil
}

// loadInput reads and decodes a file, "-" or an https:// URL. inPassword
// is the --in-password value; it is used only if the input is a .pfx that
// an empty password does not open.
func (f *factory) loadInput(ctx context.Context, arg, inPassword string, timeout time.Duration) (*export.Bundle, error) {
	if isURL(arg) {
		return f.fetchTLS(ctx, arg, timeout)
	}
	l, err := f.loadFile(arg, passwordRequest{flag: "in-password", spec: inPassword, envVar: "AZCERT_IN_PASSWORD"})
	if err != nil {
		return nil, err
	}
	return l.bundle, nil
}

// loadInputWith is loadInput for a file whose password flag is not
// --in-password (e.g. --auth-password).
func (f *factory) loadInputWith(ctx context.Context, arg, spec, flag, envVar string) (*export.Bundle, error) {
	l, err := f.loadFile(arg, passwordRequest{flag: flag, spec: spec, envVar: envVar})
	if err != nil {
		return nil, err
	}
	return l.bundle, nil
}

// loaded is a decoded file with its raw bytes and the password that opened it.
type loaded struct {
	bundle   *export.Bundle
	data     []byte
	password string
}

// loadFile reads and decodes a file or "-". pw.purpose is filled in.
func (f *factory) loadFile(arg string, pw passwordRequest) (*loaded, error) {
	data, err := f.readInput(arg)
	if err != nil {
		return nil, err
	}
	name := arg
	if arg == "-" {
		name = "standard input"
	}
	pw.purpose = name
	l := &loaded{data: data}
	b, err := export.Load(data, func() (string, error) {
		p, err := f.resolvePassword(pw)
		l.password = p.value
		return p.value, err
	})
	if err != nil {
		var ie *export.InputError
		if errors.As(err, &ie) {
			if errors.Is(err, export.ErrWrongPassword) {
				return nil, withHint(&inputError{fmt.Errorf("%s: %w", name, err)}, "check the password given by --%s or %s", pw.flag, pw.envVar)
			}
			return nil, &inputError{fmt.Errorf("%s: %w", name, err)}
		}
		return nil, err
	}
	if f.debug {
		fmt.Fprintf(f.IO.ErrOut, "azcert: debug: %s: read as %s\n", name, b.Format)
	}
	l.bundle = b
	return l, nil
}

// fetchTLS reads the certificate a TLS server presents. The chain is not
// verified: the point is to see what the server serves, as openssl
// s_client does.
func (f *factory) fetchTLS(ctx context.Context, raw string, timeout time.Duration) (*export.Bundle, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Hostname() == "" {
		return nil, inputErrorf("%s: not a valid https://host[:port] URL", raw)
	}
	if u.Path != "" && u.Path != "/" || u.RawQuery != "" {
		return nil, inputErrorf("%s: give only https://host[:port]; the certificate does not depend on a path", raw)
	}
	port := u.Port()
	if port == "" {
		port = "443"
	}
	addr := net.JoinHostPort(u.Hostname(), port)
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	d := tls.Dialer{Config: &tls.Config{
		ServerName:         u.Hostname(),
		InsecureSkipVerify: true, // we report the certificate, we do not trust it
		MinVersion:         tls.VersionTLS12,
	}}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return nil, inputErrorf("%s: no TLS handshake within %s", addr, timeout)
		}
		return nil, inputErrorf("connecting to %s: %v", addr, err)
	}
	defer conn.Close()
	certs := conn.(*tls.Conn).ConnectionState().PeerCertificates
	if len(certs) == 0 {
		return nil, inputErrorf("%s presented no certificate", addr)
	}
	return &export.Bundle{Format: formatTLS, Cert: certs[0], Chain: certs[1:]}, nil
}

// checkStdin refuses, before anything is read, an invocation that wants
// standard input for more than one thing.
func checkStdin(inputs []string, passwordFlags map[string]string) error {
	var users []string
	for _, in := range inputs {
		if in == "-" {
			users = append(users, "the input file (-)")
		}
	}
	for flag, spec := range passwordFlags {
		if spec == "stdin" {
			users = append(users, "--"+flag+" stdin")
		}
	}
	if len(users) > 1 {
		return usageErrorf("standard input can be read only once, but %s both want it", joinAnd(users))
	}
	return nil
}

// displayName is how an input is named in output.
func displayName(arg string) string {
	if arg == "-" {
		return "-"
	}
	return arg
}

// derivedPath replaces the extension of an input path (keeping its
// directory) to name an output, e.g. site.pfx -> site.cer.
func derivedPath(input, newExt string) string {
	if input == "-" || isURL(input) {
		return "stdin" + newExt
	}
	for _, double := range []string{".crt.pem", ".cert.pem", ".key.pem"} {
		if strings.HasSuffix(strings.ToLower(input), double) {
			return input[:len(input)-len(double)] + newExt
		}
	}
	ext := filepath.Ext(input)
	switch strings.ToLower(ext) {
	case ".pfx", ".p12", ".cer", ".crt", ".pem", ".der":
		return strings.TrimSuffix(input, ext) + newExt
	}
	return input + newExt
}
