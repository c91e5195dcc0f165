package ledger

import (
	"bytes"
	"testing"
)

// TestDeterminism runs the same seeded operations on a MemDB-backed and a
// Badger-backed store (the Badger one closed and reopened half-way) and
// requires the same working hash and commit hash at every version.
func TestDeterminism(t *testing.T) {
	const seed = 0x5eed
	blocks := int64(150)
	if testing.Short() {
		blocks = 40
	}
	mem, err := Open("", Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	defer mem.Close()
	dir := t.TempDir()
	disk, err := Open(dir, Options{NoSync: true, CacheSize: 1000})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = disk.Close() }()
	for v := int64(1); v <= blocks; v++ {
		ops := blockOps(seed, v, 60)
		for _, s := range []*Store{mem, disk} {
			if err := applyTestOps(s, ops); err != nil {
				t.Fatal(err)
			}
		}
		if mw, dw := mem.WorkingHash(), disk.WorkingHash(); !bytes.Equal(mw, dw) {
			t.Fatalf("version %d: working hash memdb %x, badger %x", v, mw, dw)
		}
		mh, mv := mustCommit(t, mem)
		dh, dv := mustCommit(t, disk)
		if mv != v || dv != v || !bytes.Equal(mh, dh) {
			t.Fatalf("version %d: memdb %x@%d, badger %x@%d", v, mh, mv, dh, dv)
		}
		if v == blocks/2 {
			if err := disk.Close(); err != nil {
				t.Fatal(err)
			}
			if disk, err = Open(dir, Options{NoSync: true, CacheSize: 1000}); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Same committed contents, not only the same hash.
	mi, _, err := mem.IterateAt(blocks, nil, nil, MaxPageItems)
	if err != nil {
		t.Fatal(err)
	}
	di, _, err := disk.IterateAt(blocks, nil, nil, MaxPageItems)
	if err != nil {
		t.Fatal(err)
	}
	if len(mi) != len(di) || len(mi) == 0 {
		t.Fatalf("memdb has %d keys, badger %d", len(mi), len(di))
	}
	for i := range mi {
		if !bytes.Equal(mi[i].Key, di[i].Key) || !bytes.Equal(mi[i].Value, di[i].Value) {
			t.Fatalf("item %d differs: %x vs %x", i, mi[i].Key, di[i].Key)
		}
	}
}
