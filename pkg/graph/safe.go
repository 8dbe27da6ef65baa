package graph

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// MaxRounds bounds the read-modify-write rounds of AddCredential and
// RemoveCredential.
const MaxRounds = 3

// maxRoundWait bounds the wait between two rounds that a Retry-After
// asks for.
const maxRoundWait = time.Minute

// AddResult is what AddCredential did.
type AddResult struct {
	// Credential is the credential as Graph holds it after the change
	// (its KeyID assigned by Graph).
	Credential KeyCredential
	// AlreadyPresent reports that the object had a credential with the
	// same thumbprint before: nothing was written.
	AlreadyPresent bool
	// Restored lists credentials that were present when read, were
	// missing after a write, and were put back.
	Restored []KeyCredential
	// Rounds is how many writes it took (0 when AlreadyPresent).
	Rounds int
}

// RemoveResult is what RemoveCredential did.
type RemoveResult struct {
	// Removed is the credential as it was before its removal.
	Removed KeyCredential
	// AlreadyAbsent reports that the object had no credential with that
	// keyId: nothing was written.
	AlreadyAbsent bool
	// Restored lists the other credentials that were missing after a
	// write and were put back.
	Restored []KeyCredential
	// Rounds is how many writes it took (0 when AlreadyAbsent).
	Rounds int
}

// StateError reports a read-modify-write that did not end confirmed, with
// what the last read of the object showed.
type StateError struct {
	// Op is "adding credential <thumbprint>" or "removing credential <keyId>".
	Op string
	// State says plainly what state the object is in, or that it is not
	// known.
	State string
	// Err is the last failure, if any.
	Err error
}

func (e *StateError) Error() string {
	s := e.Op + ": " + e.State
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the last failure.
func (e *StateError) Unwrap() error { return e.Err }

// goal is what a read-modify-write must reach: add's thumbprint present,
// removeID absent, and every credential it has seen (but removeID)
// present.
type goal struct {
	op       string
	add      *KeyCredential
	removeID string
}

// AddCredential adds kc to the object by read-modify-write (PATCH), the way
// for a caller who holds no key of the object yet (addKey needs one). It
// reads the collection with the keys; when a credential with kc's
// thumbprint is there it returns AlreadyPresent. Otherwise it writes every
// credential it read, with its key, dates, name and identifier, plus kc,
// and reads again: success only when that read shows kc's thumbprint and
// every credential read before. A write that failed is looked into by the
// same read: applied is success; not applied is another round. A credential
// that was present when read and is missing after a write (a concurrent
// writer) is put back in the next round and listed in Restored. At most
// MaxRounds writes; a *StateError says what the object holds then.
//
// Graph has no conditional write for keyCredentials: a credential that a
// concurrent writer adds between this read and this write is not in this
// write. A writer that confirms its own write by reading it again, as this
// one does, sees that and writes again; one that does not, can lose it.
// https://learn.microsoft.com/graph/applications-how-to-add-certificate
func (c *Client) AddCredential(ctx context.Context, kind Kind, objectID string, kc KeyCredential) (*AddResult, error) {
	if len(kc.Key) == 0 {
		return nil, errors.New("adding a credential: it has no certificate (Key)")
	}
	kc.Thumbprint = Thumbprint(kc.Key)
	if kc.CustomKeyIdentifier == "" {
		kc.CustomKeyIdentifier = kc.Thumbprint
	}
	if kc.Type == "" {
		kc.Type = TypeX509Cert
	}
	if kc.Usage == "" {
		kc.Usage = UsageVerify
	}
	g := goal{op: "adding credential " + kc.Thumbprint, add: &kc}
	final, first, restored, rounds, err := c.converge(ctx, kind, objectID, g)
	if err != nil {
		return nil, err
	}
	if rounds == 0 {
		return &AddResult{Credential: *first.Credential(kc.Thumbprint), AlreadyPresent: true}, nil
	}
	return &AddResult{Credential: *final.Credential(kc.Thumbprint), Restored: restored, Rounds: rounds}, nil
}

// RemoveCredential removes the credential keyID from the object by
// read-modify-write (PATCH): it reads the collection with the keys, writes
// every other credential with its key, and reads again; success only when
// keyID is gone and every other credential read is there. Failures and
// concurrent changes are handled as in AddCredential.
// https://learn.microsoft.com/graph/api/application-update
func (c *Client) RemoveCredential(ctx context.Context, kind Kind, objectID, keyID string) (*RemoveResult, error) {
	if err := checkID("key id", keyID); err != nil {
		return nil, err
	}
	g := goal{op: "removing credential " + keyID, removeID: keyID}
	_, first, restored, rounds, err := c.converge(ctx, kind, objectID, g)
	if err != nil {
		return nil, err
	}
	if rounds == 0 {
		return &RemoveResult{AlreadyAbsent: true}, nil
	}
	return &RemoveResult{Removed: *first.ByKeyID(keyID), Restored: restored, Rounds: rounds}, nil
}

// converge runs the read-modify-write rounds. rounds is 0 when the first
// read shows the goal reached already (nothing to do).
func (c *Client) converge(ctx context.Context, kind Kind, objectID string, g goal) (final, first *Object, restored []KeyCredential, rounds int, err error) {
	first, err = c.Get(ctx, kind, objectID, true)
	if err != nil {
		return nil, nil, nil, 0, fmt.Errorf("%s: reading %s %s: %w", g.op, kind, objectID, err)
	}
	if (g.add != nil && first.Credential(g.add.Thumbprint) != nil) || (g.add == nil && first.ByKeyID(g.removeID) == nil) {
		return first, first, nil, 0, nil
	}
	seen := map[string]KeyCredential{} // keyId -> credential with its key
	var order []string
	current := first
	for rounds = 1; ; rounds++ {
		for _, kc := range current.KeyCredentials {
			if _, ok := seen[strings.ToLower(kc.KeyID)]; !ok && !g.excluded(&kc) {
				seen[strings.ToLower(kc.KeyID)] = kc
				order = append(order, strings.ToLower(kc.KeyID))
			}
		}
		want, missing, perr := g.plan(current, seen, order)
		if perr != nil {
			return nil, nil, nil, rounds, &StateError{Op: g.op, State: unchanged(rounds, current), Err: perr}
		}
		restored = appendNew(restored, missing)
		werr := c.SetKeyCredentials(ctx, kind, objectID, want)
		if werr != nil && !openOutcome(werr) {
			return nil, nil, nil, rounds, &StateError{Op: g.op, State: "Graph refused the write; " + unchanged(rounds, current), Err: werr}
		}
		after, rerr := c.Get(ctx, kind, objectID, true)
		if rerr != nil {
			return nil, nil, nil, rounds, &StateError{Op: g.op, State: "the write was sent but could not be confirmed, so the state of the credentials is not known; run the command again to check", Err: errors.Join(werr, rerr)}
		}
		if g.reached(after, seen) {
			return after, first, restored, rounds, nil
		}
		if rounds == MaxRounds {
			return nil, nil, nil, rounds, &StateError{Op: g.op, State: fmt.Sprintf("not confirmed after %d writes; %s", rounds, g.shortfall(after, seen)), Err: werr}
		}
		if werr != nil {
			if err := wait(ctx, werr); err != nil {
				return nil, nil, nil, rounds, &StateError{Op: g.op, State: g.shortfall(after, seen), Err: errors.Join(werr, err)}
			}
		}
		current = after
	}
}

// excluded reports a credential the goal does not keep: the one removed,
// or the one added (it is in every write anyway).
func (g goal) excluded(kc *KeyCredential) bool {
	if g.add != nil {
		return kc.Thumbprint != "" && kc.Thumbprint == g.add.Thumbprint
	}
	return strings.EqualFold(kc.KeyID, g.removeID)
}

// plan is the collection to write: the current one without the removed
// credential, every seen credential that is missing from it, and the
// added one unless it is there. Each must carry its key.
func (g goal) plan(current *Object, seen map[string]KeyCredential, order []string) (want, missing []KeyCredential, err error) {
	have := map[string]bool{}
	hasAdd := false
	for _, kc := range current.KeyCredentials {
		if g.add != nil && kc.Thumbprint == g.add.Thumbprint {
			hasAdd = true
		}
		if g.add == nil && strings.EqualFold(kc.KeyID, g.removeID) {
			continue
		}
		have[strings.ToLower(kc.KeyID)] = true
		want = append(want, kc)
	}
	for _, id := range order {
		if !have[id] {
			missing = append(missing, seen[id])
			want = append(want, seen[id])
		}
	}
	if g.add != nil && !hasAdd {
		want = append(want, *g.add)
	}
	for i := range want {
		if len(want[i].Key) == 0 {
			return nil, nil, fmt.Errorf("Graph did not return the certificate of credential %s; writing the collection without it would remove it", describe(&want[i]))
		}
	}
	if want == nil {
		want = []KeyCredential{}
	}
	return want, missing, nil
}

// reached reports the goal met by after.
func (g goal) reached(after *Object, seen map[string]KeyCredential) bool {
	if g.add != nil && after.Credential(g.add.Thumbprint) == nil {
		return false
	}
	if g.add == nil && after.ByKeyID(g.removeID) != nil {
		return false
	}
	for id := range seen {
		if after.ByKeyID(id) == nil {
			return false
		}
	}
	return true
}

// shortfall says what after lacks, plainly.
func (g goal) shortfall(after *Object, seen map[string]KeyCredential) string {
	var parts []string
	if g.add != nil {
		if after.Credential(g.add.Thumbprint) == nil {
			parts = append(parts, "the new credential "+g.add.Thumbprint+" is not there")
		} else {
			parts = append(parts, "the new credential "+g.add.Thumbprint+" is there")
		}
	} else if after.ByKeyID(g.removeID) != nil {
		parts = append(parts, "credential "+g.removeID+" is still there")
	}
	var gone []string
	for _, kc := range seen {
		if after.ByKeyID(kc.KeyID) == nil {
			gone = append(gone, describe(&kc))
		}
	}
	if len(gone) > 0 {
		parts = append(parts, "missing credentials that were there before: "+strings.Join(gone, "; "))
	} else {
		parts = append(parts, "every credential that was there before is there")
	}
	return "the last read shows: " + strings.Join(parts, ", ")
}

// unchanged describes the state after a refused first write, or after a
// refusal in a later round.
func unchanged(round int, current *Object) string {
	if round == 1 {
		return fmt.Sprintf("the credentials were not changed (%d as read)", len(current.KeyCredentials))
	}
	return fmt.Sprintf("the credentials are as last read (%d)", len(current.KeyCredentials))
}

func appendNew(list, more []KeyCredential) []KeyCredential {
	for _, kc := range more {
		dup := false
		for _, have := range list {
			dup = dup || strings.EqualFold(have.KeyID, kc.KeyID)
		}
		if !dup {
			list = append(list, kc)
		}
	}
	return list
}

// wait waits what the failure's Retry-After asked for (at most a minute)
// before another round.
func wait(ctx context.Context, err error) error {
	var e *Error
	if !errors.As(err, &e) || e.RetryAfter <= 0 {
		return nil
	}
	t := time.NewTimer(min(e.RetryAfter, maxRoundWait))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
