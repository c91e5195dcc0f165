package node

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	cmtcfg "github.com/cometbft/cometbft/config"
	"github.com/cometbft/cometbft/crypto"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/privval"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/poaledger/poaledger/app"
	"github.com/poaledger/poaledger/app/api"
	"github.com/poaledger/poaledger/app/tx"
	"github.com/poaledger/poaledger/config"
	"github.com/poaledger/poaledger/consensus"
	"github.com/poaledger/poaledger/keyring"
)

// ErrHomeExists is returned by InitHome when the home already holds a node.
var ErrHomeExists = errors.New("node: home already initialised")

// Genesis block limits (consensus params), derived from the app's tx bound.
const (
	// MaxBlockBytes is the genesis block size limit, 4 × tx.MaxTxBytes (4 MiB):
	// CometBFT's ~21 MB default hurts block times (ASA-2023-002). After the header,
	// the last commit and up to MaxEvidenceBytes of evidence, a block holds three
	// maximum-size txs, or many smaller ones.
	MaxBlockBytes = 4 * tx.MaxTxBytes
	// MaxEvidenceBytes bounds the evidence in one block.
	MaxEvidenceBytes = 64 << 10
)

// ValidateChainID checks a chain id for a new network: 1..tx.MaxChainIDLen bytes of
// UTF-8 (the app's bound, which is also CometBFT's), so every tx can name it.
func ValidateChainID(id string) error {
	switch {
	case id == "":
		return fmt.Errorf("node: chain id is empty")
	case len(id) > tx.MaxChainIDLen:
		return fmt.Errorf("node: chain id longer than %d bytes (tx.MaxChainIDLen): %d given", tx.MaxChainIDLen, len(id))
	case !utf8.ValidString(id):
		return fmt.Errorf("node: chain id %q is not valid UTF-8", id)
	}
	return nil
}

// NodeFiles is what WriteNodeFiles created.
type NodeFiles struct {
	Home      string
	Moniker   string
	NodeID    string
	ValPubKey crypto.PubKey
	Config    *cmtcfg.Config
}

// WriteNodeFiles writes CometBFT's config.toml, node key, validator key and state,
// and poaledger.toml into home. cfg may be nil for the defaults.
func WriteNodeFiles(home, moniker string, cfg *cmtcfg.Config) (*NodeFiles, error) {
	if cfg == nil {
		cfg = config.NodeDefaults(home, moniker)
	}
	cfg.SetRoot(home)
	cfg.Moniker = moniker
	for _, d := range []string{filepath.Join(home, "config"), filepath.Join(home, "data")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("node: %w", err)
		}
	}
	if err := cfg.ValidateBasic(); err != nil {
		return nil, fmt.Errorf("node: config: %w", err)
	}
	if err := config.ValidateCometBFT(cfg); err != nil {
		return nil, fmt.Errorf("node: config: %w", err)
	}
	cmtcfg.WriteConfigFile(filepath.Join(home, "config", "config.toml"), cfg)
	nk, err := p2p.LoadOrGenNodeKey(cfg.NodeKeyFile())
	if err != nil {
		return nil, fmt.Errorf("node: node key: %w", err)
	}
	pv := privval.GenFilePV(cfg.PrivValidatorKeyFile(), cfg.PrivValidatorStateFile())
	pv.Save()
	for _, f := range []string{cfg.PrivValidatorKeyFile(), cfg.PrivValidatorStateFile(), cfg.NodeKeyFile()} {
		if err := os.Chmod(f, 0o600); err != nil {
			return nil, fmt.Errorf("node: %w", err)
		}
	}
	if err := config.Save(home, config.Default()); err != nil {
		return nil, err
	}
	pub, err := pv.GetPubKey()
	if err != nil {
		return nil, err
	}
	return &NodeFiles{Home: home, Moniker: moniker, NodeID: string(nk.ID()), ValPubKey: pub, Config: cfg}, nil
}

// GenesisValidator is one validator of a new genesis.
type GenesisValidator struct {
	Name   string
	PubKey crypto.PubKey
	Power  int64
}

// BuildGenesis returns a validated genesis document.
func BuildGenesis(chainID string, genesisTime time.Time, vals []GenesisValidator, state app.GenesisState) (*cmttypes.GenesisDoc, error) {
	if err := state.Validate(); err != nil {
		return nil, err
	}
	raw, err := json.Marshal(state)
	if err != nil {
		return nil, err
	}
	params := cmttypes.DefaultConsensusParams()
	params.Block.MaxBytes = MaxBlockBytes
	params.Evidence.MaxBytes = MaxEvidenceBytes
	doc := &cmttypes.GenesisDoc{
		ChainID:         chainID,
		GenesisTime:     genesisTime.UTC(),
		InitialHeight:   1,
		ConsensusParams: params,
		AppState:        raw,
	}
	for _, v := range vals {
		doc.Validators = append(doc.Validators, cmttypes.GenesisValidator{
			Address: v.PubKey.Address(), PubKey: v.PubKey, Power: v.Power, Name: v.Name,
		})
	}
	if err := doc.ValidateAndComplete(); err != nil {
		return nil, fmt.Errorf("node: genesis: %w", err)
	}
	return doc, nil
}

// InitOptions configure InitHome.
type InitOptions struct {
	Home    string
	ChainID string
	Moniker string
	// Force overwrites an existing home's config, keys and data.
	Force bool
	// GenesisTime; zero means now.
	GenesisTime time.Time
	// Passphrase encrypts the admin key; InitHome asks it once (keyring.Protect)
	// before it writes anything. Required unless Unencrypted.
	Passphrase keyring.PassphraseFunc
	// Unencrypted writes the admin key in plaintext, marked as a test key
	// (`poaledger init --unencrypted`): for throwaway local chains only.
	Unencrypted bool
}

// InitResult describes an initialised home.
type InitResult struct {
	Home, ChainID, Moniker, NodeID string
	AdminAddress, AdminPubKey      string
}

// AdminKeyName is the member key `poaledger init` creates and makes an authority.
const AdminKeyName = "admin"

// adminKeyOption is how InitHome stores the admin key. The passphrase is asked (and
// checked) here, before anything is written, so a missing or short one leaves the
// home untouched.
func adminKeyOption(o InitOptions) (keyring.Option, error) {
	switch {
	case o.Unencrypted:
		return keyring.Unencrypted(), nil
	case o.Passphrase == nil:
		return nil, fmt.Errorf("node: the %s key needs a passphrase to be encrypted with (or Unencrypted, for a test chain)", AdminKeyName)
	}
	pass, err := o.Passphrase(AdminKeyName, keyring.Protect)
	if err != nil {
		return nil, err
	}
	if err := keyring.CheckNewPassphrase(pass); err != nil {
		return nil, err
	}
	return keyring.WithPassphrase(func(string, keyring.Purpose) ([]byte, error) {
		return bytes.Clone(pass), nil
	}), nil
}

// InitHome creates a one-validator chain in o.Home: CometBFT config and genesis (this
// node the only validator), poaledger.toml, and a key "admin" that genesis makes an
// authority (and recorder) member, encrypted with o.Passphrase (or, with
// o.Unencrypted, a plaintext test key). It refuses an existing home unless o.Force.
func InitHome(o InitOptions) (*InitResult, error) {
	if o.ChainID == "" {
		return nil, fmt.Errorf("node: --chain-id is required")
	}
	if err := ValidateChainID(o.ChainID); err != nil {
		return nil, err
	}
	keyOpt, err := adminKeyOption(o)
	if err != nil {
		return nil, err
	}
	if o.Moniker == "" {
		o.Moniker = "node0"
	}
	if err := clearHome(o.Home, o.Force); err != nil {
		return nil, err
	}
	nf, err := WriteNodeFiles(o.Home, o.Moniker, nil)
	if err != nil {
		return nil, err
	}
	admin, err := keyring.New(o.Home, keyOpt).Add(AdminKeyName)
	if err != nil {
		return nil, err
	}
	state := app.DefaultGenesisState(app.GenesisMember{
		PubKey: admin.PubKey, Name: AdminKeyName,
		Roles: []string{consensus.RoleAuthority, consensus.RoleRecorder},
	})
	// The new chain's only node is admitted at genesis, run by the admin member.
	state.Nodes = []app.GenesisNode{{ID: string(nf.NodeID), Role: consensus.NodeValidator, Operator: admin.Address()}}
	gt := o.GenesisTime
	if gt.IsZero() {
		gt = time.Now()
	}
	doc, err := BuildGenesis(o.ChainID, gt, []GenesisValidator{{Name: o.Moniker, PubKey: nf.ValPubKey, Power: 10}}, state)
	if err != nil {
		return nil, err
	}
	if err := doc.SaveAs(nf.Config.GenesisFile()); err != nil {
		return nil, fmt.Errorf("node: write genesis: %w", err)
	}
	return &InitResult{Home: o.Home, ChainID: o.ChainID, Moniker: o.Moniker, NodeID: nf.NodeID,
		AdminAddress: admin.Address(), AdminPubKey: admin.PubKeyBase64()}, nil
}

// clearHome refuses a home that already holds a node (config/genesis.json)
// unless force, in which case it deletes that home's config, chain data, member
// keys and light-client trust.
func clearHome(home string, force bool) error {
	_, err := os.Stat(filepath.Join(home, "config", "genesis.json"))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("node: %w", err)
	case !force:
		return fmt.Errorf("%w: %s has config/genesis.json (use --force to overwrite; this deletes its chain data and keys)", ErrHomeExists, home)
	}
	for _, d := range []string{"config", "data", "keys", "light"} {
		if err := os.RemoveAll(filepath.Join(home, d)); err != nil {
			return fmt.Errorf("node: %w", err)
		}
	}
	return nil
}

// JoinOptions configure JoinHome.
type JoinOptions struct {
	Home string
	// Genesis is the path of the running network's genesis.json.
	Genesis string
	// Moniker is this node's name; empty means the host name.
	Moniker string
	// PersistentPeers, comma-separated ID@HOST:PORT, go into config.toml.
	PersistentPeers string
	// Force overwrites an existing home's config, keys and data.
	Force bool
}

// JoinResult describes a home that JoinHome wrote.
type JoinResult struct {
	Home    string `json:"home"`
	ChainID string `json:"chain_id"`
	Moniker string `json:"moniker"`
	// NodeID is what an authority admits with `tx propose admit-node`.
	NodeID string `json:"node_id"`
	// ValidatorPubKey (base64 ed25519, as in priv_validator_key.json) is what an
	// authority adds with `tx propose add-validator`; ValidatorAddress is its
	// consensus address (hex), as /validators and commit signatures show it.
	ValidatorPubKey  string `json:"validator_pubkey"`
	ValidatorAddress string `json:"validator_address"`
	PersistentPeers  string `json:"persistent_peers"`
	// GenesisPower is the genesis validators' total voting power; a validator
	// added in one block must have under a third of the set's power then.
	GenesisPower int64 `json:"genesis_power"`
}

// JoinHome creates a home for a node that joins a running network: CometBFT's
// config.toml with poaledger's defaults (persistent_peers from o), a new node
// key and validator key, poaledger.toml, and the network's genesis.json, copied
// byte for byte once it parses and validates (CometBFT's ValidateAndComplete, the
// app's ParseGenesisState). It writes no member key: genesis does not know this
// node, so the network's authorities must admit its node ID (admit-node), and
// add its validator key (add-validator) if it is to validate. It refuses an
// existing home unless o.Force.
func JoinHome(o JoinOptions) (*JoinResult, error) {
	if o.Genesis == "" {
		return nil, fmt.Errorf("node: the network's genesis file is required")
	}
	raw, err := os.ReadFile(o.Genesis)
	if err != nil {
		return nil, fmt.Errorf("node: genesis: %w", err)
	}
	doc, err := cmttypes.GenesisDocFromJSON(raw) // runs ValidateAndComplete
	if err != nil {
		return nil, fmt.Errorf("node: genesis %s: %w", o.Genesis, err)
	}
	if err := ValidateChainID(doc.ChainID); err != nil {
		return nil, fmt.Errorf("node: genesis %s: %w", o.Genesis, err)
	}
	if _, err := app.ParseGenesisState(doc.AppState); err != nil {
		return nil, fmt.Errorf("node: genesis %s: %w", o.Genesis, err)
	}
	peers, err := parsePeers(o.PersistentPeers)
	if err != nil {
		return nil, err
	}
	if o.Moniker == "" {
		if o.Moniker, err = os.Hostname(); err != nil || o.Moniker == "" {
			o.Moniker = "node"
		}
	}
	if err := clearHome(o.Home, o.Force); err != nil {
		return nil, err
	}
	cfg := config.NodeDefaults(o.Home, o.Moniker)
	cfg.P2P.PersistentPeers = peers
	nf, err := WriteNodeFiles(o.Home, o.Moniker, cfg)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(nf.Config.GenesisFile(), raw, 0o644); err != nil {
		return nil, fmt.Errorf("node: write genesis: %w", err)
	}
	var power int64
	for _, v := range doc.Validators {
		power += v.Power
	}
	return &JoinResult{Home: o.Home, ChainID: doc.ChainID, Moniker: o.Moniker, NodeID: nf.NodeID,
		ValidatorPubKey:  base64.StdEncoding.EncodeToString(nf.ValPubKey.Bytes()),
		ValidatorAddress: nf.ValPubKey.Address().String(),
		PersistentPeers:  peers, GenesisPower: power}, nil
}

// parsePeers checks the form of a comma-separated list of NODE_ID@HOST:PORT
// (without resolving HOST: CometBFT does that when the node starts) and returns
// it without blanks.
func parsePeers(s string) (string, error) {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		id, addr, ok := strings.Cut(p, "@")
		if !ok {
			return "", fmt.Errorf("node: persistent peer %q: want NODE_ID@HOST:PORT", p)
		}
		if _, err := api.ParseNodeID(id); err != nil {
			return "", fmt.Errorf("node: persistent peer %q: %w", p, err)
		}
		host, port, err := net.SplitHostPort(addr)
		if err == nil && host == "" {
			err = errors.New("no host")
		}
		if n, perr := strconv.Atoi(port); err == nil && (perr != nil || n < 1 || n > 65535) {
			err = fmt.Errorf("port %q", port)
		}
		if err != nil {
			return "", fmt.Errorf("node: persistent peer %q: %v (want NODE_ID@HOST:PORT)", p, err)
		}
		out = append(out, strings.ToLower(id)+"@"+addr)
	}
	return strings.Join(out, ","), nil
}
