package certgen

// Root certificate authorities and the certificates they issue, for
// point-to-site VPN with certificate authentication: Azure's VPN gateway
// trusts an uploaded root and accepts every client certificate that chains
// to it. Microsoft's guide makes both with New-SelfSignedCertificate: the
// root with -KeyUsage CertSign -KeyUsageProperty Sign, the client with
// -Signer set to the root and the clientAuth extended key usage.
// https://learn.microsoft.com/azure/vpn-gateway/vpn-gateway-certificates-point-to-site

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"
)

// DefaultCAValidity is the validity of a root made by GenerateCA when the
// request sets no end: ten years, so that the client certificates it
// issues, a year each, can be renewed many times under the same root.
const DefaultCAValidity = 10 * 365 * 24 * time.Hour

// MaxCommonName is the longest common name X.509 allows (ub-common-name,
// RFC 5280 appendix A.1).
const MaxCommonName = 64

// CAKeyUsage is the key usage of a root: it signs certificates
// (New-SelfSignedCertificate's -KeyUsage CertSign) and revocation lists.
const CAKeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign

// CARequest describes a self-signed root certificate authority.
type CARequest struct {
	// CommonName is the subject's CN, e.g. "Contoso P2S Root".
	CommonName string
	// KeySize is the RSA modulus size in bits; 0 means DefaultKeySize.
	KeySize int
	// Now is the time of creation; zero means time.Now().
	Now time.Time
	// NotBefore defaults to Now minus ten minutes.
	NotBefore time.Time
	// NotAfter defaults to Now plus DefaultCAValidity.
	NotAfter time.Time
	// Rand is the source of randomness; nil means crypto/rand.Reader.
	Rand io.Reader
}

// CommonNameError reports a common name that cannot be a subject.
type CommonNameError struct{ Name, Reason string }

func (e *CommonNameError) Error() string {
	return fmt.Sprintf("common name %q: %s", e.Name, e.Reason)
}

// ValidateCommonName accepts 1 to MaxCommonName printable characters
// without leading or trailing spaces.
func ValidateCommonName(cn string) error {
	switch {
	case cn == "":
		return &CommonNameError{Name: cn, Reason: "it is empty"}
	case !utf8.ValidString(cn) || strings.ContainsFunc(cn, func(r rune) bool { return !unicode.IsPrint(r) }):
		return &CommonNameError{Name: cn, Reason: "it holds a character that is not printable"}
	case utf8.RuneCountInString(cn) > MaxCommonName:
		return &CommonNameError{Name: cn, Reason: fmt.Sprintf("X.509 allows at most %d characters", MaxCommonName)}
	case strings.TrimSpace(cn) != cn:
		return &CommonNameError{Name: cn, Reason: "it starts or ends with a space"}
	}
	return nil
}

// Validate checks a root request without generating anything.
func (r *CARequest) Validate() error {
	if err := ValidateCommonName(r.CommonName); err != nil {
		return err
	}
	if err := checkKeySize(r.KeySize); err != nil {
		return err
	}
	req := r.request()
	nb, na := req.validity()
	return checkValidity(nb, na, req.now())
}

// request is the Request whose times and randomness the root shares.
func (r *CARequest) request() Request {
	na := r.NotAfter
	if na.IsZero() {
		now := r.Now
		if now.IsZero() {
			now = time.Now()
		}
		na = now.Add(DefaultCAValidity)
	}
	return Request{KeySize: r.KeySize, Now: r.Now, NotBefore: r.NotBefore, NotAfter: na, Rand: r.Rand}
}

// GenerateCA creates an RSA key and a self-signed root certificate
// authority: basicConstraints critical CA:TRUE with a path length of 0
// (it issues end-entity certificates only), key usage keyCertSign and
// cRLSign, SHA-256, a subject key identifier, no extended key usage.
func GenerateCA(r CARequest) (*Result, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	bits := r.KeySize
	if bits == 0 {
		bits = DefaultKeySize
	}
	key, err := rsa.GenerateKey(randOr(r.Rand), bits)
	if err != nil {
		return nil, fmt.Errorf("generating RSA key: %w", err)
	}
	return SignCA(r, key)
}

// SignCA builds and self-signs the root for an existing key.
func SignCA(r CARequest, key *rsa.PrivateKey) (*Result, error) {
	if r.KeySize == 0 {
		r.KeySize = key.N.BitLen()
	}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	if r.KeySize != key.N.BitLen() {
		return nil, fmt.Errorf("the key has %d bits but the request asks for %d", key.N.BitLen(), r.KeySize)
	}
	serial, err := SerialNumber(randOr(r.Rand))
	if err != nil {
		return nil, err
	}
	req := r.request()
	nb, na := req.validity()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: r.CommonName},
		NotBefore:             nb,
		NotAfter:              na,
		KeyUsage:              CAKeyUsage,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLen:            0,
		MaxPathLenZero:        true,
		SignatureAlgorithm:    x509.SHA256WithRSA,
		SubjectKeyId:          SubjectKeyID(&key.PublicKey),
	}
	return create(randOr(r.Rand), tmpl, tmpl, &key.PublicKey, key, key)
}

// Issuer is a certificate authority that signs the certificates of
// requests whose Issuer it is.
type Issuer struct {
	Cert *x509.Certificate
	Key  crypto.Signer
}

// IssuerError reports a certificate that cannot issue certificates.
type IssuerError struct{ Subject, Reason string }

func (e *IssuerError) Error() string {
	return fmt.Sprintf("%s cannot issue certificates: %s", e.Subject, e.Reason)
}

// Check reports why the issuer cannot sign a certificate at now: it holds
// no key or a key that is not its certificate's, is not a CA (or may not
// sign certificates), is not valid at now, or is not RSA.
func (i *Issuer) Check(now time.Time) error {
	if i == nil || i.Cert == nil {
		return errors.New("no issuer certificate")
	}
	c := i.Cert
	fail := func(reason string) error { return &IssuerError{Subject: subjectOf(c), Reason: reason} }
	pub, ok := c.PublicKey.(*rsa.PublicKey)
	switch {
	case i.Key == nil:
		return fail("the file holds no private key; give the .pfx of the root, with its key")
	case !ok:
		return fail("its key is not RSA")
	case !publicEqual(i.Key, pub):
		return fail("the private key does not belong to the certificate")
	case !c.BasicConstraintsValid || !c.IsCA:
		return fail("it is not a certificate authority (basicConstraints CA:TRUE); make a root with azcert new --ca")
	case c.KeyUsage != 0 && c.KeyUsage&x509.KeyUsageCertSign == 0:
		return fail("its key usage does not include keyCertSign")
	case now.After(c.NotAfter):
		return fail("it expired on " + c.NotAfter.UTC().Format(time.DateTime+" MST"))
	case now.Before(c.NotBefore):
		return fail("it is not valid until " + c.NotBefore.UTC().Format(time.DateTime+" MST"))
	}
	return nil
}

// subjectOf names a certificate in messages.
func subjectOf(c *x509.Certificate) string {
	if c.Subject.CommonName != "" {
		return "CN=" + c.Subject.CommonName
	}
	return c.Subject.String()
}

func publicEqual(key crypto.Signer, pub *rsa.PublicKey) bool {
	k, ok := key.Public().(*rsa.PublicKey)
	return ok && k.Equal(pub)
}

// clip keeps a validity period inside the issuer's, as RFC 5280 path
// validation and Windows expect of an issued certificate.
func (i *Issuer) clip(nb, na time.Time) (time.Time, time.Time) {
	if nb.Before(i.Cert.NotBefore) {
		nb = i.Cert.NotBefore
	}
	if na.After(i.Cert.NotAfter) {
		na = i.Cert.NotAfter
	}
	return nb, na
}

// GenerateAll runs Generate for every request, on up to workers
// goroutines at a time (0 means runtime.GOMAXPROCS), and returns the
// results in the order of the requests. Requests are validated first, so
// a bad one costs no key. A request's Rand must be safe for concurrent
// use (nil, crypto/rand, is); with another source pass workers 1.
func GenerateAll(reqs []Request, workers int) ([]*Result, error) {
	for i := range reqs {
		if err := reqs[i].Validate(); err != nil {
			return nil, err
		}
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, len(reqs))
	out := make([]*Result, len(reqs))
	errs := make([]error, len(reqs))
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				out[i], errs[i] = Generate(reqs[i])
			}
		}()
	}
	for i := range reqs {
		next <- i
	}
	close(next)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

func randOr(r io.Reader) io.Reader {
	if r == nil {
		return rand.Reader
	}
	return r
}

// create signs tmpl with the parent's key and parses the result back.
func create(random io.Reader, tmpl, parent *x509.Certificate, pub *rsa.PublicKey, key *rsa.PrivateKey, signer crypto.Signer) (*Result, error) {
	der, err := x509.CreateCertificate(random, tmpl, parent, pub, signer)
	if err != nil {
		return nil, fmt.Errorf("signing certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("parsing the new certificate: %w", err)
	}
	return &Result{Key: key, Cert: cert, DER: der}, nil
}
