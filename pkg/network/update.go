package network

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Result is the outcome of a change to a gateway.
type Result struct {
	// Gateway is the gateway as read after the change, or as it was when
	// there was nothing to change.
	Gateway *Gateway `json:"gateway"`
	// Changed reports that the client wrote the change; false when it
	// was there already (an add) or not there (a remove).
	Changed bool `json:"changed"`
	// Status says what happened: "added", "already present", "removed",
	// "not present".
	Status string `json:"status"`
	// Name is the name of the item added or removed, or of the item that
	// was there already with the same certificate.
	Name string `json:"name"`
	// Conflicts counts the concurrent writes met and retried after (412
	// Precondition Failed, 409 AnotherOperationInProgress).
	Conflicts int `json:"conflicts"`
}

// Result statuses.
const (
	StatusAdded          = "added"
	StatusAlreadyPresent = "already present"
	StatusRemoved        = "removed"
	StatusNotPresent     = "not present"
)

// LimitError reports that a gateway holds MaxRoots root certificates
// already; the client says so before sending anything.
type LimitError struct {
	Gateway string
	Max     int
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("the gateway %s has %d root certificates already, the most a gateway takes; remove one first", e.Gateway, e.Max)
}

// NameInUseError reports that the name of a new item names another
// certificate of the gateway already.
type NameInUseError struct {
	// Kind is "root certificate" or "revoked certificate".
	Kind, Name string
}

func (e *NameInUseError) Error() string {
	return fmt.Sprintf("the gateway has a %s named %q already, for another certificate; choose another name", e.Kind, e.Name)
}

// OperationError reports that the long-running operation of a change
// ended Failed or Canceled.
type OperationError struct {
	// Status is the operation's final status ("Failed", "Canceled").
	Status string
	// Code and Message are the operation's error, when it gave one.
	Code, Message string
}

func (e *OperationError) Error() string {
	msg := "the gateway's update operation ended " + e.Status
	if e.Code != "" || e.Message != "" {
		msg += ": " + strings.Trim(e.Code+": "+strings.TrimSpace(e.Message), ": ")
	}
	return msg
}

// ConflictError reports that every try of a change met a concurrent write.
type ConflictError struct {
	Tries int
	// Err is the last conflict's answer.
	Err error
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("the gateway kept changing under the update (%d tries, each refused as a concurrent change): %v", e.Tries, e.Err)
}

// Unwrap returns the last conflict's answer.
func (e *ConflictError) Unwrap() error { return e.Err }

// TimeoutError reports that the context's deadline passed while a change
// waited for the gateway: for its update operation to end after the change
// was sent (Sent), or for another update to end before it could be.
type TimeoutError struct {
	// Sent reports that the change was written and accepted (or its
	// answer lost): the gateway may apply it yet.
	Sent bool
	Err  error
}

func (e *TimeoutError) Error() string {
	if e.Sent {
		return "the change was sent, but the gateway was still updating when the time ran out"
	}
	return "the gateway was busy with another update when the time ran out; nothing was changed"
}

// Unwrap returns the error the end of the context caused (Error leaves
// it out: it says no more than that the time ran out).
func (e *TimeoutError) Unwrap() error { return e.Err }

// change edits a gateway: it returns false when there is nothing to do
// (the change is in place), with the name of the item concerned.
type change func(g *Gateway) (changed bool, name string, err error)

// AddRoot adds the certificate der (DER) to the gateway's root
// certificates under rootName ("" means DefaultRootName). A root whose
// data is there already, under any name, is not added again.
func (c *Client) AddRoot(ctx context.Context, rg, name, rootName string, der []byte) (*Result, error) {
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("the root certificate cannot be read: %w", err)
	}
	if rootName == "" {
		rootName = DefaultRootName(cert)
	}
	if !ValidName(rootName) {
		return nil, fmt.Errorf("root certificate name %q is not valid (1-80 letters, digits, _.-, starting with a letter or digit, ending with a letter, digit or _)", rootName)
	}
	data := PublicCertData(cert.Raw)
	return c.update(ctx, rg, name, StatusAdded, StatusAlreadyPresent, func(g *Gateway) (bool, string, error) {
		if !g.PointToSite {
			return false, "", ErrNoPointToSite
		}
		tp := thumbprint(cert.Raw)
		for _, r := range g.Roots {
			if r.Thumbprint == tp || r.PublicCertData == data {
				return false, r.Name, nil
			}
		}
		for _, r := range g.Roots {
			if strings.EqualFold(r.Name, rootName) {
				return false, "", &NameInUseError{Kind: "root certificate", Name: r.Name}
			}
		}
		if len(g.Roots) >= MaxRoots {
			return false, "", &LimitError{Gateway: g.ResourceGroup + "/" + g.Name, Max: MaxRoots}
		}
		raw, err := json.Marshal(map[string]any{"name": rootName, "properties": map[string]string{"publicCertData": data}})
		if err != nil {
			return false, "", err
		}
		g.rootsRaw = append(g.rootsRaw, raw)
		g.Roots = append(g.Roots, RootCertificate{Name: rootName, PublicCertData: data, Thumbprint: tp})
		return true, rootName, nil
	})
}

// RemoveRoot removes the root certificate named rootName (in any case).
func (c *Client) RemoveRoot(ctx context.Context, rg, name, rootName string) (*Result, error) {
	return c.update(ctx, rg, name, StatusRemoved, StatusNotPresent, func(g *Gateway) (bool, string, error) {
		for i, r := range g.Roots {
			if strings.EqualFold(r.Name, rootName) {
				g.Roots = append(g.Roots[:i:i], g.Roots[i+1:]...)
				g.rootsRaw = append(g.rootsRaw[:i:i], g.rootsRaw[i+1:]...)
				return true, r.Name, nil
			}
		}
		return false, rootName, nil
	})
}

// AddRevoked adds a client certificate's SHA-1 thumbprint to the gateway's
// revoked certificates under revName ("" means "revoked-" and the
// thumbprint's last eight digits). A thumbprint revoked already is not
// added again.
func (c *Client) AddRevoked(ctx context.Context, rg, name, revName, thumb string) (*Result, error) {
	tp, err := NormalizeThumbprint(thumb)
	if err != nil {
		return nil, err
	}
	if revName == "" {
		revName = "revoked-" + tp[len(tp)-8:]
	}
	if !ValidName(revName) {
		return nil, fmt.Errorf("revoked certificate name %q is not valid (1-80 letters, digits, _.-, starting with a letter or digit, ending with a letter, digit or _)", revName)
	}
	return c.update(ctx, rg, name, StatusAdded, StatusAlreadyPresent, func(g *Gateway) (bool, string, error) {
		if !g.PointToSite {
			return false, "", ErrNoPointToSite
		}
		for _, r := range g.Revoked {
			if r.Thumbprint == tp {
				return false, r.Name, nil
			}
		}
		for _, r := range g.Revoked {
			if strings.EqualFold(r.Name, revName) {
				return false, "", &NameInUseError{Kind: "revoked certificate", Name: r.Name}
			}
		}
		raw, err := json.Marshal(map[string]any{"name": revName, "properties": map[string]string{"thumbprint": tp}})
		if err != nil {
			return false, "", err
		}
		g.revokedRaw = append(g.revokedRaw, raw)
		g.Revoked = append(g.Revoked, RevokedCertificate{Name: revName, Thumbprint: tp})
		return true, revName, nil
	})
}

// RemoveRevoked removes a revoked certificate, named by its name or by its
// thumbprint (in any form NormalizeThumbprint reads).
func (c *Client) RemoveRevoked(ctx context.Context, rg, name, revNameOrThumbprint string) (*Result, error) {
	tp, _ := NormalizeThumbprint(revNameOrThumbprint)
	return c.update(ctx, rg, name, StatusRemoved, StatusNotPresent, func(g *Gateway) (bool, string, error) {
		for i, r := range g.Revoked {
			if strings.EqualFold(r.Name, revNameOrThumbprint) || (tp != "" && r.Thumbprint == tp) {
				g.Revoked = append(g.Revoked[:i:i], g.Revoked[i+1:]...)
				g.revokedRaw = append(g.revokedRaw[:i:i], g.revokedRaw[i+1:]...)
				return true, r.Name, nil
			}
		}
		return false, revNameOrThumbprint, nil
	})
}

// update is the read-modify-write: read, change, write with If-Match,
// follow the operation, read again and confirm. A conflict (412, 409
// AnotherOperationInProgress) or a lost answer starts over from a fresh
// read, so a change is never written over another one and never twice.
func (c *Client) update(ctx context.Context, rg, name, done, noop string, edit change) (_ *Result, err error) {
	u, err := c.gatewayURL(rg, name)
	if err != nil {
		return nil, err
	}
	res := &Result{}
	wrote := false // a write was sent that may have been applied
	sent := false  // a write was accepted, or its answer lost
	defer func() {
		// The context's deadline passed while waiting on the gateway: say
		// whether the change may land yet. Before any write, a request that ran
		// out of time says so already (UnavailableError).
		if err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) && (sent || !errors.As(err, new(*UnavailableError))) {
			err = &TimeoutError{Sent: sent, Err: err}
		}
	}()
	var lastConflict error
	for try := 0; try <= c.maxConflicts; try++ {
		g, err := c.get(ctx, u, rg)
		if err != nil {
			return nil, err
		}
		changed, itemName, err := edit(g)
		if err != nil {
			return nil, err
		}
		res.Name = itemName
		if !changed {
			if wrote {
				// An earlier write of ours took effect after all (its
				// answer was lost, or a retry of it met its own etag).
				if g, err = c.settle(ctx, u, rg, g); err != nil {
					return nil, err
				}
				res.Gateway, res.Changed, res.Status = g, true, done
				return res, nil
			}
			res.Gateway, res.Status = g, noop
			return res, nil
		}
		if g.ETag == "" {
			return nil, errors.New("the gateway has no etag; refusing to write it without If-Match, which could overwrite a concurrent change")
		}
		body, err := g.body()
		if err != nil {
			return nil, err
		}
		wrote = true
		resp, data, err := c.do(ctx, http.MethodPut, u, body, g.ETag, http.StatusOK, http.StatusCreated, http.StatusAccepted)
		if conflict(err) {
			res.Conflicts++
			lastConflict = err
			// A 412 needs only a fresh read; an operation in progress
			// needs time to end.
			if resp != nil && resp.StatusCode == http.StatusConflict {
				if err := c.sleep(ctx, retryAfter(resp, c.pollInterval)); err != nil {
					return nil, err
				}
			}
			continue
		}
		var unavailable *UnavailableError
		if errors.As(err, &unavailable) {
			// The answer was lost: the write may or may not have been
			// applied. The next read tells.
			sent = true
			lastConflict = err
			continue
		}
		if err != nil {
			return nil, err
		}
		sent = true
		if err := c.follow(ctx, u, rg, resp, data); err != nil {
			return nil, err
		}
		after, err := c.get(ctx, u, rg)
		if err != nil {
			return nil, err
		}
		if again, _, err := edit(after); err == nil && !again {
			res.Gateway, res.Changed, res.Status = after, true, done
			return res, nil
		}
		// Another write undid ours between the operation's end and the
		// read: apply it again on what is there now.
		lastConflict = errors.New("the change was not there when the gateway was read after the operation")
		res.Conflicts++
	}
	return nil, &ConflictError{Tries: c.maxConflicts + 1, Err: lastConflict}
}

// conflict reports a concurrent write: 412 (the etag changed) or 409
// AnotherOperationInProgress (the gateway is still updating).
func conflict(err error) bool {
	var e *Error
	if !errors.As(err, &e) {
		return false
	}
	return e.StatusCode == http.StatusPreconditionFailed ||
		e.StatusCode == http.StatusConflict && strings.EqualFold(e.Code, "AnotherOperationInProgress")
}

// follow waits for the end of the operation a PUT started: its
// Azure-AsyncOperation URL, else its Location, else the gateway's
// provisioningState.
func (c *Client) follow(ctx context.Context, u, rg string, resp *http.Response, data []byte) error {
	if op := resp.Header.Get("Azure-AsyncOperation"); op != "" {
		return c.poll(ctx, op, retryAfter(resp, c.pollInterval))
	}
	if loc := resp.Header.Get("Location"); loc != "" && resp.StatusCode == http.StatusAccepted {
		return c.pollLocation(ctx, loc, retryAfter(resp, c.pollInterval))
	}
	g, err := ParseGateway(data)
	if err != nil {
		g = &Gateway{ProvisioningState: "Updating"}
	}
	_, err = c.settle(ctx, u, rg, g)
	return err
}

// sameEndpoint checks that an operation URL the service handed out points
// at the ARM endpoint, where the bearer token may go.
func (c *Client) sameEndpoint(op string) error {
	if !strings.HasPrefix(op, c.endpoint+"/") {
		return fmt.Errorf("the operation URL %q points away from the ARM endpoint %s", op, c.endpoint)
	}
	return nil
}

// OperationStatus is the body of an Azure-AsyncOperation URL.
type OperationStatus struct {
	Status string `json:"status"`
	Error  *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error,omitempty"`
}

// ParseOperationStatus reads the answer of an Azure-AsyncOperation URL.
func ParseOperationStatus(data []byte) (*OperationStatus, error) {
	var s OperationStatus
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("the operation status is not the expected JSON: %w", err)
	}
	if s.Status == "" {
		return nil, errors.New("the operation status has no status")
	}
	return &s, nil
}

// terminal reports whether an operation or provisioning state is final,
// and the error of a final one that is not a success.
func terminal(status string, s *OperationStatus) (bool, error) {
	switch strings.ToLower(status) {
	case "succeeded":
		return true, nil
	case "failed", "canceled", "cancelled":
		e := &OperationError{Status: status}
		if s != nil && s.Error != nil {
			e.Code, e.Message = s.Error.Code, s.Error.Message
		}
		return true, e
	}
	return false, nil
}

// poll follows an Azure-AsyncOperation URL to its end.
func (c *Client) poll(ctx context.Context, op string, wait time.Duration) error {
	if err := c.sameEndpoint(op); err != nil {
		return err
	}
	for range c.maxPolls {
		if err := c.sleep(ctx, wait); err != nil {
			return err
		}
		resp, data, err := c.do(ctx, http.MethodGet, op, nil, "", http.StatusOK)
		if err != nil {
			return err
		}
		s, err := ParseOperationStatus(data)
		if err != nil {
			return err
		}
		if end, err := terminal(s.Status, s); end {
			return err
		}
		wait = retryAfter(resp, c.pollInterval)
	}
	return fmt.Errorf("the gateway's update operation was still in progress after %d polls", c.maxPolls)
}

// pollLocation follows a Location URL: 202 while in progress, then 200
// (or 204) at the end.
func (c *Client) pollLocation(ctx context.Context, loc string, wait time.Duration) error {
	if err := c.sameEndpoint(loc); err != nil {
		return err
	}
	for range c.maxPolls {
		if err := c.sleep(ctx, wait); err != nil {
			return err
		}
		resp, _, err := c.do(ctx, http.MethodGet, loc, nil, "", http.StatusOK, http.StatusCreated, http.StatusNoContent, http.StatusAccepted)
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusAccepted {
			return nil
		}
		wait = retryAfter(resp, c.pollInterval)
	}
	return fmt.Errorf("the gateway's update operation was still in progress after %d polls", c.maxPolls)
}

// settle reads the gateway until its provisioningState is final, starting
// from g as read.
func (c *Client) settle(ctx context.Context, u, rg string, g *Gateway) (*Gateway, error) {
	for range c.maxPolls {
		if g.ProvisioningState == "" {
			return g, nil
		}
		if end, err := terminal(g.ProvisioningState, nil); end {
			return g, err
		}
		if err := c.sleep(ctx, c.pollInterval); err != nil {
			return nil, err
		}
		var err error
		if g, err = c.get(ctx, u, rg); err != nil {
			return nil, err
		}
	}
	return nil, fmt.Errorf("the gateway was still %s after %d reads", g.ProvisioningState, c.maxPolls)
}

// retryAfter is the wait an answer's Retry-After asks for (seconds or an
// HTTP date), capped at MaxPollDelay; def when it has none.
func retryAfter(resp *http.Response, def time.Duration) time.Duration {
	if resp == nil {
		return def
	}
	v := strings.TrimSpace(resp.Header.Get("Retry-After"))
	if v == "" {
		return def
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return min(time.Duration(s)*time.Second, MaxPollDelay)
	}
	if t, err := http.ParseTime(v); err == nil {
		return min(max(time.Until(t), 0), MaxPollDelay)
	}
	return def
}
