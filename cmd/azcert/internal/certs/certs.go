// Package certs holds the commands that make and read certificate files
// on this machine, without talking to Azure: azcert new, export,
// thumbprint, show and check.
//
// Each command is a constructor, NewCmdX(f, runF), an XOptions struct its
// flags fill, and XRun(opts). Make is the one way azcert makes a key and a
// certificate and writes their files; new uses it, and so can any command
// that makes a certificate on its way (rotate).
package certs
