package main

import (
	"github.com/azcert/azcert/cmd/azcert/internal/certs"
	"github.com/azcert/azcert/pkg/certgen"
)

// What rotate and upload still share with the commands of package certs,
// until they move into packages of their own.

func defaultBaseName(n certgen.Name) string { return certs.DefaultBaseName(n) }
