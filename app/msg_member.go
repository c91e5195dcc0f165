package app

import (
	"encoding/json"
	"fmt"
	"slices"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/poaledger/poaledger/app/api"
	"github.com/poaledger/poaledger/app/tx"
	"github.com/poaledger/poaledger/consensus"
	"github.com/poaledger/poaledger/ledger"
)

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
