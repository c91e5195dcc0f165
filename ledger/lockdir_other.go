//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package ledger

import (
	"fmt"
	"os"
)

// lockDir cannot take Badger's directory lock on this platform. Cleaning up
// files without it could touch a database another process has open, so the
// caller is told to skip the cleanup (Badger's Open then behaves as upstream).
func lockDir(dir string) (func(), error) {
	if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("ledger: stat %s: %w", dir, err)
	}
	return nil, errLockUnsupported
}
