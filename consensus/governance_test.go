package consensus

import (
	"errors"
	"testing"
)

func TestTally(t *testing.T) {
	auth4 := []string{"A", "B", "C", "D"}
	open := func(ballots ...Ballot) Proposal {
		return Proposal{ID: 1, Status: StatusOpen, Ballots: ballots, ExpiryHeight: 10}
	}
	y := func(v string) Ballot { return Ballot{Voter: v, Yes: true} }
	n := func(v string) Ballot { return Ballot{Voter: v, Yes: false} }
	cases := []struct {
		name   string
		p      Proposal
		auth   []string
		pct    uint64
		height int64
		want   Outcome
	}{
		{"lone authority passes its own proposal", open(y("A")), []string{"A"}, 50, 1, Pass},
		{"2 of 4 is not more than half", open(y("A"), y("B")), auth4, 50, 1, Undecided},
		{"3 of 4 passes", open(y("A"), y("B"), y("C")), auth4, 50, 1, Pass},
		{"2 no of 4 rejects at 50%", open(y("A"), n("B"), n("C")), auth4, 50, 1, Reject},
		{"1 no of 4 can still pass", open(y("A"), n("B")), auth4, 50, 1, Undecided},
		{"votes of non-authorities do not count", open(y("A"), y("X"), y("Y")), auth4, 50, 1, Undecided},
		{"a revoked authority's yes no longer counts", open(y("A"), y("B"), y("C")), []string{"A", "B", "D"}, 50, 1, Pass},
		{"threshold 75: 3 of 4 is not more", open(y("A"), y("B"), y("C")), auth4, 75, 1, Undecided},
		{"threshold 75: 4 of 4 passes", open(y("A"), y("B"), y("C"), y("D")), auth4, 75, 1, Pass},
		{"threshold 75: one no rejects", open(y("A"), n("D")), auth4, 75, 1, Reject},
		{"threshold 1: one yes of 4 passes", open(y("A")), auth4, 1, 1, Pass},
		{"expires at expiry height", open(y("A")), auth4, 50, 10, Expire},
		{"open before expiry", open(y("A")), auth4, 50, 9, Undecided},
		{"pass wins over expiry in the last block", open(y("A"), y("B"), y("C")), auth4, 50, 10, Pass},
		{"no authorities left: rejected", open(y("A")), nil, 50, 1, Reject},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Tally(c.p, c.auth, c.pct, c.height)
			if err != nil || got != c.want {
				t.Fatalf("Tally = %v, %v; want %v", got, err, c.want)
			}
		})
	}
	for _, pct := range []uint64{0, 100, 101} {
		if _, err := Tally(open(y("A")), auth4, pct, 1); !errors.Is(err, ErrBadThreshold) {
			t.Errorf("threshold %d: %v", pct, err)
		}
	}
	closed := open(y("A"))
	closed.Status = StatusPassed
	if _, err := Tally(closed, auth4, 50, 1); !errors.Is(err, ErrNotOpen) {
		t.Errorf("tally of a closed proposal: %v", err)
	}
}

func TestProposalVotes(t *testing.T) {
	p, err := NewProposal(7, ProposalAddMember, "C", 5, 10)
	if err != nil {
		t.Fatal(err)
	}
	if p.ExpiryHeight != 14 || p.Status != StatusOpen || len(p.Ballots) != 1 || !p.Ballots[0].Yes {
		t.Fatalf("new proposal %+v", p)
	}
	for _, v := range []struct {
		voter string
		yes   bool
	}{{"A", false}, {"D", true}, {"A", true}, {"C", false}} {
		if err := p.Vote(v.voter, v.yes); err != nil {
			t.Fatal(err)
		}
	}
	want := []Ballot{{"A", true}, {"C", false}, {"D", true}}
	if len(p.Ballots) != len(want) {
		t.Fatalf("ballots %+v", p.Ballots)
	}
	for i := range want {
		if p.Ballots[i] != want[i] {
			t.Fatalf("ballots %+v, want %+v (one per voter, later replaces earlier, sorted)", p.Ballots, want)
		}
	}
	p.Status = StatusExpired
	if err := p.Vote("B", true); !errors.Is(err, ErrNotOpen) {
		t.Fatalf("vote on a closed proposal: %v", err)
	}
	if _, err := NewProposal(1, "mint", "A", 1, 10); !errors.Is(err, ErrUnknownProposal) {
		t.Fatalf("unknown kind: %v", err)
	}
	if _, err := NewProposal(1, ProposalSetParam, "A", 1, 0); err == nil {
		t.Fatal("lifetime 0 accepted")
	}
	if err := CheckAuthority([]string{"A"}, "B"); !errors.Is(err, ErrNotAuthority) {
		t.Fatalf("CheckAuthority: %v", err)
	}
}

func TestValidatorChanges(t *testing.T) {
	four := []Power{{"a", 10}, {"b", 10}, {"c", 10}, {"d", 10}}
	cases := []struct {
		name    string
		set     []Power
		max     int
		changes []Change
		want    []error // per change
		updates []Power
	}{
		{"add a fifth", four, 10, []Change{{OpAdd, "e", 10}}, []error{nil}, []Power{{"e", 10}}},
		{"remove one of four", four, 10, []Change{{OpRemove, "a", 0}}, []error{nil}, []Power{{"a", 0}}},
		{"two removals in one block reach a half", four, 10, []Change{{OpRemove, "a", 0}, {OpRemove, "b", 0}}, []error{nil, ErrPowerChange}, []Power{{"a", 0}}},
		{"a third is refused", []Power{{"a", 10}, {"b", 10}, {"c", 10}}, 10, []Change{{OpRemove, "a", 0}}, []error{ErrPowerChange}, nil},
		{"lone validator grows in small steps", []Power{{"a", 10}}, 10, []Change{{OpAdd, "b", 10}, {OpAdd, "b", 3}}, []error{ErrPowerChange, nil}, []Power{{"b", 3}}},
		{"remove absent", four, 10, []Change{{OpRemove, "z", 0}}, []error{ErrAbsentValidator}, nil},
		{"set power of absent", four, 10, []Change{{OpSet, "z", 5}}, []error{ErrAbsentValidator}, nil},
		{"add present", four, 10, []Change{{OpAdd, "a", 5}}, []error{ErrValidatorExists}, nil},
		{"same key twice in a block is merged", four, 10, []Change{{OpSet, "a", 12}, {OpSet, "a", 13}}, []error{nil, nil}, []Power{{"a", 13}}},
		{"add then remove in one block nets out", four, 10, []Change{{OpAdd, "e", 5}, {OpRemove, "e", 0}}, []error{nil, nil}, nil},
		{"emptying the set", []Power{{"a", 10}}, 10, []Change{{OpRemove, "a", 0}}, []error{ErrEmptySet}, nil},
		{"max validators", four, 4, []Change{{OpAdd, "e", 1}}, []error{ErrTooManyValidator}, nil},
		{"power 0 via set", four, 10, []Change{{OpSet, "a", 0}}, []error{ErrBadPower}, nil},
		{"power over the bound", four, 10, []Change{{OpAdd, "e", MaxPower + 1}}, []error{ErrBadPower}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := NewBlock(c.set, c.max)
			for i, ch := range c.changes {
				err := b.Add(ch)
				if c.want[i] == nil && err != nil || c.want[i] != nil && !errors.Is(err, c.want[i]) {
					t.Fatalf("change %d %+v: %v, want %v", i, ch, err, c.want[i])
				}
			}
			got := b.Updates()
			if len(got) != len(c.updates) {
				t.Fatalf("updates %+v, want %+v", got, c.updates)
			}
			for i := range got {
				if got[i] != c.updates[i] {
					t.Fatalf("updates %+v, want %+v", got, c.updates)
				}
			}
		})
	}
}

func TestSetRolesAndAdmit(t *testing.T) {
	l := &memberList{ms: []Member{authA, rec, revAuth}}
	if err := CheckSetRoles(l, authA, []string{RoleRecorder}); !errors.Is(err, ErrLastAuthority) {
		t.Fatalf("dropping the last authority's role: %v", err)
	}
	if err := CheckSetRoles(l, authA, []string{RoleRecorder, RoleAuthority}); err != nil {
		t.Fatalf("keeping it: %v", err)
	}
	if err := CheckSetRoles(l, rec, []string{RoleAuthority}); err != nil {
		t.Fatalf("promoting a recorder: %v", err)
	}
	if err := CheckSetRoles(l, revAuth, []string{RoleRecorder}); !errors.Is(err, ErrAlreadyRevoked) {
		t.Fatalf("roles of a revoked member: %v", err)
	}
	if err := CheckSetRoles(l, rec, []string{"king"}); !errors.Is(err, ErrUnknownRole) {
		t.Fatalf("unknown role: %v", err)
	}
	if err := CheckSetRoles(&memberList{ms: []Member{authA, authB}}, authA, []string{RoleRecorder}); err != nil {
		t.Fatalf("one of two authorities steps down: %v", err)
	}
	if err := CheckAdmit(l, 3); !errors.Is(err, ErrTooManyMembers) {
		t.Fatalf("admit past max (revoked count): %v", err)
	}
	if err := CheckAdmit(l, 4); err != nil {
		t.Fatal(err)
	}
}

func TestNodeAdmissionRules(t *testing.T) {
	active, revoked := &Member{Address: "A", Active: true}, &Member{Address: "B"}
	cases := []struct {
		name     string
		role     string
		admitted bool
		op       *Member
		want     error
	}{
		{"validator node", NodeValidator, false, active, nil},
		{"sentry", NodeSentry, false, active, nil},
		{"full node", NodeFull, false, active, nil},
		{"unknown role", "archive", false, active, ErrUnknownNodeRole},
		{"already admitted", NodeFull, true, active, ErrNodeAdmitted},
		{"revoked operator", NodeFull, false, revoked, ErrOperator},
		{"no operator", NodeFull, false, nil, ErrOperator},
	}
	for _, c := range cases {
		if err := CheckAdmitNode(c.role, c.admitted, c.op); c.want == nil && err != nil || c.want != nil && !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	if err := CheckRevokeNode(false); !errors.Is(err, ErrNodeNotAdmitted) {
		t.Errorf("revoke unknown node: %v", err)
	}
	if err := CheckRevokeNode(true); err != nil {
		t.Errorf("revoke admitted node: %v", err)
	}
}
