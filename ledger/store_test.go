package ledger

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/dgraph-io/badger/v4"

	"github.com/poaledger/poaledger/app/api"
)

type backend struct {
	name string
	open func(t testing.TB, opts Options) *Store
}

func backends() []backend {
	return []backend{
		{"memdb", func(t testing.TB, opts Options) *Store {
			opts.InMemory = true
			s, err := Open("", opts)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = s.Close() })
			return s
		}},
		{"badger", func(t testing.TB, opts Options) *Store {
			opts.NoSync = true
			s, err := Open(t.TempDir(), opts)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = s.Close() })
			return s
		}},
	}
}

func mustSet(t testing.TB, s *Store, k, v string) {
	t.Helper()
	if err := s.Set([]byte(k), []byte(v)); err != nil {
		t.Fatalf("Set(%q): %v", k, err)
	}
}

func mustCommit(t testing.TB, s *Store) ([]byte, int64) {
	t.Helper()
	h, v, err := s.Commit()
	if err != nil {
		t.Fatalf("Commit: %v", err)
	}
	return h, v
}

func TestStoreBasics(t *testing.T) {
	for _, be := range backends() {
		t.Run(be.name, func(t *testing.T) {
			s := be.open(t, DefaultOptions())
			if lc := s.LastCommit(); lc.Version != 0 || lc.Hash != nil {
				t.Fatalf("fresh LastCommit = %+v, want {0 nil}", lc)
			}
			if v := s.WorkingVersion(); v != 1 {
				t.Fatalf("WorkingVersion = %d, want 1", v)
			}
			mustSet(t, s, "a", "1")
			mustSet(t, s, "b", "2")
			wh := s.WorkingHash()
			h1, v1 := mustCommit(t, s)
			if v1 != 1 || !bytes.Equal(h1, wh) {
				t.Fatalf("Commit = %x,%d; WorkingHash was %x", h1, v1, wh)
			}
			mustSet(t, s, "a", "3")
			if err := s.Delete([]byte("b")); err != nil {
				t.Fatal(err)
			}
			// Working state sees the changes, version 1 does not.
			if v, _ := s.Get([]byte("a")); string(v) != "3" {
				t.Fatalf("Get(a) = %q", v)
			}
			if v, _ := s.Get([]byte("b")); v != nil {
				t.Fatalf("Get(b) after delete = %q", v)
			}
			if v, _ := s.GetAt([]byte("a"), 1); string(v) != "1" {
				t.Fatalf("GetAt(a,1) = %q", v)
			}
			h2, v2 := mustCommit(t, s)
			if v2 != 2 || bytes.Equal(h1, h2) {
				t.Fatalf("second commit %x,%d", h2, v2)
			}
			if lc := s.LastCommit(); lc.Version != 2 || !bytes.Equal(lc.Hash, h2) {
				t.Fatalf("LastCommit = %+v", lc)
			}
			if v, err := s.GetAt([]byte("b"), 2); v != nil || err != nil {
				t.Fatalf("GetAt(b,2) = %q,%v want nil,nil", v, err)
			}
			if v, err := s.GetAt([]byte("b"), 1); string(v) != "2" || err != nil {
				t.Fatalf("GetAt(b,1) = %q,%v", v, err)
			}
			for _, ver := range []int64{0, -1, 3, 100} {
				if _, err := s.GetAt([]byte("a"), ver); !errors.Is(err, ErrVersionNotFound) {
					t.Fatalf("GetAt(v=%d) err = %v, want ErrVersionNotFound", ver, err)
				}
				if s.VersionExists(ver) {
					t.Fatalf("VersionExists(%d)", ver)
				}
			}
			// An empty block keeps the hash and still makes a version.
			h3, v3 := mustCommit(t, s)
			if v3 != 3 || !bytes.Equal(h3, h2) {
				t.Fatalf("empty commit = %x,%d want %x,3", h3, v3, h2)
			}
			// Rollback discards working changes.
			mustSet(t, s, "z", "9")
			s.Rollback()
			if ok, _ := s.Has([]byte("z")); ok {
				t.Fatal("Rollback kept z")
			}
			if !bytes.Equal(s.WorkingHash(), h3) {
				t.Fatal("WorkingHash after Rollback differs from last commit")
			}
		})
	}
}

func TestEmptyFirstCommit(t *testing.T) {
	for _, be := range backends() {
		t.Run(be.name, func(t *testing.T) {
			s := be.open(t, DefaultOptions())
			empty := sha256.Sum256(nil)
			if wh := s.WorkingHash(); !bytes.Equal(wh, empty[:]) {
				t.Fatalf("WorkingHash of empty store = %x", wh)
			}
			h, v := mustCommit(t, s)
			if v != 1 || !bytes.Equal(h, empty[:]) {
				t.Fatalf("empty first commit = %x,%d", h, v)
			}
			if !s.VersionExists(1) {
				t.Fatal("version 1 missing")
			}
			if _, _, err := s.Prove([]byte("k"), 1); !errors.Is(err, ErrNotFound) {
				t.Fatalf("Prove on empty version: %v", err)
			}
			items, next, err := s.IterateAt(1, nil, nil, 0)
			if err != nil || len(items) != 0 || next != nil {
				t.Fatalf("IterateAt on empty version: %v %v %v", items, next, err)
			}
		})
	}
}

func TestInitialVersion(t *testing.T) {
	for _, be := range backends() {
		t.Run(be.name, func(t *testing.T) {
			s := be.open(t, Options{InitialVersion: 100})
			if v := s.WorkingVersion(); v != 100 {
				t.Fatalf("WorkingVersion = %d", v)
			}
			mustSet(t, s, "k", "v")
			if _, v := mustCommit(t, s); v != 100 {
				t.Fatalf("first version = %d", v)
			}
			if _, v := mustCommit(t, s); v != 101 {
				t.Fatalf("second version = %d", v)
			}
			if s.VersionExists(99) || !s.VersionExists(100) || !s.VersionExists(101) {
				t.Fatal("VersionExists wrong around initial version")
			}
		})
	}
}

func TestBadInput(t *testing.T) {
	big := make([]byte, MaxKeyBytes+1)
	huge := make([]byte, MaxValueBytes+1)
	for _, be := range backends() {
		t.Run(be.name, func(t *testing.T) {
			s := be.open(t, DefaultOptions())
			mustSet(t, s, "x", "1")
			mustCommit(t, s)
			tests := []struct {
				name string
				op   func() error
				want error
			}{
				{"Get empty key", func() error { _, err := s.Get(nil); return err }, ErrEmptyKey},
				{"Get big key", func() error { _, err := s.Get(big); return err }, ErrKeyTooLarge},
				{"Has empty key", func() error { _, err := s.Has([]byte{}); return err }, ErrEmptyKey},
				{"Set empty key", func() error { return s.Set(nil, []byte("v")) }, ErrEmptyKey},
				{"Set nil value", func() error { return s.Set([]byte("k"), nil) }, ErrNilValue},
				{"Set big key", func() error { return s.Set(big, []byte("v")) }, ErrKeyTooLarge},
				{"Set huge value", func() error { return s.Set([]byte("k"), huge) }, ErrValueTooLarge},
				{"SetOnce nil value", func() error { return s.SetOnce([]byte("k"), nil) }, ErrNilValue},
				{"SetOnce existing", func() error { return s.SetOnce([]byte("x"), []byte("2")) }, ErrExists},
				{"Delete empty key", func() error { return s.Delete(nil) }, ErrEmptyKey},
				{"GetAt empty key", func() error { _, err := s.GetAt(nil, 1); return err }, ErrEmptyKey},
				{"GetAt missing version", func() error { _, err := s.GetAt([]byte("x"), 7); return err }, ErrVersionNotFound},
				{"Prove empty key", func() error { _, _, err := s.Prove(nil, 1); return err }, ErrEmptyKey},
				{"Prove missing version", func() error { _, _, err := s.Prove([]byte("x"), 9); return err }, ErrVersionNotFound},
				{"Iterate big prefix", func() error { _, _, err := s.Iterate(big, nil, 1); return err }, ErrKeyTooLarge},
				{"IterateAt missing version", func() error { _, _, err := s.IterateAt(5, nil, nil, 1); return err }, ErrVersionNotFound},
			}
			for _, tc := range tests {
				if err := tc.op(); !errors.Is(err, tc.want) {
					t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
				}
			}
			// Nothing above changed the state.
			h, _ := mustCommit(t, s)
			if lc := s.LastCommit(); !bytes.Equal(lc.Hash, h) {
				t.Fatal("hash changed")
			}
			if v, _ := s.Get([]byte("x")); string(v) != "1" {
				t.Fatalf("x = %q", v)
			}
		})
	}
}

func TestUseAfterClose(t *testing.T) {
	for _, be := range backends() {
		t.Run(be.name, func(t *testing.T) {
			s := be.open(t, DefaultOptions())
			mustSet(t, s, "k", "v")
			mustCommit(t, s)
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			ops := map[string]func() error{
				"Close":     s.Close,
				"Get":       func() error { _, err := s.Get([]byte("k")); return err },
				"Has":       func() error { _, err := s.Has([]byte("k")); return err },
				"Set":       func() error { return s.Set([]byte("k"), []byte("v")) },
				"SetOnce":   func() error { return s.SetOnce([]byte("k2"), []byte("v")) },
				"Delete":    func() error { return s.Delete([]byte("k")) },
				"GetAt":     func() error { _, err := s.GetAt([]byte("k"), 1); return err },
				"Iterate":   func() error { _, _, err := s.Iterate(nil, nil, 0); return err },
				"IterateAt": func() error { _, _, err := s.IterateAt(1, nil, nil, 0); return err },
				"Commit":    func() error { _, _, err := s.Commit(); return err },
				"Prove":     func() error { _, _, err := s.Prove([]byte("k"), 1); return err },
			}
			for name, op := range ops {
				if err := op(); !errors.Is(err, ErrClosed) {
					t.Errorf("%s after Close: %v, want ErrClosed", name, err)
				}
			}
			s.Rollback() // must not panic
			if s.WorkingHash() != nil || s.WorkingVersion() != 0 || s.VersionExists(1) {
				t.Error("accessors after Close should return zero values")
			}
		})
	}
}

func TestSetOnce(t *testing.T) {
	for _, be := range backends() {
		t.Run(be.name, func(t *testing.T) {
			s := be.open(t, Options{WriteOncePrefixes: [][]byte{[]byte("e/")}})
			if err := s.SetOnce([]byte("e/1"), []byte("a")); err != nil {
				t.Fatal(err)
			}
			// Existing in the working tree.
			if err := s.SetOnce([]byte("e/1"), []byte("b")); !errors.Is(err, ErrExists) {
				t.Fatalf("second SetOnce: %v", err)
			}
			mustCommit(t, s)
			// Existing in a committed version.
			if err := s.SetOnce([]byte("e/1"), []byte("b")); !errors.Is(err, ErrExists) {
				t.Fatalf("SetOnce after commit: %v", err)
			}
			if err := s.Set([]byte("e/1"), []byte("b")); !errors.Is(err, ErrWriteOnce) {
				t.Fatalf("Set on write-once prefix: %v", err)
			}
			if err := s.Delete([]byte("e/1")); !errors.Is(err, ErrWriteOnce) {
				t.Fatalf("Delete on write-once prefix: %v", err)
			}
			if v, _ := s.Get([]byte("e/1")); string(v) != "a" {
				t.Fatalf("value changed to %q", v)
			}
			// SetOnce on an ordinary key works like a guarded Set.
			if err := s.SetOnce([]byte("m/1"), []byte("x")); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestReturnedSlicesAreCopies(t *testing.T) {
	for _, be := range backends() {
		t.Run(be.name, func(t *testing.T) {
			s := be.open(t, DefaultOptions())
			k, v := []byte("key"), []byte("value")
			if err := s.Set(k, v); err != nil {
				t.Fatal(err)
			}
			k[0], v[0] = 'X', 'X' // caller reuses its buffers
			got, _ := s.Get([]byte("key"))
			if string(got) != "value" {
				t.Fatalf("store kept caller's slice: %q", got)
			}
			got[0] = 'Y'
			again, _ := s.Get([]byte("key"))
			if string(again) != "value" {
				t.Fatalf("store returned its own slice: %q", again)
			}
			mustCommit(t, s)
			items, _, _ := s.IterateAt(1, nil, nil, 0)
			items[0].Value[0] = 'Z'
			again, _ = s.GetAt([]byte("key"), 1)
			if string(again) != "value" {
				t.Fatalf("IterateAt returned store's slice: %q", again)
			}
		})
	}
}

func TestIteratePaging(t *testing.T) {
	for _, be := range backends() {
		t.Run(be.name, func(t *testing.T) {
			s := be.open(t, DefaultOptions())
			for i := range 25 {
				mustSet(t, s, fmt.Sprintf("p/%03d", i), fmt.Sprint(i))
			}
			mustSet(t, s, "o/x", "other")
			mustSet(t, s, "q/x", "other")
			collect := func(iter func(cursor []byte) ([]KV, []byte, error), limit int) []string {
				var keys []string
				var cursor []byte
				for pages := 0; ; pages++ {
					items, next, err := iter(cursor)
					if err != nil {
						t.Fatal(err)
					}
					if len(items) > limit {
						t.Fatalf("page of %d > limit %d", len(items), limit)
					}
					for _, kv := range items {
						keys = append(keys, string(kv.Key))
					}
					if next == nil {
						return keys
					}
					if pages > 100 {
						t.Fatal("no progress")
					}
					cursor = next
				}
			}
			want := make([]string, 25)
			for i := range want {
				want[i] = fmt.Sprintf("p/%03d", i)
			}
			for _, limit := range []int{1, 7, 25, 100} {
				got := collect(func(c []byte) ([]KV, []byte, error) { return s.Iterate([]byte("p/"), c, limit) }, limit)
				if strings.Join(got, ",") != strings.Join(want, ",") {
					t.Fatalf("limit %d: %v", limit, got)
				}
			}
			mustCommit(t, s)
			mustSet(t, s, "p/999", "later") // not in version 1
			got := collect(func(c []byte) ([]KV, []byte, error) { return s.IterateAt(1, []byte("p/"), c, 10) }, 10)
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Fatalf("IterateAt: %v", got)
			}
			// Cursor inside the range, and nil prefix.
			items, next, err := s.Iterate([]byte("p/"), []byte("p/020"), 0)
			if err != nil || len(items) != 6 || next != nil || string(items[0].Key) != "p/020" {
				t.Fatalf("cursor: %d items, next %q, err %v", len(items), next, err)
			}
			items, _, err = s.Iterate(nil, nil, 0)
			if err != nil || len(items) != 28 {
				t.Fatalf("all: %d items, %v", len(items), err)
			}
			// Cursor past the prefix range.
			items, next, err = s.Iterate([]byte("p/"), []byte("z"), 0)
			if err != nil || len(items) != 0 || next != nil {
				t.Fatalf("cursor past end: %v %q %v", items, next, err)
			}
		})
	}
}

func TestProofs(t *testing.T) {
	for _, be := range backends() {
		t.Run(be.name, func(t *testing.T) {
			s := be.open(t, DefaultOptions())
			for i := range 50 {
				mustSet(t, s, fmt.Sprintf("k%03d", i*2), fmt.Sprintf("v%d", i))
			}
			h1, v1 := mustCommit(t, s)
			mustSet(t, s, "k001", "new")
			h2, v2 := mustCommit(t, s)

			tests := []struct {
				key     string
				version int64
				root    []byte
				want    string // "" = absent
			}{
				{"k000", v1, h1, "v0"},  // leftmost
				{"k098", v1, h1, "v49"}, // rightmost
				{"k050", v1, h1, "v25"}, // middle
				{"k001", v1, h1, ""},    // absent between two keys
				{"a", v1, h1, ""},       // absent left of all
				{"z", v1, h1, ""},       // absent right of all
				{"k001", v2, h2, "new"}, // present in v2
				{"k003", v2, h2, ""},    // absent in v2
			}
			for _, tc := range tests {
				proof, value, err := s.Prove([]byte(tc.key), tc.version)
				if err != nil {
					t.Fatalf("Prove(%s,%d): %v", tc.key, tc.version, err)
				}
				var want []byte
				if tc.want != "" {
					want = []byte(tc.want)
				}
				if !bytes.Equal(value, want) || (value == nil) != (want == nil) {
					t.Fatalf("Prove(%s) value = %q want %q", tc.key, value, want)
				}
				if err := api.VerifyProof(proof, tc.root, []byte(tc.key), value); err != nil {
					t.Fatalf("api.VerifyProof(%s,%d): %v", tc.key, tc.version, err)
				}
				// Tampering must fail: wrong root, wrong value, wrong kind.
				badRoot := bytes.Clone(tc.root)
				badRoot[0] ^= 1
				if err := api.VerifyProof(proof, badRoot, []byte(tc.key), value); !errors.Is(err, api.ErrProof) {
					t.Fatalf("tampered root accepted for %s: %v", tc.key, err)
				}
				if value != nil {
					if err := api.VerifyProof(proof, tc.root, []byte(tc.key), []byte("forged")); !errors.Is(err, api.ErrProof) {
						t.Fatalf("tampered value accepted for %s", tc.key)
					}
					if err := api.VerifyProof(proof, tc.root, []byte(tc.key), nil); !errors.Is(err, api.ErrProof) {
						t.Fatalf("existence proof accepted as non-existence for %s", tc.key)
					}
					ex := proof.GetExist()
					ex.Value = []byte("forged")
					if err := api.VerifyProof(proof, tc.root, []byte(tc.key), []byte("forged")); !errors.Is(err, api.ErrProof) {
						t.Fatalf("proof with tampered leaf value accepted for %s", tc.key)
					}
				} else if err := api.VerifyProof(proof, tc.root, []byte(tc.key), []byte("x")); !errors.Is(err, api.ErrProof) {
					t.Fatalf("non-existence proof accepted as existence for %s", tc.key)
				}
			}
			if err := api.VerifyProof(nil, h1, []byte("k"), nil); !errors.Is(err, api.ErrProof) {
				t.Fatal("nil proof accepted")
			}
		})
	}
}

func TestReopenAndLock(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	mustSet(t, s, "a", "1")
	h1, _ := mustCommit(t, s)
	mustSet(t, s, "b", "2")
	h2, _ := mustCommit(t, s)
	mustSet(t, s, "uncommitted", "x")

	if _, err := Open(dir, Options{}); !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open in process: %v, want ErrLocked", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if lc := s.LastCommit(); lc.Version != 2 || !bytes.Equal(lc.Hash, h2) {
		t.Fatalf("LastCommit after reopen = %+v", lc)
	}
	if v, _ := s.Get([]byte("uncommitted")); v != nil {
		t.Fatal("uncommitted write survived")
	}
	if v, _ := s.GetAt([]byte("a"), 1); string(v) != "1" {
		t.Fatalf("GetAt(a,1) = %q", v)
	}
	proof, val, err := s.Prove([]byte("a"), 1)
	if err != nil || api.VerifyProof(proof, h1, []byte("a"), val) != nil {
		t.Fatalf("proof at v1 after reopen: %v", err)
	}
	if s.WorkingVersion() != 3 {
		t.Fatalf("WorkingVersion = %d", s.WorkingVersion())
	}
}

func TestBadgerLockErrorWrapped(t *testing.T) {
	// Badger's own directory lock (what another process hits) maps to ErrLocked.
	dir := t.TempDir()
	db, err := openBadger(dir, badgerOptions(dir, nil))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := Open(dir, Options{}); !errors.Is(err, ErrLocked) {
		t.Fatalf("Open of a Badger-locked dir: %v, want ErrLocked", err)
	}
}

func TestCorruptMarker(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	mustSet(t, s, "a", "1")
	h, _ := mustCommit(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	good, _ := EncodeMarker(CommitInfo{Version: 1, Hash: h})
	wrongHash, _ := EncodeMarker(CommitInfo{Version: 1, Hash: make([]byte, 32)})
	flipped := bytes.Clone(good)
	flipped[7] ^= 0x10
	tests := []struct {
		name string
		raw  []byte
		want error
	}{
		{"truncated", good[:20], ErrCorruptMarker},
		{"empty", []byte{}, ErrCorruptMarker},
		{"bit flip", flipped, ErrCorruptMarker},
		{"hash mismatch", wrongHash, ErrCorruptMarker},
		{"good", good, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db, err := openBadger(dir, badgerOptions(dir, nil))
			if err != nil {
				t.Fatal(err)
			}
			if err := db.Update(func(txn *badger.Txn) error { return txn.Set(markerKey, tc.raw) }); err != nil {
				t.Fatal(err)
			}
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			s, err := Open(dir, Options{NoSync: true})
			if !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
				t.Fatalf("Open: %v, want %v", err, tc.want)
			}
			if err == nil {
				if v, _ := s.GetAt([]byte("a"), 1); string(v) != "1" {
					t.Fatal("version 1 lost")
				}
				_ = s.Close()
			}
		})
	}
}

func TestKeepRecent(t *testing.T) {
	for _, be := range backends() {
		t.Run(be.name, func(t *testing.T) {
			s := be.open(t, Options{KeepRecent: 2})
			for i := range 5 {
				mustSet(t, s, "k", fmt.Sprint(i))
				mustCommit(t, s)
			}
			for v, want := range map[int64]bool{1: false, 2: false, 3: false, 4: true, 5: true} {
				if got := s.VersionExists(v); got != want {
					t.Errorf("VersionExists(%d) = %v, want %v", v, got, want)
				}
			}
			if v, err := s.GetAt([]byte("k"), 4); string(v) != "3" || err != nil {
				t.Fatalf("GetAt(k,4) = %q, %v", v, err)
			}
		})
	}
}

func TestConcurrentReadsDuringCommit(t *testing.T) {
	for _, be := range backends() {
		t.Run(be.name, func(t *testing.T) {
			s := be.open(t, DefaultOptions())
			for i := range 200 {
				mustSet(t, s, fmt.Sprintf("k%04d", i), "v0")
			}
			h1, _ := mustCommit(t, s)
			var wg sync.WaitGroup
			stop := make(chan struct{})
			for range 2 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; ; i++ {
						select {
						case <-stop:
							return
						default:
						}
						key := []byte(fmt.Sprintf("k%04d", i%200))
						v, err := s.GetAt(key, 1)
						if err != nil || string(v) != "v0" {
							t.Errorf("GetAt: %q %v", v, err)
							return
						}
						p, val, err := s.Prove(key, 1)
						if err != nil || api.VerifyProof(p, h1, key, val) != nil {
							t.Errorf("Prove: %v", err)
							return
						}
					}
				}()
			}
			for round := 1; round <= 10; round++ {
				for i := range 50 {
					mustSet(t, s, fmt.Sprintf("k%04d", (i*7+round)%200), fmt.Sprint(round))
				}
				mustCommit(t, s)
			}
			close(stop)
			wg.Wait()
		})
	}
}

// setRawMarker replaces (raw != nil) or deletes (raw == nil) the commit marker
// of a closed store, simulating a crash between SaveVersion and the marker.
func setRawMarker(t *testing.T, dir string, raw []byte) {
	t.Helper()
	db, err := openBadger(dir, badgerOptions(dir, nil))
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(txn *badger.Txn) error {
		if raw == nil {
			return txn.Delete(markerKey)
		}
		return txn.Set(markerKey, raw)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestTreeAheadOfMarkerRollsBack(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	mustSet(t, s, "a", "1")
	h1, _ := mustCommit(t, s)
	mustSet(t, s, "b", "2")
	h2, _ := mustCommit(t, s)
	mustSet(t, s, "c", "3")
	mustCommit(t, s)
	_ = s.Close()

	// Tree at 3, marker at 1: versions 2 and 3 were never acknowledged.
	m1, _ := EncodeMarker(CommitInfo{Version: 1, Hash: h1})
	setRawMarker(t, dir, m1)
	s, err = Open(dir, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	if lc := s.LastCommit(); lc.Version != 1 || !bytes.Equal(lc.Hash, h1) {
		t.Fatalf("after rollback LastCommit = %+v", lc)
	}
	if s.VersionExists(2) || s.VersionExists(3) {
		t.Fatal("versions past the marker survived")
	}
	if v, _ := s.Get([]byte("b")); v != nil {
		t.Fatal("write of rolled-back version visible")
	}
	// Replaying block 2 gives the same version and hash.
	mustSet(t, s, "b", "2")
	if h, v := mustCommit(t, s); v != 2 || !bytes.Equal(h, h2) {
		t.Fatalf("replayed version 2 = %x@%d, want %x", h, v, h2)
	}
	_ = s.Close()

	// No marker at all: the first version never committed; the store is empty.
	setRawMarker(t, dir, nil)
	s, err = Open(dir, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if lc := s.LastCommit(); lc.Version != 0 || s.VersionExists(1) {
		t.Fatalf("without marker LastCommit = %+v", lc)
	}
	if v, _ := s.Get([]byte("a")); v != nil {
		t.Fatal("uncommitted first version visible")
	}
	mustSet(t, s, "a", "1")
	if h, v := mustCommit(t, s); v != 1 || !bytes.Equal(h, h1) {
		t.Fatalf("first version again = %x@%d, want %x", h, v, h1)
	}
}
