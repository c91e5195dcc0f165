package app

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/poaledger/poaledger/app/api"
	"github.com/poaledger/poaledger/app/tx"
	"github.com/poaledger/poaledger/consensus"
	"github.com/poaledger/poaledger/ledger"
)

// addMember admits a new member account (authority only).
var addMember = handler[*tx.AddMember, *tx.AddMember]{
	Role:      consensus.RoleAuthority,
	Stateless: func(_ api.Params, m *tx.AddMember) (*tx.AddMember, *txError) { return m, nil }, // tx.Body.ValidateBasic covers it
	Check: func(v ledger.View, _ *txCtx, m *tx.AddMember) *txError {
		addr := tx.Address(m.PubKey)
		ok, err := v.Has(api.MemberKey(addr))
		if err != nil {
			return refuse(api.CodeInternal, "read member: "+err.Error())
		}
		if ok {
			return refuse(api.CodeDuplicate, fmt.Sprintf("member %s already exists", tx.AddressString(addr)))
		}
		return nil
	},
	Execute: func(b *block, _ *txCtx, m *tx.AddMember) ([]abci.Event, error) {
		mb := newMember(m.PubKey, m.Name, m.Organisation, m.Roles, b.height)
		if err := putMember(b.store, mb); err != nil {
			return nil, err
		}
		return []abci.Event{memberEvent(mb.Address, "add")}, nil
	},
}

// revokeMember revokes an active member (authority only), never the last active
// authority (consensus.CheckRevoke).
var revokeMember = handler[*tx.RevokeMember, []byte]{
	Role:      consensus.RoleAuthority,
	Stateless: func(_ api.Params, m *tx.RevokeMember) ([]byte, *txError) { return m.Address, nil },
	Check: func(v ledger.View, _ *txCtx, addr []byte) *txError {
		target, err := getMember(v, addr)
		if err != nil {
			return refuse(api.CodeInternal, "read member: "+err.Error())
		}
		if target == nil {
			return refuse(api.CodeInvalidMessage, fmt.Sprintf("member %s does not exist", tx.AddressString(addr)))
		}
		err = consensus.CheckRevoke(memberSet{v}, ruleMember(*target))
		switch {
		case err == nil:
			return nil
		case errors.Is(err, consensus.ErrAlreadyRevoked):
			return refuse(api.CodeDuplicate, fmt.Sprintf("member %s is already revoked", target.Address))
		case errors.Is(err, consensus.ErrLastAuthority):
			return refuse(api.CodeInvalidMessage, fmt.Sprintf("member %s is the last active authority; revoking it would leave nobody to govern", target.Address))
		default:
			return refuse(api.CodeInternal, "read members: "+err.Error())
		}
	},
	Execute: func(b *block, _ *txCtx, addr []byte) ([]abci.Event, error) {
		mb, err := getMember(b.store.Working(), addr)
		if err != nil {
			return nil, err
		}
		if mb == nil {
			return nil, fmt.Errorf("member %s vanished between check and execute", tx.AddressString(addr))
		}
		mb.Status, mb.UpdatedHeight = api.StatusRevoked, b.height
		if err := putMember(b.store, *mb); err != nil {
			return nil, err
		}
		return []abci.Event{memberEvent(mb.Address, "revoke")}, nil
	},
}

// memberSet is the member state of a view, as the PoA rules read it.
type memberSet struct{ v ledger.View }

// EachMember visits members in ascending address order.
func (s memberSet) EachMember(fn func(consensus.Member) error) error {
	var cursor []byte
	for {
		items, next, err := s.v.Iterate([]byte{api.PrefixMember}, cursor, 0)
		if err != nil {
			return err
		}
		for _, kv := range items {
			m, err := decodeMember(kv.Value)
			if err != nil {
				return err
			}
			if err := fn(ruleMember(m)); err != nil {
				return err
			}
		}
		if next == nil {
			return nil
		}
		cursor = next
	}
}

func ruleMember(m api.Member) consensus.Member {
	return consensus.Member{Address: m.Address, Roles: m.Roles, Active: m.Status == api.StatusActive}
}

// getMember reads a member; nil when absent.
func getMember(v ledger.View, addr []byte) (*api.Member, error) {
	b, err := v.Get(api.MemberKey(addr))
	if err != nil || b == nil {
		return nil, err
	}
	m, err := decodeMember(b)
	if err != nil {
		return nil, err
	}
	return &m, nil
}

// decodeMember decodes a stored member; state the app wrote always decodes, so a
// failure is a broken invariant.
func decodeMember(b []byte) (api.Member, error) {
	var m api.Member
	if err := json.Unmarshal(b, &m); err != nil {
		panic(fmt.Sprintf("app: stored member undecodable: %v", err))
	}
	return m, nil
}

func newMember(pub []byte, name, org string, roles []string, height int64) api.Member {
	return api.Member{
		Address: tx.AddressString(tx.Address(pub)), PubKey: pub, Name: name, Organisation: org,
		Roles: slices.Clone(roles), Status: api.StatusActive, SinceHeight: height, UpdatedHeight: height,
	}
}

func putMember(s *ledger.Store, m api.Member) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	addr, err := tx.ParseAddress(m.Address)
	if err != nil {
		return err
	}
	return s.Set(api.MemberKey(addr), b)
}

func memberEvent(addr, action string) abci.Event {
	return abci.Event{Type: api.EventTypeMember, Attributes: []abci.EventAttribute{
		{Key: api.AttrAddress, Value: addr, Index: true},
		{Key: api.AttrAction, Value: action, Index: true},
	}}
}
