package main

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/azcert/azcert/cmd/azcert/internal/cmdutil"
)

// Help topics are commands without Run: cobra lists them under
// "Additional help topics" and `azcert help <topic>` prints them.

func newExitCodesTopic() *cobra.Command {
	return &cobra.Command{
		Use:   "exit-codes",
		Short: "What azcert's exit codes mean",
		Long: `azcert exits with one of these codes, so scripts can tell failures apart:

  0  success
  1  unexpected failure (a bug or an environment problem)
  2  usage: unknown flag, missing argument, conflicting flags, bad flag value,
     no password source and no terminal to ask on, a delete or remove
     not confirmed (an answer other than yes)
  3  bad input: unreadable or invalid file, wrong password, invalid name,
     weak key, invalid validity, refusing to overwrite, unwritable output,
     refusing to remove an application's last certificate credential
  4  a check failed: check found a FAIL, thumbprint --expect did not match
  5  Azure refused the request (4xx, or an operation that failed)
  6  Azure unreachable or unavailable after retries (network, timeout, 5xx,
     throttling), or an answer too large to use (over 16 MiB); also an
     https:// server that thumbprint or show reads from and that does not answer

Every error is one line on stderr starting "azcert: error:", sometimes
followed by a line starting "azcert: hint:".`,
	}
}

func newEnvironmentTopic() *cobra.Command {
	return &cobra.Command{
		Use:   "environment",
		Short: "Environment variables and the config file",
		Long: `Every flag can also be set by an environment variable or the config file.
Precedence: the flag, then AZCERT_<FLAG>, then the config file, then the
default. A variable set to "" counts as unset.

Variables that hold a flag's value (the same text the flag takes):

  AZCERT_<FLAG>          any flag: upper case, "-" becomes "_", e.g.
                         AZCERT_PFX_PROFILE=modern, AZCERT_KEY_SIZE=3072,
                         AZCERT_OUTPUT=json
  AZCERT_SUBSCRIPTION    --subscription: the subscription ID
  AZCERT_AUTH_CERT       --auth-cert: the management certificate file
  AZCERT_PUBLISH_SETTINGS --publish-settings: a .publishsettings file
  AZCERT_ENDPOINT        --endpoint: the Service Management URL
  AZCERT_CLOUD           --cloud: public, china or usgov
  AZCERT_CA_FILE         --ca-file: extra CA certificates (the emulator's)
  AZCERT_ARM_ENDPOINT    --arm-endpoint: the Azure Resource Manager URL
  AZCERT_VAULT           --vault: the key vault's name or URL
  AZCERT_APP             --app: the Entra ID application's app id or object id
  AZCERT_GRAPH_ENDPOINT  --graph-endpoint: the Microsoft Graph URL
  AZCERT_TENANT          --tenant: the Entra ID tenant (entra signin)
  AZCERT_AUTHORITY       --authority: the Entra ID authority (entra signin)
  AZCERT_GATEWAY         --gateway: the VPN gateway, RG/NAME or its resource id
  AZCERT_RESOURCE_GROUP, AZCERT_SERVICE, AZCERT_TIMEOUT, AZCERT_RETRIES, ...
  AZCERT_CONFIG          the config file, like --config

Variables that hold a secret itself (never a source such as env:X; each
applies only when its flag is not given, and is never printed):

  AZCERT_PASSWORD        the password for a .pfx being written (--password)
  AZCERT_IN_PASSWORD     the password for a .pfx being read (--in-password)
  AZCERT_ISSUER_PASSWORD the password of new's and check's --issuer .pfx
                         (--issuer-password)
  AZCERT_AUTH_PASSWORD   the password of --auth-cert (--auth-password)
  AZCERT_PROOF_PASSWORD  the password of entra's --proof-cert (--proof-password)
  AZCERT_ACCESS_TOKEN    a bearer token for ARM, Key Vault or Microsoft Graph
                         (--access-token)

Read by the Azure credential chain when --access-token is not given
(azidentity's DefaultAzureCredential):

  AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET,
  AZURE_CLIENT_CERTIFICATE_PATH, AZURE_CLIENT_CERTIFICATE_PASSWORD,
  AZURE_FEDERATED_TOKEN_FILE (workload identity), AZURE_AUTHORITY_HOST,
  AZURE_TOKEN_CREDENTIALS (which credentials to try: dev, prod, or one)

Others: NO_COLOR (never color), TERM=dumb (no color), XDG_CONFIG_HOME
(where the default config file is), HTTPS_PROXY / NO_PROXY (proxies).

The config file is YAML with flag names as keys; the default is
$XDG_CONFIG_HOME/azcert/config.yaml (~/.config/azcert/config.yaml on Linux,
~/Library/Application Support/azcert/config.yaml on macOS,
%AppData%\azcert\config.yaml on Windows). It is fine for it to be missing;
a file that does not parse is exit 2. Passwords and tokens are never read
from it:

  pfx-profile: compat
  key-size: 3072
  output: json`,
	}
}

func newPasswordsTopic() *cobra.Command {
	return &cobra.Command{
		Use:   "passwords",
		Short: "How passwords are given: pass:, env:, file:, fd:, stdin, prompt",
		Long: `Every flag that reads a password or a token takes a source, as openssl's
-passin does: --password (a .pfx being written), --in-password (a .pfx
being read), --auth-password (the management certificate),
--proof-password (entra's --proof-cert) and --access-token (a bearer
token for ARM, Key Vault or Microsoft Graph).

  env:VAR     the value of the environment variable VAR
  file:PATH   the first line of the file PATH (keep it mode 0600)
  fd:N        the first line read from file descriptor N (e.g. 3<pw.txt)
  stdin       the first line of standard input (not with the input file "-")
  prompt      asked on the terminal without echo; twice for a new password
  pass:TEXT   TEXT itself: works, but other users see it in the process
              list and it stays in shell history, so azcert warns
  generate    (--password only) a strong random password, written to
              <name>.pfx.password (mode 0600)
  none        (--password only) an empty password, which must be asked for

A bare value that is none of these (--password MyPassw0rd) is refused with
exit 2, and nothing of it is printed.

Without the flag: AZCERT_PASSWORD, AZCERT_IN_PASSWORD,
AZCERT_ISSUER_PASSWORD, AZCERT_AUTH_PASSWORD, AZCERT_PROOF_PASSWORD or
AZCERT_ACCESS_TOKEN, which
hold the secret itself, if set; else a prompt on a terminal; else exit 2
with a message naming the flag. A password is never read from the config
file and never appears in output, logs, the
--debug trace or an error.`,
		Example: `  # From a variable, the usual way in CI
  PW=$(cat secret.txt) azcert new contoso.net --password env:PW

  # From a file descriptor, so the password is in no variable
  azcert show site.pfx --in-password fd:3 3<pw.txt

  # A generated password beside the .pfx
  azcert new contoso.net --password generate`,
	}
}

// newHelpCmd replaces cobra's help command, which prints the usage and
// exits 0 for a topic it does not know: here that is a usage error.
func newHelpCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "help [command|topic]",
		Short: "Help about any command or topic",
		Long: `Help about any command or topic: 'azcert help new', 'azcert help apim upload',
'azcert help passwords', 'azcert help environment', 'azcert help exit-codes'.`,
		ValidArgsFunction: func(c *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			cmd, _, err := c.Root().Find(args)
			if err != nil {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			var names []cobra.Completion
			for _, sub := range cmd.Commands() {
				if (sub.IsAvailableCommand() || sub.IsAdditionalHelpTopicCommand()) && strings.HasPrefix(sub.Name(), toComplete) {
					names = append(names, cobra.CompletionWithDesc(sub.Name(), sub.Short))
				}
			}
			return names, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(c *cobra.Command, args []string) error {
			cmd, rest, err := c.Root().Find(args)
			if err != nil || cmd == nil || len(rest) > 0 {
				topic := strings.Join(args, " ")
				e := cmdutil.UsageErrorf("unknown help topic %q", topic)
				parent := c.Root()
				if cmd != nil && err == nil {
					parent = cmd
				}
				if parent.SuggestionsMinimumDistance <= 0 {
					parent.SuggestionsMinimumDistance = 2
				}
				if len(args) > 0 {
					if sugg := parent.SuggestionsFor(args[len(args)-1]); len(sugg) > 0 {
						return cmdutil.WithHint(e, "did you mean 'azcert help %s'?", strings.TrimPrefix(parent.CommandPath()+" "+sugg[0], "azcert "))
					}
				}
				return cmdutil.WithHint(e, "run 'azcert help' for the commands and topics")
			}
			cmd.InitDefaultHelpFlag()
			cmd.InitDefaultVersionFlag()
			return cmd.Help()
		},
	}
}
