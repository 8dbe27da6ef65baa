package graph

import (
	"crypto/sha1"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/azcert/azcert/pkg/emulator"
)

// Kinds of object, as their collections are named in Graph's paths.
const (
	kindApplication      = "applications"
	kindServicePrincipal = "servicePrincipals"
)

// The keyCredential type and usage of a certificate that verifies
// signatures (https://learn.microsoft.com/graph/api/resources/keycredential).
const (
	typeX509    = "AsymmetricX509Cert"
	usageVerify = "Verify"
)

// app is an application with its service principal.
type app struct {
	ids App
	// creds holds the keyCredentials of the application and of the
	// service principal.
	appCreds, spCreds []*keyCred
}

func newApp(name string) *app { return &app{ids: AppFor(name)} }

// keyCred is one certificate credential.
type keyCred struct {
	keyID       string
	displayName string
	custom      string // customKeyIdentifier as on the wire (base64 text)
	credType    string
	usage       string
	cert        *x509.Certificate
	start, end  time.Time
}

// find returns the application named name (case-insensitive), or nil.
func (s *Service) find(name string) *app {
	for _, a := range s.apps {
		if strings.EqualFold(a.ids.Name, name) {
			return a
		}
	}
	return nil
}

// object is an application or service principal being served.
type object struct {
	kind string
	app  *app
}

func (o object) id() string {
	if o.kind == kindApplication {
		return o.app.ids.ObjectID
	}
	return o.app.ids.ServicePrincipalID
}

func (o object) creds() *[]*keyCred {
	if o.kind == kindApplication {
		return &o.app.appCreds
	}
	return &o.app.spCreds
}

// request is a Graph request being served.
type request struct {
	w      http.ResponseWriter
	r      *http.Request
	base   string
	body   []byte
	caller caller
}

func (rq *request) fail(status int, code, format string, args ...any) {
	writeError(rq.w, rq.r, status, code, fmt.Sprintf(format, args...))
}

func (rq *request) badRequest(format string, args ...any) {
	rq.fail(http.StatusBadRequest, "Request_BadRequest", format, args...)
}

// allow answers 405 unless the request's method is one of methods.
func (rq *request) allow(methods ...string) bool {
	if slices.Contains(methods, rq.r.Method) {
		return true
	}
	rq.w.Header().Set("Allow", strings.Join(methods, ", "))
	rq.fail(http.StatusMethodNotAllowed, "Request_BadRequest", "Specified HTTP method is not allowed for the request uri (allowed: %s).", strings.Join(methods, ", "))
	return false
}

func (s *Service) serveGraph(rq *request) {
	segs := strings.Split(strings.TrimPrefix(rq.r.URL.Path, "/"), "/")[1:]
	if len(segs) == 0 || segs[0] == "" {
		rq.fail(http.StatusNotFound, "Request_ResourceNotFound", "The emulator serves only applications and servicePrincipals of Microsoft Graph v1.0.")
		return
	}
	kind, key, keyed := collection(segs[0])
	if kind == "" {
		rq.badRequest("Resource not found for the segment '%s'.", emulator.Clip(segs[0]))
		return
	}
	switch {
	case len(segs) == 1 && !keyed:
		if rq.allow(http.MethodGet) {
			s.list(rq, kind)
		}
	case len(segs) == 2 && !keyed && segs[1] != "":
		s.serveObject(rq, kind, segs[1], false, "")
	case len(segs) == 1 && keyed:
		s.serveObject(rq, kind, key, true, "")
	case len(segs) == 2 && keyed:
		s.serveObject(rq, kind, key, true, segs[1])
	case len(segs) == 3 && !keyed:
		s.serveObject(rq, kind, segs[1], false, segs[2])
	default:
		rq.badRequest("Resource not found for the segment '%s'.", emulator.Clip(segs[len(segs)-1]))
	}
}

// collection reads "applications", "servicePrincipals" (any case) or
// either with (appId='{appId}').
func collection(seg string) (kind, appID string, keyed bool) {
	name, rest, keyed := strings.Cut(seg, "(")
	switch {
	case strings.EqualFold(name, kindApplication):
		kind = kindApplication
	case strings.EqualFold(name, kindServicePrincipal):
		kind = kindServicePrincipal
	default:
		return "", "", false
	}
	if !keyed {
		return kind, "", false
	}
	k, v, ok := strings.Cut(strings.TrimSuffix(rest, ")"), "=")
	if !ok || !strings.HasSuffix(rest, ")") || !strings.EqualFold(k, "appId") || len(v) < 2 || v[0] != '\'' || v[len(v)-1] != '\'' {
		return "", "", false
	}
	return kind, v[1 : len(v)-1], true
}

// serveObject serves one object and, if action is not "", an action on
// it. byAppID says whether key is an app id rather than an object id.
func (s *Service) serveObject(rq *request, kind, key string, byAppID bool, action string) {
	if !guidPattern.MatchString(key) {
		rq.badRequest("Invalid object identifier '%s'.", emulator.Clip(key))
		return
	}
	s.h.Lock()
	defer s.h.Unlock()
	o, ok := s.lookup(kind, key, byAppID)
	if !ok {
		rq.fail(http.StatusNotFound, "Request_ResourceNotFound", "Resource '%s' does not exist or one of its queried reference-property objects are not present.", key)
		return
	}
	if rq.caller != "" && !strings.EqualFold(string(rq.caller), o.app.ids.AppID) {
		rq.fail(http.StatusForbidden, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
		return
	}
	switch {
	case action == "":
		if rq.allow(http.MethodGet, http.MethodPatch) {
			if rq.r.Method == http.MethodGet {
				s.get(rq, o)
			} else {
				s.patch(rq, o)
			}
		}
	case isAction(action, "addKey"):
		if rq.allow(http.MethodPost) {
			s.addKey(rq, o)
		}
	case isAction(action, "removeKey"):
		if rq.allow(http.MethodPost) {
			s.removeKey(rq, o)
		}
	default:
		rq.badRequest("Resource not found for the segment '%s'.", emulator.Clip(action))
	}
}

// isAction matches an action segment, bare or namespace-qualified
// (microsoft.graph.addKey, as some SDKs send it), in any case.
func isAction(seg, name string) bool {
	return strings.EqualFold(seg, name) || strings.EqualFold(seg, "microsoft.graph."+name)
}

// lookup finds an object; the Host is locked.
func (s *Service) lookup(kind, key string, byAppID bool) (object, bool) {
	for _, a := range s.apps {
		o := object{kind: kind, app: a}
		if (byAppID && strings.EqualFold(a.ids.AppID, key)) || (!byAppID && strings.EqualFold(o.id(), key)) {
			return o, true
		}
	}
	return object{}, false
}

// Reading.

// properties are the properties an object has, in the order written.
var properties = map[string][]string{
	kindApplication:      {"id", "appId", "displayName", "keyCredentials"},
	kindServicePrincipal: {"id", "appId", "appDisplayName", "displayName", "keyCredentials"},
}

// selection reads $select: nil for all properties, or the ones named, in
// the object's order; it answers 400 for an unknown one.
func (rq *request) selection(kind string) ([]string, bool) {
	q, err := url.ParseQuery(rq.r.URL.RawQuery)
	if err != nil {
		rq.badRequest("The query specified in the URI is not valid.")
		return nil, false
	}
	sel := q.Get("$select")
	if sel == "" {
		return nil, true
	}
	want := map[string]bool{}
	for _, p := range strings.Split(sel, ",") {
		p = strings.TrimSpace(p)
		i := slices.IndexFunc(properties[kind], func(n string) bool { return strings.EqualFold(n, p) })
		if i < 0 {
			rq.badRequest("Could not find a property named '%s' on type 'microsoft.graph.%s'.", emulator.Clip(p), singular(kind))
			return nil, false
		}
		want[properties[kind][i]] = true
	}
	var out []string
	for _, p := range properties[kind] {
		if want[p] {
			out = append(out, p)
		}
	}
	return out, true
}

func singular(kind string) string {
	if kind == kindApplication {
		return "application"
	}
	return "servicePrincipal"
}

// render writes an object's selected properties (nil: all) as an ordered
// JSON object; withKeys puts each credential's key in.
func render(o object, sel []string, withKeys bool) json.RawMessage {
	if sel == nil {
		sel = properties[o.kind]
	}
	var b strings.Builder
	b.WriteByte('{')
	for i, p := range sel {
		if i > 0 {
			b.WriteByte(',')
		}
		var v any
		switch p {
		case "id":
			v = o.id()
		case "appId":
			v = o.app.ids.AppID
		case "displayName", "appDisplayName":
			v = o.app.ids.Name
		case "keyCredentials":
			v = wireCreds(*o.creds(), withKeys)
		}
		b.WriteString(mustJSON(p) + ":" + mustJSON(v))
	}
	b.WriteByte('}')
	return json.RawMessage(b.String())
}

func mustJSON(v any) string {
	data, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("graph: encoding %T: %v", v, err))
	}
	return string(data)
}

// odataContext is the @odata.context of an answer about kind, with the
// selection in parentheses.
func odataContext(base, kind string, sel []string, suffix string) string {
	c := base + "/v1.0/$metadata#" + kind
	if sel != nil {
		c += "(" + strings.Join(sel, ",") + ")"
	}
	return c + suffix
}

func (s *Service) get(rq *request, o object) {
	sel, ok := rq.selection(o.kind)
	if !ok {
		return
	}
	body := render(o, sel, slices.Contains(sel, "keyCredentials"))
	out := `{"@odata.context":` + mustJSON(odataContext(rq.base, o.kind, sel, "/$entity")) + "," + string(body[1:])
	writeJSON(rq.w, http.StatusOK, graphContentType, json.RawMessage(out))
}

// list answers every object of kind the caller may read, keys left out.
func (s *Service) list(rq *request, kind string) {
	sel, ok := rq.selection(kind)
	if !ok {
		return
	}
	s.h.Lock()
	defer s.h.Unlock()
	values := []json.RawMessage{}
	for _, a := range s.apps {
		if rq.caller == "" || strings.EqualFold(string(rq.caller), a.ids.AppID) {
			values = append(values, render(object{kind: kind, app: a}, sel, false))
		}
	}
	writeJSON(rq.w, http.StatusOK, graphContentType, struct {
		Context string            `json:"@odata.context"`
		Value   []json.RawMessage `json:"value"`
	}{odataContext(rq.base, kind, sel, ""), values})
}

// wireCred is a keyCredential as Graph writes and reads it.
type wireCred struct {
	CustomKeyIdentifier *string `json:"customKeyIdentifier"`
	DisplayName         *string `json:"displayName"`
	EndDateTime         *string `json:"endDateTime"`
	Key                 *string `json:"key"`
	KeyID               *string `json:"keyId"`
	StartDateTime       *string `json:"startDateTime"`
	Type                *string `json:"type"`
	Usage               *string `json:"usage"`
}

// dateLayout is how Graph writes a keyCredential's dates: UTC, no
// fractional seconds.
const dateLayout = "2006-01-02T15:04:05Z"

func ptr(s string) *string { return &s }

func (k *keyCred) wire(withKey bool) wireCred {
	w := wireCred{
		CustomKeyIdentifier: ptr(k.custom), DisplayName: ptr(k.displayName),
		EndDateTime: ptr(k.end.UTC().Format(dateLayout)), KeyID: ptr(k.keyID),
		StartDateTime: ptr(k.start.UTC().Format(dateLayout)), Type: ptr(k.credType), Usage: ptr(k.usage),
	}
	if withKey {
		w.Key = ptr(base64.StdEncoding.EncodeToString(k.cert.Raw))
	}
	return w
}

func wireCreds(creds []*keyCred, withKeys bool) []wireCred {
	out := make([]wireCred, 0, len(creds))
	for _, k := range creds {
		out = append(out, k.wire(withKeys))
	}
	return out
}

// Writing.

// patch replaces the object's keyCredentials (Update application).
func (s *Service) patch(rq *request, o object) {
	var body map[string]json.RawMessage
	if err := json.Unmarshal(rq.body, &body); err != nil || body == nil {
		rq.badRequest("Invalid JSON in the request body: an object with the properties to change is expected.")
		return
	}
	var creds []*keyCred
	replace := false
	for name, raw := range body {
		if name != "keyCredentials" {
			rq.badRequest("Property '%s' does not exist on type 'microsoft.graph.%s', or the emulator does not change it.", emulator.Clip(name), singular(o.kind))
			return
		}
		var list []json.RawMessage
		if err := json.Unmarshal(raw, &list); err != nil {
			rq.badRequest("Invalid value for property 'keyCredentials': a collection of keyCredential is expected.")
			return
		}
		var msg string
		if creds, msg = parseCreds(list); msg != "" {
			rq.badRequest("%s", msg)
			return
		}
		replace = true
	}
	if replace {
		old := *o.creds()
		*o.creds() = creds
		if err := s.h.SaveLocked(); err != nil {
			*o.creds() = old
			s.internalError(rq, err)
			return
		}
	}
	rq.w.WriteHeader(http.StatusNoContent)
}

// parseCreds reads a PATCH's keyCredentials; a message says why they
// are refused.
func parseCreds(list []json.RawMessage) ([]*keyCred, string) {
	if len(list) > MaxKeyCredentials {
		return nil, fmt.Sprintf("The number of key credentials (%d) exceeds the limit of %d.", len(list), MaxKeyCredentials)
	}
	creds := make([]*keyCred, 0, len(list))
	seen := map[string]bool{}
	for i, raw := range list {
		var w wireCred
		if err := strictJSON(raw, &w); err != nil {
			return nil, fmt.Sprintf("keyCredentials[%d]: not a keyCredential: %s", i, emulator.Clip(err.Error()))
		}
		k, msg := parseCred(w, true)
		if msg != "" {
			return nil, fmt.Sprintf("keyCredentials[%d]: %s", i, msg)
		}
		if seen[strings.ToLower(k.keyID)] {
			return nil, fmt.Sprintf("keyCredentials[%d]: the keyId %s is used twice.", i, k.keyID)
		}
		seen[strings.ToLower(k.keyID)] = true
		creds = append(creds, k)
	}
	return creds, ""
}

func strictJSON(raw []byte, v any) error {
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// parseCred checks one keyCredential and fills in what Graph defaults: a
// new keyId (if allowed), the certificate's dates, its thumbprint as
// customKeyIdentifier.
func parseCred(w wireCred, keyIDAllowed bool) (*keyCred, string) {
	if w.Key == nil || *w.Key == "" {
		return nil, "the property 'key' is required: send the certificate (base64 DER) of every credential, earlier ones too."
	}
	der, err := emulator.DecodeBase64(*w.Key)
	if err != nil {
		return nil, "the 'key' is not base64."
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, "the 'key' is not an X.509 certificate: " + emulator.Clip(err.Error())
	}
	k := &keyCred{cert: cert, credType: deref(w.Type), usage: deref(w.Usage), displayName: deref(w.DisplayName),
		start: cert.NotBefore.UTC().Truncate(time.Second), end: cert.NotAfter.UTC().Truncate(time.Second)}
	if k.credType != typeX509 || k.usage != usageVerify {
		return nil, fmt.Sprintf("the type and usage must be %s and %s, not %q and %q.", typeX509, usageVerify, emulator.Clip(k.credType), emulator.Clip(k.usage))
	}
	if len(k.displayName) > maxNameLen {
		return nil, "the displayName is longer than 256 characters."
	}
	switch {
	case w.KeyID != nil && !keyIDAllowed:
		return nil, "the keyId is assigned by the service; leave it out."
	case w.KeyID != nil && !guidPattern.MatchString(*w.KeyID):
		return nil, fmt.Sprintf("the keyId %q is not a GUID.", emulator.Clip(*w.KeyID))
	case w.KeyID != nil:
		k.keyID = strings.ToLower(*w.KeyID)
	default:
		k.keyID = emulator.NewGUID()
	}
	if msg := k.setDates(w); msg != "" {
		return nil, msg
	}
	if msg := k.setCustom(w.CustomKeyIdentifier); msg != "" {
		return nil, msg
	}
	return k, ""
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// setDates reads startDateTime and endDateTime, which default to the
// certificate's validity.
func (k *keyCred) setDates(w wireCred) string {
	for _, d := range []struct {
		v    *string
		into *time.Time
		name string
	}{{w.StartDateTime, &k.start, "startDateTime"}, {w.EndDateTime, &k.end, "endDateTime"}} {
		if d.v == nil {
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, *d.v)
		if err != nil {
			return fmt.Sprintf("the %s %q is not an ISO 8601 date and time.", d.name, emulator.Clip(*d.v))
		}
		*d.into = t.UTC().Truncate(time.Second)
	}
	if !k.end.After(k.start) {
		return "the endDateTime must be later than the startDateTime."
	}
	// A credential cannot outlive its certificate, nor start before it:
	// Entra ID answers "Key credential end date is invalid."
	// (https://github.com/Azure/azure-cli/issues/11146).
	if k.end.After(k.cert.NotAfter) {
		return "Key credential end date is invalid."
	}
	if k.start.Before(k.cert.NotBefore.UTC().Truncate(time.Second)) {
		return "Key credential start date is invalid."
	}
	return ""
}

// setCustom reads customKeyIdentifier (Edm.Binary, base64 text, kept as
// sent); absent, it is the certificate's SHA-1 thumbprint.
func (k *keyCred) setCustom(v *string) string {
	if v == nil || *v == "" {
		sum := sha1.Sum(k.cert.Raw)
		k.custom = base64.StdEncoding.EncodeToString(sum[:])
		return ""
	}
	if len(*v) > 256 {
		return "the customKeyIdentifier is too long."
	}
	if _, err := base64.StdEncoding.DecodeString(*v); err != nil {
		return fmt.Sprintf("the customKeyIdentifier %q is not base64 (Edm.Binary).", emulator.Clip(*v))
	}
	k.custom = *v
	return ""
}

// addKeyBody is the body of addKey.
type addKeyBody struct {
	KeyCredential      *wireCred       `json:"keyCredential"`
	PasswordCredential json.RawMessage `json:"passwordCredential"`
	Proof              string          `json:"proof"`
}

func (s *Service) addKey(rq *request, o object) {
	var body addKeyBody
	if err := strictJSON(rq.body, &body); err != nil || body.KeyCredential == nil {
		rq.badRequest("The request body must be {\"keyCredential\": {...}, \"passwordCredential\": null, \"proof\": \"...\"}.")
		return
	}
	if p := strings.TrimSpace(string(body.PasswordCredential)); p != "" && p != "null" {
		rq.badRequest("passwordCredential is only for X509CertAndPassword keys; set it to null.")
		return
	}
	if !s.checkProof(rq, o, body.Proof) {
		return
	}
	k, msg := parseCred(*body.KeyCredential, false)
	if msg != "" {
		rq.badRequest("keyCredential: %s", msg)
		return
	}
	if len(*o.creds()) >= MaxKeyCredentials {
		rq.badRequest("The number of key credentials exceeds the limit of %d.", MaxKeyCredentials)
		return
	}
	if k.displayName == "" {
		k.displayName = k.cert.Subject.String()
	}
	*o.creds() = append(*o.creds(), k)
	if err := s.h.SaveLocked(); err != nil {
		*o.creds() = (*o.creds())[:len(*o.creds())-1]
		s.internalError(rq, err)
		return
	}
	out := struct {
		Context string `json:"@odata.context"`
		wireCred
	}{rq.base + "/v1.0/$metadata#microsoft.graph.keyCredential", k.wire(false)}
	writeJSON(rq.w, http.StatusOK, graphContentType, &out)
}

func (s *Service) removeKey(rq *request, o object) {
	var body struct {
		KeyID string `json:"keyId"`
		Proof string `json:"proof"`
	}
	if err := strictJSON(rq.body, &body); err != nil || !guidPattern.MatchString(body.KeyID) {
		rq.badRequest("The request body must be {\"keyId\": \"<GUID>\", \"proof\": \"...\"}.")
		return
	}
	if !s.checkProof(rq, o, body.Proof) {
		return
	}
	creds := *o.creds()
	i := slices.IndexFunc(creds, func(k *keyCred) bool { return strings.EqualFold(k.keyID, body.KeyID) })
	if i < 0 {
		rq.fail(http.StatusNotFound, "Request_ResourceNotFound", "No key credential with keyId '%s' was found on the object.", body.KeyID)
		return
	}
	*o.creds() = slices.Delete(slices.Clone(creds), i, i+1)
	if err := s.h.SaveLocked(); err != nil {
		*o.creds() = creds
		s.internalError(rq, err)
		return
	}
	rq.w.WriteHeader(http.StatusNoContent)
}

// checkProof verifies an addKey or removeKey proof of possession
// (https://learn.microsoft.com/graph/application-rollkey-prooftoken): a
// JWT signed by one of the object's current certificates, aud
// ProofAudience, iss the object id, exp - nbf at most ten minutes, now
// between them. A bad proof is 401 Authentication_MissingOrMalformed, as
// Graph has answered it (microsoftgraph/microsoft-graph-docs issues 10686
// and 22076; Graph's message is "Access Token missing or malformed."),
// with a message naming the proof and what is wrong with it.
func (s *Service) checkProof(rq *request, o object, proof string) bool {
	now := s.h.Now()
	fail := func(why string) bool {
		rq.fail(http.StatusUnauthorized, "Authentication_MissingOrMalformed", "Access Token missing or malformed: the proof of possession is invalid: %s", why)
		return false
	}
	if proof == "" {
		return fail("the request has no proof.")
	}
	tok, err := parseJWT(proof)
	if err != nil {
		return fail(err.Error())
	}
	var valid []*keyCred
	for _, k := range *o.creds() {
		if !now.Before(k.start) && now.Before(k.end) {
			valid = append(valid, k)
		}
	}
	if len(valid) == 0 {
		return fail("the object has no current certificate credential to prove possession of; use Update (PATCH keyCredentials) instead.")
	}
	k := tok.match(valid)
	if k == nil {
		return fail("it is not signed by a current certificate credential of the object (x5t names none).")
	}
	if err := tok.verify(k.cert); err != nil {
		return fail(err.Error())
	}
	c := tok.claims
	switch {
	case !c.hasAud(ProofAudience):
		return fail("the audience (aud) must be " + ProofAudience + ".")
	case !strings.EqualFold(c.Iss, o.id()):
		return fail("the issuer (iss) must be the object id " + o.id() + ".")
	case c.Nbf == nil || c.Exp == nil:
		return fail("it needs nbf and exp.")
	case *c.Exp-*c.Nbf > int64(MaxProofLifetime/time.Second):
		return fail("its lifetime (exp - nbf) is over 10 minutes.")
	case now.Unix() < *c.Nbf || now.Unix() >= *c.Exp:
		return fail("it is not valid now (nbf to exp).")
	}
	return true
}
