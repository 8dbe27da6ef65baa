package entra

import (
	"fmt"
	"net/url"
	"strings"
)

// DefaultAuthority is the Microsoft Entra ID authority of the public cloud.
const DefaultAuthority = "https://login.microsoftonline.com"

// Authorities are the Entra ID authority hosts of the clouds, by the names
// azcert uses for them (public, china, usgov).
// https://learn.microsoft.com/entra/identity-platform/authentication-national-cloud#microsoft-entra-authentication-endpoints
var Authorities = map[string]string{
	"public": DefaultAuthority,
	"china":  "https://login.chinacloudapi.cn",
	"usgov":  "https://login.microsoftonline.us",
}

// AuthorityFor returns the authority of a named cloud: public, china or
// usgov, in any case; "" is public.
func AuthorityFor(cloud string) (string, error) {
	if cloud == "" {
		return DefaultAuthority, nil
	}
	if a, ok := Authorities[strings.ToLower(cloud)]; ok {
		return a, nil
	}
	return "", fmt.Errorf("unknown cloud %q (choose public, china or usgov)", cloud)
}

// TokenEndpoint returns the OAuth 2.0 v2.0 token endpoint of a tenant,
// {authority}/{tenant}/oauth2/v2.0/token, which is also the audience of a
// client assertion. An empty authority means DefaultAuthority; a trailing
// slash on it is dropped. The tenant is a tenant id or one of its domain
// names.
func TokenEndpoint(authority, tenant string) string {
	if authority == "" {
		authority = DefaultAuthority
	}
	return strings.TrimRight(authority, "/") + "/" + url.PathEscape(tenant) + "/oauth2/v2.0/token"
}
