package testnet

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/poaledger/poaledger/app"
	"github.com/poaledger/poaledger/app/tx"
	"github.com/poaledger/poaledger/config"
	"github.com/poaledger/poaledger/consensus"

	cmttypes "github.com/cometbft/cometbft/types"
)

func TestInitLoopback(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "net")
	m, err := Init(InitOptions{Dir: dir, Validators: 4, NonValidators: 1, BasePort: 30000})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Nodes) != 5 {
		t.Fatalf("%d nodes, want 5", len(m.Nodes))
	}
	ports := map[string]string{}
	var genesis []byte
	for i, n := range m.Nodes {
		if n.Validator != (i < 4) {
			t.Errorf("%s validator=%v", n.Name, n.Validator)
		}
		c, err := config.LoadCometBFT(m.HomePath(i))
		if err != nil {
			t.Fatal(err)
		}
		for _, addr := range []string{c.P2P.ListenAddress, c.RPC.ListenAddress, "tcp://" + c.Instrumentation.PrometheusListenAddr} {
			if !strings.HasPrefix(addr, "tcp://127.0.0.1:") {
				t.Errorf("%s listens on %s, want 127.0.0.1", n.Name, addr)
			}
			if other, dup := ports[addr]; dup {
				t.Errorf("%s and %s both use %s", other, n.Name, addr)
			}
			ports[addr] = n.Name
		}
		if c.RPC.ListenAddress != n.RPC {
			t.Errorf("%s: manifest rpc %s, config %s", n.Name, n.RPC, c.RPC.ListenAddress)
		}
		peers := strings.Split(c.P2P.PersistentPeers, ",")
		if len(peers) != 4 {
			t.Errorf("%s has %d persistent peers, want 4", n.Name, len(peers))
		}
		for j, o := range m.Nodes {
			listed := strings.Contains(c.P2P.PersistentPeers, o.P2P)
			if listed != (i != j) {
				t.Errorf("%s lists %s as peer: %v", n.Name, o.Name, listed)
			}
		}
		g, err := os.ReadFile(c.GenesisFile())
		if err != nil {
			t.Fatal(err)
		}
		if genesis == nil {
			genesis = g
		} else if !bytes.Equal(g, genesis) {
			t.Errorf("%s has a different genesis", n.Name)
		}
		for _, f := range []string{c.PrivValidatorKeyFile(), c.NodeKeyFile(), filepath.Join(m.HomePath(i), "keys", AuthorityKeyName+".json")} {
			if i >= 4 && strings.HasSuffix(f, AuthorityKeyName+".json") {
				if _, err := os.Stat(f); err == nil {
					t.Errorf("full node %s has an authority key", n.Name)
				}
				continue
			}
			st, err := os.Stat(f)
			if err != nil {
				t.Fatal(err)
			}
			if st.Mode().Perm() != 0o600 {
				t.Errorf("%s mode %o, want 600", f, st.Mode().Perm())
			}
		}
	}
	doc, err := cmttypes.GenesisDocFromJSON(genesis)
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.Validators) != 4 {
		t.Fatalf("%d genesis validators, want 4", len(doc.Validators))
	}
	for _, v := range doc.Validators {
		if v.Power != ValidatorPower {
			t.Errorf("validator %s power %d", v.Name, v.Power)
		}
	}
	st, err := app.ParseGenesisState(doc.AppState)
	if err != nil {
		t.Fatal(err)
	}
	var auth, rec int
	for _, mb := range st.Members {
		for _, r := range mb.Roles {
			switch r {
			case consensus.RoleAuthority:
				auth++
			case consensus.RoleRecorder:
				rec++
			}
		}
	}
	if auth != 4 || rec != 1 {
		t.Errorf("genesis has %d authorities and %d recorders, want 4 and 1", auth, rec)
	}
	if st, err := os.Stat(filepath.Join(m.HomePath(0), "keys", RecorderKeyName+".json")); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("recorder key in node0: %v", err)
	}
	loaded, err := LoadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(loaded.Nodes) != 5 || loaded.Nodes[3].RPC != m.Nodes[3].RPC || loaded.ChainID != DefaultChainID {
		t.Errorf("manifest round trip: %+v", loaded)
	}
}

func TestInitRefusesNonEmptyDir(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "x"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Init(InitOptions{Dir: dir, Validators: 1})
	if !errors.Is(err, ErrNotEmpty) {
		t.Fatalf("got %v, want ErrNotEmpty", err)
	}
	if _, err := Init(InitOptions{Dir: dir, Validators: 1, Force: true}); err != nil {
		t.Fatalf("with Force: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "x")); err != nil {
		t.Errorf("Force removed a file it did not write: %v", err)
	}
	if _, err := Init(InitOptions{Dir: dir, Validators: 1}); !errors.Is(err, ErrNotEmpty) {
		t.Fatalf("second Init: %v", err)
	}
}

func TestInitHostnames(t *testing.T) {
	dir := t.TempDir()
	m, err := Init(InitOptions{Dir: dir, Validators: 4, Hostnames: DockerHostnames(4)})
	if err != nil {
		t.Fatal(err)
	}
	for i, n := range m.Nodes {
		c, err := config.LoadCometBFT(m.HomePath(i))
		if err != nil {
			t.Fatal(err)
		}
		if c.P2P.ListenAddress != "tcp://0.0.0.0:26656" || c.RPC.ListenAddress != "tcp://0.0.0.0:26657" ||
			c.Instrumentation.PrometheusListenAddr != "0.0.0.0:26660" {
			t.Errorf("%s: listen %s %s %s", n.Name, c.P2P.ListenAddress, c.RPC.ListenAddress, c.Instrumentation.PrometheusListenAddr)
		}
		for j := range m.Nodes {
			peer := m.Nodes[j].NodeID + "@node" + string(rune('0'+j)) + ":26656"
			if strings.Contains(c.P2P.PersistentPeers, peer) != (i != j) {
				t.Errorf("%s peers %q (looking for %s)", n.Name, c.P2P.PersistentPeers, peer)
			}
		}
	}
}

func TestInitRejectsBadOptions(t *testing.T) {
	for name, o := range map[string]InitOptions{
		"no validators":  {Validators: 0},
		"too many nodes": {Validators: MaxNodes, NonValidators: 1},
		"port overflow":  {Validators: 4, BasePort: 65530},
		"hostname count": {Validators: 2, Hostnames: []string{"a"}},
		"bad hostname":   {Validators: 1, Hostnames: []string{"a b"}},
		"dup hostname":   {Validators: 2, Hostnames: []string{"a", "a"}},
		"long chain id":  {Validators: 1, ChainID: strings.Repeat("x", tx.MaxChainIDLen+1)},
	} {
		t.Run(name, func(t *testing.T) {
			o.Dir = t.TempDir()
			if _, err := Init(o); !errors.Is(err, ErrBadOptions) {
				t.Fatalf("got %v, want ErrBadOptions", err)
			}
		})
	}
}
