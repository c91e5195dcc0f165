// Command poaledger runs and uses a poaledger node: a permissioned (Proof of
// Authority) CometBFT chain keeping an immutable, provable ledger of GS1 EPCIS 2.0
// events. This package holds cobra commands only; the logic lives in the packages
// they call.
package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/poaledger/poaledger/client"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

// run executes the CLI and returns its exit code: 0 on success, 2 for a bad
// command, flag or argument, 1 for any other failure.
func run(args []string) int {
	root := newRootCmd()
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return 0
	}
	var ue *usageError
	var unreachable *client.UnreachableError
	var badID *client.InvalidIDError
	switch {
	case errors.As(err, &ue), errors.As(err, &badID), strings.HasPrefix(err.Error(), "unknown command "):
		fmt.Fprintln(os.Stderr, "Error:", err)
		return 2
	case errors.As(err, &unreachable):
		// One message in the user's words, whichever step of the client failed.
		fmt.Fprintln(os.Stderr, "Error:", unreachable)
		return 1
	}
	fmt.Fprintln(os.Stderr, "Error:", err)
	return 1
}
