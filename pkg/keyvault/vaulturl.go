package keyvault

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/azcert/azcert/pkg/azhttp"
)

// DNSSuffixes are the Key Vault DNS suffixes of the clouds, by the names
// azcert uses for them.
// https://learn.microsoft.com/azure/key-vault/general/about-keys-secrets-certificates#dns-suffixes-for-object-identifiers
var DNSSuffixes = map[string]string{
	"public": "vault.azure.net",
	"china":  "vault.azure.cn",
	"usgov":  "vault.usgovcloudapi.net",
}

// Vault names: 3-24 letters, digits and hyphens, starting with a letter,
// ending with a letter or digit, with no two hyphens in a row.
// https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules#microsoftkeyvault
var vaultNameRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9-]{1,22}[A-Za-z0-9]$`)

// ValidVaultName reports whether name is a name Azure gives a vault.
func ValidVaultName(name string) bool {
	return vaultNameRE.MatchString(name) && !strings.Contains(name, "--")
}

// VaultURL returns the base URL of a vault, without a trailing slash. A
// bare name becomes https://{name}.{suffix} with the DNS suffix of cloud
// (public, china or usgov, any case; "" is public); a URL must be https://
// with a host and no path beyond "/", query, fragment or user.
func VaultURL(nameOrURL, cloud string) (string, error) {
	if strings.Contains(nameOrURL, "://") {
		u, err := url.Parse(nameOrURL)
		switch {
		case err != nil:
			return "", fmt.Errorf("vault URL %q does not parse: %w", nameOrURL, err)
		case u.Scheme != "https":
			return "", fmt.Errorf("vault URL %q is not https://", nameOrURL)
		case u.Host == "" || u.Hostname() == "":
			return "", fmt.Errorf("vault URL %q has no host", nameOrURL)
		case azhttp.BadPort(u):
			return "", fmt.Errorf("vault URL %q: the port is not a number from 1 to 65535", nameOrURL)
		case u.User != nil:
			return "", fmt.Errorf("vault URL %q must not carry a user", nameOrURL)
		case u.Path != "" && u.Path != "/", u.RawQuery != "", u.ForceQuery, u.Fragment != "":
			return "", fmt.Errorf("vault URL %q must be the vault's base URL alone (https://<name>.%s)", nameOrURL, DNSSuffixes["public"])
		}
		return "https://" + strings.ToLower(u.Host), nil
	}
	if cloud == "" {
		cloud = "public"
	}
	suffix, ok := DNSSuffixes[strings.ToLower(cloud)]
	if !ok {
		return "", fmt.Errorf("unknown cloud %q (choose public, china or usgov)", cloud)
	}
	if !ValidVaultName(nameOrURL) {
		return "", fmt.Errorf("vault name %q is not valid: 3-24 letters, digits and hyphens, starting with a letter, ending with a letter or digit, no two hyphens in a row (or give the vault's https:// URL)", nameOrURL)
	}
	return "https://" + strings.ToLower(nameOrURL) + "." + suffix, nil
}
