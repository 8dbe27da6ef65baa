// Package input reads what commands are given: certificate files, "-"
// (stdin) and https:// URLs (the certificate a TLS server presents), bounded
// in size, decoded by pkg/export, with the .pfx password asked for only
// when an empty one does not open the file; and, for commands that take
// many files, reads them ahead concurrently in argument order.
package input

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
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/azcert/azcert/cmd/azcert/internal/cmdutil"
	"github.com/azcert/azcert/cmd/azcert/internal/secret"
	"github.com/azcert/azcert/pkg/azhttp"
	"github.com/azcert/azcert/pkg/export"
)

// FormatTLS marks a certificate read from a TLS handshake.
const FormatTLS export.Format = "tls"

// IsURL reports whether arg names a TLS server rather than a file.
func IsURL(arg string) bool {
	return strings.HasPrefix(strings.ToLower(arg), "https://")
}

// Read reads a file argument, or stdin for "-". It refuses
// directories and anything larger than a certificate file can be.
func Read(f *cmdutil.Factory, arg string) ([]byte, error) {
	if arg == "-" {
		in, err := f.IO.Stdin("the input file (-)")
		if err != nil {
			return nil, err
		}
		data, err := io.ReadAll(io.LimitReader(in, export.MaxInputSize+1))
		if err != nil {
			return nil, cmdutil.InputErrorf("reading standard input: %w", err)
		}
		return data, nil
	}
	if arg == "" {
		// os.Open says "open : no such file or directory".
		return nil, cmdutil.InputErrorf("the file name is empty")
	}
	fh, err := os.Open(arg)
	if err != nil {
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return nil, cmdutil.InputErrorf("%s: no such file", arg)
		case errors.Is(err, fs.ErrPermission):
			return nil, cmdutil.InputErrorf("%s: permission denied", arg)
		}
		return nil, cmdutil.InputErrorf("opening %s: %w", arg, secret.UnwrapPath(err))
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return nil, cmdutil.InputErrorf("reading %s: %w", arg, secret.UnwrapPath(err))
	}
	if st.IsDir() {
		return nil, cmdutil.InputErrorf("%s is a directory, not a certificate file", arg)
	}
	if st.Mode().IsRegular() && st.Size() > export.MaxInputSize {
		return nil, cmdutil.InputErrorf("%s is %d bytes, larger than any certificate or .pfx (limit %d)", arg, st.Size(), export.MaxInputSize)
	}
	size := int64(0)
	if st.Mode().IsRegular() {
		size = st.Size()
	}
	data, err := readBounded(fh, size)
	if err != nil {
		if errors.Is(err, fs.ErrPermission) {
			return nil, cmdutil.InputErrorf("%s: permission denied", arg)
		}
		return nil, cmdutil.InputErrorf("reading %s: %w", arg, secret.UnwrapPath(err))
	}
	return data, nil
}

// readBounded reads r to its end, but at most export.MaxInputSize+1 bytes
// (one more than Load accepts, so an oversized input is reported as such).
// size is the file's size from stat, or 0 when unknown: with it the buffer
// is allocated once, and a certificate file takes one read plus the one
// that sees the end, instead of io.ReadAll's growing reads. A file that
// grew after the stat is still read whole.
func readBounded(r io.Reader, size int64) ([]byte, error) {
	lr := io.LimitReader(r, export.MaxInputSize+1)
	if size <= 0 || size > export.MaxInputSize {
		return io.ReadAll(lr)
	}
	buf := make([]byte, 0, size+1) // +1: the read that finds the end needs room
	for {
		n, err := lr.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if errors.Is(err, io.EOF) {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
	}
}

// Load reads and decodes a file, "-" or an https:// URL. inPassword
// is the --in-password value; it is used only if the input is a .pfx that
// an empty password does not open.
func Load(ctx context.Context, f *cmdutil.Factory, arg, inPassword string, timeout time.Duration) (*export.Bundle, error) {
	if IsURL(arg) {
		return FetchTLS(ctx, arg, timeout)
	}
	l, err := LoadFile(f, arg, secret.Request{Flag: "in-password", Spec: inPassword, EnvVar: "AZCERT_IN_PASSWORD"})
	if err != nil {
		return nil, err
	}
	return l.Bundle, nil
}

// LoadWith is LoadFile for a file whose password flag is not
// --in-password (e.g. --auth-password).
func LoadWith(f *cmdutil.Factory, arg, spec, flag, envVar string) (*export.Bundle, error) {
	l, err := LoadFile(f, arg, secret.Request{Flag: flag, Spec: spec, EnvVar: envVar})
	if err != nil {
		return nil, err
	}
	return l.Bundle, nil
}

// Loaded is a decoded file with its raw bytes and the password that opened it.
type Loaded struct {
	Bundle   *export.Bundle
	Data     []byte
	Password string
}

// LoadFile reads and decodes a file or "-". pw.purpose is filled in.
func LoadFile(f *cmdutil.Factory, arg string, pw secret.Request) (*Loaded, error) {
	data, err := Read(f, arg)
	if err != nil {
		return nil, err
	}
	l, err := decode(f, arg, data, pw)
	if err != nil {
		return nil, err
	}
	debugRead(f, arg, l.Bundle.Format)
	return l, nil
}

// Name is how an input is named in messages.
func Name(arg string) string {
	if arg == "-" {
		return "standard input"
	}
	return arg
}

// decode decodes the data read from arg. pw.purpose is filled in. The
// password is asked for only for a .pfx that an empty password does not
// open; for any other input decodeInput uses nothing but its arguments, so
// it may run on any goroutine.
func decode(f *cmdutil.Factory, arg string, data []byte, pw secret.Request) (*Loaded, error) {
	if err := secret.Check(pw); err != nil {
		return nil, err
	}
	name := Name(arg)
	pw.Purpose = name
	l := &Loaded{Data: data}
	b, err := export.Load(data, func() (string, error) {
		p, err := secret.Resolve(f, pw)
		l.Password = p.Value
		return p.Value, err
	})
	if err != nil {
		var ie *export.InputError
		if errors.As(err, &ie) {
			if errors.Is(err, export.ErrWrongPassword) {
				return nil, cmdutil.WithHint(&cmdutil.InputError{Err: fmt.Errorf("%s: %w", name, err)}, "check the password given by --%s or %s", pw.Flag, pw.EnvVar)
			}
			return nil, &cmdutil.InputError{Err: fmt.Errorf("%s: %w", name, err)}
		}
		return nil, err
	}
	l.Bundle = b
	return l, nil
}

// debugRead notes with --debug how an input was read.
func debugRead(f *cmdutil.Factory, arg string, format export.Format) {
	if f.Debug {
		fmt.Fprintf(f.IO.ErrOut, "azcert: debug: %s: read as %s\n", Name(arg), format)
	}
}

// FetchTLS reads the certificate a TLS server presents. The chain is not
// verified: the point is to see what the server serves, as openssl
// s_client does.
func FetchTLS(ctx context.Context, raw string, timeout time.Duration) (*export.Bundle, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Hostname() == "" {
		return nil, cmdutil.InputErrorf("%s: not a valid https://host[:port] URL", raw)
	}
	if u.Path != "" && u.Path != "/" || u.RawQuery != "" {
		return nil, cmdutil.InputErrorf("%s: give only https://host[:port]; the certificate does not depend on a path", raw)
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
		// The server is unreachable (exit 6), as a service would be; the
		// input itself is fine.
		if errors.Is(err, context.DeadlineExceeded) {
			return nil, &azhttp.UnavailableError{Service: addr, Err: fmt.Errorf("no TLS handshake within %s", timeout)}
		}
		return nil, &azhttp.UnavailableError{Service: addr, Err: err}
	}
	defer conn.Close()
	certs := conn.(*tls.Conn).ConnectionState().PeerCertificates
	if len(certs) == 0 {
		return nil, cmdutil.InputErrorf("%s presented no certificate", addr)
	}
	return &export.Bundle{Format: FormatTLS, Cert: certs[0], Chain: certs[1:]}, nil
}

// PasswordFlag is a password flag and its value, for CheckStdin.
type PasswordFlag struct{ Name, Spec string }

// CheckStdin refuses, before anything is read, an invocation that wants
// standard input for more than one thing.
func CheckStdin(inputs []string, passwordFlags ...PasswordFlag) error {
	var users []string
	for _, in := range inputs {
		if in == "-" {
			users = append(users, "the input file (-)")
		}
	}
	for _, pf := range passwordFlags {
		if pf.Spec == "stdin" {
			users = append(users, "--"+pf.Name+" stdin")
		}
	}
	if len(users) > 1 {
		return cmdutil.UsageErrorf("standard input can be read only once, but %s both want it", cmdutil.JoinAnd(users))
	}
	return nil
}

// DisplayName is how an input is named in output.
func DisplayName(arg string) string {
	if arg == "-" {
		return "-"
	}
	return arg
}

// DerivedPath replaces the extension of an input path (keeping its
// directory) to name an output, e.g. site.pfx -> site.cer.
func DerivedPath(input, newExt string) string {
	if input == "-" || IsURL(input) {
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

// maxReadAhead bounds the files a command reads and decodes at once.
const maxReadAhead = 8

// readAheadWorkers is how many files are read at once for n file inputs:
// a few per processor (reads wait on the disk, decoding uses the CPU), at
// most maxReadAhead, never more than there are files.
func readAheadWorkers(n int) int {
	return max(1, min(maxReadAhead, 2*runtime.GOMAXPROCS(0), n))
}

// ReadAhead reads and decodes the file inputs of a command concurrently,
// while the command consumes them in argument order with get. The command
// sees exactly what loadFile would give it, input by input: the same
// values, the same errors, --debug notes in argument order. What cannot be
// done off the command's goroutine is left to get: "-" and https:// URLs
// (not read ahead at all), and the decoding of a .pfx, which may need a
// password from a prompt or standard input.
//
// Files are handed to the workers in runs of consecutive inputs (one
// synchronisation per run, not per file), and the workers stay at most a
// few runs ahead of get, so memory stays bounded whatever the number of
// inputs. After stop, or once get has returned an error, no new run is
// started; reads under way finish on their own.
type ReadAhead[R any] struct {
	f      *cmdutil.Factory
	inputs []string
	slots  []readSlot[R]
	runs   []readRun
	use    func(*Loaded) R
	quick  func([]byte) (R, bool)
	ahead  chan struct{} // a token per run handed out and not yet reached by get
	quit   chan struct{}
	once   sync.Once
	at     int // the run get is in
}

type readRun struct {
	inputs []int
	done   chan struct{}
}

type readSlot[R any] struct {
	run    int // index in runs, -1 when not read ahead
	val    R
	format export.Format
	// pfx is a .pfx read but not decoded: get decodes it.
	pfx []byte
	err error
}

// StartReadAhead starts reading inputs. use turns a decoded input into
// what the command keeps of it; it runs on the workers (except for a .pfx)
// and must not touch shared state. quick, if not nil, is offered each DER
// input first: when it answers true, its value is used and the input is
// not decoded (it must then give exactly what use would have).
func StartReadAhead[R any](f *cmdutil.Factory, inputs []string, use func(*Loaded) R, quick func([]byte) (R, bool)) *ReadAhead[R] {
	p := &ReadAhead[R]{f: f, inputs: inputs, slots: make([]readSlot[R], len(inputs)), use: use, quick: quick, quit: make(chan struct{}), at: -1}
	var files []int
	for i, in := range inputs {
		p.slots[i].run = -1
		if in != "-" && !IsURL(in) {
			files = append(files, i)
		}
	}
	if len(files) == 0 {
		return p
	}
	workers := readAheadWorkers(len(files))
	size := max(1, min(16, len(files)/(4*workers)))
	for start := 0; start < len(files); start += size {
		run := readRun{inputs: files[start:min(start+size, len(files))], done: make(chan struct{})}
		for _, i := range run.inputs {
			p.slots[i].run = len(p.runs)
		}
		p.runs = append(p.runs, run)
	}
	p.ahead = make(chan struct{}, 4*workers)
	jobs := make(chan int)
	go func() {
		defer close(jobs)
		for r := range p.runs {
			select {
			case p.ahead <- struct{}{}:
			case <-p.quit:
				return
			}
			select {
			case jobs <- r:
			case <-p.quit:
				return
			}
		}
	}()
	for range workers {
		go func() {
			for r := range jobs {
				p.readRun(r)
			}
		}()
	}
	return p
}

// readRun runs on a worker. It stops at the first input that fails: get
// returns that error and never looks further.
func (p *ReadAhead[R]) readRun(r int) {
	defer close(p.runs[r].done)
	for _, i := range p.runs[r].inputs {
		if p.read(i) != nil {
			return
		}
	}
}

func (p *ReadAhead[R]) read(i int) error {
	s := &p.slots[i]
	data, err := Read(p.f, p.inputs[i])
	if err != nil {
		s.err = err
		return err
	}
	switch export.Sniff(data) {
	case export.FormatPKCS12:
		s.pfx = data
		return nil
	case export.FormatDER:
		if p.quick != nil {
			if v, ok := p.quick(data); ok {
				s.format, s.val = export.FormatDER, v
				return nil
			}
		}
	}
	l, err := decode(p.f, p.inputs[i], data, secret.Request{})
	if err != nil {
		s.err = err
		return err
	}
	s.format = l.Bundle.Format
	s.val = p.use(l)
	return nil
}

// Get returns input i, waiting for it if need be; inputs must be got in
// argument order. ok is false for "-" and URLs, which the caller loads
// itself. pw is the password request for a .pfx.
func (p *ReadAhead[R]) Get(i int, pw secret.Request) (val R, ok bool, err error) {
	s := &p.slots[i]
	if s.run < 0 {
		return val, false, nil
	}
	if s.run != p.at {
		<-p.runs[s.run].done
		<-p.ahead // let the workers start one more run
		p.at = s.run
	}
	if s.err != nil {
		p.Stop()
		return val, true, s.err
	}
	if s.pfx != nil {
		l, err := decode(p.f, p.inputs[i], s.pfx, pw)
		s.pfx = nil
		if err != nil {
			p.Stop()
			return val, true, err
		}
		s.format = l.Bundle.Format
		s.val = p.use(l)
	}
	debugRead(p.f, p.inputs[i], s.format)
	val = s.val
	var zero R
	s.val = zero
	return val, true, nil
}

// Stop starts no further runs.
func (p *ReadAhead[R]) Stop() { p.once.Do(func() { close(p.quit) }) }
