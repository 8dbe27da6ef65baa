// Package azure is the emulator azcert ships (azcert emulator): an
// emulator.Server with every service azcert speaks to, on one port, the
// Service Management API (package asm), the Azure Resource Manager
// endpoints of API Management (package apim) and the certificates of the
// Key Vault data plane (package keyvault), whose vault URL is the
// server's URL, and the applications of Microsoft Entra ID (package graph:
// Microsoft Graph and the token endpoint), whose Graph endpoint and
// authority are the server's URL.
//
// A new service is added here: a field of Emulator, its settings in
// Config, and its place in the list New gives emulator.New.
package azure

import (
	"crypto/x509"
	"time"

	"github.com/azcert/azcert/pkg/emulator"
	"github.com/azcert/azcert/pkg/emulator/apim"
	"github.com/azcert/azcert/pkg/emulator/asm"
	"github.com/azcert/azcert/pkg/emulator/graph"
	"github.com/azcert/azcert/pkg/emulator/keyvault"
	"github.com/azcert/azcert/pkg/emulator/network"
)

// Config configures an Emulator: the Server's settings and each service's,
// under the names of the command's flags. The zero value is a usable
// configuration with no registered management certificate.
type Config struct {
	// Listen is the TCP address to listen on; "" means
	// emulator.DefaultListen.
	Listen string
	// Subscription is the one subscription ID; "" means the one in the
	// state file, else emulator.DefaultSubscription.
	Subscription string
	// StatePath, if set, is the JSON file that keeps the state of every
	// service across restarts (emulator.Config.StatePath).
	StatePath string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logf, if set, receives one line per request and notes about faults.
	Logf func(format string, args ...any)

	// Trust, Services, MaxManagementCerts and OperationDelay configure
	// Service Management (asm.Config); OperationDelay is also how long a
	// VPN gateway's update stays InProgress (network.Config).
	Trust              []*x509.Certificate
	Services           []string
	MaxManagementCerts int
	OperationDelay     time.Duration

	// APIMServices ("resourceGroup/serviceName"), ARMToken and ARMPageSize
	// configure API Management (apim.Config: Services, Token, PageSize).
	APIMServices []string
	ARMToken     string
	ARMPageSize  int

	// KeyVaultTenant is the tenant Key Vault's authentication challenge
	// names; "" means keyvault.DefaultTenant. Key Vault accepts the ARM
	// token (ARMToken, or the random one APIM.Token returns).
	KeyVaultTenant string

	// EntraApps names the Entra ID applications (graph.Config.Apps), each
	// with an application object and a service principal, in the tenant
	// of Key Vault (KeyVaultTenant). Graph accepts the ARM token too.
	EntraApps []string
	// VPNGateways ("resourceGroup/gatewayName") are the VPN gateways of
	// ARM (network.Config.Gateways); they take the ARM token.
	VPNGateways []string
}

// Emulator is a Server with its services, for their accessors
// (ASM.Register, APIM.Token, ...).
type Emulator struct {
	*emulator.Server
	// ASM is the Service Management API.
	ASM *asm.Service
	// APIM is the API Management certificates of ARM.
	APIM *apim.Service
	// KeyVault is the certificates of the Key Vault data plane; the vault
	// URL is the Server's URL.
	KeyVault *keyvault.Service
	// Graph is Entra ID: Microsoft Graph's applications and service
	// principals, and the token endpoint; the Graph endpoint and the
	// authority are the Server's URL.
	Graph *graph.Service
	// Network is the VPN gateways of ARM (Microsoft.Network).
	Network *network.Service
}

// New prepares an Emulator without listening (see emulator.New); Start
// starts it.
func New(cfg Config) (*Emulator, error) {
	a, err := asm.New(asm.Config{
		Trust:              cfg.Trust,
		Services:           cfg.Services,
		MaxManagementCerts: cfg.MaxManagementCerts,
		OperationDelay:     cfg.OperationDelay,
	})
	if err != nil {
		return nil, err
	}
	m, err := apim.New(apim.Config{Services: cfg.APIMServices, Token: cfg.ARMToken, PageSize: cfg.ARMPageSize})
	if err != nil {
		return nil, err
	}
	kv, err := keyvault.New(keyvault.Config{Token: m.Token(), Tenant: cfg.KeyVaultTenant})
	if err != nil {
		return nil, err
	}
	g, err := graph.New(graph.Config{Token: m.Token(), Tenant: kv.Tenant(), Apps: cfg.EntraApps})
	if err != nil {
		return nil, err
	}
	vpn, err := network.New(network.Config{Gateways: cfg.VPNGateways, Token: m.Token(), OperationDelay: cfg.OperationDelay})
	if err != nil {
		return nil, err
	}
	// Key Vault and Graph come first: Service Management owns every other
	// path outside ARM. Network comes before API Management, which owns every
	// ARM path but Microsoft.Network's.
	srv, err := emulator.New(emulator.Config{
		Listen:       cfg.Listen,
		Subscription: cfg.Subscription,
		StatePath:    cfg.StatePath,
		Now:          cfg.Now,
		Logf:         cfg.Logf,
	}, kv, g, a, vpn, m)
	if err != nil {
		return nil, err
	}
	return &Emulator{Server: srv, ASM: a, APIM: m, KeyVault: kv, Graph: g, Network: vpn}, nil
}
