// Command poaledger runs and uses a poaledger node: a permissioned (Proof of
// Authority) CometBFT chain keeping an immutable, provable ledger of GS1 EPCIS 2.0
// events. This package holds cobra commands only; the logic lives in the packages
// they call.
package main

import (
	"errors"
	"fmt"
	"os"
)

func main() {
	if err := newRootCmd().Execute(); err != nil {
		var ue *usageError
		if errors.As(err, &ue) {
			fmt.Fprintln(os.Stderr, "Error:", err)
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "Error:", err)
		os.Exit(1)
	}
}
