package node_test

import (
	"encoding/json"
	"io"
	"strings"
	"testing"

	cmttypes "github.com/cometbft/cometbft/types"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/poaledger/poaledger/app"
	"github.com/poaledger/poaledger/node"
)

// A validator whose own node ID the ledger does not admit refuses to start,
// naming the ID and what to do; with the ID admitted (as init writes it) it
// starts.
func TestValidatorRefusesToStartUnadmitted(t *testing.T) {
	home := t.TempDir()
	res, err := node.InitHome(node.InitOptions{Home: home, ChainID: "admission-test", Unencrypted: true})
	if err != nil {
		t.Fatal(err)
	}
	path := home + "/config/genesis.json"
	doc, err := cmttypes.GenesisDocFromFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var state app.GenesisState
	if err := json.Unmarshal(doc.AppState, &state); err != nil {
		t.Fatal(err)
	}
	if len(state.Nodes) != 1 || state.Nodes[0].ID != res.NodeID || state.Nodes[0].Role != "validator" {
		t.Fatalf("init admits %+v, want its own node %s as validator", state.Nodes, res.NodeID)
	}
	state.Nodes = nil
	if doc.AppState, err = json.Marshal(state); err != nil {
		t.Fatal(err)
	}
	if err := doc.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	n, err := node.New(home, node.Options{Registerer: prometheus.NewRegistry(), LogWriter: io.Discard})
	if err == nil {
		n.Stop()
		t.Fatal("an unadmitted validator started")
	}
	for _, want := range []string{res.NodeID, "not admitted", "admit-node"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}
