package network

import (
	"strings"
	"testing"
)

func TestParseGatewayRef(t *testing.T) {
	const id = "/subscriptions/8f3e2a41-6c1d-4b7a-9e55-0c2d7f1a9b36/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworkGateways/vpngw"
	tests := []struct {
		in, sub, rg, name, err string
	}{
		{in: "rg-net/vpngw", rg: "rg-net", name: "vpngw"},
		{in: " rg-net/vpngw ", rg: "rg-net", name: "vpngw"},
		{in: id, sub: "8f3e2a41-6c1d-4b7a-9e55-0c2d7f1a9b36", rg: "rg-net", name: "vpngw"},
		{in: strings.ToLower(id) + "/", sub: "8f3e2a41-6c1d-4b7a-9e55-0c2d7f1a9b36", rg: "rg-net", name: "vpngw"},
		{in: "vpngw", err: "is not RESOURCE-GROUP/NAME"},
		{in: "rg/a/b", err: "is not RESOURCE-GROUP/NAME"},
		{in: "/rg-net/vpngw", err: "is not the resource id of a VPN gateway"},
		{in: strings.Replace(id, "virtualNetworkGateways", "virtualNetworks", 1), err: "is not the resource id"},
		{in: id + "/extra", err: "is not the resource id"},
		{in: "rg./vpngw", err: "resource group \"rg.\""},
		{in: "/vpngw", err: "is not the resource id"},
		{in: "rg-net/", err: "VPN gateway \"\""},
		{in: "rg-net/-gw", err: "VPN gateway \"-gw\""},
	}
	for _, tt := range tests {
		sub, rg, name, err := ParseGatewayRef(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseGatewayRef(%q) = %v, want an error with %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || sub != tt.sub || rg != tt.rg || name != tt.name {
			t.Errorf("ParseGatewayRef(%q) = %q, %q, %q, %v; want %q, %q, %q", tt.in, sub, rg, name, err, tt.sub, tt.rg, tt.name)
		}
	}
}

// FuzzParseGatewayRef: whatever --gateway holds, ParseGatewayRef returns
// an error or names that are valid, and the short form of what it returns
// reads back the same.
func FuzzParseGatewayRef(f *testing.F) {
	for _, s := range []string{"rg-net/vpngw", "/subscriptions/8f3e2a41-6c1d-4b7a-9e55-0c2d7f1a9b36/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworkGateways/vpngw",
		"rg/a/b", "/", "//", "rg()/gw_", "/subscriptions//resourceGroups/x/providers/Microsoft.Network/virtualNetworkGateways/y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sub, rg, name, err := ParseGatewayRef(s)
		if err != nil {
			return
		}
		if !ValidResourceGroup(rg) || !ValidName(name) || strings.Contains(sub, "/") {
			t.Fatalf("ParseGatewayRef(%q) = %q, %q, %q: not valid", s, sub, rg, name)
		}
		if _, rg2, name2, err := ParseGatewayRef(rg + "/" + name); err != nil || rg2 != rg || name2 != name {
			t.Fatalf("ParseGatewayRef(%q/%q) = %q, %q, %v", rg, name, rg2, name2, err)
		}
	})
}
