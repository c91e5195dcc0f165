package ledger

import "fmt"

// View reads one state of the tree: the working state (what FinalizeBlock builds)
// or a committed version. Code that only reads takes a View and never learns
// which it got.
//
// Every method has the contract of the Store method of the same name: values
// are copies the caller owns, an absent key reads as (nil, nil) and false, and
// Iterate pages in ascending key order. A committed view whose version is
// pruned or closed fails with ErrVersionNotFound or ErrClosed.
type View interface {
	Get(key []byte) ([]byte, error)
	Has(key []byte) (bool, error)
	Iterate(prefix, cursor []byte, limit int) (items []KV, next []byte, err error)
	// Version is the committed version read, or the version the next Commit
	// will create for the working state.
	Version() int64
}

// Working returns a View of the working state. It sees every write made so far,
// including those after the call.
func (s *Store) Working() View { return workingView{s} }

// At returns a View of committed version v, or ErrVersionNotFound when v is not
// committed or no longer stored.
func (s *Store) At(v int64) (View, error) {
	if !s.VersionExists(v) {
		return nil, fmt.Errorf("%w: %d", ErrVersionNotFound, v)
	}
	return committedView{s: s, version: v}, nil
}

type workingView struct{ s *Store }

func (w workingView) Get(key []byte) ([]byte, error) { return w.s.Get(key) }
func (w workingView) Has(key []byte) (bool, error)   { return w.s.Has(key) }
func (w workingView) Version() int64                 { return w.s.WorkingVersion() }
func (w workingView) Iterate(prefix, cursor []byte, limit int) ([]KV, []byte, error) {
	return w.s.Iterate(prefix, cursor, limit)
}

type committedView struct {
	s       *Store
	version int64
}

func (c committedView) Get(key []byte) ([]byte, error) { return c.s.GetAt(key, c.version) }
func (c committedView) Version() int64                 { return c.version }
func (c committedView) Has(key []byte) (bool, error) {
	v, err := c.s.GetAt(key, c.version)
	return v != nil, err
}
func (c committedView) Iterate(prefix, cursor []byte, limit int) ([]KV, []byte, error) {
	return c.s.IterateAt(c.version, prefix, cursor, limit)
}
