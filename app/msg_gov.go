package app

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtcrypto "github.com/cometbft/cometbft/proto/tendermint/crypto"

	"github.com/poaledger/poaledger/app/api"
	"github.com/poaledger/poaledger/app/tx"
	"github.com/poaledger/poaledger/consensus"
	"github.com/poaledger/poaledger/ledger"
)

// MaxOpenProposals bounds the proposals open at once, so the end-of-block tally
// stays small whatever the authorities submit.
const MaxOpenProposals = 100

// propose opens a governance proposal (authority only). The change is checked
// against the current state now and again when the proposal is decided.
var propose = handler[*tx.Propose, *tx.Propose]{
	Role: consensus.RoleAuthority,
	Stateless: func(params api.Params, m *tx.Propose) (*tx.Propose, *txError) {
		if sp, ok := m.Action.(*tx.SetParam); ok {
			if _, err := params.Set(sp.Name, sp.Value); err != nil {
				return nil, refuse(api.CodeInvalidMessage, "set_param: "+err.Error())
			}
		}
		return m, nil
	},
	Check: func(v ledger.View, t *txCtx, m *tx.Propose) *txError {
		open, err := countOpen(v)
		if err != nil {
			return refuse(api.CodeInternal, "read proposals: "+err.Error())
		}
		if open >= MaxOpenProposals {
			return refuse(api.CodeOverQuota, fmt.Sprintf("%d proposals are open, limit %d: vote on them or let them expire", open, MaxOpenProposals))
		}
		if m.EvidenceHeight != 0 {
			ok, err := v.Has(api.MisbehaviourKey(int64(m.EvidenceHeight), uint32(m.EvidenceNumber-1)))
			if err != nil {
				return refuse(api.CodeInternal, "read misbehaviour: "+err.Error())
			}
			if !ok {
				return refuse(api.CodeInvalidMessage, fmt.Sprintf("no misbehaviour %d at height %d to reference", m.EvidenceNumber, m.EvidenceHeight))
			}
		}
		g := &gov{v: v, params: t.params}
		if err := g.change(m.Action, nil); err != nil {
			return refusal(err)
		}
		return nil
	},
	Execute: func(b *block, t *txCtx, m *tx.Propose) ([]abci.Event, error) {
		id, err := nextProposalID(b.store)
		if err != nil {
			return nil, err
		}
		cp, err := consensus.NewProposal(id, m.Action.ProposalKind(), t.signer.Address, b.height, int64(t.params.ProposalLifetimeBlocks))
		if err != nil {
			return nil, err
		}
		p := api.Proposal{Proposal: cp, Action: actionRecord(m.Action), Reason: m.Reason,
			EvidenceHeight: m.EvidenceHeight, EvidenceNumber: m.EvidenceNumber}
		if err := putProposal(b.store, p); err != nil {
			return nil, err
		}
		if err := b.store.Set(api.OpenProposalKey(id), []byte{1}); err != nil {
			return nil, err
		}
		return []abci.Event{proposalEvent(p, "propose")}, nil
	},
}

// vote records an authority's vote on an open proposal (a later vote replaces
// its earlier one). The tally happens at the end of the block.
var vote = handler[*tx.Vote, *tx.Vote]{
	Role:      consensus.RoleAuthority,
	Stateless: func(_ api.Params, m *tx.Vote) (*tx.Vote, *txError) { return m, nil }, // tx.Body.ValidateBasic covers it
	Check: func(v ledger.View, _ *txCtx, m *tx.Vote) *txError {
		p, err := getProposal(v, m.ProposalID)
		if err != nil {
			return refuse(api.CodeInternal, "read proposal: "+err.Error())
		}
		if p == nil {
			return refuse(api.CodeInvalidMessage, fmt.Sprintf("proposal %d does not exist", m.ProposalID))
		}
		if p.Status != consensus.StatusOpen {
			return refuse(api.CodeInvalidMessage, fmt.Sprintf("proposal %d is %s (decided at height %d)", m.ProposalID, p.Status, p.DecidedHeight))
		}
		return nil
	},
	Execute: func(b *block, t *txCtx, m *tx.Vote) ([]abci.Event, error) {
		p, err := getProposal(b.store.Working(), m.ProposalID)
		if err != nil || p == nil {
			return nil, fmt.Errorf("proposal %d vanished between check and execute: %v", m.ProposalID, err)
		}
		if err := p.Vote(t.signer.Address, m.Option == tx.VoteYes); err != nil {
			return nil, err
		}
		if err := putProposal(b.store, *p); err != nil {
			return nil, err
		}
		ev := proposalEvent(*p, "vote")
		ev.Attributes = append(ev.Attributes, abci.EventAttribute{Key: "voter", Value: t.signer.Address, Index: true},
			abci.EventAttribute{Key: "yes", Value: strconv.FormatBool(m.Option == tx.VoteYes)})
		return []abci.Event{ev}, nil
	},
}

// retired answers the direct member messages of the first release: member
// changes now go through proposals.
var errRetired = refuse(api.CodeInvalidMessage, "direct member changes are retired: propose the change (tx propose add-member / revoke-member) and let the authorities vote")

// refusal maps a rule's error to a result code: a broken rule is
// invalid_message, anything else a store failure.
func refusal(err error) *txError {
	var r *consensus.Refusal
	if errors.As(err, &r) {
		return refuse(api.CodeInvalidMessage, r.Error())
	}
	return refuse(api.CodeInternal, err.Error())
}

// gov applies governance changes over a view: in CheckTx and Propose's check
// against the state as it is (dry run, w nil), at the end of a block against the
// working state, writing through w.
type gov struct {
	v      ledger.View
	w      *block // nil for a dry run
	params api.Params
	vals   *consensus.Block // this block's validator changes (end of block only)
	// changedParams is set when a set_param proposal applied.
	changedParams bool
}

// Authorities implements consensus.Governance.
func (g *gov) Authorities() ([]string, error) { return consensus.ActiveAuthorityList(memberSet{g.v}) }

// Threshold implements consensus.Governance.
func (g *gov) Threshold() uint64 { return g.params.VoteThresholdPercent }

// Apply implements consensus.Governance: it re-checks the change against the
// state now (it may have changed since the proposal was made) and makes it.
func (g *gov) Apply(p *consensus.Proposal) error {
	rec, err := getProposal(g.v, p.ID)
	if err != nil {
		return err
	}
	if rec == nil {
		return fmt.Errorf("proposal %d vanished", p.ID)
	}
	a, err := actionFromRecord(p.Kind, rec.Action)
	if err != nil {
		return err
	}
	return g.change(a, g.w)
}

// change checks (w nil) or checks and applies a proposal's change. A broken
// rule is a consensus.Refusal; other errors are store failures.
func (g *gov) change(a tx.Action, w *block) error {
	ms := memberSet{g.v}
	switch m := a.(type) {
	case *tx.AddMember:
		addr := tx.Address(m.PubKey)
		existing, err := getMember(g.v, addr)
		if err != nil {
			return err
		}
		if existing != nil {
			return consensus.Refuse(fmt.Errorf("member %s already exists", tx.AddressString(addr)))
		}
		if err := consensus.CheckAdmit(ms, int(g.params.MaxMembers)); err != nil {
			return asRefusal(err)
		}
		if w == nil {
			return nil
		}
		return putMember(w.store, newMember(m.PubKey, m.Name, m.Organisation, m.Roles, w.height))
	case *tx.RevokeMember:
		target, err := g.member(m.Address)
		if err != nil {
			return err
		}
		if err := consensus.CheckRevoke(ms, ruleMember(*target)); err != nil {
			return asRefusal(err)
		}
		if w == nil {
			return nil
		}
		target.Status, target.UpdatedHeight = api.StatusRevoked, w.height
		return putMember(w.store, *target)
	case *tx.SetRoles:
		target, err := g.member(m.Address)
		if err != nil {
			return err
		}
		if err := consensus.CheckSetRoles(ms, ruleMember(*target), m.Roles); err != nil {
			return asRefusal(err)
		}
		if w == nil {
			return nil
		}
		target.Roles, target.UpdatedHeight = slices.Clone(m.Roles), w.height
		return putMember(w.store, *target)
	case *tx.AddValidator:
		if err := g.keyTypeAllowed(); err != nil {
			return err
		}
		op, err := g.member(m.Operator)
		if err != nil {
			return err
		}
		if op.Status != api.StatusActive {
			return consensus.Refuse(fmt.Errorf("operator %s is %s", op.Address, op.Status))
		}
		return g.validatorChange(consensus.Change{Op: consensus.OpAdd, PubKey: string(m.PubKey), Power: int64(m.Power)}, w,
			api.Validator{PubKey: m.PubKey, Name: m.Name, Operator: op.Address})
	case *tx.RemoveValidator:
		return g.validatorChange(consensus.Change{Op: consensus.OpRemove, PubKey: string(m.PubKey)}, w, api.Validator{PubKey: m.PubKey})
	case *tx.SetPower:
		return g.validatorChange(consensus.Change{Op: consensus.OpSet, PubKey: string(m.PubKey), Power: int64(m.Power)}, w, api.Validator{PubKey: m.PubKey})
	case *tx.AdmitNode:
		existing, err := getNode(g.v, m.NodeID)
		if err != nil {
			return err
		}
		op, err := getMember(g.v, m.Operator)
		if err != nil {
			return err
		}
		var rop *consensus.Member
		if op != nil {
			r := ruleMember(*op)
			rop = &r
		}
		if err := consensus.CheckAdmitNode(m.Role, existing != nil && existing.Status == api.StatusActive, rop); err != nil {
			return consensus.Refuse(fmt.Errorf("node %s: %w", api.NodeIDString(m.NodeID), err))
		}
		if w == nil {
			return nil
		}
		n := api.Node{ID: api.NodeIDString(m.NodeID), Role: m.Role, Operator: tx.AddressString(m.Operator),
			Status: api.StatusActive, SinceHeight: w.height, UpdatedHeight: w.height}
		return putNode(w.store, n)
	case *tx.RevokeNode:
		existing, err := getNode(g.v, m.NodeID)
		if err != nil {
			return err
		}
		if err := consensus.CheckRevokeNode(existing != nil && existing.Status == api.StatusActive); err != nil {
			return consensus.Refuse(fmt.Errorf("node %s: %w", api.NodeIDString(m.NodeID), err))
		}
		if w == nil {
			return nil
		}
		existing.Status, existing.UpdatedHeight = api.StatusRevoked, w.height
		return putNode(w.store, *existing)
	case *tx.SetParam:
		np, err := g.params.Set(m.Name, m.Value)
		if err != nil {
			return consensus.Refuse(err)
		}
		if w == nil {
			return nil
		}
		if err := w.store.Set(api.ParamsKey(), np.Encode()); err != nil {
			return err
		}
		g.params, g.changedParams = np, true
		return nil
	}
	return fmt.Errorf("no governance change for %T", a)
}

// member reads a member that must exist.
func (g *gov) member(addr []byte) (*api.Member, error) {
	m, err := getMember(g.v, addr)
	if err != nil {
		return nil, err
	}
	if m == nil {
		return nil, consensus.Refuse(fmt.Errorf("member %s does not exist", tx.AddressString(addr)))
	}
	return m, nil
}

func asRefusal(err error) error {
	for _, rule := range []error{consensus.ErrLastAuthority, consensus.ErrAlreadyRevoked, consensus.ErrTooManyMembers,
		consensus.ErrUnknownRole, consensus.ErrNoAuthority} {
		if errors.Is(err, rule) {
			return consensus.Refuse(err)
		}
	}
	return err
}

// keyTypeAllowed refuses validator keys the genesis consensus params do not
// allow (poaledger validators are ed25519).
func (g *gov) keyTypeAllowed() error {
	b, err := g.v.Get(api.MetaKeyTypesKey)
	if err != nil {
		return err
	}
	var types []string
	if b != nil {
		if err := json.Unmarshal(b, &types); err != nil {
			return fmt.Errorf("stored validator key types: %w", err)
		}
	}
	if b != nil && !slices.Contains(types, "ed25519") {
		return consensus.Refuse(fmt.Errorf("the chain's consensus params allow validator keys %v, not ed25519", types))
	}
	return nil
}

// validatorChange checks a change against the validator set (and, at the end
// of a block, every change decided earlier in it) and applies it to the app's
// validator records; the block's net changes become ValidatorUpdates.
func (g *gov) validatorChange(c consensus.Change, w *block, rec api.Validator) error {
	acc := g.vals
	if acc == nil {
		set, max, err := g.validatorSet()
		if err != nil {
			return err
		}
		acc = consensus.NewBlock(set, max)
	}
	if err := acc.Add(c); err != nil {
		return consensus.Refuse(err)
	}
	if w == nil {
		return nil
	}
	key := api.ValidatorKey(rec.PubKey)
	if c.Op == consensus.OpRemove {
		return w.store.Delete(key)
	}
	if c.Op == consensus.OpSet {
		b, err := g.v.Get(key)
		if err != nil {
			return err
		}
		if err := json.Unmarshal(b, &rec); err != nil {
			return fmt.Errorf("stored validator: %w", err)
		}
	}
	rec.Power = c.Power
	rec.Address = fmt.Sprintf("%X", tx.Address(rec.PubKey))
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	return w.store.Set(key, b)
}

// validatorSet reads the app's validator records.
func (g *gov) validatorSet() ([]consensus.Power, int, error) {
	var set []consensus.Power
	var cursor []byte
	for {
		items, next, err := g.v.Iterate([]byte{api.PrefixValidator}, cursor, 0)
		if err != nil {
			return nil, 0, err
		}
		for _, kv := range items {
			var v api.Validator
			if err := json.Unmarshal(kv.Value, &v); err != nil {
				return nil, 0, fmt.Errorf("stored validator: %w", err)
			}
			set = append(set, consensus.Power{PubKey: string(v.PubKey), Power: v.Power})
		}
		if next == nil {
			return set, int(g.params.MaxValidators), nil
		}
		cursor = next
	}
}

// endBlock tallies the open proposals after the block's txs, applies those that
// pass and returns the block's validator updates and proposal events.
func (a *App) endBlock(b *block) ([]abci.ValidatorUpdate, []abci.Event, error) {
	v := a.view(a.store.Working())
	ids, err := openIDs(v)
	if err != nil || len(ids) == 0 {
		return nil, nil, err
	}
	open := make([]*consensus.Proposal, 0, len(ids))
	for _, id := range ids {
		p, err := getProposal(v, id)
		if err != nil {
			return nil, nil, err
		}
		if p == nil {
			return nil, nil, fmt.Errorf("open proposal %d has no record", id)
		}
		open = append(open, &p.Proposal)
	}
	g := &gov{v: v, w: b, params: a.params}
	set, max, err := g.validatorSet()
	if err != nil {
		return nil, nil, err
	}
	g.vals = consensus.NewBlock(set, max)
	closed, err := consensus.Decide(open, g, b.height)
	if err != nil {
		return nil, nil, err
	}
	var events []abci.Event
	for _, cp := range closed {
		rec, err := getProposal(v, cp.ID)
		if err != nil {
			return nil, nil, err
		}
		rec.Proposal = *cp
		if err := putProposal(b.store, *rec); err != nil {
			return nil, nil, err
		}
		if err := b.store.Delete(api.OpenProposalKey(cp.ID)); err != nil {
			return nil, nil, err
		}
		events = append(events, proposalEvent(*rec, "decide"))
		a.logger.Info("proposal decided", "id", cp.ID, "kind", cp.Kind, "status", cp.Status, "note", cp.Note)
	}
	if g.changedParams {
		a.params = g.params
		if a.checkedCache != nil {
			a.checkedCache.Purge() // stateless results depend on the params
		}
	}
	var updates []abci.ValidatorUpdate
	for _, u := range g.vals.Updates() {
		updates = append(updates, abci.ValidatorUpdate{
			PubKey: cmtcrypto.PublicKey{Sum: &cmtcrypto.PublicKey_Ed25519{Ed25519: []byte(u.PubKey)}},
			Power:  u.Power,
		})
	}
	return updates, events, nil
}

func openIDs(v ledger.View) ([]uint64, error) {
	var ids []uint64
	var cursor []byte
	for {
		items, next, err := v.Iterate([]byte{api.PrefixOpenProposal}, cursor, 0)
		if err != nil {
			return nil, err
		}
		for _, kv := range items {
			id, err := api.DecodeUint64(kv.Key[1:])
			if err != nil {
				return nil, fmt.Errorf("open proposal key %x: %w", kv.Key, err)
			}
			ids = append(ids, id)
		}
		if next == nil {
			return ids, nil
		}
		cursor = next
	}
}

func countOpen(v ledger.View) (int, error) {
	ids, err := openIDs(v)
	return len(ids), err
}

func nextProposalID(s *ledger.Store) (uint64, error) {
	b, err := s.Get(api.MetaNextProposalKey)
	if err != nil {
		return 0, err
	}
	id := uint64(1)
	if b != nil {
		if id, err = api.DecodeUint64(b); err != nil {
			return 0, fmt.Errorf("stored next proposal id: %w", err)
		}
	}
	return id, s.Set(api.MetaNextProposalKey, api.EncodeUint64(id+1))
}

func getProposal(v ledger.View, id uint64) (*api.Proposal, error) {
	b, err := v.Get(api.ProposalKey(id))
	if err != nil || b == nil {
		return nil, err
	}
	var p api.Proposal
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("stored proposal %d: %w", id, err)
	}
	return &p, nil
}

func putProposal(s *ledger.Store, p api.Proposal) error {
	b, err := json.Marshal(p)
	if err != nil {
		return err
	}
	return s.Set(api.ProposalKey(p.ID), b)
}

func proposalEvent(p api.Proposal, action string) abci.Event {
	return abci.Event{Type: api.EventTypeProposal, Attributes: []abci.EventAttribute{
		{Key: api.AttrID, Value: strconv.FormatUint(p.ID, 10), Index: true},
		{Key: api.AttrKind, Value: p.Kind, Index: true},
		{Key: api.AttrAction, Value: action, Index: true},
		{Key: api.AttrStatus, Value: p.Status, Index: true},
	}}
}

// actionRecord is the stored (JSON) form of a proposal's change.
func actionRecord(a tx.Action) api.ProposalAction {
	switch m := a.(type) {
	case *tx.AddMember:
		return api.ProposalAction{PubKey: m.PubKey, Name: m.Name, Organisation: m.Organisation, Roles: m.Roles,
			Address: tx.AddressString(tx.Address(m.PubKey))}
	case *tx.RevokeMember:
		return api.ProposalAction{Address: tx.AddressString(m.Address)}
	case *tx.SetRoles:
		return api.ProposalAction{Address: tx.AddressString(m.Address), Roles: m.Roles}
	case *tx.AddValidator:
		return api.ProposalAction{PubKey: m.PubKey, Power: m.Power, Name: m.Name, Operator: tx.AddressString(m.Operator)}
	case *tx.RemoveValidator:
		return api.ProposalAction{PubKey: m.PubKey}
	case *tx.SetPower:
		return api.ProposalAction{PubKey: m.PubKey, Power: m.Power}
	case *tx.SetParam:
		return api.ProposalAction{Param: m.Name, Value: m.Value}
	case *tx.AdmitNode:
		return api.ProposalAction{NodeID: api.NodeIDString(m.NodeID), NodeRole: m.Role, Operator: tx.AddressString(m.Operator)}
	case *tx.RevokeNode:
		return api.ProposalAction{NodeID: api.NodeIDString(m.NodeID)}
	}
	panic(fmt.Sprintf("app: no record form for action %T", a))
}

// actionFromRecord rebuilds the change of a stored proposal.
func actionFromRecord(kind string, r api.ProposalAction) (tx.Action, error) {
	addr := func() ([]byte, error) { return tx.ParseAddress(r.Address) }
	switch kind {
	case consensus.ProposalAddMember:
		return &tx.AddMember{PubKey: r.PubKey, Name: r.Name, Organisation: r.Organisation, Roles: r.Roles}, nil
	case consensus.ProposalRevokeMember:
		a, err := addr()
		return &tx.RevokeMember{Address: a}, err
	case consensus.ProposalSetRoles:
		a, err := addr()
		return &tx.SetRoles{Address: a, Roles: r.Roles}, err
	case consensus.ProposalAddValidator:
		op, err := tx.ParseAddress(r.Operator)
		return &tx.AddValidator{PubKey: r.PubKey, Power: r.Power, Name: r.Name, Operator: op}, err
	case consensus.ProposalRemoveValidator:
		return &tx.RemoveValidator{PubKey: r.PubKey}, nil
	case consensus.ProposalSetPower:
		return &tx.SetPower{PubKey: r.PubKey, Power: r.Power}, nil
	case consensus.ProposalSetParam:
		return &tx.SetParam{Name: r.Param, Value: r.Value}, nil
	case consensus.ProposalAdmitNode:
		id, err := api.ParseNodeID(r.NodeID)
		if err != nil {
			return nil, err
		}
		op, err := tx.ParseAddress(r.Operator)
		return &tx.AdmitNode{NodeID: id, Role: r.NodeRole, Operator: op}, err
	case consensus.ProposalRevokeNode:
		id, err := api.ParseNodeID(r.NodeID)
		return &tx.RevokeNode{NodeID: id}, err
	}
	return nil, fmt.Errorf("stored proposal of unknown kind %q", kind)
}

func getNode(v ledger.View, id []byte) (*api.Node, error) {
	b, err := v.Get(api.NodeKey(id))
	if err != nil || b == nil {
		return nil, err
	}
	var n api.Node
	if err := json.Unmarshal(b, &n); err != nil {
		return nil, fmt.Errorf("stored node %x: %w", id, err)
	}
	return &n, nil
}

func putNode(s *ledger.Store, n api.Node) error {
	id, err := api.ParseNodeID(n.ID)
	if err != nil {
		return err
	}
	b, err := json.Marshal(n)
	if err != nil {
		return err
	}
	return s.Set(api.NodeKey(id), b)
}
