package ledger

import (
	"errors"
	"testing"
)

// TestViews checks that the working view and a committed view answer the same
// read methods over their own state: the working view sees uncommitted writes,
// a committed view keeps its version's values after later writes and commits.
func TestViews(t *testing.T) {
	for _, be := range backends() {
		t.Run(be.name, func(t *testing.T) {
			s := be.open(t, Options{})
			mustSet(t, s, "p/a", "1")
			mustSet(t, s, "p/b", "2")
			_, v1 := mustCommit(t, s)
			mustSet(t, s, "p/a", "changed")
			mustSet(t, s, "p/c", "3")

			c1, err := s.At(v1)
			if err != nil {
				t.Fatal(err)
			}
			w := s.Working()
			if c1.Version() != v1 || w.Version() != v1+1 {
				t.Fatalf("versions: committed %d working %d, want %d and %d", c1.Version(), w.Version(), v1, v1+1)
			}
			type want struct {
				view  View
				a     string
				hasC  bool
				items int
			}
			for name, c := range map[string]want{
				"committed": {c1, "1", false, 2},
				"working":   {w, "changed", true, 3},
			} {
				got, err := c.view.Get([]byte("p/a"))
				if err != nil || string(got) != c.a {
					t.Errorf("%s Get(p/a) = %q, %v; want %q", name, got, err, c.a)
				}
				has, err := c.view.Has([]byte("p/c"))
				if err != nil || has != c.hasC {
					t.Errorf("%s Has(p/c) = %v, %v; want %v", name, has, err, c.hasC)
				}
				absent, err := c.view.Get([]byte("p/zz"))
				if err != nil || absent != nil {
					t.Errorf("%s Get(absent) = %q, %v", name, absent, err)
				}
				items, next, err := c.view.Iterate([]byte("p/"), nil, 0)
				if err != nil || len(items) != c.items || next != nil {
					t.Errorf("%s Iterate = %d items next %x, %v; want %d", name, len(items), next, err, c.items)
				}
			}
			_, v2 := mustCommit(t, s)
			if got, _ := c1.Get([]byte("p/a")); string(got) != "1" {
				t.Errorf("committed view of %d reads %q after commit %d", v1, got, v2)
			}
			for _, bad := range []int64{0, -1, v2 + 1} {
				if _, err := s.At(bad); !errors.Is(err, ErrVersionNotFound) {
					t.Errorf("At(%d) = %v, want ErrVersionNotFound", bad, err)
				}
			}
		})
	}
}

// TestWrittenKeys checks the write tracking readers use to know which
// memoised values a block made stale: Written covers the working state since
// the last Commit or Rollback, LastWritten the last committed version, and
// both forget across versions; a store just opened knows nothing (0).
func TestWrittenKeys(t *testing.T) {
	for _, be := range backends() {
		t.Run(be.name, func(t *testing.T) {
			s := be.open(t, Options{WriteOncePrefixes: [][]byte{[]byte("o/")}})
			if v := s.LastWritten(func(string) { t.Fatal("a fresh store reported a write") }); v != 0 {
				t.Fatalf("LastWritten of a fresh store = %d, want 0 (unknown)", v)
			}
			mustSet(t, s, "p/a", "1")
			if err := s.SetOnce([]byte("o/x"), []byte("1")); err != nil {
				t.Fatal(err)
			}
			if err := s.Delete([]byte("p/gone")); err != nil {
				t.Fatal(err)
			}
			for k, want := range map[string]bool{"p/a": true, "o/x": true, "p/gone": true, "p/b": false} {
				if got := s.Written([]byte(k)); got != want {
					t.Fatalf("Written(%s) = %v, want %v", k, got, want)
				}
			}
			_, v1 := mustCommit(t, s)
			if s.Written([]byte("p/a")) {
				t.Fatal("Written still true after Commit")
			}
			got := map[string]bool{}
			if v := s.LastWritten(func(k string) { got[k] = true }); v != v1 || len(got) != 3 || !got["p/a"] || !got["o/x"] || !got["p/gone"] {
				t.Fatalf("LastWritten = %d %v, want %d and the three keys", v, got, v1)
			}
			// A refused SetOnce writes nothing.
			if err := s.SetOnce([]byte("o/x"), []byte("2")); !errors.Is(err, ErrExists) {
				t.Fatal(err)
			}
			if s.Written([]byte("o/x")) {
				t.Fatal("a refused SetOnce counted as a write")
			}
			mustSet(t, s, "p/b", "2")
			s.Rollback()
			if s.Written([]byte("p/b")) {
				t.Fatal("Written still true after Rollback")
			}
			_, v2 := mustCommit(t, s) // an empty version
			got = map[string]bool{}
			if v := s.LastWritten(func(k string) { got[k] = true }); v != v2 || len(got) != 0 {
				t.Fatalf("LastWritten after an empty version = %d %v, want %d and none", v, got, v2)
			}
			// Reads at the latest version see it, older versions keep theirs.
			mustSet(t, s, "p/a", "3")
			_, v3 := mustCommit(t, s)
			for v, want := range map[int64]string{v1: "1", v2: "1", v3: "3"} {
				if b, err := s.GetAt([]byte("p/a"), v); err != nil || string(b) != want {
					t.Fatalf("GetAt(p/a, %d) = %q %v, want %q", v, b, err, want)
				}
			}
		})
	}
}
