package node_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	cmtcfg "github.com/cometbft/cometbft/config"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/privval"
	cmttypes "github.com/cometbft/cometbft/types"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/poaledger/poaledger/config"
	"github.com/poaledger/poaledger/keyring"
	"github.com/poaledger/poaledger/node"
)

// networkGenesis writes a one-validator network's home and returns it with its
// init result (the network a node joins).
func networkGenesis(t *testing.T) (string, *node.InitResult) {
	t.Helper()
	home := t.TempDir()
	res, err := node.InitHome(node.InitOptions{Home: home, ChainID: "join-test", Unencrypted: true})
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(home, "config", "genesis.json"), res
}

// JoinHome writes a home that joins the network: the genesis byte for byte,
// poaledger's config defaults with the given persistent peers, its own node and
// validator keys (neither known to genesis), no member key; and the node it
// describes builds (a non-validator that is not admitted is not refused).
func TestJoinHome(t *testing.T) {
	gen, net := networkGenesis(t)
	home := filepath.Join(t.TempDir(), "joiner")
	peer := strings.ToUpper(net.NodeID) + "@127.0.0.1:26656"
	res, err := node.JoinHome(node.JoinOptions{Home: home, Genesis: gen, Moniker: "joiner",
		PersistentPeers: " " + peer + " ,"})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := os.ReadFile(gen)
	got, err := os.ReadFile(filepath.Join(home, "config", "genesis.json"))
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("genesis not copied verbatim (%v)", err)
	}
	if res.ChainID != "join-test" || res.Moniker != "joiner" || res.GenesisPower != 10 || res.Home != home {
		t.Errorf("result %+v", res)
	}
	if res.PersistentPeers != net.NodeID+"@127.0.0.1:26656" {
		t.Errorf("persistent peers %q", res.PersistentPeers)
	}

	cfg, err := config.LoadCometBFT(home)
	if err != nil {
		t.Fatal(err)
	}
	def := config.NodeDefaults(home, "joiner")
	if cfg.P2P.PersistentPeers != res.PersistentPeers || cfg.Moniker != "joiner" || !cfg.FilterPeers ||
		cfg.Consensus.TimeoutCommit != def.Consensus.TimeoutCommit || cfg.Mempool.MaxTxBytes != def.Mempool.MaxTxBytes ||
		cfg.TxIndex.Indexer != def.TxIndex.Indexer {
		t.Errorf("config.toml is not poaledger's defaults with the peers: %+v %+v", cfg.P2P, cfg.Consensus)
	}
	if _, err := config.Load(home); err != nil {
		t.Errorf("poaledger.toml: %v", err)
	}

	nk, err := p2p.LoadNodeKey(cfg.NodeKeyFile())
	if err != nil {
		t.Fatal(err)
	}
	if string(nk.ID()) != res.NodeID || res.NodeID == net.NodeID {
		t.Errorf("node id %s (key %s, network's node %s)", res.NodeID, nk.ID(), net.NodeID)
	}
	pv := privval.LoadFilePV(cfg.PrivValidatorKeyFile(), cfg.PrivValidatorStateFile())
	pub, _ := pv.GetPubKey()
	if base64.StdEncoding.EncodeToString(pub.Bytes()) != res.ValidatorPubKey || pub.Address().String() != res.ValidatorAddress {
		t.Errorf("validator key %X, result %s / %s", pub.Bytes(), res.ValidatorPubKey, res.ValidatorAddress)
	}
	doc, _ := cmttypes.GenesisDocFromFile(gen)
	for _, v := range doc.Validators {
		if bytes.Equal(v.PubKey.Bytes(), pub.Bytes()) {
			t.Error("the new validator key is a genesis validator")
		}
	}
	for _, f := range []string{cfg.NodeKeyFile(), cfg.PrivValidatorKeyFile(), cfg.PrivValidatorStateFile()} {
		if st, err := os.Stat(f); err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v %v, want mode 0600", f, err, st)
		}
	}
	if keys, err := keyring.New(home).List(); err != nil || len(keys) != 0 {
		t.Errorf("member keys %v (%v), want none", keys, err)
	}

	n, err := node.New(home, node.Options{Registerer: prometheus.NewRegistry(), LogWriter: io.Discard,
		Override: func(c *cmtcfg.Config) { c.Instrumentation.Prometheus = false }})
	if err != nil {
		t.Fatalf("the joined home does not build a node: %v", err)
	}
	if err := n.Stop(); err != nil {
		t.Error(err)
	}

	// An existing home is refused without Force; with it, it is replaced (new keys).
	if _, err := node.JoinHome(node.JoinOptions{Home: home, Genesis: gen}); !errors.Is(err, node.ErrHomeExists) {
		t.Fatalf("JoinHome over a home: %v", err)
	}
	again, err := node.JoinHome(node.JoinOptions{Home: home, Genesis: gen, Force: true})
	if err != nil {
		t.Fatal(err)
	}
	if again.NodeID == res.NodeID || again.ValidatorPubKey == res.ValidatorPubKey || again.Moniker == "" {
		t.Errorf("--force kept the keys or lost the moniker: %+v", again)
	}
}

// JoinHome refuses a bad genesis or bad peers and then writes nothing.
func TestJoinHomeRefuses(t *testing.T) {
	gen, net := networkGenesis(t)
	raw, _ := os.ReadFile(gen)
	write := func(name, s string) string {
		p := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	doc, err := cmttypes.GenesisDocFromJSON(raw)
	if err != nil {
		t.Fatal(err)
	}
	doc.AppState = []byte(`{"members":[],"nodes":[],"params":{}}`)
	noMembers := filepath.Join(t.TempDir(), "nomembers.json")
	if err := doc.SaveAs(noMembers); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, genesis, peers, want string
	}{
		{"missing genesis", filepath.Join(t.TempDir(), "none.json"), "", "no such file"},
		{"not JSON", write("bad.json", "{"), "", "genesis"},
		{"no validators or chain id", write("empty.json", `{"genesis_time":"2026-01-01T00:00:00Z","chain_id":""}`), "", "chain_id"},
		{"bad app_state", noMembers, "", "app_state"},
		{"peer without id", gen, "127.0.0.1:26656", "NODE_ID@HOST:PORT"},
		{"peer with bad id", gen, "abc@127.0.0.1:26656", "40 hex"},
		{"peer without host", gen, net.NodeID + "@:26656", "no host"},
		{"peer with bad port", gen, net.NodeID + "@127.0.0.1:0", "port"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			home := t.TempDir()
			_, err := node.JoinHome(node.JoinOptions{Home: home, Genesis: c.genesis, PersistentPeers: c.peers})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("JoinHome: %v, want an error mentioning %q", err, c.want)
			}
			if entries, _ := os.ReadDir(home); len(entries) != 0 {
				t.Errorf("a refused JoinHome wrote %d entries into the home", len(entries))
			}
		})
	}
}
