package app

import (
	"bytes"

	"github.com/poaledger/poaledger/ledger"
)

// maxMemoKeys bounds the read memo; past it the memo starts again empty.
const maxMemoKeys = 1 << 18

// readMemo holds values CheckTx read from one committed version of the state:
// the signers' member records and nonces, the event ids and eventIDs its checks
// looked up (mostly absent). Every waiting tx is checked again after each
// block (the mempool's recheck) and once more in FinalizeBlock, and each of
// those reads the same keys; with the memo they come from memory unless the
// block wrote them.
//
// The memo never changes an answer: a value is served only for the version it
// was read at, or for a later state in which the key was not written since
// (ledger.Store.LastWritten, Store.Written). It is node-local and holds no
// consensus state; dropping it at any time only costs reads.
type readMemo struct {
	at   int64             // committed version of vals; 0: empty
	vals map[string][]byte // nil value: absent at that version
	off  bool              // tests: read everything from the store
	// filter answers "absent" for event ids and eventIDs without a read
	// (absent.go); it advances at each Commit beside the memo.
	filter absentFilter
}

// advance moves the memo to committed version v, which the store has just
// committed: keys the new version wrote are dropped, the rest stay valid. When
// the memo is of another version than v's parent, or the store cannot say
// what v wrote, it starts empty.
func (m *readMemo) advance(s *ledger.Store, v int64) {
	if m.at == 0 || m.at != v-1 || len(m.vals) > maxMemoKeys {
		m.reset(v)
		return
	}
	if s.LastWritten(func(k string) { delete(m.vals, k) }) != v {
		m.reset(v)
		return
	}
	m.at = v
}

func (m *readMemo) reset(v int64) {
	m.at = v
	clear(m.vals)
	if m.vals == nil {
		m.vals = make(map[string][]byte)
	}
}

// committedView is base (a committed version) with reads memoised. base must be
// of the memo's version.
func (m *readMemo) committedView(base ledger.View) ledger.View {
	if m.off || m.at == 0 || base.Version() != m.at {
		return base
	}
	return memoView{base: base, m: m}
}

// workingView is base (the working state, one version past the memo's) with
// reads of keys the working state has not written served from the memo.
func (m *readMemo) workingView(s *ledger.Store, base ledger.View) ledger.View {
	if m.off || m.at == 0 || s.LastCommit().Version != m.at {
		return base
	}
	return overlayView{base: base, m: m, s: s}
}

// memoView reads a committed version through the memo, filling it.
type memoView struct {
	base ledger.View
	m    *readMemo
}

func (v memoView) Get(key []byte) ([]byte, error) {
	if val, ok := v.m.vals[string(key)]; ok {
		return bytes.Clone(val), nil
	}
	if v.m.filter.absent(key, v.m.at) {
		v.m.vals[string(key)] = nil
		return nil, nil
	}
	val, err := v.base.Get(key)
	if err != nil {
		return nil, err
	}
	v.m.vals[string(key)] = bytes.Clone(val)
	return val, nil
}

func (v memoView) Has(key []byte) (bool, error) {
	val, err := v.Get(key)
	return val != nil, err
}

func (v memoView) Iterate(prefix, cursor []byte, limit int) ([]ledger.KV, []byte, error) {
	return v.base.Iterate(prefix, cursor, limit)
}

func (v memoView) Version() int64 { return v.base.Version() }

// overlayView reads the working state: keys it has written from the store,
// the others from the memo of the last committed version when it holds them.
type overlayView struct {
	base ledger.View
	m    *readMemo
	s    *ledger.Store
}

func (v overlayView) Get(key []byte) ([]byte, error) {
	if val, absent, ok := v.committed(key); ok {
		if absent {
			return nil, nil
		}
		return bytes.Clone(val), nil
	}
	return v.base.Get(key)
}

func (v overlayView) Has(key []byte) (bool, error) {
	if val, absent, ok := v.committed(key); ok {
		return !absent && val != nil, nil
	}
	return v.base.Has(key)
}

// committed answers a read of key from the last committed version (the memo,
// or the absent filter) when the working state has not written key; ok false
// means "read the working state".
func (v overlayView) committed(key []byte) (val []byte, absent, ok bool) {
	if v.s.Written(key) {
		return nil, false, false
	}
	if val, ok := v.m.vals[string(key)]; ok {
		return val, val == nil, true
	}
	if v.m.filter.absent(key, v.m.at) {
		return nil, true, true
	}
	return nil, false, false
}

func (v overlayView) Iterate(prefix, cursor []byte, limit int) ([]ledger.KV, []byte, error) {
	return v.base.Iterate(prefix, cursor, limit)
}

func (v overlayView) Version() int64 { return v.base.Version() }
