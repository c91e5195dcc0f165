package consensus

import (
	"errors"
	"testing"
)

// memberList is an in-memory Members.
type memberList struct {
	ms    []Member
	err   error // returned by EachMember before visiting anything
	calls int   // members visited, to check early stops
}

func (l *memberList) EachMember(fn func(Member) error) error {
	if l.err != nil {
		return l.err
	}
	for _, m := range l.ms {
		l.calls++
		if err := fn(m); err != nil {
			return err
		}
	}
	return nil
}

var (
	authA   = Member{Address: "A", Roles: []string{RoleAuthority}, Active: true}
	authB   = Member{Address: "B", Roles: []string{RoleAuthority, RoleRecorder}, Active: true}
	revAuth = Member{Address: "C", Roles: []string{RoleAuthority}, Active: false}
	rec     = Member{Address: "D", Roles: []string{RoleRecorder}, Active: true}
	revRec  = Member{Address: "E", Roles: []string{RoleRecorder}, Active: false}
)

func TestActiveAuthorities(t *testing.T) {
	cases := []struct {
		name string
		ms   []Member
		want int
	}{
		{"empty", nil, 0},
		{"one", []Member{authA}, 1},
		{"revoked authority not counted", []Member{authA, revAuth}, 1},
		{"recorders not counted", []Member{rec, revRec, authB}, 1},
		{"two", []Member{authA, authB, rec}, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ActiveAuthorities(&memberList{ms: c.ms})
			if err != nil || got != c.want {
				t.Fatalf("ActiveAuthorities = %d, %v; want %d", got, err, c.want)
			}
		})
	}
	boom := errors.New("disk on fire")
	if _, err := ActiveAuthorities(&memberList{err: boom}); !errors.Is(err, boom) {
		t.Fatalf("state error not returned: %v", err)
	}
}

func TestCheckRevoke(t *testing.T) {
	cases := []struct {
		name   string
		ms     []Member
		target Member
		want   error
	}{
		{"recorder", []Member{authA, rec}, rec, nil},
		{"already revoked", []Member{authA, revRec}, revRec, ErrAlreadyRevoked},
		{"revoked authority", []Member{authA, revAuth}, revAuth, ErrAlreadyRevoked},
		{"one of two authorities", []Member{authA, authB}, authA, nil},
		{"last authority", []Member{authA, rec}, authA, ErrLastAuthority},
		{"last active authority beside a revoked one", []Member{authA, revAuth, rec}, authA, ErrLastAuthority},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := CheckRevoke(&memberList{ms: c.ms}, c.target)
			if c.want == nil && err != nil || c.want != nil && !errors.Is(err, c.want) {
				t.Fatalf("CheckRevoke(%s) = %v, want %v", c.target.Address, err, c.want)
			}
		})
	}
	// The scan stops at the first other authority.
	l := &memberList{ms: []Member{authB, authA, rec, rec, rec}}
	if err := CheckRevoke(l, authA); err != nil || l.calls != 1 {
		t.Fatalf("CheckRevoke visited %d members (err %v), want 1", l.calls, err)
	}
	boom := errors.New("disk on fire")
	if err := CheckRevoke(&memberList{err: boom}, authA); !errors.Is(err, boom) {
		t.Fatalf("state error not returned: %v", err)
	}
}

func TestCheckGenesis(t *testing.T) {
	cases := []struct {
		name string
		ms   []Member
		want error
	}{
		{"one authority", []Member{authA}, nil},
		{"authority and recorder", []Member{authA, rec}, nil},
		{"no members", nil, ErrNoAuthority},
		{"only recorders", []Member{rec}, ErrNoAuthority},
		{"only a revoked authority", []Member{revAuth}, ErrNoAuthority},
		{"duplicate", []Member{authA, authA}, ErrDuplicateMember},
		{"unknown role", []Member{authA, {Address: "X", Roles: []string{"minter"}, Active: true}}, ErrUnknownRole},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := CheckGenesis(c.ms)
			if c.want == nil && err != nil || c.want != nil && !errors.Is(err, c.want) {
				t.Fatalf("CheckGenesis = %v, want %v", err, c.want)
			}
		})
	}
}
