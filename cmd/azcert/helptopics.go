package main

import "github.com/spf13/cobra"

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
     no password source and no terminal to ask on
  3  bad input: unreadable or invalid file, wrong password, invalid name,
     weak key, invalid validity, refusing to overwrite, unwritable output
  4  a check failed: check found a FAIL, thumbprint --expect did not match
  5  Azure refused the request (4xx, or an operation that failed)
  6  Azure unreachable or unavailable after retries (network, timeout, 5xx,
     throttling), or an answer too large to use (over 16 MiB)

Every error is one line on stderr starting "azcert: error:", sometimes
followed by a line starting "azcert: hint:".`,
	}
}

func newEnvironmentTopic() *cobra.Command {
	return &cobra.Command{
		Use:   "environment",
		Short: "Environment variables and the config file",
		Long: `Every flag can also be set by an environment variable or the config file.
Precedence: flag, then environment, then config file, then the default.

  AZCERT_<FLAG>        a flag's value: upper case, "-" becomes "_",
                       e.g. AZCERT_PFX_PROFILE=modern, AZCERT_KEY_SIZE=3072,
                       AZCERT_OUTPUT=json
  AZCERT_PASSWORD      the password itself (not a source) for a .pfx being
                       written, used when --password is not given
  AZCERT_IN_PASSWORD   the password itself for a .pfx being read, used when
                       --in-password is not given
  AZCERT_CONFIG        the config file, like --config
  NO_COLOR             never color the output

The config file is YAML with flag names as keys; the default is
$XDG_CONFIG_HOME/azcert/config.yaml (~/.config/azcert/config.yaml on Linux,
~/Library/Application Support/azcert/config.yaml on macOS,
%AppData%\azcert\config.yaml on Windows). It is fine for it to be missing;
a file that does not parse is exit 2. Passwords are never read from it:

  pfx-profile: compat
  key-size: 3072
  output: json`,
	}
}
