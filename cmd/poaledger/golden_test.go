package main

import (
	"bytes"
	"crypto/ed25519"
	"flag"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	cmted25519 "github.com/cometbft/cometbft/crypto/ed25519"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/poaledger/poaledger/app/api"
	"github.com/poaledger/poaledger/app/tx"
	"github.com/poaledger/poaledger/client"
	"github.com/poaledger/poaledger/consensus"
	"github.com/poaledger/poaledger/keyring"
	"github.com/poaledger/poaledger/testnet"
)

var update = flag.Bool("update", false, "rewrite testdata/golden/*.txt with the commands' current output")

// checkGolden compares got with testdata/golden/NAME.txt (or writes it with -update).
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name+".txt")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run `go test ./cmd/poaledger -run Golden -update` to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s: the output changed (if on purpose: go test ./cmd/poaledger -run Golden -update)\n--- got:\n%s\n--- want:\n%s", path, got, want)
	}
}

// goldenKey is a member key from a fixed seed, so its address and every tx it
// signs are the same on every run.
func goldenKey(name string, seed byte) keyring.Key {
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, ed25519.SeedSize))
	return keyring.Key{Name: name, PubKey: priv.Public().(ed25519.PublicKey), PrivKey: priv}
}

// runGolden runs the command tree with args and returns what it printed on standard
// output; the command must succeed.
func runGolden(t *testing.T, args ...string) []byte {
	t.Helper()
	root := newRootCmd()
	var out, errOut bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetArgs(args)
	if err := root.Execute(); err != nil {
		t.Fatalf("poaledger %s: %v\n%s%s", strings.Join(args, " "), err, out.String(), errOut.String())
	}
	return out.Bytes()
}

// TestGoldenText: the text output of each command, driven through the real
// command tree (against a fake node with fixed answers), is exactly
// testdata/golden/NAME.txt: aligned key: value blocks, tables with a header row,
// unproven answers saying so, the event JSON indented two spaces under its label.
func TestGoldenText(t *testing.T) {
	home := t.TempDir()
	r := keyring.New(home, keyring.Unencrypted())
	alice, bob := goldenKey("alice", 1), goldenKey("bob", 2)
	for _, k := range []keyring.Key{alice, bob} {
		if err := r.Import(k); err != nil {
			t.Fatal(err)
		}
	}
	emptyHome := t.TempDir()

	doc, err := os.ReadFile("../../examples/02-pack.json")
	if err != nil {
		t.Fatal(err)
	}
	events, err := client.ReadDocument(bytes.NewReader(doc), "02-pack.json")
	if err != nil {
		t.Fatal(err)
	}
	docPath := filepath.Join(t.TempDir(), "02-pack.json")
	if err := os.WriteFile(docPath, doc, 0o600); err != nil {
		t.Fatal(err)
	}

	f := newFakeNode(t, "golden-chain")
	for _, ev := range events {
		f.txEvents = append(f.txEvents, abci.Event{Type: api.EventTypeEvent,
			Attributes: []abci.EventAttribute{{Key: api.AttrID, Value: ev.ID, Index: true}}})
	}
	aliceAddr := tx.AddressString(tx.Address(alice.PubKey))
	bobAddr := tx.AddressString(tx.Address(bob.PubKey))
	members := []api.Member{
		{Address: aliceAddr, PubKey: alice.PubKey, Name: "alice", Organisation: "Example Dairy", Roles: []string{"authority", "recorder"},
			Status: api.StatusActive, SinceHeight: 1, UpdatedHeight: 1},
		{Address: bobAddr, PubKey: bob.PubKey, Name: "bob", Organisation: "Example Foods", Roles: []string{"recorder"},
			Status: api.StatusRevoked, SinceHeight: 3, UpdatedHeight: 6},
	}
	f.setJSON(api.PathMember, members[0])
	f.setJSON(api.PathMembers, api.MemberPage{Members: rawList(t, members[0], members[1])})
	f.queries[api.PathNonce] = api.EncodeUint64(4)
	f.queries[api.PathParams] = api.DefaultParams().Encode()
	meta := api.EventMeta{ID: events[1].ID, Seq: 2, Submitter: aliceAddr, Height: 5, TxHash: strings.Repeat("5A", 32),
		TxIndex: 0, EventIndex: 1, BlockTime: "2025-03-10T07:15:04Z"}
	// The event as submitted: compact, as a client may send it.
	rec, err := api.EncodeEventRecord(meta, events[1].Raw)
	if err != nil {
		t.Fatal(err)
	}
	f.setJSON(api.PathEvent, api.EventAnswer{Record: rec})
	valKey := cmted25519.GenPrivKeyFromSecret([]byte("golden validator"))
	f.vals = []*cmttypes.Validator{cmttypes.NewValidator(valKey.PubKey(), 10)}
	f.setJSON(api.PathValidators, api.ValidatorList{Validators: rawList(t,
		api.Validator{PubKey: valKey.PubKey().Bytes(), Address: valKey.PubKey().Address().String(), Power: 10, Name: "node0"})})
	f.setJSON(api.PathMisbehaviour, api.MisbehaviourList{Misbehaviour: rawList(t, api.Misbehaviour{Type: "DUPLICATE_VOTE",
		Validator: valKey.PubKey().Address().String(), Power: 10, Height: 4, Time: "2025-03-10T07:15:03Z", TotalVotingPower: 40, ReportedAt: 5})})
	proposal := api.Proposal{
		Proposal: consensus.Proposal{ID: 1, Kind: "add_member", Proposer: aliceAddr, Ballots: []consensus.Ballot{{Voter: aliceAddr, Yes: true}},
			Status: "passed", SubmitHeight: 3, ExpiryHeight: 1002, DecidedHeight: 3},
		Action: api.ProposalAction{PubKey: bob.PubKey, Name: "bob", Organisation: "Example Foods", Roles: []string{"recorder"}},
		Reason: "Example Foods receives the dairy's pallets",
	}
	f.setJSON(api.PathProposal, proposal)
	f.setJSON(api.PathProposals, api.ProposalPage{Proposals: rawList(t, proposal)})
	f.setJSON(api.PathNodes, api.NodePage{Nodes: rawList(t, api.Node{ID: "d0e9c8f1a2b3c4d5e6f708192a3b4c5d6e7f8091", Role: "validator",
		Status: api.StatusActive, SinceHeight: 1, UpdatedHeight: 1})})
	f.setJSON(api.PathSigning, api.SigningList{Signing: []api.Signing{{Address: valKey.PubKey().Address().String(), Power: 10,
		Signed: 97, Missed: 3, Window: 100, LastHeight: 7}}})

	node := []string{"--home", home, "--node", f.addr()}
	cases := []struct {
		name string
		args []string
	}{
		{"keys_list", []string{"keys", "list", "--home", home}},
		{"keys_list_empty", []string{"keys", "list", "--home", emptyHome}},
		{"keys_show", []string{"keys", "show", "alice", "--home", home}},
		{"tx_record", append([]string{"tx", "record", docPath, "--from", "alice"}, node...)},
		{"tx_record_wait", append([]string{"tx", "record", docPath, "--from", "alice", "--wait"}, node...)},
		{"query_event", append([]string{"query", "event", events[1].ID}, node...)},
		{"query_member", append([]string{"query", "member", aliceAddr}, node...)},
		{"query_members", append([]string{"query", "members"}, node...)},
		{"query_nonce", append([]string{"query", "nonce", aliceAddr}, node...)},
		{"query_params", append([]string{"query", "params"}, node...)},
		{"query_validators", append([]string{"query", "validators"}, node...)},
		{"query_misbehaviour", append([]string{"query", "misbehaviour"}, node...)},
		{"query_status", append([]string{"query", "status"}, node...)},
		{"query_proposals", append([]string{"query", "proposals"}, node...)},
		{"query_proposal", append([]string{"query", "proposal", "1"}, node...)},
		{"query_authorities", append([]string{"query", "authorities"}, node...)},
		{"query_nodes", append([]string{"query", "nodes"}, node...)},
		{"query_signing", append([]string{"query", "signing"}, node...)},
		{"version", []string{"version"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := string(runGolden(t, c.args...))
			// What differs between runs and machines: temporary paths, the fake's
			// address, the Go version.
			out = strings.NewReplacer(home, "HOME", emptyHome, "HOME", docPath, "02-pack.json", f.addr(), "NODE",
				runtime.Version(), "GOVERSION").Replace(out)
			checkGolden(t, c.name, []byte(out))
		})
	}

	t.Run("testnet_init", func(t *testing.T) {
		m := &testnet.Manifest{ChainID: testnet.DefaultChainID,
			Nodes: []testnet.NodeInfo{
				{Name: "node0", Home: "node0", Validator: true, RPC: "tcp://127.0.0.1:26601", P2P: "d0e9c8f1a2b3c4d5e6f708192a3b4c5d6e7f8091@127.0.0.1:26600"},
				{Name: "node1", Home: "node1", Validator: true, RPC: "tcp://127.0.0.1:26611", P2P: "0a1b2c3d4e5f60718293a4b5c6d7e8f901234567@127.0.0.1:26610"},
				{Name: "node2", Home: "node2", RPC: "tcp://127.0.0.1:26621", P2P: "1b2c3d4e5f60718293a4b5c6d7e8f90123456789@127.0.0.1:26620"},
			},
			Keys: []testnet.KeyInfo{
				{Name: testnet.AuthorityKeyName, Home: "node0", Address: aliceAddr, Roles: []string{"authority"}},
				{Name: testnet.AuthorityKeyName, Home: "node1", Address: bobAddr, Roles: []string{"authority"}},
				{Name: testnet.RecorderKeyName, Home: "node0", Address: bobAddr, Roles: []string{"recorder"}},
			}}
		var out bytes.Buffer
		testnetInitText(&out, m, "build/localnet", "./build/poaledger")
		checkGolden(t, "testnet_init", out.Bytes())
	})
}
