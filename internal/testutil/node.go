package testutil

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"
	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/poaledger/poaledger/config"
	"github.com/poaledger/poaledger/keyring"
	"github.com/poaledger/poaledger/node"
)

// DefaultChainID is StartNode's chain id without WithChainID.
const DefaultChainID = "poaledger-test"

// startTimeout bounds StartNode's wait for block 1.
const startTimeout = 30 * time.Second

// Node is a real single-validator poaledger node running in-process.
type Node struct {
	Home    string
	ChainID string
	RPC     string // tcp://127.0.0.1:port
	HTTP    string // http://127.0.0.1:port
	Admin   keyring.Key
	Node    *node.Node
}

// GenesisFile is the node's genesis.json, the client's trust root in tests.
func (n *Node) GenesisFile() string { return filepath.Join(n.Home, "config", "genesis.json") }

// Option adjusts StartNode.
type Option func(*startOptions)

type startOptions struct {
	chainID   string
	overrides []func(*cmtcfg.Config)
}

// WithChainID sets the chain id InitHome writes into genesis.
func WithChainID(id string) Option { return func(o *startOptions) { o.chainID = id } }

// WithConfig adjusts the CometBFT config after StartNode's defaults (ports,
// Prometheus off, fast timeouts) and before config.toml is written. Several apply
// in order.
func WithConfig(f func(*cmtcfg.Config)) Option {
	return func(o *startOptions) { o.overrides = append(o.overrides, f) }
}

// NewRPC returns a CometBFT HTTP RPC client for addr (tcp:// or http://).
func NewRPC(t testing.TB, addr string) *rpchttp.HTTP {
	t.Helper()
	c, err := rpchttp.New(addr, "/websocket")
	if err != nil {
		t.Fatalf("testutil: rpc client for %s: %v", addr, err)
	}
	return c
}

// StartNode initialises a home in a temp dir (free ports, Prometheus off, fast
// blocks), starts the node and waits until it has produced its first block. The
// node stops when the test ends; its log is dumped if the test failed.
func StartNode(t testing.TB, opts ...Option) *Node {
	t.Helper()
	o := startOptions{chainID: DefaultChainID}
	for _, opt := range opts {
		opt(&o)
	}
	home := t.TempDir()
	if _, err := node.InitHome(node.InitOptions{Home: home, ChainID: o.chainID, Moniker: "val0", Unencrypted: true}); err != nil {
		t.Fatalf("testutil: init home: %v", err)
	}
	cfg, err := config.LoadCometBFT(home)
	if err != nil {
		t.Fatalf("testutil: load config: %v", err)
	}
	ports := FreePorts(t, 2)
	cfg.RPC.ListenAddress = "tcp://127.0.0.1:" + strconv.Itoa(ports[0])
	cfg.P2P.ListenAddress = "tcp://127.0.0.1:" + strconv.Itoa(ports[1])
	cfg.Instrumentation.Prometheus = false
	cfg.Consensus.TimeoutCommit = 100 * time.Millisecond
	cfg.Consensus.TimeoutPropose = 500 * time.Millisecond
	cfg.LogLevel = "error"
	for _, f := range o.overrides {
		f(cfg)
	}
	cmtcfg.WriteConfigFile(filepath.Join(home, "config", "config.toml"), cfg)

	logf, err := os.Create(filepath.Join(home, "node.log"))
	if err != nil {
		t.Fatal(err)
	}
	n, err := node.New(home, node.Options{Version: "test", Registerer: prometheus.NewRegistry(), LogWriter: logf})
	if err != nil {
		logf.Close()
		t.Fatalf("testutil: node.New: %v", err)
	}
	if err := n.Start(); err != nil {
		logf.Close()
		t.Fatalf("testutil: node start: %v", err)
	}
	t.Cleanup(func() {
		if err := n.Stop(); err != nil {
			t.Errorf("testutil: node stop: %v", err)
		}
		logf.Close()
		if t.Failed() {
			if b, err := os.ReadFile(logf.Name()); err == nil && len(b) > 0 {
				t.Logf("node log:\n%s", b)
			}
		}
	})
	admin, err := keyring.New(home).Get(node.AdminKeyName)
	if err != nil {
		t.Fatal(err)
	}
	tn := &Node{Home: home, ChainID: o.chainID, RPC: cfg.RPC.ListenAddress,
		HTTP: "http://" + strings.TrimPrefix(cfg.RPC.ListenAddress, "tcp://"), Admin: admin, Node: n}

	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	rpc := NewRPC(t, tn.RPC)
	if _, err := WaitHeight(ctx, rpc, 1); err != nil {
		t.Fatalf("testutil: node did not produce block 1: %v", err)
	}
	// CometBFT reports block 1 a moment before the app's Commit returns: wait
	// until the app answers for it too, so a test's first query finds state.
	err = Poll(ctx, "the app to commit block 1", func(ctx context.Context) error {
		info, err := rpc.ABCIInfo(ctx)
		if err != nil {
			return err
		}
		if info.Response.LastBlockHeight < 1 {
			return fmt.Errorf("app at height %d", info.Response.LastBlockHeight)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("testutil: %v", err)
	}
	return tn
}
