package ledger

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	corestore "cosmossdk.io/core/store"
	dbm "github.com/cosmos/iavl/db"
	"github.com/dgraph-io/badger/v4"
)

// dbImpl is one implementation of iavl's db.DB under test. reopen is nil when
// the implementation does not persist.
type dbImpl struct {
	name   string
	open   func(t *testing.T) (db dbm.DB, reopen func() dbm.DB)
	closed bool // use after Close is an error (MemDB's Close is a no-op)
}

// smallBadgerOptions shrink the memtable so one Badger transaction holds only
// ~150 kB: the conformance suite then exercises batches spanning several
// transactions without writing megabytes.
func smallBadgerOptions(dir string) badger.Options {
	o := badgerOptions(dir, nil)
	o.MemTableSize = 1 << 20
	o.ValueThreshold = 1 << 10
	o.BlockCacheSize = 1 << 20
	o.IndexCacheSize = 0
	return o
}

func dbImpls() []dbImpl {
	return []dbImpl{
		{name: "iavl-memdb", open: func(t *testing.T) (dbm.DB, func() dbm.DB) {
			return dbm.NewMemDB(), nil
		}},
		{name: "badger", closed: true, open: func(t *testing.T) (dbm.DB, func() dbm.DB) {
			dir := t.TempDir()
			open := func() dbm.DB {
				raw, err := openBadger(dir, smallBadgerOptions(dir))
				if err != nil {
					t.Fatal(err)
				}
				db := &BadgerDB{db: raw, owns: true}
				t.Cleanup(func() { _ = db.Close() })
				return db
			}
			return open(), open
		}},
		// A namespaced view with foreign keys on both sides of the namespace, as
		// inside a Store: bounds and reverse seeks must not leak or stop early.
		{name: "badger-prefixed", closed: true, open: func(t *testing.T) (dbm.DB, func() dbm.DB) {
			dir := t.TempDir()
			open := func(fill bool) dbm.DB {
				raw, err := openBadger(dir, smallBadgerOptions(dir))
				if err != nil {
					t.Fatal(err)
				}
				if fill {
					err = raw.Update(func(txn *badger.Txn) error {
						for _, k := range []string{"s", "s\xff\xff", "t", "t0", "u", "u/", "\xff"} {
							if err := txn.Set([]byte(k), []byte("foreign")); err != nil {
								return err
							}
						}
						return nil
					})
					if err != nil {
						t.Fatal(err)
					}
				}
				view := newBadgerView(raw, []byte("t/"))
				t.Cleanup(func() { _ = view.Close(); _ = raw.Close() })
				return view
			}
			var cur dbm.DB
			reopen := func() dbm.DB {
				// The view does not own Badger; close the old handle first.
				cur.(*BadgerDB).db.Close()
				cur = open(false)
				return cur
			}
			cur = open(true)
			return cur, reopen
		}},
	}
}

func writeAll(t *testing.T, db dbm.DB, kv map[string]string) {
	t.Helper()
	b := db.NewBatch()
	defer b.Close()
	for k, v := range kv {
		if err := b.Set([]byte(k), []byte(v)); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Write(); err != nil {
		t.Fatal(err)
	}
}

func iterKeys(t *testing.T, it corestore.Iterator) []string {
	t.Helper()
	defer it.Close()
	var keys []string
	for ; it.Valid(); it.Next() {
		k, v := it.Key(), it.Value()
		if want := "v" + string(k); string(v) != want {
			t.Fatalf("value of %q = %q, want %q", k, v, want)
		}
		keys = append(keys, string(k))
	}
	if err := it.Error(); err != nil {
		t.Fatal(err)
	}
	return keys
}

func TestDBConformance(t *testing.T) {
	for _, impl := range dbImpls() {
		t.Run(impl.name, func(t *testing.T) {
			t.Run("GetHas", func(t *testing.T) { testGetHas(t, impl) })
			t.Run("Iterators", func(t *testing.T) { testIterators(t, impl) })
			t.Run("Batch", func(t *testing.T) { testBatch(t, impl) })
			t.Run("LargeBatch", func(t *testing.T) { testLargeBatch(t, impl) })
			t.Run("Reopen", func(t *testing.T) { testReopen(t, impl) })
			t.Run("Closed", func(t *testing.T) { testClosed(t, impl) })
		})
	}
}

func testGetHas(t *testing.T, impl dbImpl) {
	db, _ := impl.open(t)
	if v, err := db.Get([]byte("a")); v != nil || err != nil {
		t.Fatalf("Get absent = %q, %v", v, err)
	}
	if ok, err := db.Has([]byte("a")); ok || err != nil {
		t.Fatalf("Has absent = %v, %v", ok, err)
	}
	writeAll(t, db, map[string]string{"a": "1", "empty": ""})
	v, err := db.Get([]byte("a"))
	if string(v) != "1" || err != nil {
		t.Fatalf("Get = %q, %v", v, err)
	}
	if ok, _ := db.Has([]byte("a")); !ok {
		t.Fatal("Has = false")
	}
	// An empty value is present, and distinct from absent.
	if v, err := db.Get([]byte("empty")); v == nil || len(v) != 0 || err != nil {
		t.Fatalf("Get empty value = %#v, %v", v, err)
	}
	// A returned value stays valid after the key is overwritten.
	writeAll(t, db, map[string]string{"a": "2"})
	if string(v) != "1" {
		t.Fatalf("kept value changed to %q", v)
	}
	for _, k := range [][]byte{nil, {}} {
		if _, err := db.Get(k); err == nil {
			t.Fatal("Get(empty key) succeeded")
		}
		if _, err := db.Has(k); err == nil {
			t.Fatal("Has(empty key) succeeded")
		}
	}
}

func testIterators(t *testing.T, impl dbImpl) {
	db, _ := impl.open(t)
	keys := []string{"a", "aa", "ab", "b", "ba", "c", "d\x00", "d\xff", "e"}
	kv := map[string]string{}
	for _, k := range keys {
		kv[k] = "v" + k
	}
	writeAll(t, db, kv)
	sorted := slices.Clone(keys)
	slices.Sort(sorted)
	b := func(s string) []byte {
		if s == "<nil>" {
			return nil
		}
		return []byte(s)
	}
	tests := []struct{ start, end string }{
		{"<nil>", "<nil>"},
		{"a", "<nil>"},
		{"<nil>", "c"},
		{"aa", "c"},
		{"a0", "bz"}, // bounds that are not keys
		{"b", "b"},   // empty domain
		{"c", "b"},   // inverted domain: empty
		{"0", "a"},   // before the first key
		{"f", "<nil>"},
		{"<nil>", "0"},
		{"d\x00", "d\xff"},
		{"e", "f"},
	}
	for _, tc := range tests {
		start, end := b(tc.start), b(tc.end)
		var want []string
		for _, k := range sorted {
			if (start == nil || k >= string(start)) && (end == nil || k < string(end)) {
				want = append(want, k)
			}
		}
		it, err := db.Iterator(start, end)
		if err != nil {
			t.Fatal(err)
		}
		if got := iterKeys(t, it); !slices.Equal(got, want) {
			t.Errorf("Iterator(%q,%q) = %q, want %q", tc.start, tc.end, got, want)
		}
		rit, err := db.ReverseIterator(start, end)
		if err != nil {
			t.Fatal(err)
		}
		rwant := slices.Clone(want)
		slices.Reverse(rwant)
		if got := iterKeys(t, rit); !slices.Equal(got, rwant) {
			t.Errorf("ReverseIterator(%q,%q) = %q, want %q", tc.start, tc.end, got, rwant)
		}
	}
	// Domain reports the bounds; keys are copies the caller may keep.
	it, _ := db.Iterator([]byte("a"), []byte("c"))
	if s, e := it.Domain(); string(s) != "a" || string(e) != "c" {
		t.Errorf("Domain = %q,%q", s, e)
	}
	k := it.Key()
	it.Next()
	if string(k) != "a" {
		t.Errorf("kept key changed to %q", k)
	}
	_ = it.Close()
	if it.Valid() {
		t.Error("iterator valid after Close")
	}
	for _, bad := range [][2][]byte{{{}, nil}, {nil, {}}} {
		if _, err := db.Iterator(bad[0], bad[1]); err == nil {
			t.Error("Iterator with empty bound succeeded")
		}
		if _, err := db.ReverseIterator(bad[0], bad[1]); err == nil {
			t.Error("ReverseIterator with empty bound succeeded")
		}
	}
}

func testBatch(t *testing.T, impl dbImpl) {
	db, _ := impl.open(t)
	writeAll(t, db, map[string]string{"keep": "1", "gone": "1"})
	b := db.NewBatchWithSize(64)
	steps := []error{
		b.Set([]byte("x"), []byte("1")),
		b.Set([]byte("x"), []byte("2")), // later op wins
		b.Delete([]byte("gone")),
		b.Set([]byte("y"), []byte("1")),
		b.Delete([]byte("y")),
		b.Delete([]byte("absent")), // deleting nothing is fine
	}
	for i, err := range steps {
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	if n, err := b.GetByteSize(); err != nil || n <= 0 {
		t.Fatalf("GetByteSize = %d, %v", n, err)
	}
	if err := b.Set(nil, []byte("v")); err == nil {
		t.Error("batch Set(empty key) succeeded")
	}
	if err := b.Set([]byte("k"), nil); err == nil {
		t.Error("batch Set(nil value) succeeded")
	}
	if err := b.Delete(nil); err == nil {
		t.Error("batch Delete(empty key) succeeded")
	}
	// Nothing visible before Write.
	if v, _ := db.Get([]byte("x")); v != nil {
		t.Fatal("batch visible before Write")
	}
	if err := b.WriteSync(); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"keep": "1", "x": "2"}
	it, _ := db.Iterator(nil, nil)
	got := map[string]string{}
	for ; it.Valid(); it.Next() {
		got[string(it.Key())] = string(it.Value())
	}
	_ = it.Close()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("after Write: %v, want %v", got, want)
	}
	// A written batch refuses everything but Close, which is idempotent.
	if err := b.Set([]byte("z"), []byte("1")); err == nil {
		t.Error("Set after Write succeeded")
	}
	if err := b.Delete([]byte("z")); err == nil {
		t.Error("Delete after Write succeeded")
	}
	if err := b.Write(); err == nil {
		t.Error("second Write succeeded")
	}
	if _, err := b.GetByteSize(); err == nil {
		t.Error("GetByteSize after Write succeeded")
	}
	if err := b.Close(); err != nil {
		t.Error(err)
	}
	if err := b.Close(); err != nil {
		t.Error(err)
	}
	// A batch closed without Write writes nothing.
	b2 := db.NewBatch()
	_ = b2.Set([]byte("never"), []byte("1"))
	_ = b2.Close()
	if err := b2.Write(); err == nil {
		t.Error("Write after Close succeeded")
	}
	if err := b2.WriteSync(); err == nil {
		t.Error("WriteSync after Close succeeded")
	}
	if err := b2.Set([]byte("z"), []byte("1")); err == nil {
		t.Error("Set after Close succeeded")
	}
	if v, _ := db.Get([]byte("never")); v != nil {
		t.Error("closed batch was written")
	}
}

// testLargeBatch writes a batch far larger than one (shrunken) Badger
// transaction: every operation must land, in order.
func testLargeBatch(t *testing.T, impl dbImpl) {
	db, _ := impl.open(t)
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 3000
	val := bytes.Repeat([]byte("x"), 200) // 3000*~210 B = ~630 kB > ~150 kB per txn
	b := db.NewBatch()
	for i := range n {
		if err := b.Set([]byte(fmt.Sprintf("k%05d", i)), val); err != nil {
			t.Fatal(err)
		}
	}
	deleted := map[int]bool{}
	for range 300 {
		i := rng.IntN(n)
		deleted[i] = true
		if err := b.Delete([]byte(fmt.Sprintf("k%05d", i))); err != nil {
			t.Fatal(err)
		}
	}
	maxTxns := 0
	batchTxnsHook = func(n int) { maxTxns = max(maxTxns, n) }
	defer func() { batchTxnsHook = func(int) {} }()
	if err := b.Write(); err != nil {
		t.Fatal(err)
	}
	_ = b.Close()
	if _, ok := db.(*BadgerDB); ok && maxTxns < 2 {
		t.Fatalf("large batch used %d transaction(s); the test should span several", maxTxns)
	}
	it, _ := db.Iterator(nil, nil)
	defer it.Close()
	count := 0
	for ; it.Valid(); it.Next() {
		count++
	}
	if want := n - len(deleted); count != want {
		t.Fatalf("%d keys after large batch, want %d", count, want)
	}
}

func testReopen(t *testing.T, impl dbImpl) {
	db, reopen := impl.open(t)
	if reopen == nil {
		t.Skip("in-memory implementation does not persist")
	}
	writeAll(t, db, map[string]string{"a": "va", "b": "vb"})
	b := db.NewBatch()
	_ = b.Delete([]byte("a"))
	_ = b.Set([]byte("c"), []byte("vc"))
	if err := b.WriteSync(); err != nil {
		t.Fatal(err)
	}
	if impl.name == "badger" {
		_ = db.Close()
	}
	db = reopen()
	it, err := db.Iterator(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := iterKeys(t, it); !slices.Equal(got, []string{"b", "c"}) {
		t.Fatalf("after reopen: %q", got)
	}
}

func testClosed(t *testing.T, impl dbImpl) {
	if !impl.closed {
		t.Skip("Close is a no-op for this implementation")
	}
	db, _ := impl.open(t)
	b := db.NewBatch()
	_ = b.Set([]byte("k"), []byte("v"))
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal("second Close:", err)
	}
	if _, err := db.Get([]byte("k")); !errors.Is(err, ErrClosed) {
		t.Errorf("Get after Close: %v", err)
	}
	if _, err := db.Has([]byte("k")); !errors.Is(err, ErrClosed) {
		t.Errorf("Has after Close: %v", err)
	}
	if _, err := db.Iterator(nil, nil); !errors.Is(err, ErrClosed) {
		t.Errorf("Iterator after Close: %v", err)
	}
	if err := b.Write(); !errors.Is(err, ErrClosed) {
		t.Errorf("batch Write after DB Close: %v", err)
	}
}

func TestBadgerBatchCopiesInput(t *testing.T) {
	dir := t.TempDir()
	raw, err := openBadger(dir, smallBadgerOptions(dir))
	if err != nil {
		t.Fatal(err)
	}
	db := &BadgerDB{db: raw, owns: true}
	defer db.Close()
	k, v := []byte("key"), []byte("val")
	b := db.NewBatch()
	_ = b.Set(k, v)
	k[0], v[0] = 'X', 'X'
	if err := b.Write(); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.Get([]byte("key")); string(got) != "val" {
		t.Fatalf("batch kept caller's slices: %q", got)
	}
}
