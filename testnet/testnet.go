package testnet

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"

	"github.com/poaledger/poaledger/app"
	"github.com/poaledger/poaledger/config"
	"github.com/poaledger/poaledger/consensus"
	"github.com/poaledger/poaledger/keyring"
	"github.com/poaledger/poaledger/node"
)

// Limits and defaults of a generated testnet.
const (
	MaxNodes         = 64    // validators plus full nodes
	DefaultBasePort  = 26600 // first port of node0's block on 127.0.0.1
	PortsPerNode     = 10    // each node owns ports base+10*i .. base+10*i+9
	ValidatorPower   = 10    // every validator gets the same power
	ManifestFile     = "testnet.json"
	AuthorityKeyName = "authority" // member key in every validator's home
	RecorderKeyName  = "recorder"  // member key in node0's home, role recorder only

	// DefaultChainID is the chain id of a testnet on 127.0.0.1 (`make localnet`),
	// DefaultComposeChainID that of one in hostname mode (--docker: `make
	// compose-up`): a home of one used against the other is refused by chain id,
	// not with a confusing header-time error.
	DefaultChainID        = "poaledger-localnet"
	DefaultComposeChainID = "poaledger-compose"

	// Standard ports used in hostname (Docker) mode.
	DockerP2PPort     = 26656
	DockerRPCPort     = 26657
	DockerMetricsPort = 26660
)

// Port offsets inside a node's block.
const (
	offP2P     = 0
	offRPC     = 1
	offMetrics = 2
)

var (
	// ErrNotEmpty is returned by Init when the output directory is not empty and
	// Force is not set.
	ErrNotEmpty = errors.New("testnet: output directory is not empty")
	// ErrBadOptions wraps every invalid InitOptions.
	ErrBadOptions = errors.New("testnet: invalid options")
)

var hostnameRE = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$`)

// InitOptions configure Init.
type InitOptions struct {
	Dir           string // output directory; created if absent
	Validators    int    // >= 1
	NonValidators int    // full nodes, >= 0
	ChainID       string // DefaultChainID if empty
	BasePort      int    // DefaultBasePort if zero; loopback mode only
	// Hostnames, one per node (validators first), switch to hostname mode: every
	// node listens on 0.0.0.0 at the standard ports and peers dial host:26656.
	Hostnames []string
	// Force allows a non-empty Dir; node directories and testnet.json in it are
	// replaced.
	Force bool
	// GenesisTime; zero means now.
	GenesisTime time.Time
	// Tune, if set, adjusts each node's CometBFT config after the testnet's own
	// settings (the fault suite shortens consensus timeouts with it).
	Tune func(index int, c *cmtcfg.Config)
}

// NodeInfo describes one node of a testnet.
type NodeInfo struct {
	Name      string `json:"name"`
	Home      string `json:"home"` // relative to the testnet directory
	NodeID    string `json:"node_id"`
	Validator bool   `json:"validator"`
	Host      string `json:"host"`    // where the others reach it
	RPC       string `json:"rpc"`     // CometBFT RPC, e.g. tcp://127.0.0.1:26601
	P2P       string `json:"p2p"`     // id@host:port as used in persistent_peers
	Metrics   string `json:"metrics"` // Prometheus endpoint, e.g. http://127.0.0.1:26602/metrics
}

// KeyInfo names a member key and the home whose keyring holds it.
type KeyInfo struct {
	Name    string   `json:"name"`
	Home    string   `json:"home"` // relative to the testnet directory
	Address string   `json:"address"`
	Roles   []string `json:"roles"`
}

// Manifest is DIR/testnet.json.
type Manifest struct {
	ChainID string     `json:"chain_id"`
	Docker  bool       `json:"hostname_mode"`
	Nodes   []NodeInfo `json:"nodes"`
	Keys    []KeyInfo  `json:"keys"`
	dir     string
}

// Dir is the testnet directory the manifest was loaded from or written to.
func (m *Manifest) Dir() string { return m.dir }

// HomePath is the absolute (or Dir-relative) home directory of node i.
func (m *Manifest) HomePath(i int) string { return filepath.Join(m.dir, m.Nodes[i].Home) }

// Recorder returns the recorder key entry.
func (m *Manifest) Recorder() (KeyInfo, bool) {
	for _, k := range m.Keys {
		if k.Name == RecorderKeyName {
			return k, true
		}
	}
	return KeyInfo{}, false
}

// DockerHostnames returns node0..node{n-1}, the hostnames of `--docker`.
func DockerHostnames(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("node%d", i)
	}
	return out
}

func (o *InitOptions) validate() error {
	if o.ChainID == "" {
		o.ChainID = DefaultChainID
		if len(o.Hostnames) > 0 {
			o.ChainID = DefaultComposeChainID
		}
	}
	if o.BasePort == 0 {
		o.BasePort = DefaultBasePort
	}
	n := o.Validators + o.NonValidators
	switch {
	case o.Dir == "":
		return fmt.Errorf("%w: output directory is required", ErrBadOptions)
	case o.Validators < 1:
		return fmt.Errorf("%w: --validators %d: need at least 1", ErrBadOptions, o.Validators)
	case o.NonValidators < 0:
		return fmt.Errorf("%w: --non-validators %d is negative", ErrBadOptions, o.NonValidators)
	case n > MaxNodes:
		return fmt.Errorf("%w: %d nodes, at most %d", ErrBadOptions, n, MaxNodes)
	case o.BasePort < 1024 || o.BasePort+PortsPerNode*n > 65535:
		return fmt.Errorf("%w: --base-port %d: ports %d..%d must lie in 1024..65535", ErrBadOptions,
			o.BasePort, o.BasePort, o.BasePort+PortsPerNode*n-1)
	case len(o.Hostnames) > 0 && len(o.Hostnames) != n:
		return fmt.Errorf("%w: %d hostnames for %d nodes", ErrBadOptions, len(o.Hostnames), n)
	}
	if err := node.ValidateChainID(o.ChainID); err != nil {
		return fmt.Errorf("%w: %v", ErrBadOptions, err)
	}
	seen := map[string]bool{}
	for _, h := range o.Hostnames {
		if !hostnameRE.MatchString(h) {
			return fmt.Errorf("%w: hostname %q", ErrBadOptions, h)
		}
		if seen[h] {
			return fmt.Errorf("%w: hostname %q given twice", ErrBadOptions, h)
		}
		seen[h] = true
	}
	return nil
}

// prepareDir creates dir or checks it is empty; with force it removes what a
// previous Init wrote there.
func prepareDir(dir string, force bool) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return os.MkdirAll(dir, 0o755)
	}
	if err != nil {
		return fmt.Errorf("testnet: %w", err)
	}
	if len(entries) == 0 {
		return nil
	}
	if !force {
		return fmt.Errorf("%w: %s has %d entries (use --force to replace node directories and %s)",
			ErrNotEmpty, dir, len(entries), ManifestFile)
	}
	nodeDir := regexp.MustCompile(`^node[0-9]+$`)
	for _, e := range entries {
		if e.Name() == ManifestFile || (e.IsDir() && nodeDir.MatchString(e.Name())) {
			if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
				return fmt.Errorf("testnet: %w", err)
			}
		}
	}
	return nil
}

// Init writes a new testnet into o.Dir and returns its manifest.
func Init(o InitOptions) (*Manifest, error) {
	if err := o.validate(); err != nil {
		return nil, err
	}
	if err := prepareDir(o.Dir, o.Force); err != nil {
		return nil, err
	}
	n := o.Validators + o.NonValidators
	hostMode := len(o.Hostnames) > 0
	m := &Manifest{ChainID: o.ChainID, Docker: hostMode, dir: o.Dir}
	cfgs := make([]*cmtcfg.Config, n)
	var vals []node.GenesisValidator
	var members []app.GenesisMember
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("node%d", i)
		home := filepath.Join(o.Dir, name)
		c := config.NodeDefaults(home, name)
		info := NodeInfo{Name: name, Home: name, Validator: i < o.Validators}
		var p2pPort int
		if hostMode {
			info.Host = o.Hostnames[i]
			p2pPort = DockerP2PPort
			c.P2P.ListenAddress = fmt.Sprintf("tcp://0.0.0.0:%d", DockerP2PPort)
			c.P2P.ExternalAddress = fmt.Sprintf("%s:%d", info.Host, DockerP2PPort)
			c.RPC.ListenAddress = fmt.Sprintf("tcp://0.0.0.0:%d", DockerRPCPort)
			c.Instrumentation.PrometheusListenAddr = fmt.Sprintf("0.0.0.0:%d", DockerMetricsPort)
			info.RPC = fmt.Sprintf("tcp://%s:%d", info.Host, DockerRPCPort)
			info.Metrics = fmt.Sprintf("http://%s:%d/metrics", info.Host, DockerMetricsPort)
		} else {
			info.Host = "127.0.0.1"
			base := o.BasePort + PortsPerNode*i
			p2pPort = base + offP2P
			c.P2P.ListenAddress = fmt.Sprintf("tcp://127.0.0.1:%d", p2pPort)
			c.RPC.ListenAddress = fmt.Sprintf("tcp://127.0.0.1:%d", base+offRPC)
			c.Instrumentation.PrometheusListenAddr = fmt.Sprintf("127.0.0.1:%d", base+offMetrics)
			info.RPC = fmt.Sprintf("tcp://127.0.0.1:%d", base+offRPC)
			info.Metrics = fmt.Sprintf("http://127.0.0.1:%d/metrics", base+offMetrics)
		}
		c.RPC.PprofListenAddress = ""
		if o.Tune != nil {
			o.Tune(i, c)
		}
		nf, err := node.WriteNodeFiles(home, name, c)
		if err != nil {
			return nil, err
		}
		info.NodeID = nf.NodeID
		info.P2P = fmt.Sprintf("%s@%s:%d", nf.NodeID, info.Host, p2pPort)
		cfgs[i] = nf.Config
		if info.Validator {
			vals = append(vals, node.GenesisValidator{Name: name, PubKey: nf.ValPubKey, Power: ValidatorPower})
			k, err := keyring.New(home, keyring.Unencrypted()).Add(AuthorityKeyName) // a throwaway local network: test keys
			if err != nil {
				return nil, err
			}
			members = append(members, app.GenesisMember{PubKey: k.PubKey, Name: "authority-" + name,
				Roles: []string{consensus.RoleAuthority}})
			m.Keys = append(m.Keys, KeyInfo{Name: AuthorityKeyName, Home: name, Address: k.Address(),
				Roles: []string{consensus.RoleAuthority}})
		}
		m.Nodes = append(m.Nodes, info)
	}
	rec, err := keyring.New(filepath.Join(o.Dir, m.Nodes[0].Home), keyring.Unencrypted()).Add(RecorderKeyName)
	if err != nil {
		return nil, err
	}
	members = append(members, app.GenesisMember{PubKey: rec.PubKey, Name: RecorderKeyName,
		Roles: []string{consensus.RoleRecorder}})
	m.Keys = append(m.Keys, KeyInfo{Name: RecorderKeyName, Home: m.Nodes[0].Home, Address: rec.Address(),
		Roles: []string{consensus.RoleRecorder}})

	gt := o.GenesisTime
	if gt.IsZero() {
		gt = time.Now()
	}
	// Every node of the testnet is admitted at genesis (filter_peers): each
	// validator run by its own authority, full nodes by the first validator's.
	state := app.DefaultGenesisState(members...)
	for _, n := range m.Nodes {
		g := app.GenesisNode{ID: n.NodeID, Role: consensus.NodeFull, Operator: m.Keys[0].Address}
		if n.Validator {
			g.Role = consensus.NodeValidator
			for _, k := range m.Keys {
				if k.Home == n.Home && k.Name == AuthorityKeyName {
					g.Operator = k.Address
				}
			}
		}
		state.Nodes = append(state.Nodes, g)
	}
	doc, err := node.BuildGenesis(o.ChainID, gt, vals, state)
	if err != nil {
		return nil, err
	}
	for i, c := range cfgs {
		var peers []string
		for j, other := range m.Nodes {
			if j != i {
				peers = append(peers, other.P2P)
			}
		}
		c.P2P.PersistentPeers = strings.Join(peers, ",")
		cmtcfg.WriteConfigFile(filepath.Join(m.HomePath(i), "config", "config.toml"), c)
		if err := doc.SaveAs(c.GenesisFile()); err != nil {
			return nil, fmt.Errorf("testnet: write genesis: %w", err)
		}
	}
	if err := m.save(); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *Manifest) save() error {
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("testnet: encode manifest: %w", err)
	}
	return os.WriteFile(filepath.Join(m.dir, ManifestFile), append(data, '\n'), 0o644)
}

// LoadManifest reads DIR/testnet.json.
func LoadManifest(dir string) (*Manifest, error) {
	data, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if err != nil {
		return nil, fmt.Errorf("testnet: %w (create one with `poaledger testnet init`)", err)
	}
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("testnet: %s: %w", filepath.Join(dir, ManifestFile), err)
	}
	if len(m.Nodes) == 0 || len(m.Nodes) > MaxNodes {
		return nil, fmt.Errorf("testnet: %s: %d nodes, want 1..%d", filepath.Join(dir, ManifestFile), len(m.Nodes), MaxNodes)
	}
	for _, n := range m.Nodes {
		if n.Home == "" || filepath.IsAbs(n.Home) || strings.Contains(n.Home, "..") {
			return nil, fmt.Errorf("testnet: %s: node %s: home %q must be a plain relative path", filepath.Join(dir, ManifestFile), n.Name, n.Home)
		}
	}
	m.dir = dir
	return &m, nil
}
