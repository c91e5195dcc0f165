package testnet

// Shared by the governance (issue 12) and admission (issue 16) scenarios: a
// 4-validator loopback cluster of poaledger processes plus one node the genesis
// does not know, its home made with `poaledger init --genesis` from the
// validators' genesis (the way a new operator joins), and the real CLI binary to
// propose and vote with the validators' authority keys.

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"
	"github.com/cometbft/cometbft/privval"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/poaledger/poaledger/app/api"
	"github.com/poaledger/poaledger/config"
	"github.com/poaledger/poaledger/internal/testutil"
)

// cliTimeout bounds one run of the CLI binary (its own --timeout is 1 minute).
const cliTimeout = 2 * time.Minute

// govValidators is the size of the scenarios' validator set.
const govValidators = 4

// joinOut is what `poaledger init --genesis -o json` prints (the fields used).
type joinOut struct {
	ChainID          string `json:"chain_id"`
	NodeID           string `json:"node_id"`
	ValidatorPubKey  string `json:"validator_pubkey"`
	ValidatorAddress string `json:"validator_address"`
	PersistentPeers  string `json:"persistent_peers"`
	GenesisPower     int64  `json:"genesis_power"`
	Proposals        struct {
		AdmitFull      string `json:"admit_full"`
		AdmitValidator string `json:"admit_validator"`
		AddValidator   string `json:"add_validator"`
	} `json:"proposals"`
}

// cliTxOut is what `poaledger tx ... -o json` prints.
type cliTxOut struct {
	TxHash   string `json:"tx_hash"`
	Height   int64  `json:"height"`
	Code     uint32 `json:"code"`
	Log      string `json:"log"`
	Proposal *struct {
		ID     uint64 `json:"id"`
		Kind   string `json:"kind"`
		Status string `json:"status"`
		Note   string `json:"note"`
	} `json:"proposal"`
}

// govNet is the scenarios' network: validators node0..node3 (index 0..3) and the
// extra node (index govValidators), which runs only once started.
type govNet struct {
	m      *Manifest
	c      *Cluster
	nodes  []*rpcNode // every node, the extra one last
	extra  int        // index of the extra node
	join   joinOut    // what init --genesis printed for it
	valPub []string   // each validator's consensus public key (base64)
	valAdr []string   // each validator's consensus address (upper-case hex)
}

// startGovNet writes the network (validators with fastConsensus, the extra home
// `extraName` with `poaledger init --genesis` and persistent peers to every
// validator, tuned like them), starts the validators and waits for height 2.
func startGovNet(t *testing.T, chainID, extraName string) *govNet {
	t.Helper()
	dir := t.TempDir()
	base := freeBasePort(t, govValidators+1)
	m, err := Init(InitOptions{Dir: dir, Validators: govValidators, ChainID: chainID, BasePort: base, Tune: fastConsensus})
	if err != nil {
		t.Fatal(err)
	}
	g := &govNet{m: m, extra: govValidators}
	var peers []string
	for i := range m.Nodes {
		peers = append(peers, m.Nodes[i].P2P)
		pv := privval.LoadFilePV(filepath.Join(m.HomePath(i), "config", "priv_validator_key.json"),
			filepath.Join(m.HomePath(i), "data", "priv_validator_state.json"))
		pub, err := pv.GetPubKey()
		if err != nil {
			t.Fatal(err)
		}
		g.valPub = append(g.valPub, base64Std(pub.Bytes()))
		g.valAdr = append(g.valAdr, pub.Address().String())
	}

	// The newcomer: `poaledger init --genesis` with the network's genesis.
	home := filepath.Join(dir, extraName)
	out := mustPoaledger(t, "init", "--genesis", filepath.Join(m.HomePath(0), "config", "genesis.json"), "--home", home,
		"--moniker", extraName, "--persistent-peers", strings.Join(peers, ","), "-o", "json")
	if err := json.Unmarshal([]byte(out), &g.join); err != nil || len(g.join.NodeID) != 40 || g.join.ChainID != chainID {
		t.Fatalf("init --genesis printed %v:\n%s", err, out)
	}
	for i := range m.Nodes {
		if g.join.NodeID == m.Nodes[i].NodeID {
			t.Fatalf("the new home reuses %s's node ID", m.Nodes[i].Name)
		}
	}
	cfg, err := config.LoadCometBFT(home)
	if err != nil {
		t.Fatal(err)
	}
	p := base + PortsPerNode*govValidators
	cfg.P2P.ListenAddress = fmt.Sprintf("tcp://127.0.0.1:%d", p+offP2P)
	cfg.RPC.ListenAddress = fmt.Sprintf("tcp://127.0.0.1:%d", p+offRPC)
	cfg.Instrumentation.PrometheusListenAddr = fmt.Sprintf("127.0.0.1:%d", p+offMetrics)
	cfg.RPC.PprofListenAddress = ""
	fastConsensus(govValidators, cfg)
	cmtcfg.WriteConfigFile(filepath.Join(home, "config", "config.toml"), cfg)
	m.Nodes = append(m.Nodes, NodeInfo{Name: extraName, Home: extraName, NodeID: g.join.NodeID, Host: "127.0.0.1",
		RPC: cfg.RPC.ListenAddress, P2P: fmt.Sprintf("%s@127.0.0.1:%d", g.join.NodeID, p+offP2P),
		Metrics: fmt.Sprintf("http://127.0.0.1:%d/metrics", p+offMetrics)})

	g.c = NewCluster(m, testBinary)
	t.Cleanup(func() {
		if err := g.c.StopAll(stopDeadline); err != nil {
			t.Errorf("stopping cluster: %v", err)
		}
		if t.Failed() {
			for i, n := range m.Nodes {
				dumpLogTail(t, n.Name, filepath.Join(m.HomePath(i), LogFile))
			}
		}
	})
	var names, addrs []string
	for _, n := range m.Nodes {
		names, addrs = append(names, n.Name), append(addrs, n.RPC)
	}
	g.nodes = newRPCNodes(t, names, addrs)
	for i := 0; i < govValidators; i++ {
		if err := g.c.Start(i); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), StartupTimeout)
	defer cancel()
	if err := g.c.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	if err := waitHeight(ctx, g.validators(), 2, liveness); err != nil {
		t.Fatal(err)
	}
	return g
}

func (g *govNet) validators(except ...int) []*rpcNode {
	var out []*rpcNode
	for i := 0; i < govValidators; i++ {
		skip := false
		for _, j := range except {
			skip = skip || i == j
		}
		if !skip {
			out = append(out, g.nodes[i])
		}
	}
	return out
}

// startExtra starts the extra node and waits until its RPC answers.
func (g *govNet) startExtra(t *testing.T) {
	t.Helper()
	if err := g.c.Start(g.extra); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), StartupTimeout)
	defer cancel()
	if err := g.c.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
}

// noUnexpectedExits fails the test if a node died without being asked to.
func (g *govNet) noUnexpectedExits(t *testing.T) {
	t.Helper()
	for {
		select {
		case e := <-g.c.Exits():
			t.Errorf("node %s exited unexpectedly: %v %s", e.Node, e.Err, e.Reason)
		default:
			return
		}
	}
}

// runPoaledger runs the poaledger binary (bounded by cliTimeout) and returns its stdout
// and stderr.
func runPoaledger(args ...string) (string, string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), cliTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, testBinary, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.String(), stderr.String(), err
}

func mustPoaledger(t *testing.T, args ...string) string {
	t.Helper()
	out, errOut, err := runPoaledger(args...)
	if err != nil {
		t.Fatalf("poaledger %s: %v\n%s%s", strings.Join(args, " "), err, out, errOut)
	}
	return out
}

// asAuthority runs `poaledger ARGS --from authority --home nodeI --node nodeI's RPC
// --wait -o json`: a tx signed with validator i's authority key, sent to its node.
func (g *govNet) asAuthority(i int, args ...string) (cliTxOut, string, error) {
	args = append(args, "--from", AuthorityKeyName, "--home", g.m.HomePath(i), "--node", g.m.Nodes[i].RPC, "--wait", "-o", "json")
	out, errOut, err := runPoaledger(args...)
	var res cliTxOut
	if err != nil {
		return res, errOut, fmt.Errorf("poaledger %s: %w\n%s%s", strings.Join(args, " "), err, out, errOut)
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		return res, errOut, fmt.Errorf("poaledger %s: output is not JSON: %w\n%s", strings.Join(args, " "), err, out)
	}
	return res, errOut, nil
}

// record runs `poaledger tx record FILE --from recorder --wait -o json` with
// node0's home (which holds the recorder key) through node0.
func (g *govNet) record(file string) (cliTxOut, string, error) {
	out, errOut, err := runPoaledger("tx", "record", file, "--from", RecorderKeyName, "--home", g.m.HomePath(0),
		"--node", g.m.Nodes[0].RPC, "--wait", "-o", "json")
	var res cliTxOut
	if err != nil {
		return res, errOut, fmt.Errorf("poaledger tx record %s: %w\n%s%s", file, err, out, errOut)
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		return res, errOut, fmt.Errorf("poaledger tx record %s: output is not JSON: %w\n%s", file, err, out)
	}
	return res, errOut, nil
}

// waitNode waits until node i has committed height h (deadline liveness).
func (g *govNet) waitNode(t *testing.T, i int, h int64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), liveness)
	defer cancel()
	if _, err := testutil.WaitHeight(ctx, g.nodes[i].rpc, h); err != nil {
		t.Fatalf("%s: %v", g.nodes[i].name, err)
	}
}

// vote3of4 passes a proposal by a 3-of-4 vote through the CLI: node0's authority
// proposes `tx propose ARGS` (its yes vote; 1 of 4 leaves it open), node1's and
// node2's authorities vote yes from their own homes on their own nodes, each
// once its node has the proposal's block. With 4 authorities and the default
// threshold (more than 50%) the second vote, the third yes, passes it at the
// end of its block. It returns the proposal id and that block's height.
func (g *govNet) vote3of4(t *testing.T, args ...string) (uint64, int64) {
	t.Helper()
	res, _, err := g.asAuthority(0, append([]string{"tx", "propose"}, args...)...)
	if err != nil {
		t.Fatal(err)
	}
	if res.Code != 0 || res.Proposal == nil || res.Proposal.Status != "open" {
		t.Fatalf("propose %s: code %d, proposal %+v (want open: 1 yes of 4)", args[0], res.Code, res.Proposal)
	}
	id := res.Proposal.ID
	for k, i := range []int{1, 2} {
		g.waitNode(t, i, res.Height)
		v, _, err := g.asAuthority(i, "tx", "vote", strconv.FormatUint(id, 10), "yes")
		if err != nil {
			t.Fatal(err)
		}
		want := map[int]string{0: "open", 1: "passed"}[k]
		if v.Code != 0 || v.Proposal == nil || v.Proposal.ID != id || v.Proposal.Status != want {
			t.Fatalf("vote %d of node%d on proposal %d (%s): code %d, proposal %+v, want %s", k+2, i, id, args[0], v.Code, v.Proposal, want)
		}
		res = v
	}
	// The ledger agrees: passed, decided in the block of the third yes.
	var p struct {
		Proposal api.Proposal `json:"proposal"`
	}
	out := mustPoaledger(t, "query", "proposal", strconv.FormatUint(id, 10), "--home", g.m.HomePath(2), "--node", g.m.Nodes[2].RPC, "-o", "json")
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatalf("query proposal: %v\n%s", err, out)
	}
	if p.Proposal.Status != "passed" || p.Proposal.DecidedHeight != res.Height || len(p.Proposal.Ballots) != 3 {
		t.Fatalf("proposal %d after the third yes: %+v (vote tx at height %d)", id, p.Proposal.Proposal, res.Height)
	}
	return id, res.Height
}

// validatorSet returns the consensus addresses of node n's validator set at height h.
func validatorSet(ctx context.Context, n *rpcNode, h int64) (map[string]int64, error) {
	out := map[string]int64{}
	err := testutil.Poll(ctx, fmt.Sprintf("%s: validators at %d", n.name, h), func(ctx context.Context) error {
		page, perPage := 1, 100
		res, err := n.rpc.Validators(ctx, &h, &page, &perPage)
		if err != nil {
			return err
		}
		for _, v := range res.Validators {
			out[v.Address.String()] = v.VotingPower
		}
		return nil
	})
	return out, err
}

// commitSigners returns the consensus addresses whose precommit for the block
// is in node n's commit of height h (BlockIDFlagCommit).
func commitSigners(ctx context.Context, n *rpcNode, h int64) (map[string]bool, error) {
	out := map[string]bool{}
	err := testutil.Poll(ctx, fmt.Sprintf("%s: commit %d", n.name, h), func(ctx context.Context) error {
		res, err := n.rpc.Commit(ctx, &h)
		if err != nil {
			return err
		}
		for _, s := range res.Commit.Signatures {
			if s.BlockIDFlag == cmttypes.BlockIDFlagCommit {
				out[s.ValidatorAddress.String()] = true
			}
		}
		return nil
	})
	return out, err
}

// peersOf returns node n's peer count and whether id is among its peers.
func peersOf(ctx context.Context, n *rpcNode, id string) (int, bool, error) {
	ctx, cancel := context.WithTimeout(ctx, testutil.AttemptTimeout)
	defer cancel()
	ni, err := n.rpc.NetInfo(ctx)
	if err != nil {
		return 0, false, fmt.Errorf("%s: net_info: %w", n.name, err)
	}
	has := false
	for _, p := range ni.Peers {
		has = has || string(p.NodeInfo.DefaultNodeID) == id
	}
	return ni.NPeers, has, nil
}

// peerCounts is, for each validator, its peer count and whether id is a peer.
type peerCounts struct {
	peers  []int
	listed int // validators that list id
}

func (c peerCounts) String() string {
	return fmt.Sprintf("validator_peers=%v listing_it=%d/%d", c.peers, c.listed, len(c.peers))
}

func (g *govNet) validatorPeers(ctx context.Context, id string) (peerCounts, error) {
	var c peerCounts
	for _, n := range g.validators() {
		np, has, err := peersOf(ctx, n, id)
		if err != nil {
			return c, err
		}
		c.peers = append(c.peers, np)
		if has {
			c.listed++
		}
	}
	return c, nil
}

// exampleFiles are the documents of the repository's example supply chain.
var exampleFiles = []string{"01-commission.json", "02-pack.json", "03-ship.json", "04-receive.json", "05-transform.json", "06-sensor.json"}

// examplePath is a file of the repository's example supply chain.
func examplePath(t *testing.T, name string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("..", "examples", name))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatal(err)
	}
	return p
}

func base64Std(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
