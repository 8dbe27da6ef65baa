package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/spf13/viper"

	"github.com/azcert/azcert/cmd/azcert/internal/apim"
	"github.com/azcert/azcert/cmd/azcert/internal/asm"
	"github.com/azcert/azcert/cmd/azcert/internal/certs"
	"github.com/azcert/azcert/cmd/azcert/internal/cmdutil"
	"github.com/azcert/azcert/cmd/azcert/internal/connect"
	cscfgcmd "github.com/azcert/azcert/cmd/azcert/internal/cscfg"
	"github.com/azcert/azcert/cmd/azcert/internal/emulatorcmd"
	"github.com/azcert/azcert/cmd/azcert/internal/entra"
	"github.com/azcert/azcert/cmd/azcert/internal/input"
	"github.com/azcert/azcert/cmd/azcert/internal/keyvault"
	"github.com/azcert/azcert/cmd/azcert/internal/policy"
	"github.com/azcert/azcert/cmd/azcert/internal/vpn"
	"github.com/azcert/azcert/pkg/azhttp"
	"github.com/azcert/azcert/pkg/mgmtclient"
)

// newSystemFactory is the Factory of a real run: the process's streams,
// the clock, the environment and the real Azure clients.
func newSystemFactory() *cmdutil.Factory {
	return &cmdutil.Factory{IO: cmdutil.SystemStreams(), Now: time.Now, LookupEnv: os.LookupEnv}
}

// run executes azcert with args and returns the exit code. It is the only
// place that turns errors into exit codes and prints them.
func run(args []string, f *cmdutil.Factory) int {
	connect.Install(f)
	root := newRootCmd(f)
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(f.Context())
	if err == nil {
		return cmdutil.ExitOK
	}
	err = retryHint(cmd, err)
	if !f.Started {
		var u *cmdutil.UsageError
		if !errors.As(err, &u) {
			err = &cmdutil.UsageError{Err: err}
		}
		var h *cmdutil.HintError
		switch {
		case errors.As(err, &h):
			// The error brought its own advice (a flag suggestion).
		case strings.HasPrefix(err.Error(), "unknown command "):
			err = unknownCommand(root, args, err)
		default:
			if dash := dashedName(args); dash != "" && strings.Contains(err.Error(), "unknown shorthand flag") {
				err = cmdutil.WithHint(err, "%s is read as a flag; to pass it as a name, put -- before it: azcert %s-- %s", dash, commandPathFor(root, args), dash)
			} else if !strings.Contains(err.Error(), "--help") {
				err = cmdutil.WithHint(err, "run 'azcert %s--help' for usage", commandPathFor(root, args))
			}
		}
	}
	cmdutil.PrintError(f.IO, err)
	return cmdutil.ExitCode(err)
}

// retryHint adds, to an error that means Azure stayed unavailable through
// the retries (exit 6), the two flags that bound them with their values.
func retryHint(cmd *cobra.Command, err error) error {
	var h *cmdutil.HintError
	if cmd == nil || cmdutil.ExitCode(err) != cmdutil.ExitAzureUnreachable || errors.As(err, &h) || errors.As(err, new(*azhttp.TooLargeError)) {
		return err
	}
	if azhttp.Untrusted(err) {
		return cmdutil.WithHint(err, "the server's certificate is not trusted: for the emulator, give --ca-file with the file its --ca-out wrote (or AZCERT_CA_FILE); behind a TLS-inspecting proxy, its CA certificate")
	}
	r, t := cmd.Flags().Lookup("retries"), cmd.Flags().Lookup("timeout")
	if r == nil || t == nil {
		return err
	}
	return cmdutil.WithHint(err, "Azure may be busy: raise --retries (now %s) or --timeout (now %s), or try again later", r.Value, t.Value)
}

// retryNote is the OnRetry of the Azure clients: one stderr line per retry
// on a terminal (not with --quiet), or always with --debug; nothing in
// pipelines, whose logs would fill with back-off noise.
func retryNote(f *cmdutil.Factory) func(mgmtclient.RetryInfo) {
	if !f.Debug && (!f.IO.ErrTTY || f.Quiet) {
		return nil
	}
	return func(r mgmtclient.RetryInfo) {
		fmt.Fprintf(f.IO.ErrOut, "azcert: %s\n", cmdutil.Printable(r.String()))
	}
}

// unknownCommand rewrites cobra's unknown-command error, whose suggestion
// comes after blank lines and a tab, as one error line and a hint line that
// holds the suggestion.
func unknownCommand(root *cobra.Command, args []string, err error) error {
	msg, _, _ := strings.Cut(err.Error(), "\n")
	// Walk down the names that are commands; the first that is not is the
	// one mistyped.
	parent, typed := root, ""
	for _, a := range args {
		if strings.HasPrefix(a, "-") {
			continue
		}
		next := findSub(parent, a)
		if next == nil {
			typed = a
			break
		}
		parent = next
	}
	e := cmdutil.UsageErrorf("%s", strings.TrimSpace(msg))
	if parent.SuggestionsMinimumDistance <= 0 {
		parent.SuggestionsMinimumDistance = 2 // cobra's default, which SuggestionsFor does not apply
	}
	if sugg := parent.SuggestionsFor(typed); typed != "" && len(sugg) > 0 {
		for i, s := range sugg {
			sugg[i] = "'" + parent.CommandPath() + " " + s + "'"
		}
		return cmdutil.WithHint(e, "did you mean %s?", strings.Join(sugg, " or "))
	}
	return cmdutil.WithHint(e, "run '%s --help' for the commands", parent.CommandPath())
}

func findSub(c *cobra.Command, name string) *cobra.Command {
	for _, sub := range c.Commands() {
		if sub.Name() == name || sub.HasAlias(name) {
			return sub
		}
	}
	return nil
}

// flagError is cobra's flag error with a suggestion for a mistyped long
// flag: "unknown flag: --keysize" gets "did you mean --key-size?".
func flagError(c *cobra.Command, err error) error {
	uerr := &cmdutil.UsageError{Err: err}
	name, ok := strings.CutPrefix(err.Error(), "unknown flag: --")
	if !ok {
		return uerr
	}
	name, _, _ = strings.Cut(name, "=")
	var best []string
	bestDist := 3 // at most two edits away
	c.Flags().VisitAll(func(fl *pflag.Flag) {
		if fl.Hidden {
			return
		}
		d := editDistance(name, fl.Name)
		if len(name) >= 3 && strings.HasPrefix(fl.Name, name) {
			d = min(d, 1)
		}
		switch {
		case d < bestDist:
			best, bestDist = []string{"--" + fl.Name}, d
		case d == bestDist:
			best = append(best, "--"+fl.Name)
		}
	})
	if len(best) == 0 {
		return uerr
	}
	return cmdutil.WithHint(uerr, "did you mean %s? (run '%s --help' for the flags)", strings.Join(best, " or "), c.CommandPath())
}

// editDistance is the Levenshtein distance between a and b, in bytes
// (flag names are ASCII).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// dashedName returns an argument that starts with "-" but looks like a
// domain name, which cobra reads as a flag.
func dashedName(args []string) string {
	for _, a := range args {
		if a == "--" {
			return ""
		}
		if strings.HasPrefix(a, "-") && !strings.HasPrefix(a, "--") && strings.Contains(a, ".") {
			return a
		}
	}
	return ""
}

func commandPathFor(root *cobra.Command, args []string) string {
	cmd, _, err := root.Find(args)
	if err != nil || cmd == root {
		return ""
	}
	return strings.TrimPrefix(cmd.CommandPath(), "azcert ") + " "
}

const rootLong = `azcert creates, converts, fingerprints and inspects the certificates Azure
asks for: self-signed X.509 v3 certificates with RSA >= 2048 whose subject is
your custom domain, .pfx files in encodings Windows and Azure accept, .cer
files, and thumbprints in the forms the portal, .cscfg files and the API use.
It issues client certificates from a root of its own (VPN point-to-site),
checks a certificate against Azure's requirements, and edits .cscfg files.
It puts certificates where Azure uses them: the Service Management API,
API Management and VPN gateways through Azure Resource Manager, Key Vault,
and Entra ID applications through Microsoft Graph (and signs in with them);
and it runs a local emulator of all of these for trying everything offline.

Output goes to stdout (text, or JSON with -o json); notes, warnings and
errors go to stderr. Exit codes are listed by 'azcert help exit-codes'.`

func newRootCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:           "azcert <command>",
		Short:         "Certificates for Azure: create, convert, fingerprint, inspect",
		Long:          rootLong,
		SilenceErrors: true,
		SilenceUsage:  true,
		Version:       versionString(),
		Example: `  # A service certificate for a custom domain, with its .pfx and .cer
  azcert new contoso.net --password env:PFX_PASSWORD

  # The thumbprint for the .cscfg or the portal
  azcert thumbprint contoso.net.cer

  # What is in a .pfx, including how it is encrypted
  azcert show contoso.net.pfx --in-password env:PFX_PASSWORD`,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			if err := bindConfig(f, cmd); err != nil {
				return &cmdutil.UsageError{Err: err}
			}
			if f.Output != "text" && f.Output != "json" {
				return cmdutil.UsageErrorf("--output %q: want text or json", f.Output)
			}
			f.IO.Quiet = f.Quiet
			f.IO.ColorOff = f.IO.ColorOff || f.NoColor
			f.Started = true
			return stdinOnce(cmd, args)
		},
	}
	cmd.SetIn(f.IO.In)
	cmd.SetOut(f.IO.Out)
	cmd.SetErr(f.IO.ErrOut)
	cmd.SetVersionTemplate("azcert {{.Version}}\n")
	cmd.SetFlagErrorFunc(flagError)

	pf := cmd.PersistentFlags()
	pf.StringVarP(&f.Output, "output", "o", "text", "output format: text or json")
	pf.StringVar(&f.Config, "config", "", "config file (default $XDG_CONFIG_HOME/azcert/config.yaml)")
	pf.BoolVar(&f.NoColor, "no-color", false, "never color the output (also: NO_COLOR set)")
	pf.BoolVarP(&f.Quiet, "quiet", "q", false, "print only the result and errors")
	pf.BoolVar(&f.Debug, "debug", false, "trace what azcert does on stderr (secrets redacted)")
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{"text", "json"}, cobra.ShellCompDirectiveNoFileComp))

	cmd.AddCommand(
		certs.NewCmdNew(f, nil),
		certs.NewCmdExport(f, nil),
		certs.NewCmdThumbprint(f, nil),
		certs.NewCmdShow(f, nil),
		certs.NewCmdCheck(f, nil),
		policy.NewCmdGroup(f),
		cscfgcmd.NewCmdGroup(f),
		vpn.NewCmdGroup(f),
		asm.NewCmdRotate(f, nil),
		apim.NewCmdGroup(f),
		keyvault.NewCmdGroup(f),
		entra.NewCmdGroup(f),
		newGenDocsCmd(f),
		asm.NewCmdUpload(f, nil),
		asm.NewCmdList(f, nil),
		asm.NewCmdDelete(f, nil),
		emulatorcmd.NewCmdEmulator(f, nil),
		newVersionCmd(f, nil),
		newExitCodesTopic(),
		newEnvironmentTopic(),
		newPasswordsTopic(),
	)
	cmd.SetHelpCommand(newHelpCmd())
	cmd.InitDefaultCompletionCmd()
	requireShell(cmd)
	completeValues(cmd)
	return cmd
}

// requireShell makes `azcert completion` without a shell, or with one it
// does not know, a usage error (cobra prints the help and exits 0).
func requireShell(root *cobra.Command) {
	for _, c := range root.Commands() {
		if c.Name() != "completion" {
			continue
		}
		var shells []string
		for _, sub := range c.Commands() {
			shells = append(shells, sub.Name())
		}
		c.Use = "completion {" + strings.Join(shells, "|") + "}"
		c.Args = cobra.ArbitraryArgs
		c.RunE = func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return cmdutil.UsageErrorf("give a shell: %s", strings.Join(shells, ", "))
			}
			return cmdutil.UsageErrorf("unknown shell %q: give %s", args[0], strings.Join(shells, ", "))
		}
	}
}

// stdinOnce refuses, before anything is read, two uses of stdin among
// the password and token flags and the "-" arguments, for every command
// (the first would take what the second needs; with an empty stdin it
// would fail as a wrong password instead).
func stdinOnce(cmd *cobra.Command, args []string) error {
	var flags []input.PasswordFlag
	cmd.Flags().Visit(func(fl *pflag.Flag) {
		if unboundFlags[fl.Name] {
			flags = append(flags, input.PasswordFlag{Name: fl.Name, Spec: fl.Value.String()})
		}
	})
	return input.CheckStdin(args, flags...)
}

// fileValueFlags name files to write; their values complete as files,
// cobra's default.
var fileValueFlags = map[string]bool{"out": true, "ca-out": true, "markdown": true, "man": true}

// completeValues gives every flag of c and its subcommands that takes a
// value and has no completion of its own a fitting one: the password
// sources for a password or token flag, and nothing (not the files of
// the directory, cobra's default) for a name, an id, a URL or a number.
func completeValues(c *cobra.Command) {
	c.Flags().VisitAll(func(fl *pflag.Flag) {
		if fl.Value.Type() == "bool" || fileValueFlags[fl.Name] {
			return
		}
		if _, ok := c.GetFlagCompletionFunc(fl.Name); ok {
			return
		}
		for _, a := range []string{cobra.BashCompFilenameExt, cobra.BashCompSubdirsInDir} {
			if _, ok := fl.Annotations[a]; ok {
				return
			}
		}
		if unboundFlags[fl.Name] && fl.Name != "config" {
			kinds := []string{"env:", "file:", "fd:", "stdin", "prompt", "pass:"}
			if strings.Contains(fl.Usage, "generate") {
				kinds = append(kinds, "generate", "none")
			}
			_ = c.RegisterFlagCompletionFunc(fl.Name, func(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
				var out []string
				for _, k := range kinds {
					if strings.HasPrefix(k, toComplete) {
						out = append(out, k)
					}
				}
				return out, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
			})
			return
		}
		_ = c.RegisterFlagCompletionFunc(fl.Name, cobra.NoFileCompletions)
	})
	for _, sub := range c.Commands() {
		completeValues(sub)
	}
}

// unboundFlags are never filled from the environment or the config file:
// AZCERT_PASSWORD, AZCERT_IN_PASSWORD, AZCERT_ISSUER_PASSWORD and
// AZCERT_AUTH_PASSWORD hold
// passwords themselves, not sources, and a config file is no place for a
// password.
var unboundFlags = map[string]bool{
	"password": true, "in-password": true, "issuer-password": true, "auth-password": true, "access-token": true, "config": true, "help": true, "version": true,
	// AZCERT_PROOF_PASSWORD, of entra's --proof-cert, holds the password too.
	"proof-password": true,
}

// maxConfigSize bounds the config file: a few lines of settings.
const maxConfigSize = 1 << 20

// readConfigBounded reads a config file that is not a regular file, at most
// maxConfigSize bytes of it, into v.
func readConfigBounded(v *viper.Viper, path string) error {
	fh, err := os.Open(path)
	if err != nil {
		return err
	}
	defer fh.Close()
	data, err := io.ReadAll(io.LimitReader(fh, maxConfigSize+1))
	if err != nil {
		return err
	}
	if len(data) > maxConfigSize {
		return fmt.Errorf("it holds more than %d bytes, more than a configuration file holds", maxConfigSize)
	}
	return v.ReadConfig(bytes.NewReader(data))
}

// bindConfig is the one place viper is used: flags the user did not set
// are filled from AZCERT_* variables, then from the config file.
func bindConfig(f *cmdutil.Factory, cmd *cobra.Command) error {
	v := viper.New()
	path := f.Config
	explicit := path != ""
	if !explicit {
		if p, ok := f.Setting("AZCERT_CONFIG"); ok {
			path, explicit = p, true
		} else if dir, err := os.UserConfigDir(); err == nil {
			path = filepath.Join(dir, "azcert", "config.yaml")
		}
	}
	if path != "" {
		if st, err := os.Stat(path); err == nil || explicit {
			v.SetConfigFile(path)
			if filepath.Ext(path) == "" {
				v.SetConfigType("yaml")
			}
			read := v.ReadInConfig
			if err == nil && st.Mode().IsRegular() && st.Size() > maxConfigSize {
				return fmt.Errorf("config file %s is %d bytes, more than a configuration file holds (limit %d)", path, st.Size(), maxConfigSize)
			}
			if err == nil && !st.Mode().IsRegular() && !st.IsDir() {
				// A pipe or a device (--config <(...), /dev/zero) has no
				// size to check: read it here, bounded, not to its end.
				read = func() error { return readConfigBounded(v, path) }
			}
			if err := read(); err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					return fmt.Errorf("config file %s does not exist", path)
				}
				msg := strings.TrimPrefix(strings.ReplaceAll(err.Error(), "\n", " "), "While parsing config: ")
				return fmt.Errorf("config file %s: %s", path, msg)
			}
		}
	}
	var ferr error
	cmd.Flags().VisitAll(func(fl *pflag.Flag) {
		if ferr != nil || fl.Changed || unboundFlags[fl.Name] {
			return
		}
		env := "AZCERT_" + strings.ToUpper(strings.ReplaceAll(fl.Name, "-", "_"))
		val, ok := f.Setting(env)
		from := env
		if !ok && v.IsSet(fl.Name) {
			val, ok, from = v.GetString(fl.Name), true, "config file "+v.ConfigFileUsed()
			if sv, isSlice := fl.Value.(pflag.SliceValue); isSlice {
				if err := sv.Replace(v.GetStringSlice(fl.Name)); err != nil {
					ferr = fmt.Errorf("%s: %s: %w", from, fl.Name, err)
				}
				return
			}
		}
		if !ok {
			return
		}
		if err := cmd.Flags().Set(fl.Name, val); err != nil {
			ferr = fmt.Errorf("%s: --%s: %w", from, fl.Name, err)
		}
	})
	return ferr
}
