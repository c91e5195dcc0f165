package ledger

import (
	"bytes"
	"errors"
	"fmt"
	"sync"

	corestore "cosmossdk.io/core/store"
	dbm "github.com/cosmos/iavl/db"
	"github.com/dgraph-io/badger/v4"
)

// BadgerDB implements iavl's db.DB over a Badger v4 database. All of its keys
// live under a fixed namespace prefix inside Badger, so several BadgerDB views
// (and the Store's own metadata) can share one Badger instance without their
// keys colliding. Keys passed in and returned are without the prefix.
//
// Contract (iavl db.DB): empty keys and nil values are errors; returned keys and
// values are fresh copies the caller owns; iterators cover [start, end) with nil
// meaning unbounded; no writes may happen inside an iterator's domain while it
// is open (Badger iterators see a snapshot, so this is safe anyway).
type BadgerDB struct {
	db     *badger.DB
	prefix []byte
	owns   bool // Close closes db

	mu     sync.RWMutex
	closed bool
}

var _ dbm.DB = (*BadgerDB)(nil)

// NewBadgerDB opens (creating if needed) a Badger database in dir with the
// validator options of badgerOptions and returns it as an iavl db.DB without a
// namespace prefix. Close closes the Badger database.
func NewBadgerDB(dir string) (*BadgerDB, error) {
	bdb, err := openBadger(dir, badgerOptions(dir, nil))
	if err != nil {
		return nil, err
	}
	return &BadgerDB{db: bdb, owns: true}, nil
}

// newBadgerView returns a BadgerDB namespaced under prefix over an already
// open Badger database it does not own (Close does not close db).
func newBadgerView(db *badger.DB, prefix []byte) *BadgerDB {
	return &BadgerDB{db: db, prefix: bytes.Clone(prefix)}
}

func (b *BadgerDB) key(k []byte) []byte {
	out := make([]byte, 0, len(b.prefix)+len(k))
	out = append(out, b.prefix...)
	return append(out, k...)
}

// enter takes the read side of the close lock. It fails once Close ran.
func (b *BadgerDB) enter() error {
	b.mu.RLock()
	if b.closed {
		b.mu.RUnlock()
		return ErrClosed
	}
	return nil
}

// Get returns a copy of the value under key, or nil when absent.
func (b *BadgerDB) Get(key []byte) ([]byte, error) {
	if len(key) == 0 {
		return nil, ErrEmptyKey
	}
	if err := b.enter(); err != nil {
		return nil, err
	}
	defer b.mu.RUnlock()
	var out []byte
	err := b.db.View(func(txn *badger.Txn) error {
		item, err := txn.Get(b.key(key))
		if err != nil {
			return err
		}
		out, err = item.ValueCopy(nil)
		return err
	})
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("ledger: badger get: %w", err)
	}
	if out == nil {
		out = []byte{} // a present key with an empty value is not "absent"
	}
	return out, nil
}

// Has reports whether key is present.
func (b *BadgerDB) Has(key []byte) (bool, error) {
	if len(key) == 0 {
		return false, ErrEmptyKey
	}
	if err := b.enter(); err != nil {
		return false, err
	}
	defer b.mu.RUnlock()
	err := b.db.View(func(txn *badger.Txn) error {
		_, err := txn.Get(b.key(key))
		return err
	})
	if errors.Is(err, badger.ErrKeyNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("ledger: badger has: %w", err)
	}
	return true, nil
}

// Iterator returns an ascending iterator over [start, end).
func (b *BadgerDB) Iterator(start, end []byte) (corestore.Iterator, error) {
	return b.newIterator(start, end, false)
}

// ReverseIterator returns a descending iterator over [start, end).
func (b *BadgerDB) ReverseIterator(start, end []byte) (corestore.Iterator, error) {
	return b.newIterator(start, end, true)
}

// Close closes the database (when this BadgerDB owns it). Idempotent.
func (b *BadgerDB) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil
	}
	b.closed = true
	if b.owns {
		return b.db.Close()
	}
	return nil
}

// NewBatch returns a new batch. The caller must Close it.
func (b *BadgerDB) NewBatch() corestore.Batch { return b.NewBatchWithSize(0) }

// NewBatchWithSize returns a new batch with room for about size bytes.
func (b *BadgerDB) NewBatchWithSize(size int) corestore.Batch {
	const maxPrealloc = 1024 // ops; size is bytes, so only a hint
	n := min(max(size/128, 0), maxPrealloc)
	return &badgerBatch{db: b, ops: make([]batchOp, 0, n)}
}

// --- iterator ---

type badgerIterator struct {
	txn     *badger.Txn
	it      *badger.Iterator
	db      *BadgerDB
	start   []byte // without prefix, as given
	end     []byte
	lower   []byte // prefixed inclusive lower bound (nil = none)
	upper   []byte // prefixed exclusive upper bound (nil = none)
	reverse bool
	valid   bool
	key     []byte // current key without prefix
	err     error
	closed  bool
}

func (b *BadgerDB) newIterator(start, end []byte, reverse bool) (corestore.Iterator, error) {
	if (start != nil && len(start) == 0) || (end != nil && len(end) == 0) {
		return nil, ErrEmptyKey
	}
	if err := b.enter(); err != nil {
		return nil, err
	}
	// The iterator keeps the read lock until Close, so Close of the DB waits for
	// open iterators instead of pulling the store out from under them.
	lower := b.key(start)
	if start == nil {
		lower = bytes.Clone(b.prefix)
		if len(lower) == 0 {
			lower = nil
		}
	}
	var upper []byte
	if end != nil {
		upper = b.key(end)
	} else {
		upper = prefixEnd(b.prefix)
	}
	txn := b.db.NewTransaction(false)
	// Values are fetched lazily in Value(); iavl's reverse scans for the latest
	// version read only one key.
	opts := badger.IteratorOptions{PrefetchValues: false, Reverse: reverse}
	if !reverse {
		opts.Prefix = b.prefix // lets Badger skip tables outside the namespace
	}
	it := txn.NewIterator(opts)
	itr := &badgerIterator{
		txn: txn, it: it, db: b, start: start, end: end,
		lower: lower, upper: upper, reverse: reverse,
	}
	if reverse {
		if upper == nil {
			it.Rewind()
		} else {
			it.Seek(upper) // largest key <= upper; skip it if equal
			if it.Valid() && bytes.Compare(it.Item().Key(), upper) >= 0 {
				it.Next()
			}
		}
	} else {
		if lower == nil {
			it.Rewind()
		} else {
			it.Seek(lower)
		}
	}
	itr.settle()
	return itr, nil
}

// settle checks the bounds at the current position and caches the key.
func (i *badgerIterator) settle() {
	i.valid = false
	i.key = nil
	if !i.it.Valid() {
		return
	}
	k := i.it.Item().Key()
	if i.lower != nil && bytes.Compare(k, i.lower) < 0 {
		return
	}
	if i.upper != nil && bytes.Compare(k, i.upper) >= 0 {
		return
	}
	if !bytes.HasPrefix(k, i.db.prefix) {
		return
	}
	i.valid = true
	i.key = bytes.Clone(k[len(i.db.prefix):])
}

func (i *badgerIterator) Domain() ([]byte, []byte) { return i.start, i.end }
func (i *badgerIterator) Valid() bool              { return i.valid && !i.closed }

func (i *badgerIterator) Next() {
	i.assertValid()
	i.it.Next()
	i.settle()
}

// Key returns a copy of the current key.
func (i *badgerIterator) Key() []byte {
	i.assertValid()
	return bytes.Clone(i.key)
}

// Value returns a copy of the current value.
func (i *badgerIterator) Value() []byte {
	i.assertValid()
	v, err := i.it.Item().ValueCopy(nil)
	if err != nil {
		i.err = fmt.Errorf("ledger: badger iterator value: %w", err)
		return nil
	}
	if v == nil {
		v = []byte{}
	}
	return v
}

func (i *badgerIterator) Error() error { return i.err }

func (i *badgerIterator) Close() error {
	if i.closed {
		return nil
	}
	i.closed = true
	i.valid = false
	i.it.Close()
	i.txn.Discard()
	i.db.mu.RUnlock()
	return nil
}

// assertValid panics like every iavl db iterator when used past its end: that is
// a broken caller invariant, not bad input.
func (i *badgerIterator) assertValid() {
	if !i.Valid() {
		panic("ledger: iterator is invalid")
	}
}

// prefixEnd returns the smallest key greater than every key with prefix p, or
// nil when there is none (p empty or all 0xff).
func prefixEnd(p []byte) []byte {
	end := bytes.Clone(p)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] != 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}

// --- batch ---

type batchOp struct {
	key    []byte // prefixed copy
	value  []byte // copy; nil for delete
	delete bool
}

// badgerBatch stages operations in memory (copies, so the caller may reuse its
// slices) and applies them on Write. A batch larger than one Badger transaction
// is applied through several transactions in order; see doc.go for why that is
// still crash-safe at the Store level.
type badgerBatch struct {
	db     *BadgerDB
	mu     sync.Mutex
	ops    []batchOp
	size   int
	closed bool
}

func (bb *badgerBatch) Set(key, value []byte) error {
	if len(key) == 0 {
		return ErrEmptyKey
	}
	if value == nil {
		return ErrNilValue
	}
	bb.mu.Lock()
	defer bb.mu.Unlock()
	if bb.closed {
		return ErrBatchClosed
	}
	bb.ops = append(bb.ops, batchOp{key: bb.db.key(key), value: bytes.Clone(value)})
	bb.size += len(key) + len(value)
	return nil
}

func (bb *badgerBatch) Delete(key []byte) error {
	if len(key) == 0 {
		return ErrEmptyKey
	}
	bb.mu.Lock()
	defer bb.mu.Unlock()
	if bb.closed {
		return ErrBatchClosed
	}
	bb.ops = append(bb.ops, batchOp{key: bb.db.key(key), delete: true})
	bb.size += len(key)
	return nil
}

func (bb *badgerBatch) Write() error     { return bb.write(false) }
func (bb *badgerBatch) WriteSync() error { return bb.write(true) }

func (bb *badgerBatch) write(sync bool) error {
	bb.mu.Lock()
	defer bb.mu.Unlock()
	if bb.closed {
		return ErrBatchClosed
	}
	ops := bb.ops
	bb.ops, bb.size, bb.closed = nil, 0, true
	if err := bb.db.enter(); err != nil {
		return err
	}
	defer bb.db.mu.RUnlock()
	txns, err := applyOps(bb.db.db, ops)
	if err != nil {
		return err
	}
	batchTxnsHook(txns)
	// With SyncWrites (the Store's default) every transaction was synced when
	// it committed; db.Sync would only repeat the fsyncs.
	if sync && !bb.db.db.Opts().SyncWrites {
		if err := bb.db.db.Sync(); err != nil {
			return fmt.Errorf("ledger: badger sync: %w", err)
		}
	}
	return nil
}

// batchTxnsHook observes how many transactions each batch Write used (tests).
var batchTxnsHook = func(int) {}

// applyOps writes ops in order through as few Badger transactions as fit and
// returns how many it used.
func applyOps(db *badger.DB, ops []batchOp) (int, error) {
	txns := 0
	for len(ops) > 0 {
		txn := db.NewTransaction(true)
		n := 0
		for ; n < len(ops); n++ {
			op := ops[n]
			var err error
			if op.delete {
				err = txn.Delete(op.key)
			} else {
				err = txn.Set(op.key, op.value)
			}
			if errors.Is(err, badger.ErrTxnTooBig) && n > 0 {
				break // commit what fits, continue in a new transaction
			}
			if err != nil {
				txn.Discard()
				return txns, fmt.Errorf("ledger: badger batch: %w", err)
			}
		}
		if err := txn.Commit(); err != nil {
			return txns, fmt.Errorf("ledger: badger batch commit: %w", err)
		}
		txns++
		ops = ops[n:]
	}
	return txns, nil
}

func (bb *badgerBatch) Close() error {
	bb.mu.Lock()
	defer bb.mu.Unlock()
	bb.ops, bb.size, bb.closed = nil, 0, true
	return nil
}

func (bb *badgerBatch) GetByteSize() (int, error) {
	bb.mu.Lock()
	defer bb.mu.Unlock()
	if bb.closed {
		return 0, ErrBatchClosed
	}
	return bb.size, nil
}
