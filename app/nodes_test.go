package app

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/poaledger/poaledger/app/api"
	"github.com/poaledger/poaledger/app/tx"
	"github.com/poaledger/poaledger/consensus"
)

var (
	nodeA = strings.Repeat("a1", 20) // admitted at genesis
	nodeB = strings.Repeat("b2", 20) // admitted by vote, then revoked
	nodeC = strings.Repeat("c3", 20) // never admitted
)

func withGenesisNode(s *harnessSetup) {
	s.genesis.Nodes = []GenesisNode{{ID: nodeA, Role: consensus.NodeValidator, Operator: tx.AddressString(tx.Address(pubOf(admin)))}}
}

func nodeID(t *testing.T, s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func filter(h *harness, id string) *abci.ResponseQuery {
	q, _ := h.app.Query(context.Background(), &abci.RequestQuery{Path: api.PathFilterID + id})
	return q
}

func TestPeerFilter(t *testing.T) {
	h := newHarness(t, "", withGenesisNode)
	// Before the first block the filter answers from genesis (peers must connect to make it).
	if q := filter(h, nodeA); q.Code != api.CodeOK {
		t.Fatalf("genesis node before block 1: %d %s", q.Code, q.Log)
	}
	h.block()
	cases := []struct {
		name, id string
		code     uint32
		log      string
	}{
		{"admitted", nodeA, api.CodeOK, ""},
		{"admitted, upper-case id", strings.ToUpper(nodeA), api.CodeOK, ""},
		{"unknown", nodeC, api.CodeUnauthorizedNode, nodeC},
		{"malformed", "zz", api.CodeBadQuery, "zz"},
		{"empty", "", api.CodeBadQuery, "node id"},
	}
	for _, c := range cases {
		q := filter(h, c.id)
		if q.Code != c.code || !strings.Contains(q.Log, c.log) {
			t.Errorf("%s: %d %q; want %d containing %q", c.name, q.Code, q.Log, c.code, c.log)
		}
	}
	if q, _ := h.app.Query(context.Background(), &abci.RequestQuery{Path: api.PathFilterAddr + "10.0.0.1:26656"}); q.Code != api.CodeOK {
		t.Fatalf("addresses are not filtered: %d %s", q.Code, q.Log)
	}
	// Admit B by vote; revoke it again; the filter follows each committed block.
	op := tx.Address(pubOf(auth2))
	h.govern(&tx.AdmitNode{NodeID: nodeID(t, nodeB), Role: consensus.NodeFull, Operator: op}, consensus.StatusPassed)
	if q := filter(h, nodeB); q.Code != api.CodeOK {
		t.Fatalf("admitted by vote: %d %s", q.Code, q.Log)
	}
	if ok, _ := h.app.Admitted(nodeB); !ok {
		t.Fatal("Admitted disagrees with the filter")
	}
	h.govern(&tx.RevokeNode{NodeID: nodeID(t, nodeB)}, consensus.StatusPassed)
	if q := filter(h, nodeB); q.Code != api.CodeUnauthorizedNode || !strings.Contains(q.Log, "revoked at height") {
		t.Fatalf("revoked: %d %s", q.Code, q.Log)
	}
	// Re-admission of a revoked node is allowed; twice is not.
	h.govern(&tx.AdmitNode{NodeID: nodeID(t, nodeB), Role: consensus.NodeSentry, Operator: op}, consensus.StatusPassed)
	for _, c := range []struct {
		name string
		a    tx.Action
	}{
		{"admit twice", &tx.AdmitNode{NodeID: nodeID(t, nodeB), Role: consensus.NodeFull, Operator: op}},
		{"revoke unknown", &tx.RevokeNode{NodeID: nodeID(t, nodeC)}},
		{"operator not a member", &tx.AdmitNode{NodeID: nodeID(t, nodeC), Role: consensus.NodeFull, Operator: tx.Address(pubOf(stranger))}},
	} {
		if r := h.check(h.sign(admin, &tx.Propose{Action: c.a})); r.Code != api.CodeInvalidMessage {
			t.Errorf("%s: %d %s", c.name, r.Code, r.Log)
		}
	}
	q, _ := h.app.Query(context.Background(), &abci.RequestQuery{Path: api.PathNodes, Prove: true})
	var page api.NodePage
	if err := json.Unmarshal(q.Value, &page); err != nil || len(page.Nodes) != 2 {
		t.Fatalf("/nodes: %s %v", q.Value, err)
	}
	q, _ = h.app.Query(context.Background(), &abci.RequestQuery{Path: api.PathNode + nodeB})
	var n api.Node
	if err := json.Unmarshal(q.Value, &n); err != nil || n.Role != consensus.NodeSentry || n.Status != api.StatusActive || n.Operator != tx.AddressString(op) {
		t.Fatalf("/node: %+v %v", n, err)
	}
}

func TestGenesisNodes(t *testing.T) {
	ok := DefaultGenesisState(GenesisMember{PubKey: pubOf(admin), Name: "a", Roles: []string{"authority"}})
	op := tx.AddressString(tx.Address(pubOf(admin)))
	cases := map[string][]GenesisNode{
		"bad id":           {{ID: "xyz", Role: "validator", Operator: op}},
		"unknown role":     {{ID: nodeA, Role: "archive", Operator: op}},
		"operator unknown": {{ID: nodeA, Role: "validator", Operator: tx.AddressString(tx.Address(pubOf(stranger)))}},
		"twice":            {{ID: nodeA, Role: "validator", Operator: op}, {ID: strings.ToUpper(nodeA), Role: "full", Operator: op}},
	}
	for name, nodes := range cases {
		g := ok
		g.Nodes = nodes
		if err := g.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	ok.Nodes = []GenesisNode{{ID: nodeA, Role: "validator", Operator: strings.ToLower(op)}}
	if err := ok.Validate(); err != nil {
		t.Fatalf("valid genesis nodes: %v", err)
	}
}
