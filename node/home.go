package node

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
	"unicode/utf8"

	cmtcfg "github.com/cometbft/cometbft/config"
	"github.com/cometbft/cometbft/crypto"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/privval"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/poaledger/poaledger/app"
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
	if _, err := os.Stat(filepath.Join(o.Home, "config", "genesis.json")); err == nil {
		if !o.Force {
			return nil, fmt.Errorf("%w: %s has config/genesis.json (use --force to overwrite; this deletes its chain data and keys)", ErrHomeExists, o.Home)
		}
		for _, d := range []string{"config", "data", "keys", "light"} {
			if err := os.RemoveAll(filepath.Join(o.Home, d)); err != nil {
				return nil, fmt.Errorf("node: %w", err)
			}
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("node: %w", err)
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
