package ledger

import (
	"errors"
	"fmt"
)

// Sentinel errors. Callers compare with errors.Is; the ledger may wrap them with
// context (the key length, the version, the directory, ...).
var (
	ErrNotFound        = errors.New("ledger: not found")
	ErrExists          = errors.New("ledger: key already exists (write-once)")
	ErrEmptyKey        = errors.New("ledger: empty key")
	ErrNilValue        = errors.New("ledger: nil value")
	ErrKeyTooLarge     = errors.New("ledger: key too large")
	ErrValueTooLarge   = errors.New("ledger: value too large")
	ErrClosed          = errors.New("ledger: store closed")
	ErrVersionNotFound = errors.New("ledger: version not found")
	ErrCorruptMarker   = errors.New("ledger: commit marker corrupt")
	ErrLocked          = errors.New("ledger: directory already in use by another process")
	// ErrBatchClosed is returned by a Badger batch used after Write, WriteSync or Close.
	ErrBatchClosed = errors.New("ledger: batch has been written or closed")
	// ErrWriteOnce is returned by Delete (and Set) on a key under one of
	// Options.WriteOncePrefixes.
	ErrWriteOnce = errors.New("ledger: write-once key cannot be modified or deleted")
	// ErrFailed is returned by every write after a Commit failed part-way: the
	// in-memory tree no longer matches the disk; Close and Open the store again
	// (Open rolls the tree back to the last commit marker).
	ErrFailed = errors.New("ledger: store failed, reopen required")
)

// Limits, checked on write and on read.
const (
	// MaxKeyBytes bounds a key. State keys are a prefix byte plus fixed-width
	// fields, far below this.
	MaxKeyBytes = 1024
	// MaxValueBytes bounds a value.
	MaxValueBytes = 4 << 20
	// DefaultPageItems is the page size of Iterate/IterateAt when limit <= 0.
	DefaultPageItems = 1000
	// MaxPageItems caps limit in Iterate/IterateAt.
	MaxPageItems = 10_000
	// MaxPageBytes caps the key+value bytes of one page; a page always holds at
	// least one item when any is left.
	MaxPageBytes = 64 << 20
)

func checkKey(key []byte) error {
	if len(key) == 0 {
		return ErrEmptyKey
	}
	if len(key) > MaxKeyBytes {
		return fmt.Errorf("%w: %d bytes > %d", ErrKeyTooLarge, len(key), MaxKeyBytes)
	}
	return nil
}

func checkValue(value []byte) error {
	if value == nil {
		return ErrNilValue
	}
	if len(value) > MaxValueBytes {
		return fmt.Errorf("%w: %d bytes > %d", ErrValueTooLarge, len(value), MaxValueBytes)
	}
	return nil
}

// checkRead checks a value read back from the tree against the limits, so a
// store written by a buggy or foreign writer is detected instead of trusted.
func checkRead(key, value []byte) error {
	if len(key) > MaxKeyBytes {
		return fmt.Errorf("%w: stored key of %d bytes", ErrKeyTooLarge, len(key))
	}
	if len(value) > MaxValueBytes {
		return fmt.Errorf("%w: stored value of %d bytes under key %x", ErrValueTooLarge, len(value), key)
	}
	return nil
}
