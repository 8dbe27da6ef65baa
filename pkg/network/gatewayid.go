package network

import (
	"fmt"
	"strings"
)

// ParseGatewayRef reads how a user names a VPN gateway: "RESOURCE-GROUP/NAME",
// or its full resource id
// "/subscriptions/SUB/resourceGroups/RG/providers/Microsoft.Network/virtualNetworkGateways/NAME"
// (as the portal's Properties page and az network vnet-gateway show --query id
// give it), whose subscription comes back in sub ("" for the short form).
// The segment names of a resource id are not case-sensitive; the names
// are checked with ValidResourceGroup and ValidName.
func ParseGatewayRef(s string) (sub, rg, name string, err error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "/") {
		parts := strings.Split(strings.Trim(s, "/"), "/")
		want := []string{"subscriptions", "", "resourcegroups", "", "providers", "microsoft.network", "virtualnetworkgateways", ""}
		ok := len(parts) == len(want)
		for i := 0; ok && i < len(want); i++ {
			ok = want[i] == "" && parts[i] != "" || want[i] != "" && strings.EqualFold(parts[i], want[i])
		}
		if !ok {
			return "", "", "", fmt.Errorf("%q is not the resource id of a VPN gateway (/subscriptions/SUB/resourceGroups/RG/providers/Microsoft.Network/virtualNetworkGateways/NAME)", s)
		}
		sub, rg, name = parts[1], parts[3], parts[7]
	} else {
		var found bool
		rg, name, found = strings.Cut(s, "/")
		if !found || strings.Contains(name, "/") {
			return "", "", "", fmt.Errorf("%q is not RESOURCE-GROUP/NAME or a VPN gateway's resource id", s)
		}
	}
	if !ValidResourceGroup(rg) {
		return "", "", "", fmt.Errorf("resource group %q is not a valid name (1-90 letters, digits, _-.())", rg)
	}
	if !ValidName(name) {
		return "", "", "", fmt.Errorf("VPN gateway %q is not a valid name (1-80 letters, digits, _.-, starting with a letter or digit, ending with a letter, digit or _)", name)
	}
	return sub, rg, name, nil
}
