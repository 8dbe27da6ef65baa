package export

import (
	"encoding/asn1"
	"errors"
	"fmt"
	"strings"
)

// Profile names a PKCS#12 encryption profile.
type Profile string

const (
	// ProfileCompat is 3DES for key and certificates with an HMAC-SHA-1 MAC
	// (go-pkcs12's LegacyDES; OpenSSL 3's -certpbe PBE-SHA1-3DES -keypbe
	// PBE-SHA1-3DES -macalg sha1). Every Windows version,
	// Cloud Services, App Service, OpenSSL 1.x and 3.x, Java and Node read it.
	ProfileCompat Profile = "compat"
	// ProfileModern is PBES2 with AES-256-CBC and PBKDF2-HMAC-SHA-256 and an
	// HMAC-SHA-256 MAC (go-pkcs12's Modern2023, OpenSSL 3's default).
	// Cloud Services rejects it.
	ProfileModern Profile = "modern"
	// ProfileLegacyRC2 is RC2-40 (or RC4) for the certificates, as OpenSSL 1.x,
	// mkcert and the Azure portal wrote. Read, never written: OpenSSL 3
	// without -legacy and Node 17+ cannot open it.
	ProfileLegacyRC2 Profile = "legacy-rc2"
	// ProfileUnencrypted has no encryption at all.
	ProfileUnencrypted Profile = "unencrypted"
	// ProfileOther is any other combination; PFXInfo names the algorithms.
	ProfileOther Profile = "other"
)

// WritableProfiles are the profiles EncodePFX writes.
var WritableProfiles = []Profile{ProfileCompat, ProfileModern}

// ParseProfile accepts the names of the writable profiles.
func ParseProfile(s string) (Profile, error) {
	switch Profile(strings.ToLower(s)) {
	case ProfileCompat:
		return ProfileCompat, nil
	case ProfileModern:
		return ProfileModern, nil
	case ProfileLegacyRC2:
		return "", fmt.Errorf("the legacy-rc2 PFX profile is read but never written: OpenSSL 3 and Node 17+ cannot open it (choose compat or modern)")
	}
	return "", fmt.Errorf("unknown PFX profile %q (choose compat or modern)", s)
}

// MaxIterations bounds the key-derivation iterations azcert will run when
// decoding a .pfx. Real files use 1 to 600 000 (OpenSSL 2048, Windows 2000
// or 10 000, Java 10 000); the bound stops a crafted file from keeping the
// process busy for hours.
const MaxIterations = 2_000_000

// PFXInfo describes how a PKCS#12 file is protected. It is read from the
// file's structure and needs no password.
type PFXInfo struct {
	// Profile classifies the algorithms as one of the named profiles.
	Profile Profile `json:"profile"`
	// MAC is the integrity algorithm, e.g. "HMAC-SHA-1", or "none".
	MAC string `json:"mac"`
	// MACIterations is the MAC key-derivation iteration count.
	MACIterations int `json:"macIterations,omitempty"`
	// CertEncryption names the algorithm protecting the certificates,
	// "none" when they are stored in the clear.
	CertEncryption string `json:"certEncryption"`
	// KeyEncryption names the algorithm protecting the private key, "none"
	// for an unencrypted key bag and "" when the file holds no key.
	KeyEncryption string `json:"keyEncryption,omitempty"`
	// Iterations is the largest key-derivation iteration count found.
	Iterations int `json:"iterations"`
	// KeyBags counts the private-key bags readable without the password
	// (all of them in files written by Windows, OpenSSL, Java and Go).
	KeyBags int `json:"keyBags"`
}

// Describe returns a short human description, e.g. "compat (3DES, HMAC-SHA-1 MAC)".
func (i *PFXInfo) Describe() string {
	enc := i.CertEncryption
	if i.KeyEncryption != "" && i.KeyEncryption != i.CertEncryption {
		enc = "key " + i.KeyEncryption + ", certificates " + i.CertEncryption
	}
	return fmt.Sprintf("%s (%s, %s MAC)", i.Profile, enc, i.MAC)
}

var (
	oidData            = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}
	oidEncryptedData   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 6}
	oidKeyBag          = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 10, 1, 1}
	oidShroudedKeyBag  = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 10, 1, 2}
	oidPBES2           = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 13}
	oidPBKDF2          = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 12}
	oidPBMAC1          = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 14}
	oidPBEWithSHA3DES  = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 1, 3}
	oidPBEWithSHA2DES  = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 1, 4}
	oidPBEWithSHARC2   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 1, 5}
	oidPBEWithSHARC240 = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 1, 6}
	oidPBEWithSHARC4   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 1, 1}
	oidPBEWithSHARC440 = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 1, 2}
)

var cipherNames = map[string]string{
	"2.16.840.1.101.3.4.1.2":  "AES-128-CBC",
	"2.16.840.1.101.3.4.1.22": "AES-192-CBC",
	"2.16.840.1.101.3.4.1.42": "AES-256-CBC",
	"1.2.840.113549.3.7":      "3DES-CBC",
	"1.3.14.3.2.7":            "DES-CBC",
	"1.2.840.113549.3.2":      "RC2-CBC",
}

var digestNames = map[string]string{
	"1.3.14.3.2.26":          "HMAC-SHA-1",
	"2.16.840.1.101.3.4.2.4": "HMAC-SHA-224",
	"2.16.840.1.101.3.4.2.1": "HMAC-SHA-256",
	"2.16.840.1.101.3.4.2.2": "HMAC-SHA-384",
	"2.16.840.1.101.3.4.2.3": "HMAC-SHA-512",
	"1.2.840.113549.1.5.14":  "PBMAC1",
}

type algorithmIdentifier struct {
	Algorithm  asn1.ObjectIdentifier
	Parameters asn1.RawValue `asn1:"optional"`
}

type pfxPDU struct {
	Version  int
	AuthSafe contentInfo
	MacData  macData `asn1:"optional"`
}

type contentInfo struct {
	ContentType asn1.ObjectIdentifier
	Content     asn1.RawValue `asn1:"tag:0,explicit,optional"`
}

type macData struct {
	Mac struct {
		Algorithm algorithmIdentifier
		Digest    []byte
	}
	MacSalt    []byte
	Iterations int `asn1:"optional,default:1"`
}

type encryptedData struct {
	Version              int
	EncryptedContentInfo struct {
		ContentType                asn1.ObjectIdentifier
		ContentEncryptionAlgorithm algorithmIdentifier
		EncryptedContent           asn1.RawValue `asn1:"tag:0,optional"`
	}
}

type safeBag struct {
	ID         asn1.ObjectIdentifier
	Value      asn1.RawValue   `asn1:"tag:0,explicit"`
	Attributes []asn1.RawValue `asn1:"set,optional"`
}

type encryptedPrivateKeyInfo struct {
	Algorithm algorithmIdentifier
	Data      []byte
}

type pbeParams struct {
	Salt       []byte
	Iterations int
}

type pbes2Params struct {
	KeyDerivationFunc algorithmIdentifier
	EncryptionScheme  algorithmIdentifier
}

type pbmac1Params struct {
	KeyDerivationFunc algorithmIdentifier
	MessageAuthScheme algorithmIdentifier
}

type pbkdf2Params struct {
	Salt       asn1.RawValue
	Iterations int
	KeyLength  int                 `asn1:"optional"`
	Prf        algorithmIdentifier `asn1:"optional"`
}

// ErrNotPFX reports data that is not a PKCS#12 file.
var ErrNotPFX = errors.New("not a PKCS#12 (.pfx) file")

// InspectPFX reads the structure of a DER-encoded PKCS#12 file and reports
// its protection. It needs no password, decrypts nothing, and refuses
// iteration counts above MaxIterations.
func InspectPFX(der []byte) (*PFXInfo, error) {
	var pfx pfxPDU
	if err := unmarshalAll(der, &pfx); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotPFX, err)
	}
	if pfx.Version != 3 {
		return nil, fmt.Errorf("%w: version %d, want 3", ErrNotPFX, pfx.Version)
	}
	if !pfx.AuthSafe.ContentType.Equal(oidData) {
		return nil, fmt.Errorf("PKCS#12 files protected by public-key signatures (content type %s) are not supported", pfx.AuthSafe.ContentType)
	}
	info := &PFXInfo{MAC: "none"}
	if len(pfx.MacData.Mac.Algorithm.Algorithm) > 0 {
		oid := pfx.MacData.Mac.Algorithm.Algorithm.String()
		info.MAC = digestNames[oid]
		if info.MAC == "" {
			info.MAC = "OID " + oid
		}
		info.MACIterations = pfx.MacData.Iterations
		if pfx.MacData.Mac.Algorithm.Algorithm.Equal(oidPBMAC1) {
			// RFC 9579: the iteration count that matters is PBKDF2's, in
			// the PBMAC1 parameters.
			var p pbmac1Params
			if err := unmarshalAll(pfx.MacData.Mac.Algorithm.Parameters.FullBytes, &p); err != nil {
				return nil, fmt.Errorf("%w: PBMAC1 parameters: %v", ErrNotPFX, err)
			}
			var kdf pbkdf2Params
			if err := unmarshalAll(p.KeyDerivationFunc.Parameters.FullBytes, &kdf); err != nil {
				return nil, fmt.Errorf("%w: PBMAC1 key derivation parameters: %v", ErrNotPFX, err)
			}
			info.MACIterations = kdf.Iterations
		}
		if err := info.noteIterations(info.MACIterations); err != nil {
			return nil, err
		}
	}
	var content []byte
	if err := unmarshalAll(pfx.AuthSafe.Content.Bytes, &content); err != nil {
		return nil, fmt.Errorf("%w: authenticated safe: %v", ErrNotPFX, err)
	}
	var safes []contentInfo
	if err := unmarshalAll(content, &safes); err != nil {
		return nil, fmt.Errorf("%w: authenticated safe: %v", ErrNotPFX, err)
	}
	var certAlgs, keyAlgs []string
	for _, ci := range safes {
		switch {
		case ci.ContentType.Equal(oidData):
			var data []byte
			if err := unmarshalAll(ci.Content.Bytes, &data); err != nil {
				return nil, fmt.Errorf("%w: safe contents: %v", ErrNotPFX, err)
			}
			var bags []safeBag
			if err := unmarshalAll(data, &bags); err != nil {
				return nil, fmt.Errorf("%w: safe bags: %v", ErrNotPFX, err)
			}
			for _, bag := range bags {
				switch {
				case bag.ID.Equal(oidShroudedKeyBag):
					var epki encryptedPrivateKeyInfo
					if err := unmarshalAll(bag.Value.Bytes, &epki); err != nil {
						return nil, fmt.Errorf("%w: key bag: %v", ErrNotPFX, err)
					}
					name, iter, err := describeAlgorithm(epki.Algorithm)
					if err != nil {
						return nil, err
					}
					if err := info.noteIterations(iter); err != nil {
						return nil, err
					}
					keyAlgs = append(keyAlgs, name)
					info.KeyBags++
				case bag.ID.Equal(oidKeyBag):
					keyAlgs = append(keyAlgs, "none")
					info.KeyBags++
				default:
					certAlgs = append(certAlgs, "none")
				}
			}
		case ci.ContentType.Equal(oidEncryptedData):
			var ed encryptedData
			if err := unmarshalAll(ci.Content.Bytes, &ed); err != nil {
				return nil, fmt.Errorf("%w: encrypted data: %v", ErrNotPFX, err)
			}
			name, iter, err := describeAlgorithm(ed.EncryptedContentInfo.ContentEncryptionAlgorithm)
			if err != nil {
				return nil, err
			}
			if err := info.noteIterations(iter); err != nil {
				return nil, err
			}
			certAlgs = append(certAlgs, name)
		default:
			return nil, fmt.Errorf("PKCS#12 safes of content type %s (public-key enveloped) are not supported", ci.ContentType)
		}
	}
	info.CertEncryption = summarize(certAlgs)
	info.KeyEncryption = summarize(keyAlgs)
	if info.CertEncryption == "" {
		info.CertEncryption = "none"
	}
	info.Profile = classify(info)
	return info, nil
}

func (i *PFXInfo) noteIterations(n int) error {
	if n < 0 || n > MaxIterations {
		return fmt.Errorf("the .pfx asks for %d key-derivation iterations; azcert refuses more than %d", n, MaxIterations)
	}
	if n > i.Iterations {
		i.Iterations = n
	}
	return nil
}

func summarize(algs []string) string {
	var out []string
	seen := map[string]bool{}
	for _, a := range algs {
		if !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	return strings.Join(out, "+")
}

func classify(i *PFXInfo) Profile {
	cert, key := i.CertEncryption, i.KeyEncryption
	switch {
	case strings.Contains(cert, "RC2") || strings.Contains(cert, "RC4") || strings.Contains(key, "RC2") || strings.Contains(key, "RC4"):
		return ProfileLegacyRC2
	case cert == "none" && (key == "" || key == "none"):
		return ProfileUnencrypted
	case cert == "3DES" && (key == "" || key == "3DES"):
		return ProfileCompat
	case cert == "PBES2 AES-256-CBC" && (key == "" || key == cert):
		return ProfileModern
	}
	return ProfileOther
}

// describeAlgorithm names a PKCS#12 or PBES2 encryption algorithm and
// returns its iteration count.
func describeAlgorithm(a algorithmIdentifier) (string, int, error) {
	switch {
	case a.Algorithm.Equal(oidPBES2):
		var p pbes2Params
		if err := unmarshalAll(a.Parameters.FullBytes, &p); err != nil {
			return "", 0, fmt.Errorf("%w: PBES2 parameters: %v", ErrNotPFX, err)
		}
		iter := 0
		if p.KeyDerivationFunc.Algorithm.Equal(oidPBKDF2) {
			var kdf pbkdf2Params
			if err := unmarshalAll(p.KeyDerivationFunc.Parameters.FullBytes, &kdf); err != nil {
				return "", 0, fmt.Errorf("%w: PBKDF2 parameters: %v", ErrNotPFX, err)
			}
			iter = kdf.Iterations
		}
		c := cipherNames[p.EncryptionScheme.Algorithm.String()]
		if c == "" {
			c = "OID " + p.EncryptionScheme.Algorithm.String()
		}
		return "PBES2 " + c, iter, nil
	case a.Algorithm.Equal(oidPBMAC1):
		return "PBMAC1", 0, nil
	}
	var name string
	switch {
	case a.Algorithm.Equal(oidPBEWithSHA3DES):
		name = "3DES"
	case a.Algorithm.Equal(oidPBEWithSHA2DES):
		name = "2-key 3DES"
	case a.Algorithm.Equal(oidPBEWithSHARC2):
		name = "RC2-128"
	case a.Algorithm.Equal(oidPBEWithSHARC240):
		name = "RC2-40"
	case a.Algorithm.Equal(oidPBEWithSHARC4):
		name = "RC4-128"
	case a.Algorithm.Equal(oidPBEWithSHARC440):
		name = "RC4-40"
	default:
		return "OID " + a.Algorithm.String(), 0, nil
	}
	var p pbeParams
	if err := unmarshalAll(a.Parameters.FullBytes, &p); err != nil {
		return "", 0, fmt.Errorf("%w: PBE parameters: %v", ErrNotPFX, err)
	}
	return name, p.Iterations, nil
}

func unmarshalAll(der []byte, v any) error {
	rest, err := asn1.Unmarshal(der, v)
	if err != nil {
		return err
	}
	if len(rest) != 0 {
		return errors.New("trailing data")
	}
	return nil
}
