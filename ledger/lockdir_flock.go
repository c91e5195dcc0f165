//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package ledger

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// lockDir takes Badger's directory lock (an exclusive, non-blocking flock on
// the directory itself, as badger's acquireDirectoryLock does in dir_unix.go)
// and returns its release. A directory locked by an open database fails with
// ErrLocked; a missing directory with an error wrapping fs.ErrNotExist.
func lockDir(dir string) (func(), error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("ledger: open directory %s: %w", dir, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		_ = f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w: %s: another process is using this Badger database", ErrLocked, dir)
		}
		return nil, fmt.Errorf("ledger: lock directory %s: %w", dir, err)
	}
	// Closing the only descriptor of the open file releases the flock.
	return func() { _ = f.Close() }, nil
}
