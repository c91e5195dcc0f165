package config

import (
	"fmt"
	"os"
	"path/filepath"

	cmtcfg "github.com/cometbft/cometbft/config"
	"github.com/spf13/viper"
)

// LoadCometBFT reads <home>/config/config.toml into CometBFT's config, resolves paths
// against home and runs CometBFT's ValidateBasic.
func LoadCometBFT(home string) (*cmtcfg.Config, error) {
	path := filepath.Join(home, "config", "config.toml")
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("config: %s: %w (run `poaledger init` first)", path, err)
	}
	v := viper.New()
	v.SetConfigFile(path)
	if err := v.ReadInConfig(); err != nil {
		return nil, fmt.Errorf("config: read %s: %w", path, err)
	}
	c := cmtcfg.DefaultConfig()
	if err := v.Unmarshal(c); err != nil {
		return nil, fmt.Errorf("config: decode %s: %w", path, err)
	}
	c.SetRoot(home)
	if err := c.ValidateBasic(); err != nil {
		return nil, fmt.Errorf("config: %s: %w", path, err)
	}
	return c, nil
}

// NodeDefaults returns CometBFT's config with poaledger's defaults for a small
// permissioned LAN network. Each choice and its reason:
//   - timeout_commit 1s: validators sit on a LAN; 1 s blocks keep latency low without
//     flooding the chain (CometBFT's default is 1 s in v0.38 too, stated for clarity).
//   - create_empty_blocks false with a 30 s interval: an idle ledger does not grow by a
//     block per second, but liveness is still visible; the app hash does not change in an
//     empty block, as CometBFT requires for this setting.
//   - mempool size 10,000 txs / 256 MiB: bounded memory under a burst from members.
//   - max_tx_bytes 1 MiB: equal to the app's own bound (tx.MaxTxBytes).
//   - addr_book_strict false: local testnets use 127.0.0.1 with distinct ports.
//   - allow_duplicate_ip true: several local nodes share 127.0.0.1.
//   - Prometheus on 127.0.0.1:26660: metrics on by default, not exposed off-host.
//   - tx_index kv: `tx_search` finds poaledger.event by id, submitter and EPC.
func NodeDefaults(home, moniker string) *cmtcfg.Config {
	c := cmtcfg.DefaultConfig()
	c.SetRoot(home)
	c.Moniker = moniker
	c.Consensus.TimeoutCommit = 1_000_000_000
	c.Consensus.CreateEmptyBlocks = false
	c.Consensus.CreateEmptyBlocksInterval = 30_000_000_000
	c.Mempool.Size = 10_000
	c.Mempool.MaxTxsBytes = 256 << 20
	c.Mempool.MaxTxBytes = 1 << 20
	c.P2P.AddrBookStrict = false
	c.P2P.AllowDuplicateIP = true
	c.Instrumentation.Prometheus = true
	c.Instrumentation.PrometheusListenAddr = "127.0.0.1:26660"
	c.Instrumentation.Namespace = "cometbft"
	c.TxIndex.Indexer = "kv"
	return c
}
