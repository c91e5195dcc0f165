package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/pelletier/go-toml/v2"

	"github.com/poaledger/poaledger/app/api"
	"github.com/poaledger/poaledger/ledger"
)

// FileName is the app config file inside <home>/config.
const FileName = "poaledger.toml"

// ErrInvalid marks a configuration that failed validation.
var ErrInvalid = errors.New("config: invalid")

// Defaults of poaledger.toml. The ledger cache default is owned by the ledger
// (ledger.DefaultCacheSize), the page size by the query interface
// (api.DefaultPageItems); the others by this package.
const (
	// DefaultMaxPageItems is the page size of list queries (e.g. /members) when the
	// request names no smaller limit; owned by the query interface (api).
	DefaultMaxPageItems = api.DefaultPageItems
	// DefaultSigCacheSize is the number of verified-signature entries cached.
	DefaultSigCacheSize = 20_000
	// DefaultMaxPendingPerSigner is how many txs one signer may have waiting in
	// the mempool: a tenth of CometBFT's default mempool (10,000 txs), so one
	// member cannot fill it.
	DefaultMaxPendingPerSigner = 1_000
	// DefaultLedgerDir is the Badger directory, relative to the home.
	DefaultLedgerDir = "data/ledger"
)

// Limits on configurable values, so a typo cannot exhaust memory.
const (
	// MaxCacheSize bounds ledger.cache_size (nodes; ~100 bytes + value each).
	MaxCacheSize = 50_000_000
	// MaxPageItems bounds app.max_page_items: the ledger never returns more items
	// in one page (ledger.MaxPageItems).
	MaxPageItems = ledger.MaxPageItems
	// MaxSigCacheSize bounds app.sig_cache_size.
	MaxSigCacheSize = 1_000_000
	// MaxPendingPerSignerLimit bounds app.max_pending_txs_per_signer.
	MaxPendingPerSignerLimit = 1_000_000
	// DefaultGCPercent is the Go GC target of a node process (GOGC). A node
	// allocates much short-lived garbage per tx (IAVL clones the nodes of every
	// path it writes); collecting at 4x the live heap instead of 2x halves the
	// GC's CPU share under load (see the README's Benchmarks) for a larger heap.
	DefaultGCPercent = 400
	// MinGCPercent and MaxGCPercent bound runtime.gc_percent.
	MinGCPercent, MaxGCPercent = 25, 10_000
)

// Config is the app's configuration (the CometBFT node has its own config.toml).
type Config struct {
	Ledger LedgerConfig `toml:"ledger" comment:"State store: IAVL tree on Badger v4."`
	App    AppConfig    `toml:"app" comment:"ABCI application."`
	// Runtime is optional in the file: older poaledger.toml files have no such section.
	Runtime RuntimeConfig `toml:"runtime" comment:"Go runtime of the node process."`
}

// RuntimeConfig configures the Go runtime of the node process.
type RuntimeConfig struct {
	// GCPercent is the garbage collector's target (as GOGC); the GOGC environment
	// variable, when set, overrides it.
	GCPercent int `toml:"gc_percent" comment:"Go GC target, as GOGC: collect when the heap grows by this percent over the live heap. 25..10000, default 400 (less GC CPU, a larger heap than Go's 100). The GOGC environment variable overrides it."`
}

// LedgerConfig configures the state store.
type LedgerConfig struct {
	// Dir is the Badger directory, relative to the home unless absolute.
	Dir string `toml:"dir" comment:"Badger directory (relative to the home unless absolute)."`
	// CacheSize is the IAVL node cache size in nodes, 1..MaxCacheSize. 0 is refused:
	// the cache cannot be disabled, and a silent fallback to the default would hide
	// the typo; leave the key out for ledger.DefaultCacheSize.
	CacheSize int `toml:"cache_size" comment:"IAVL node cache, in nodes (~100 bytes + value each): 1..50000000, default 200000. 0 is refused (the cache cannot be disabled); omit the key for the default."`
	// KeepRecent is how many recent versions to keep; 0 keeps every version, so every
	// past state stays provable.
	KeepRecent int64 `toml:"keep_recent" comment:"Versions to keep; 0 keeps all (every past state provable). Default 0."`
}

// AppConfig configures the ABCI application.
type AppConfig struct {
	// MaxPageItems is the page size of list queries (e.g. /members): the default and
	// the upper bound of a request's limit; 1..MaxPageItems.
	MaxPageItems int `toml:"max_page_items" comment:"Items in one page of a list query (e.g. /members): the default and the cap of a request's limit. 1..10000, default 100."`
	// SigCacheSize bounds the CheckTx signature-verification cache (entries); 0
	// disables the cache.
	SigCacheSize int `toml:"sig_cache_size" comment:"Signature cache entries shared by CheckTx and FinalizeBlock: 0..1000000, default 20000; 0 disables the cache."`
	// MaxPendingPerSigner bounds the txs one signer may have waiting in this node's
	// mempool (CheckTx refuses more with over_quota); 0 means no bound.
	MaxPendingPerSigner int `toml:"max_pending_txs_per_signer" comment:"Txs one signer may have waiting in this node's mempool; more are refused (over_quota): 0..1000000, default 1000; 0 means no bound."`
}

// Default returns the configuration written by `poaledger init`.
func Default() Config {
	return Config{
		Ledger: LedgerConfig{Dir: DefaultLedgerDir, CacheSize: ledger.DefaultCacheSize, KeepRecent: 0},
		App: AppConfig{MaxPageItems: DefaultMaxPageItems, SigCacheSize: DefaultSigCacheSize,
			MaxPendingPerSigner: DefaultMaxPendingPerSigner},
		Runtime: RuntimeConfig{GCPercent: DefaultGCPercent},
	}
}

// Validate checks every option and names the first bad one.
func (c Config) Validate() error {
	switch {
	case c.Ledger.Dir == "":
		return fmt.Errorf("%w: ledger.dir is empty", ErrInvalid)
	case c.Ledger.CacheSize == 0:
		return fmt.Errorf("%w: ledger.cache_size 0: the IAVL node cache cannot be disabled; give 1..%d, or omit the key for the default %d",
			ErrInvalid, MaxCacheSize, ledger.DefaultCacheSize)
	case c.Ledger.CacheSize < 0 || c.Ledger.CacheSize > MaxCacheSize:
		return fmt.Errorf("%w: ledger.cache_size %d outside [1, %d]", ErrInvalid, c.Ledger.CacheSize, MaxCacheSize)
	case c.Ledger.KeepRecent < 0:
		return fmt.Errorf("%w: ledger.keep_recent %d is negative (0 keeps all versions)", ErrInvalid, c.Ledger.KeepRecent)
	case c.App.MaxPageItems < 1 || c.App.MaxPageItems > MaxPageItems:
		return fmt.Errorf("%w: app.max_page_items %d outside [1, %d]", ErrInvalid, c.App.MaxPageItems, MaxPageItems)
	case c.App.SigCacheSize < 0 || c.App.SigCacheSize > MaxSigCacheSize:
		return fmt.Errorf("%w: app.sig_cache_size %d outside [0, %d]", ErrInvalid, c.App.SigCacheSize, MaxSigCacheSize)
	case c.App.MaxPendingPerSigner < 0 || c.App.MaxPendingPerSigner > MaxPendingPerSignerLimit:
		return fmt.Errorf("%w: app.max_pending_txs_per_signer %d outside [0, %d]", ErrInvalid, c.App.MaxPendingPerSigner, MaxPendingPerSignerLimit)
	case c.Runtime.GCPercent < MinGCPercent || c.Runtime.GCPercent > MaxGCPercent:
		return fmt.Errorf("%w: runtime.gc_percent %d outside [%d, %d]", ErrInvalid, c.Runtime.GCPercent, MinGCPercent, MaxGCPercent)
	}
	return nil
}

// LedgerDir resolves the ledger directory against home.
func (c Config) LedgerDir(home string) string {
	if filepath.IsAbs(c.Ledger.Dir) {
		return c.Ledger.Dir
	}
	return filepath.Join(home, c.Ledger.Dir)
}

// Path returns <home>/config/poaledger.toml.
func Path(home string) string { return filepath.Join(home, "config", FileName) }

// Load reads and validates <home>/config/poaledger.toml. A missing file yields the
// defaults; unknown keys and bad values are errors naming the file and the key.
func Load(home string) (Config, error) {
	path := Path(home)
	cfg := Default()
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return cfg, nil
	}
	if err != nil {
		return cfg, fmt.Errorf("config: read %s: %w", path, err)
	}
	dec := toml.NewDecoder(bytes.NewReader(data)).DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		var strict *toml.StrictMissingError
		if errors.As(err, &strict) {
			return cfg, fmt.Errorf("%w: %s: %s", ErrInvalid, path, strict.String())
		}
		var de *toml.DecodeError
		if errors.As(err, &de) {
			row, col := de.Position()
			return cfg, fmt.Errorf("%w: %s:%d:%d: %s", ErrInvalid, path, row, col, de.Error())
		}
		return cfg, fmt.Errorf("%w: %s: %v", ErrInvalid, path, err)
	}
	if err := cfg.Validate(); err != nil {
		return cfg, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}

// Save writes cfg to <home>/config/poaledger.toml (0644; it holds no secrets).
func Save(home string, cfg Config) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	data, err := toml.Marshal(cfg)
	if err != nil {
		return fmt.Errorf("config: encode: %w", err)
	}
	header := []byte("# poaledger application config. CometBFT's own settings are in config.toml.\n\n")
	path := Path(home)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	return os.WriteFile(path, append(header, data...), 0o644)
}
