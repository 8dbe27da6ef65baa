package emulator

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/azcert/azcert/pkg/export"
)

// StateVersion is the version of the state file format. The file is one
// JSON object: "version" (StateVersion), "subscription", and the members
// of each service (Service.StateKeys); a service that adds a member keeps
// the version, since files without it still read.
const StateVersion = 1

// maxStateSize bounds the state file: 100 management certificates and a
// few hundred service certificates take well under a megabyte.
const maxStateSize = 64 << 20

// StateError reports a state file that cannot be read or is not a valid
// state. The file is never overwritten after such an error.
type StateError struct {
	// Path is the state file.
	Path string
	// Reason says what is wrong with it.
	Reason string
	// Err is the underlying error, if any.
	Err error
}

// Error names the file and says what is wrong with it.
func (e *StateError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("state file %s: %s: %v", e.Path, e.Reason, e.Err)
	}
	return fmt.Sprintf("state file %s: %s", e.Path, e.Reason)
}

// Unwrap returns the underlying error.
func (e *StateError) Unwrap() error { return e.Err }

// reasonJSON is the Reason of a state file that does not decode.
const reasonJSON = "it is not a valid emulator state (JSON)"

// loadState reads a state file into the services and returns the
// subscription it names; a missing file gives "".
func (s *Server) loadState(path string) (string, error) {
	fail := func(reason string, err error) (string, error) {
		return "", &StateError{Path: path, Reason: reason, Err: err}
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return fail("cannot open it", unwrapPathError(err))
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxStateSize+1))
	if err != nil {
		return fail("cannot read it", unwrapPathError(err))
	}
	if len(data) > maxStateSize {
		return fail(fmt.Sprintf("it is larger than %d bytes", maxStateSize), nil)
	}
	keys := []string{"version", "subscription"}
	for _, svc := range s.services {
		keys = append(keys, svc.StateKeys()...)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	var whole json.RawMessage
	if err := dec.Decode(&whole); err != nil {
		return fail(reasonJSON, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return fail("it has data after the JSON object", nil)
	}
	members, err := splitObject(whole, keys)
	if err != nil {
		return fail(reasonJSON, err)
	}
	decode := func(key string, v any) error {
		raw, ok := members[key]
		if !ok {
			return nil
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(v); err != nil {
			// Name the member as decoding the whole file into one struct
			// did: "Go struct field stateFile.version",
			// "stateMgmtCert.managementCertificates.thumbprint".
			var te *json.UnmarshalTypeError
			if errors.As(err, &te) {
				if te.Struct == "" {
					te.Struct = "stateFile"
				}
				te.Field = strings.TrimSuffix(key+"."+te.Field, ".")
			}
			return &StateError{Path: path, Reason: reasonJSON, Err: err}
		}
		return nil
	}
	var version int
	var subscription string
	if err := decode("version", &version); err != nil {
		return "", err
	}
	if err := decode("subscription", &subscription); err != nil {
		return "", err
	}
	if version != StateVersion {
		return fail(fmt.Sprintf("format version %d is not supported (want %d)", version, StateVersion), nil)
	}
	if err := CheckPathSegment("subscription ID", subscription); err != nil {
		return fail("bad subscription", err)
	}
	for _, svc := range s.services {
		if err := svc.LoadState(decode); err != nil {
			var se *StateError
			if !errors.As(err, &se) {
				return fail("it is not a valid emulator state", err)
			}
			if se.Path == "" {
				se.Path = path
			}
			return "", se
		}
	}
	return subscription, nil
}

// splitObject splits a JSON object (or null) into its members, matching their names to keys as encoding/json matches
// struct fields: exactly, else without regard to case, the last of
// repeated members winning. A member not in keys is an error.
func splitObject(raw json.RawMessage, keys []string) (map[string]json.RawMessage, error) {
	members := map[string]json.RawMessage{}
	if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return members, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		// Not an object: encoding/json says so.
		var f stateFile
		return nil, json.Unmarshal(raw, &f)
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		name, _ := tok.(string)
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			return nil, err
		}
		key := matchKey(name, keys)
		if key == "" {
			return nil, fmt.Errorf("json: unknown field %q", name)
		}
		members[key] = value
	}
	return members, nil
}

func matchKey(name string, keys []string) string {
	for _, k := range keys {
		if k == name {
			return k
		}
	}
	for _, k := range keys {
		if strings.EqualFold(k, name) {
			return k
		}
	}
	return ""
}

// stateFile is the type the state file decodes into, in errors.
type stateFile map[string]json.RawMessage

// marshalState encodes the state file: the Server's members, then each
// service's, in order. It is json.MarshalIndent of one object, member by
// member. s.mu must be held.
func (s *Server) marshalState() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	add := func(key string, v any) error {
		if buf.Len() > 1 {
			buf.WriteByte(',')
		}
		k, _ := json.Marshal(key)
		buf.Write(k)
		buf.WriteByte(':')
		data, err := json.Marshal(v)
		if err != nil {
			return err
		}
		buf.Write(data)
		return nil
	}
	if err := add("version", StateVersion); err != nil {
		return nil, err
	}
	if err := add("subscription", s.Subscription); err != nil {
		return nil, err
	}
	for _, svc := range s.services {
		keys, values := svc.StateKeys(), svc.SaveState()
		if len(keys) != len(values) {
			return nil, fmt.Errorf("a service has %d state members and %d values", len(keys), len(values))
		}
		for i, k := range keys {
			if values[i] == nil {
				// The service leaves the member out (Service.SaveState).
				continue
			}
			if err := add(k, values[i]); err != nil {
				return nil, err
			}
		}
	}
	buf.WriteByte('}')
	var out bytes.Buffer
	if err := json.Indent(&out, buf.Bytes(), "", "  "); err != nil {
		return nil, err
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

// saveLocked writes the state file, if there is one. s.mu must be held,
// which also serialises the writes.
func (s *Server) saveLocked() error {
	if s.cfg.StatePath == "" {
		return nil
	}
	data, err := s.marshalState()
	if err != nil {
		return fmt.Errorf("encoding the state: %w", err)
	}
	if err := export.WriteFiles([]export.File{{Path: s.cfg.StatePath, Data: data, Mode: export.ModeSecret}}, true); err != nil {
		return fmt.Errorf("saving the state: %w", err)
	}
	return nil
}

func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
