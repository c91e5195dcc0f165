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
