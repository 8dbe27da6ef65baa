// Command azcert creates, converts, fingerprints and inspects the
// certificates Azure asks for. Run "azcert --help" for the commands.
package main

import "os"

func main() { os.Exit(run(os.Args[1:], newSystemFactory())) }
