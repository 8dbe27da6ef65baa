package main

import (
	"github.com/azcert/azcert/cmd/azcert/internal/certs"
	"github.com/azcert/azcert/cmd/azcert/internal/cmdutil"
	"github.com/azcert/azcert/pkg/certgen"
	"github.com/azcert/azcert/pkg/check"
)

// What rotate and upload still share with the commands of package certs,
// until they move into packages of their own.

func defaultBaseName(n certgen.Name) string { return certs.DefaultBaseName(n) }

func printReport(f *cmdutil.Factory, r *check.Report) { certs.PrintReport(f.IO, r) }

func commandPasswordSource(spec string, f *cmdutil.Factory) string {
	return certs.CommandPasswordSource(spec, f)
}
