package config

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"
	"github.com/spf13/viper"

	"github.com/poaledger/poaledger/app/tx"
)

// RPCEnvelopeBytes is what rpc.max_body_bytes allows beyond the base64 of a tx: the
// JSON-RPC envelope of a broadcast_tx_* POST ({"jsonrpc":"2.0","id":...,"method":
// "broadcast_tx_sync","params":{"tx":"..."}}) is under 100 bytes plus the id; 64 KiB
// leaves room for long ids, whitespace and escaped base64 ("\/").
const RPCEnvelopeBytes = 64 << 10

// RPCBodyBytes is the smallest rpc.max_body_bytes that carries a tx of maxTxBytes in a
// broadcast_tx_sync (or _async, _commit) JSON-RPC POST: base64 grows the tx to
// 4*ceil(n/3) bytes and the envelope adds up to RPCEnvelopeBytes. (A GET with the tx in
// the URI is bounded by rpc.max_header_bytes instead; clients POST.)
func RPCBodyBytes(maxTxBytes int64) int64 {
	return 4*((maxTxBytes+2)/3) + RPCEnvelopeBytes
}

// LoadCometBFT reads <home>/config/config.toml into CometBFT's config, resolves paths
// against home and runs CometBFT's ValidateBasic and ValidateCometBFT. Every duration in
// the file must be a Go duration string ("1s", "300ms"); a bare number, which CometBFT's
// decoder would take as nanoseconds, is refused.
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
	if err := checkDurations(v, path); err != nil {
		return nil, err
	}
	c := cmtcfg.DefaultConfig()
	if err := v.Unmarshal(c); err != nil {
		return nil, fmt.Errorf("config: decode %s: %w", path, err)
	}
	c.SetRoot(home)
	if err := c.ValidateBasic(); err != nil {
		return nil, fmt.Errorf("config: %s: %w", path, err)
	}
	if err := ValidateCometBFT(c); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// ValidateCometBFT checks the CometBFT settings that poaledger's limits depend on:
//   - mempool.max_tx_bytes may not exceed the app's bound tx.MaxTxBytes (the app would
//     refuse such txs in CheckTx anyway, after CometBFT had carried them);
//   - rpc.max_body_bytes must carry a broadcast_tx_sync of a mempool.max_tx_bytes tx,
//     i.e. be at least RPCBodyBytes(mempool.max_tx_bytes);
//   - mempool.recheck must stay on: the app's per-signer nonce window and its
//     mempool bound (app.Options.MempoolTxs) are rebuilt by the rechecks after
//     each Commit.
//
// Errors wrap ErrInvalid and name the key and the bound.
func ValidateCometBFT(c *cmtcfg.Config) error {
	maxTx := int64(c.Mempool.MaxTxBytes)
	if maxTx > tx.MaxTxBytes {
		return fmt.Errorf("%w: mempool.max_tx_bytes %d exceeds the app's tx limit %d (tx.MaxTxBytes); set it to at most %d",
			ErrInvalid, maxTx, tx.MaxTxBytes, tx.MaxTxBytes)
	}
	if !c.Mempool.Recheck && c.Mempool.Type != cmtcfg.MempoolTypeNop {
		return fmt.Errorf("%w: mempool.recheck = false is not supported: poaledger's CheckTx rebuilds each signer's waiting nonces and the mempool's count from the rechecks after every block; set it to true",
			ErrInvalid)
	}
	if need := RPCBodyBytes(maxTx); c.RPC.MaxBodyBytes < need {
		return fmt.Errorf("%w: rpc.max_body_bytes %d cannot carry a broadcast_tx_sync of a %d-byte tx (mempool.max_tx_bytes): "+
			"set it to at least %d (base64 4/3 of the tx plus %d bytes of JSON-RPC envelope)",
			ErrInvalid, c.RPC.MaxBodyBytes, maxTx, need, RPCEnvelopeBytes)
	}
	return nil
}

// NodeDefaults returns CometBFT's config with poaledger's defaults for a small
// permissioned LAN network. Each choice and its reason:
//   - timeout_commit 500ms: validators sit on a LAN; a tx waits on average half a
//     block interval for its block, so half a second there keeps the median
//     submit-to-commit latency under a second at half the saturating rate (measured:
//     p50 846 ms at 500 ms vs 995 ms at CometBFT's 1 s default, 4 validators on 2 cores).
//     It does not flood the chain: blocks are made only when txs wait.
//   - create_empty_blocks false with a 30 s interval: an idle ledger does not grow by a
//     block per second, but liveness is still visible; the app hash does not change in an
//     empty block, as CometBFT requires for this setting.
//   - mempool size 10,000 txs / 256 MiB: bounded memory under a burst from members.
//   - max_tx_bytes = tx.MaxTxBytes (1 MiB): the app owns the bound; CometBFT follows it.
//   - max_body_bytes = RPCBodyBytes(tx.MaxTxBytes) (1,463,640): the largest tx the app
//     allows fits through broadcast_tx_sync (CometBFT's 1,000,000 does not).
//   - addr_book_strict false: local testnets use 127.0.0.1 with distinct ports.
//   - allow_duplicate_ip true: several local nodes share 127.0.0.1.
//   - Prometheus on 127.0.0.1:26660: metrics on by default, not exposed off-host.
//   - tx_index kv: `tx_search` finds poaledger.event by id, submitter and EPC.
//   - filter_peers true: CometBFT asks the app about every peer, in and out
//     (/p2p/filter/id/<id>); only nodes admitted in the ledger may connect.
func NodeDefaults(home, moniker string) *cmtcfg.Config {
	c := cmtcfg.DefaultConfig()
	c.SetRoot(home)
	c.Moniker = moniker
	c.Consensus.TimeoutCommit = 500 * time.Millisecond
	c.Consensus.CreateEmptyBlocks = false
	c.Consensus.CreateEmptyBlocksInterval = 30 * time.Second
	c.Mempool.Size = 10_000
	c.Mempool.MaxTxsBytes = 256 << 20
	c.Mempool.MaxTxBytes = tx.MaxTxBytes
	c.RPC.MaxBodyBytes = RPCBodyBytes(tx.MaxTxBytes)
	c.P2P.AddrBookStrict = false
	c.P2P.AllowDuplicateIP = true
	c.Instrumentation.Prometheus = true
	c.Instrumentation.PrometheusListenAddr = "127.0.0.1:26660"
	c.Instrumentation.Namespace = "cometbft"
	c.TxIndex.Indexer = "kv"
	c.FilterPeers = true
	return c
}

var durationType = reflect.TypeOf(time.Duration(0))

// cometDurationKeys lists the config.toml keys ("consensus.timeout_commit", ...) that
// CometBFT decodes into a time.Duration, found from the mapstructure tags of its Config.
func cometDurationKeys() []string {
	var keys []string
	var walk func(t reflect.Type, prefix string)
	walk = func(t reflect.Type, prefix string) {
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name, opts, _ := strings.Cut(f.Tag.Get("mapstructure"), ",")
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			switch {
			case opts == "squash" || (f.Anonymous && name == ""):
				walk(ft, prefix)
			case name == "" || name == "-":
			case f.Type == durationType:
				keys = append(keys, prefix+name)
			case ft.Kind() == reflect.Struct:
				walk(ft, prefix+name+".")
			}
		}
	}
	walk(reflect.TypeOf(cmtcfg.Config{}), "")
	return keys
}

// checkDurations refuses a duration in config.toml that is not a Go duration string:
// CometBFT's decoder takes a bare number as nanoseconds (timeout_commit = 1000 is 1µs).
func checkDurations(v *viper.Viper, path string) error {
	for _, key := range cometDurationKeys() {
		if !v.InConfig(key) {
			continue
		}
		switch val := v.Get(key).(type) {
		case string:
			if _, err := time.ParseDuration(val); err != nil {
				return fmt.Errorf("%w: %s: %s = %q is not a Go duration (e.g. \"1s\", \"300ms\"): %v", ErrInvalid, path, key, val, err)
			}
		default:
			return fmt.Errorf("%w: %s: %s = %v is not a Go duration string; write it with a unit, e.g. \"1s\" or \"300ms\"", ErrInvalid, path, key, val)
		}
	}
	return nil
}
