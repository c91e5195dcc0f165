package app

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"

	"github.com/poaledger/poaledger/app/tx"
	"github.com/poaledger/poaledger/consensus"
)

// GenesisState is the app_state of genesis.json.
type GenesisState struct {
	Members []GenesisMember `json:"members"`
	Params  Params          `json:"params"`
}

// GenesisMember is a member admitted at genesis.
type GenesisMember struct {
	PubKey       []byte   `json:"pubkey"` // ed25519, base64 in JSON
	Name         string   `json:"name"`
	Organisation string   `json:"organisation,omitempty"`
	Roles        []string `json:"roles"`
}

// Params are chain parameters, stored one key each under prefixParams and changed
// only by governance.
type Params struct {
	// MaxEventsPerTx bounds RecordEvents; at most tx.MaxEventsPerTx.
	MaxEventsPerTx uint64 `json:"max_events_per_tx"`
	// MaxEventBytes bounds one event; at most tx.MaxEventBytes.
	MaxEventBytes uint64 `json:"max_event_bytes"`
}

// DefaultParams are the parameters of a new chain.
func DefaultParams() Params {
	return Params{MaxEventsPerTx: tx.MaxEventsPerTx, MaxEventBytes: tx.MaxEventBytes}
}

// Validate checks each parameter against its hard bound.
func (p Params) Validate() error {
	if p.MaxEventsPerTx < 1 || p.MaxEventsPerTx > tx.MaxEventsPerTx {
		return fmt.Errorf("params.max_events_per_tx %d outside [1, %d]", p.MaxEventsPerTx, tx.MaxEventsPerTx)
	}
	if p.MaxEventBytes < 2 || p.MaxEventBytes > tx.MaxEventBytes {
		return fmt.Errorf("params.max_event_bytes %d outside [2, %d]", p.MaxEventBytes, tx.MaxEventBytes)
	}
	return nil
}

// paramEntries lists params in key order, so they are written deterministically.
func (p Params) entries() [][2]string {
	return [][2]string{
		{"max_event_bytes", strconv.FormatUint(p.MaxEventBytes, 10)},
		{"max_events_per_tx", strconv.FormatUint(p.MaxEventsPerTx, 10)},
	}
}

func (p *Params) set(name, value string) error {
	v, err := strconv.ParseUint(value, 10, 64)
	if err != nil {
		return fmt.Errorf("param %s: %w", name, err)
	}
	switch name {
	case "max_event_bytes":
		p.MaxEventBytes = v
	case "max_events_per_tx":
		p.MaxEventsPerTx = v
	default:
		return fmt.Errorf("unknown param %q", name)
	}
	return nil
}

// DefaultGenesisState returns a state with the given authorities (roles authority and
// recorder) and default params.
func DefaultGenesisState(members ...GenesisMember) GenesisState {
	return GenesisState{Members: members, Params: DefaultParams()}
}

// ParseGenesisState decodes and validates app_state. Unknown fields are errors.
func ParseGenesisState(raw []byte) (GenesisState, error) {
	var g GenesisState
	if len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null" {
		return g, fmt.Errorf("genesis app_state is empty: it must list at least one authority member")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&g); err != nil {
		return g, fmt.Errorf("genesis app_state: %w", err)
	}
	return g, g.Validate()
}

// Validate checks the genesis state: valid members, no duplicates, at least one
// authority, valid params.
func (g GenesisState) Validate() error {
	if err := g.Params.Validate(); err != nil {
		return fmt.Errorf("genesis app_state: %w", err)
	}
	seen := map[string]bool{}
	authorities := 0
	for i, m := range g.Members {
		if len(m.PubKey) != ed25519.PublicKeySize {
			return fmt.Errorf("genesis app_state.members[%d]: pubkey must be %d bytes", i, ed25519.PublicKeySize)
		}
		body := tx.Body{ChainID: "genesis", Msg: &tx.AddMember{PubKey: m.PubKey, Name: m.Name, Organisation: m.Organisation, Roles: m.Roles}}
		if err := body.ValidateBasic(); err != nil {
			return fmt.Errorf("genesis app_state.members[%d] (%s): %w", i, m.Name, err)
		}
		addr := tx.AddressString(tx.Address(m.PubKey))
		if seen[addr] {
			return fmt.Errorf("genesis app_state.members[%d]: duplicate member %s", i, addr)
		}
		seen[addr] = true
		if slices.Contains(m.Roles, consensus.RoleAuthority) {
			authorities++
		}
	}
	if authorities == 0 {
		return fmt.Errorf("genesis app_state: no member has role %q; nobody could govern the chain", consensus.RoleAuthority)
	}
	return nil
}
