package network_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/azcert/azcert/pkg/emulator/azure"
	"github.com/azcert/azcert/pkg/network"
)

// FuzzServe sends arbitrary gateway and operation requests (method, path
// after the subscription, query, If-Match, token, body) through the
// emulator's Handler: no panic, no 5xx, every error a JSON ARM error, every
// answer with a request id, and a gateway GET that still parses for the
// client after whatever was accepted.
func FuzzServe(f *testing.F) {
	e, err := azure.New(azure.Config{VPNGateways: []string{rg + "/" + gw}})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { e.Close() })
	h := e.Handler()
	gwPath := "/resourceGroups/" + rg + "/providers/Microsoft.Network/virtualNetworkGateways/" + gw
	q := "api-version=" + network.APIVersion
	get := func() []byte {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodGet, "https://127.0.0.1/subscriptions/"+e.Subscription+gwPath+"?"+q, nil)
		req.Header.Set("Authorization", "Bearer "+e.Network.Token())
		h.ServeHTTP(rec, req)
		return rec.Body.Bytes()
	}
	doc := get()
	f.Add(uint8(0), gwPath, q, "", true, []byte(nil))
	f.Add(uint8(1), gwPath, q, "*", true, doc)
	f.Add(uint8(1), gwPath, q, `W/"x"`, true, doc)
	f.Add(uint8(1), gwPath, q, "", true, bytes.Replace(doc, []byte(`"vpnClientRootCertificates":[]`), []byte(`"vpnClientRootCertificates":[{"name":"r","properties":{"publicCertData":"AAAA"}}]`), 1))
	f.Add(uint8(1), gwPath, q, "", true, []byte(`{"properties":{"vpnClientConfiguration":{"vpnClientRootCertificates":{}}}}`))
	f.Add(uint8(1), gwPath, q, "", true, []byte(`{"properties":null,"location":"mars"}`))
	f.Add(uint8(0), "/providers/Microsoft.Network/locations/westeurope/operations/x", q, "", true, []byte(nil))
	f.Add(uint8(2), gwPath, "api-version=2001-01-01", "", false, []byte("{"))
	methods := []string{http.MethodGet, http.MethodPut, http.MethodDelete, http.MethodPatch, http.MethodPost, http.MethodHead}
	f.Fuzz(func(t *testing.T, m uint8, path, query, ifMatch string, token bool, body []byte) {
		method := methods[int(m)%len(methods)]
		req := &http.Request{Method: method, URL: &url.URL{Path: "/subscriptions/" + e.Subscription + path, RawQuery: query},
			Header: http.Header{}, Host: "127.0.0.1", Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body)),
			Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, RemoteAddr: "127.0.0.1:1"}
		req.RequestURI = req.URL.RequestURI()
		if ifMatch != "" {
			req.Header.Set("If-Match", ifMatch)
		}
		if token {
			req.Header.Set("Authorization", "Bearer "+e.Network.Token())
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %s?%s = %d: %s", method, path, query, rec.Code, rec.Body)
		}
		if rec.Header().Get("x-ms-request-id") == "" {
			t.Fatalf("%s %s = %d without x-ms-request-id", method, path, rec.Code)
		}
		if rec.Code >= 400 && method != http.MethodHead {
			var e struct {
				Error struct{ Code, Message string } `json:"error"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error.Code == "" || e.Error.Message == "" {
				t.Fatalf("%s %s = %d with %q, want an ARM error", method, path, rec.Code, rec.Body)
			}
		}
		if method == http.MethodPut && rec.Code == http.StatusOK && strings.EqualFold(strings.TrimRight(path, "/"), gwPath) {
			if _, err := network.ParseGateway(get()); err != nil {
				t.Fatalf("after an accepted PUT of %s the gateway does not parse: %v", body, err)
			}
		}
	})
}
