package keyvault

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/azcert/azcert/pkg/azhttp"
)

// ChallengeError reports a Key Vault authentication challenge that the
// client will not answer: one it cannot read, or one that asks for a token
// for a domain other than the vault's (a token for vault.azure.net sent to
// a host that is not a vault would let that host use it). Do returns it
// inside an *azhttp.CredentialError, as no token could be had.
type ChallengeError struct {
	// Host is the vault's host; Resource the challenge's resource or scope.
	Host, Resource string
	// Reason says what is wrong with the challenge.
	Reason string
}

// Error names the vault and what it asked for.
func (e *ChallengeError) Error() string {
	if e.Resource == "" {
		return fmt.Sprintf("the authentication challenge of %s cannot be used: %s", e.Host, e.Reason)
	}
	return fmt.Sprintf("the vault %s asks for a token for %q: %s", e.Host, e.Resource, e.Reason)
}

// challenger answers Key Vault's authentication challenge the way the
// official Azure SDK for Go does (sdk/security/keyvault/internal,
// NewKeyVaultChallengePolicy): the first request goes without a token and
// with its body held back; the 401's WWW-Authenticate names the tenant
// (authorization) and the resource (or scope); the resource's host must be
// the vault's or a parent domain of it; then the request is sent again
// with a token for <resource>/.default from that tenant, the body
// restored. The challenge is kept, so later requests carry the token at
// once; a later 401 with a challenge replaces it.
// https://learn.microsoft.com/azure/key-vault/general/authentication-requests-and-responses#authentication
type challenger struct {
	mu    sync.RWMutex
	known bool
	tro   policy.TokenRequestOptions
}

// heldBody is a request body held back until the challenge is answered.
type heldBody struct {
	body        io.ReadSeekCloser
	contentType string
}

func (c *challenger) handler() policy.AuthorizationHandler {
	return policy.AuthorizationHandler{OnRequest: c.onRequest, OnChallenge: c.onChallenge}
}

func (c *challenger) options() (policy.TokenRequestOptions, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.tro, c.known
}

func (c *challenger) onRequest(req *policy.Request, authNZ func(policy.TokenRequestOptions) error) error {
	tro, known := c.options()
	if known {
		return authNZ(tro)
	}
	// No challenge seen yet: send the request without a token to elicit
	// one, and without its body, which the vault would see unauthorized.
	if body := req.Body(); body != nil {
		req.SetOperationValue(heldBody{body, req.Raw().Header.Get("Content-Type")})
		if err := req.SetBody(nil, ""); err != nil {
			return err
		}
	}
	return nil
}

func (c *challenger) onChallenge(req *policy.Request, res *http.Response, authNZ func(policy.TokenRequestOptions) error) error {
	tro, err := parseChallenge(res.Header.Values("WWW-Authenticate"), req.Raw().URL.Hostname())
	if err != nil {
		return &azhttp.CredentialError{Err: err}
	}
	c.mu.Lock()
	c.tro, c.known = tro, true
	c.mu.Unlock()
	var held heldBody
	if req.OperationValue(&held) && held.body != nil {
		if err := req.SetBody(held.body, held.contentType); err != nil {
			return err
		}
	}
	return authNZ(tro)
}

var challengeParamRE = regexp.MustCompile(`([A-Za-z_]+)\s*=\s*"([^"]*)"`)

// parseChallenge reads the Bearer challenge of WWW-Authenticate values
// (Bearer authorization="https://login.microsoftonline.com/{tenant}",
// resource="https://vault.azure.net", or scope="…/.default") into the
// token request it asks for, and checks its domain against vaultHost.
func parseChallenge(values []string, vaultHost string) (policy.TokenRequestOptions, error) {
	params := map[string]string{}
	for _, v := range values {
		for _, ch := range splitChallenges(v) {
			scheme, rest, _ := strings.Cut(strings.TrimSpace(ch), " ")
			if !strings.EqualFold(scheme, "Bearer") {
				continue
			}
			for _, m := range challengeParamRE.FindAllStringSubmatch(rest, -1) {
				params[strings.ToLower(m[1])] = m[2]
			}
		}
	}
	resource := params["scope"]
	if resource == "" {
		resource = params["resource"]
	}
	if resource == "" {
		return policy.TokenRequestOptions{}, &ChallengeError{Host: vaultHost, Reason: "it names no resource or scope"}
	}
	if err := checkResource(resource, vaultHost); err != nil {
		return policy.TokenRequestOptions{}, err
	}
	authz := params["authorization"]
	if authz == "" {
		authz = params["authorization_uri"]
	}
	scope := strings.TrimSuffix(resource, "/")
	if !strings.HasSuffix(scope, "/.default") {
		scope += "/.default"
	}
	return policy.TokenRequestOptions{Scopes: []string{scope}, TenantID: tenantOf(authz)}, nil
}

// splitChallenges splits a WWW-Authenticate value where a new scheme
// begins (a word followed by a space, outside quotes, after a comma).
func splitChallenges(v string) []string {
	var out []string
	start, quoted := 0, false
	for i := 0; i < len(v); i++ {
		switch v[i] {
		case '"':
			quoted = !quoted
		case ',':
			if quoted {
				continue
			}
			rest := strings.TrimLeft(v[i+1:], " ")
			word := rest
			if j := strings.IndexAny(rest, " =,"); j >= 0 {
				word = rest[:j]
			}
			after := strings.TrimLeft(rest[len(word):], " ")
			if word != "" && len(after) < len(rest[len(word):]) && !strings.HasPrefix(after, "=") {
				out = append(out, v[start:i])
				start = i + 1
			}
		}
	}
	return append(out, v[start:])
}

// checkResource accepts a challenge resource whose host is the vault's
// host or a parent domain of it (vault.azure.net for
// contoso.vault.azure.net), as the official SDKs verify it
// (https://aka.ms/azsdk/blog/vault-uri). An IP address must match
// exactly, and a top-level domain alone is no parent.
func checkResource(resource, vaultHost string) error {
	u, err := url.Parse(strings.TrimSuffix(resource, "/.default"))
	if err != nil || u.Hostname() == "" {
		return &ChallengeError{Host: vaultHost, Resource: resource, Reason: "it is not a URL with a host"}
	}
	host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	vault := strings.ToLower(strings.TrimSuffix(vaultHost, "."))
	if host == vault {
		return nil
	}
	if net.ParseIP(vault) == nil && strings.Contains(host, ".") && strings.HasSuffix(vault, "."+host) {
		return nil
	}
	return &ChallengeError{Host: vaultHost, Resource: resource,
		Reason: "that domain is not the vault's; refusing to send it a token (is the vault URL right?)"}
}

// tenantOf returns the tenant of an authorization URL: its first path
// segment (https://login.microsoftonline.com/{tenant}), or the second
// after "dstsv2". "" lets the credential use its own tenant.
func tenantOf(authz string) string {
	if authz == "" {
		return ""
	}
	u, err := url.Parse(authz)
	if err != nil {
		return ""
	}
	if u.Host == "" {
		if u, err = url.Parse("https://" + authz); err != nil {
			return ""
		}
	}
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	if strings.EqualFold(parts[0], "dstsv2") && len(parts) > 1 {
		return parts[1]
	}
	return parts[0]
}
