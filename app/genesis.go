package app

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/poaledger/poaledger/app/api"
	"github.com/poaledger/poaledger/app/tx"
	"github.com/poaledger/poaledger/consensus"
)

// GenesisState is the app_state of genesis.json.
type GenesisState struct {
	Members []GenesisMember `json:"members"`
	// Nodes are the CometBFT nodes admitted at genesis (node ID, role, and the
	// member that runs them); only admitted nodes may peer (filter_peers).
	Nodes  []GenesisNode `json:"nodes"`
	Params api.Params    `json:"params"`
}

// GenesisNode is a node admitted at genesis.
type GenesisNode struct {
	ID       string `json:"id"`       // 40 hex characters
	Role     string `json:"role"`     // consensus.NodeRoles
	Operator string `json:"operator"` // address of a genesis member
}

// GenesisMember is a member admitted at genesis.
type GenesisMember struct {
	PubKey       []byte   `json:"pubkey"` // ed25519, base64 in JSON
	Name         string   `json:"name"`
	Organisation string   `json:"organisation,omitempty"`
	Roles        []string `json:"roles"`
}

// DefaultGenesisState returns a state with the given authorities (roles authority and
// recorder) and default params.
func DefaultGenesisState(members ...GenesisMember) GenesisState {
	return GenesisState{Members: members, Params: api.DefaultParams()}
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

// Validate checks the genesis state: valid members, valid params, and the PoA
// rules for a first member set (consensus.CheckGenesis: distinct members, at
// least one authority).
func (g GenesisState) Validate() error {
	if err := g.Params.Validate(); err != nil {
		return fmt.Errorf("genesis app_state: %w", err)
	}
	members := make([]consensus.Member, 0, len(g.Members))
	for i, m := range g.Members {
		if len(m.PubKey) != ed25519.PublicKeySize {
			return fmt.Errorf("genesis app_state.members[%d]: pubkey must be %d bytes", i, ed25519.PublicKeySize)
		}
		body := tx.Body{ChainID: "genesis", Msg: &tx.AddMember{PubKey: m.PubKey, Name: m.Name, Organisation: m.Organisation, Roles: m.Roles}}
		if err := body.ValidateBasic(); err != nil {
			return fmt.Errorf("genesis app_state.members[%d] (%s): %w", i, m.Name, err)
		}
		members = append(members, consensus.Member{Address: tx.AddressString(tx.Address(m.PubKey)), Roles: m.Roles, Active: true})
	}
	if err := consensus.CheckGenesis(members); err != nil {
		return fmt.Errorf("genesis app_state: %w", err)
	}
	seen := map[string]bool{}
	for i, n := range g.Nodes {
		id, err := api.ParseNodeID(n.ID)
		if err != nil {
			return fmt.Errorf("genesis app_state.nodes[%d]: %w", i, err)
		}
		key := api.NodeIDString(id)
		if seen[key] {
			return fmt.Errorf("genesis app_state.nodes[%d]: node %s listed twice", i, key)
		}
		seen[key] = true
		var op *consensus.Member
		for j := range members {
			if members[j].Address == strings.ToUpper(n.Operator) {
				op = &members[j]
			}
		}
		if err := consensus.CheckAdmitNode(n.Role, false, op); err != nil {
			return fmt.Errorf("genesis app_state.nodes[%d] (%s, operator %q): %w", i, key, n.Operator, err)
		}
	}
	return nil
}
