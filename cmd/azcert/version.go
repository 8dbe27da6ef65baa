package main

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/azcert/azcert/cmd/azcert/internal/cmdutil"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3".
var version = ""

func versionString() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// versionOptions is what `azcert version` runs with.
type versionOptions struct {
	IO   *cmdutil.IOStreams
	JSON bool
}

// newVersionCmd makes `azcert version`. runF, if not nil, replaces
// versionRun (tests check the options with it).
func newVersionCmd(f *cmdutil.Factory, runF func(*versionOptions) error) *cobra.Command {
	opts := &versionOptions{IO: f.IO}
	return &cobra.Command{
		Use:   "version",
		Short: "Print azcert's version",
		Args:  cobra.NoArgs,
		Example: `  azcert version
  azcert version -o json`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.JSON = f.JSON()
			if runF != nil {
				return runF(opts)
			}
			return versionRun(opts)
		},
	}
}

// versionRun prints the version, the Go release and the platform.
func versionRun(opts *versionOptions) error {
	if opts.JSON {
		return cmdutil.WriteJSON(opts.IO.Out, struct {
			Version string `json:"version"`
			Go      string `json:"go"`
			OS      string `json:"os"`
			Arch    string `json:"arch"`
		}{versionString(), runtime.Version(), runtime.GOOS, runtime.GOARCH})
	}
	_, err := fmt.Fprintf(opts.IO.Out, "azcert %s (%s, %s/%s)\n", versionString(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return err
}
