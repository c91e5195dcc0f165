package consensus

import (
	"errors"
	"fmt"
	"slices"
	"sort"
)

// Proposal kinds: what the authorities can decide by vote.
const (
	ProposalAddValidator    = "add_validator"
	ProposalRemoveValidator = "remove_validator"
	ProposalSetPower        = "set_power"
	ProposalAddMember       = "add_member"
	ProposalRevokeMember    = "revoke_member"
	ProposalSetRoles        = "set_roles"
	ProposalSetParam        = "set_param"
	ProposalAdmitNode       = "admit_node"
	ProposalRevokeNode      = "revoke_node"
)

// ProposalKinds lists every proposal kind, in a fixed order.
var ProposalKinds = []string{ProposalAddValidator, ProposalRemoveValidator, ProposalSetPower,
	ProposalAddMember, ProposalRevokeMember, ProposalSetRoles, ProposalSetParam,
	ProposalAdmitNode, ProposalRevokeNode}

// Proposal statuses. Open is the only status that changes again.
const (
	StatusOpen     = "open"
	StatusPassed   = "passed"   // decided yes and applied
	StatusRejected = "rejected" // can no longer pass
	StatusExpired  = "expired"  // lifetime over while undecided
	StatusFailed   = "failed"   // decided yes, but its change could not be applied (see Note)
)

// Sentinel errors of the governance rules.
var (
	ErrNotAuthority    = errors.New("consensus: not an active authority")
	ErrNotOpen         = errors.New("consensus: proposal is not open")
	ErrUnknownProposal = errors.New("consensus: unknown proposal kind")
	ErrBadThreshold    = errors.New("consensus: threshold out of range")
)

// Ballot is one authority's current vote on a proposal.
type Ballot struct {
	Voter string `json:"voter"`
	Yes   bool   `json:"yes"`
}

// Proposal is a governance proposal and its votes. The kind-specific payload is
// the caller's (the app stores it beside); the rules need only what is here.
type Proposal struct {
	ID            uint64   `json:"id"`
	Kind          string   `json:"kind"`
	Proposer      string   `json:"proposer"`
	Ballots       []Ballot `json:"ballots"` // ascending voter order, one per voter
	Status        string   `json:"status"`
	SubmitHeight  int64    `json:"submit_height"`
	ExpiryHeight  int64    `json:"expiry_height"` // last height at which it can still be decided
	DecidedHeight int64    `json:"decided_height,omitempty"`
	// Note says why a proposal failed (its change could not be applied).
	Note string `json:"note,omitempty"`
}

// NewProposal opens a proposal submitted at height by proposer, who votes yes by
// proposing. It is decided at the latest at height+lifetime-1.
func NewProposal(id uint64, kind, proposer string, height, lifetime int64) (Proposal, error) {
	if !slices.Contains(ProposalKinds, kind) {
		return Proposal{}, fmt.Errorf("%w %q", ErrUnknownProposal, kind)
	}
	if lifetime < 1 {
		return Proposal{}, fmt.Errorf("consensus: proposal lifetime %d blocks, want >= 1", lifetime)
	}
	return Proposal{
		ID: id, Kind: kind, Proposer: proposer, Status: StatusOpen,
		Ballots:      []Ballot{{Voter: proposer, Yes: true}},
		SubmitHeight: height, ExpiryHeight: height + lifetime - 1,
	}, nil
}

// Vote records voter's ballot, replacing an earlier one of the same voter. Only
// open proposals take votes; whether voter is an authority is the caller's check
// (CheckAuthority) since it needs state.
func (p *Proposal) Vote(voter string, yes bool) error {
	if p.Status != StatusOpen {
		return fmt.Errorf("%w: proposal %d is %s", ErrNotOpen, p.ID, p.Status)
	}
	i := sort.Search(len(p.Ballots), func(i int) bool { return p.Ballots[i].Voter >= voter })
	if i < len(p.Ballots) && p.Ballots[i].Voter == voter {
		p.Ballots[i].Yes = yes
		return nil
	}
	p.Ballots = slices.Insert(p.Ballots, i, Ballot{Voter: voter, Yes: yes})
	return nil
}

// Outcome is what Tally decides for an open proposal.
type Outcome int

// Outcomes of Tally.
const (
	Undecided Outcome = iota
	Pass
	Reject
	Expire
)

func (o Outcome) String() string {
	return [...]string{"undecided", "pass", "reject", "expire"}[o]
}

// ValidThreshold reports whether pct is a usable vote threshold: yes-votes must
// exceed pct percent of the authorities, so 1..99 (100 could never pass).
func ValidThreshold(pct uint64) bool { return pct >= 1 && pct <= 99 }

// Tally decides an open proposal at height from the votes of the authorities
// counted now (votes of members who are no longer authorities do not count):
// Pass when yes-votes exceed thresholdPct percent of them; Reject when they no
// longer can, even if every authority who has not voted no voted yes; Expire
// when neither and height has reached the proposal's expiry height.
func Tally(p Proposal, authorities []string, thresholdPct uint64, height int64) (Outcome, error) {
	if !ValidThreshold(thresholdPct) {
		return Undecided, fmt.Errorf("%w: %d (want 1..99)", ErrBadThreshold, thresholdPct)
	}
	if p.Status != StatusOpen {
		return Undecided, fmt.Errorf("%w: proposal %d is %s", ErrNotOpen, p.ID, p.Status)
	}
	n := uint64(len(authorities))
	var yes, no uint64
	for _, b := range p.Ballots {
		if !slices.Contains(authorities, b.Voter) {
			continue
		}
		if b.Yes {
			yes++
		} else {
			no++
		}
	}
	switch {
	case n > 0 && yes*100 > thresholdPct*n:
		return Pass, nil
	case (n-no)*100 <= thresholdPct*n:
		return Reject, nil
	case height >= p.ExpiryHeight:
		return Expire, nil
	}
	return Undecided, nil
}

// Governance is the state the decision loop runs over. Authorities lists the
// active authorities now, in ascending order; Apply makes a passed proposal's
// change, returning a *Refusal when the change cannot be applied (the proposal
// then fails with that reason) and any other error for a broken store (the
// loop stops). Both are called in proposal order, so an applied proposal is
// seen by the next one (authorities and parameters can change in between).
type Governance interface {
	Authorities() ([]string, error)
	Threshold() uint64
	Apply(p *Proposal) error
}

// Refusal is a rule that a change breaks; a proposal whose change is refused
// at application fails with it.
type Refusal struct{ Err error }

func (r *Refusal) Error() string { return r.Err.Error() }
func (r *Refusal) Unwrap() error { return r.Err }

// Refuse wraps a broken rule as a Refusal.
func Refuse(err error) error { return &Refusal{Err: err} }

// Decide tallies the open proposals, in the order given (ascending id), at the
// end of the block at height, applies those that pass, and closes those that
// pass, fail, are rejected or expire (Status, DecidedHeight, Note). It returns
// the proposals it closed, in order.
func Decide(open []*Proposal, g Governance, height int64) ([]*Proposal, error) {
	var closed []*Proposal
	for _, p := range open {
		auth, err := g.Authorities()
		if err != nil {
			return nil, err
		}
		out, err := Tally(*p, auth, g.Threshold(), height)
		if err != nil {
			return nil, err
		}
		switch out {
		case Undecided:
			continue
		case Reject:
			p.Status = StatusRejected
		case Expire:
			p.Status = StatusExpired
		case Pass:
			p.Status = StatusPassed
			if err := g.Apply(p); err != nil {
				var r *Refusal
				if !errors.As(err, &r) {
					return nil, err
				}
				p.Status, p.Note = StatusFailed, r.Error()
			}
		}
		p.DecidedHeight = height
		closed = append(closed, p)
	}
	return closed, nil
}

// CheckAuthority decides whether address may propose or vote: it must be one of
// the active authorities.
func CheckAuthority(authorities []string, address string) error {
	if !slices.Contains(authorities, address) {
		return fmt.Errorf("%w: %s", ErrNotAuthority, address)
	}
	return nil
}
