package tx

import (
	"fmt"

	"github.com/poaledger/poaledger/consensus"
)

// ValidateBasic checks the rules of a body that need no state: a chain id of
// 1..MaxChainIDLen bytes, a message, and the message's own rules. It includes
// the encoding bounds. Errors wrap ErrTooLarge for exceeded bounds and
// ErrMalformed otherwise. Whether the chain id is the right one, and whether
// the signer may send the message, is for the app to decide.
func (b *Body) ValidateBasic() error {
	if err := b.check(); err != nil {
		return err
	}
	if b.ChainID == "" {
		return fmt.Errorf("%w: body: empty chain id", ErrMalformed)
	}
	return b.Msg.validateBasic()
}

// validateBasic: 1..MaxEventsPerTx non-empty events (the bounds are in check).
// Whether each event is valid EPCIS is for the epcis package.
func (m *RecordEvents) validateBasic() error {
	if len(m.Events) == 0 {
		return fmt.Errorf("%w: %s: no events", ErrMalformed, KindRecordEvents)
	}
	for i, ev := range m.Events {
		if len(ev) == 0 {
			return fmt.Errorf("%w: %s: event %d is empty", ErrMalformed, KindRecordEvents, i)
		}
	}
	return nil
}

// validateBasic: a full public key, 1..MaxRoles distinct known roles. Name
// and organisation may be empty; their bounds are in check.
func (m *AddMember) validateBasic() error {
	if len(m.PubKey) != PubKeyLen {
		return fmt.Errorf("%w: %s: public key %d bytes, want %d", ErrMalformed, KindAddMember, len(m.PubKey), PubKeyLen)
	}
	if len(m.Roles) == 0 {
		return fmt.Errorf("%w: %s: no roles", ErrMalformed, KindAddMember)
	}
	for i, r := range m.Roles {
		if !consensus.ValidRole(r) {
			return fmt.Errorf("%w: %s: unknown role %q", ErrMalformed, KindAddMember, r)
		}
		for _, prev := range m.Roles[:i] {
			if prev == r {
				return fmt.Errorf("%w: %s: duplicate role %q", ErrMalformed, KindAddMember, r)
			}
		}
	}
	return nil
}

func (m *RevokeMember) validateBasic() error {
	if len(m.Address) != AddressLen {
		return fmt.Errorf("%w: %s: address %d bytes, want %d", ErrMalformed, KindRevokeMember, len(m.Address), AddressLen)
	}
	return nil
}
