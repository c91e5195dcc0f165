package testnet

import (
	"encoding/json"
	"fmt"
	"path/filepath"

	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/poaledger/poaledger/app"
)

// AddGenesisMembers admits more members at genesis in a testnet that Init wrote and
// that has not started yet: it appends them to app_state.members of node0's
// genesis, validates the result (app.GenesisState.Validate: distinct members, valid
// roles) and writes the same document to every node's home, so the nodes still
// share one genesis. `poaledger bench` gives its many load signers their
// recorder role this way.
func AddGenesisMembers(m *Manifest, members ...app.GenesisMember) error {
	if len(members) == 0 {
		return nil
	}
	path := func(i int) string { return filepath.Join(m.HomePath(i), "config", "genesis.json") }
	doc, err := cmttypes.GenesisDocFromFile(path(0))
	if err != nil {
		return fmt.Errorf("testnet: %w", err)
	}
	state, err := app.ParseGenesisState(doc.AppState)
	if err != nil {
		return fmt.Errorf("testnet: %s: %w", path(0), err)
	}
	state.Members = append(state.Members, members...)
	if err := state.Validate(); err != nil {
		return fmt.Errorf("testnet: genesis members: %w", err)
	}
	if doc.AppState, err = json.Marshal(state); err != nil {
		return fmt.Errorf("testnet: encode app_state: %w", err)
	}
	if err := doc.ValidateAndComplete(); err != nil {
		return fmt.Errorf("testnet: genesis: %w", err)
	}
	for i := range m.Nodes {
		if err := doc.SaveAs(path(i)); err != nil {
			return fmt.Errorf("testnet: write genesis of %s: %w", m.Nodes[i].Name, err)
		}
	}
	return nil
}
