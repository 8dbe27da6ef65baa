package network

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzParseGateway reads arbitrary answers as gateways: no panic, and a
// gateway that parses writes back a body that parses to the same
// certificates, with every other member as it was.
func FuzzParseGateway(f *testing.F) {
	f.Add([]byte(gatewayJSON))
	f.Add([]byte(`{"properties":{"vpnClientConfiguration":null}}`))
	f.Add([]byte(`{"properties":{"vpnClientConfiguration":{"vpnClientRootCertificates":[{"name":"r","properties":{"publicCertData":"MIIB"}}]}}}`))
	f.Add([]byte(`{"properties":{"vpnClientConfiguration":{"vpnClientRootCertificates":{}}}}`))
	f.Add([]byte(`{"a":1,"a":2,"Properties":{}}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		g, err := ParseGateway(data)
		if err != nil {
			return
		}
		if !g.PointToSite {
			if _, err := g.body(); err == nil {
				t.Fatal("a gateway without point-to-site configuration was written")
			}
			return
		}
		body, err := g.body()
		if err != nil {
			t.Fatalf("body() = %v", err)
		}
		if !json.Valid(body) {
			t.Fatalf("body() is not JSON: %s", body)
		}
		again, err := ParseGateway(body)
		if err != nil {
			t.Fatalf("the body written back does not parse: %v\n%s", err, body)
		}
		if len(again.Roots) != len(g.Roots) || len(again.Revoked) != len(g.Revoked) {
			t.Fatalf("written back, %d roots and %d revoked, want %d and %d", len(again.Roots), len(again.Revoked), len(g.Roots), len(g.Revoked))
		}
		for i := range g.Roots {
			if again.Roots[i] != g.Roots[i] {
				t.Fatalf("root %d written back = %+v, want %+v", i, again.Roots[i], g.Roots[i])
			}
		}
		// The member read as properties is the one index finds (the exact
		// name first, then in any case, as encoding/json matches).
		props := g.doc.index(keyProperties)
		for i, m := range g.doc {
			if i != props && !bytes.Equal(again.doc[i].val, m.val) {
				t.Fatalf("member %q written back = %s, want %s", m.key, again.doc[i].val, m.val)
			}
		}
	})
}

// FuzzParseOperationStatus: no panic; a status that parses is terminal or
// not, and a failure carries the status.
func FuzzParseOperationStatus(f *testing.F) {
	for _, s := range []string{`{"status":"InProgress"}`, `{"status":"Succeeded"}`, `{"status":"Failed","error":{"code":"X","message":"y"}}`,
		`{"status":"Canceled"}`, `{"status":""}`, `{"status":1}`, `null`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ParseOperationStatus(data)
		if err != nil {
			return
		}
		end, err := terminal(s.Status, s)
		if err != nil {
			oe, ok := err.(*OperationError)
			if !end || !ok || oe.Status != s.Status {
				t.Fatalf("terminal(%q) = %v, %v", s.Status, end, err)
			}
		}
	})
}

// FuzzDecodePublicCertData: no panic, and the data of any bytes decodes
// back to them.
func FuzzDecodePublicCertData(f *testing.F) {
	f.Add("MIIB", []byte{1, 2, 3})
	f.Add("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----", []byte{0})
	f.Fuzz(func(t *testing.T, s string, der []byte) {
		_, _ = DecodePublicCertData(s)
		if len(der) == 0 {
			return
		}
		got, ok := DecodePublicCertData(PublicCertData(der))
		if !ok || !bytes.Equal(got, der) {
			t.Fatalf("DecodePublicCertData(PublicCertData(%x)) = %x, %v", der, got, ok)
		}
	})
}

// FuzzSanitizeName: what SanitizeName returns is "" or a valid name.
func FuzzSanitizeName(f *testing.F) {
	f.Add("Contoso P2S Root")
	f.Add("..__--")
	f.Fuzz(func(t *testing.T, s string) {
		if n := SanitizeName(s); n != "" && !ValidName(n) {
			t.Fatalf("SanitizeName(%q) = %q, not a valid name", s, n)
		}
	})
}
