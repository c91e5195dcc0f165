package config

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"

	"github.com/poaledger/poaledger/app/tx"
)

// writeCometConfig writes NodeDefaults as <home>/config/config.toml, with each edit
// (a regexp on one line and its replacement) applied.
func writeCometConfig(t *testing.T, edits ...[2]string) string {
	t.Helper()
	home := t.TempDir()
	if err := os.MkdirAll(filepath.Join(home, "config"), 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(home, "config", "config.toml")
	cmtcfg.WriteConfigFile(path, NodeDefaults(home, "n0"))
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range edits {
		re := regexp.MustCompile(`(?m)^` + e[0] + ` = .*$`)
		if !re.Match(data) {
			t.Fatalf("config.toml has no line %q", e[0])
		}
		data = re.ReplaceAll(data, []byte(e[0]+" = "+e[1]))
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return home
}

func TestLoadCometBFT(t *testing.T) {
	if _, err := LoadCometBFT(t.TempDir()); err == nil || !strings.Contains(err.Error(), "poaledger init") {
		t.Fatalf("missing config.toml: %v", err)
	}
	d := NodeDefaults(t.TempDir(), "n0")
	if err := d.ValidateBasic(); err != nil {
		t.Fatal(err)
	}
	if d.Consensus.CreateEmptyBlocks || !d.Instrumentation.Prometheus || d.TxIndex.Indexer != "kv" {
		t.Fatalf("defaults changed: %+v", d.Consensus)
	}
	// The defaults survive config.toml: durations are written as Go duration strings.
	c, err := LoadCometBFT(writeCometConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	if c.Consensus.TimeoutCommit != 500*time.Millisecond || c.Consensus.CreateEmptyBlocksInterval != 30*time.Second ||
		c.Mempool.MaxTxBytes != tx.MaxTxBytes || c.RPC.MaxBodyBytes != RPCBodyBytes(tx.MaxTxBytes) {
		t.Fatalf("loaded %v %v %d %d", c.Consensus.TimeoutCommit, c.Consensus.CreateEmptyBlocksInterval,
			c.Mempool.MaxTxBytes, c.RPC.MaxBodyBytes)
	}
}

// TestLoadCometBFTRejects: a bad duration names the file, the key and the value; a
// number where a duration belongs is refused (CometBFT would read it as nanoseconds);
// limits that cannot carry the app's largest tx are refused naming the key and bound.
func TestLoadCometBFTRejects(t *testing.T) {
	cases := []struct {
		name string
		edit [2]string
		want []string
	}{
		{"bare number duration", [2]string{"timeout_commit", "1000"}, []string{"consensus.timeout_commit = 1000", "Go duration"}},
		{"float duration", [2]string{"timeout_commit", "1.5"}, []string{"consensus.timeout_commit = 1.5"}},
		{"no unit", [2]string{"timeout_commit", `"1000"`}, []string{`consensus.timeout_commit = "1000"`, "missing unit"}},
		{"bad duration", [2]string{"timeout_broadcast_tx_commit", `"ten seconds"`}, []string{`rpc.timeout_broadcast_tx_commit = "ten seconds"`}},
		{"p2p duration", [2]string{"handshake_timeout", "20"}, []string{"p2p.handshake_timeout = 20"}},
		{"body below 4/3 tx", [2]string{"max_body_bytes", "1000000"},
			[]string{"rpc.max_body_bytes 1000000", "at least " + strconv.FormatInt(RPCBodyBytes(tx.MaxTxBytes), 10)}},
		{"tx above app limit", [2]string{"max_tx_bytes", strconv.Itoa(tx.MaxTxBytes + 1)},
			[]string{"mempool.max_tx_bytes 1048577", "at most 1048576"}},
		{"recheck off", [2]string{"recheck", "false"}, []string{"mempool.recheck = false", "set it to true"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			home := writeCometConfig(t, c.edit)
			_, err := LoadCometBFT(home)
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("LoadCometBFT = %v; want ErrInvalid", err)
			}
			for _, w := range append(c.want, filepath.Join(home, "config", "config.toml")) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
	// A smaller tx limit needs a smaller body: CometBFT's own 1,000,000 then suffices.
	c, err := LoadCometBFT(writeCometConfig(t, [2]string{"max_tx_bytes", "500000"}, [2]string{"max_body_bytes", "1000000"}))
	if err != nil || c.Mempool.MaxTxBytes != 500000 {
		t.Fatalf("max_tx_bytes 500000 with max_body_bytes 1000000: %v", err)
	}
}

func TestCometDurationKeys(t *testing.T) {
	keys := cometDurationKeys()
	for _, k := range []string{"consensus.timeout_commit", "consensus.create_empty_blocks_interval",
		"rpc.timeout_broadcast_tx_commit", "p2p.handshake_timeout", "statesync.discovery_time"} {
		if !slices.Contains(keys, k) {
			t.Errorf("%s missing from %v", k, keys)
		}
	}
}

// TestRPCBodyFitsMaxTx: with the defaults, the JSON-RPC POST of broadcast_tx_sync for a
// tx of tx.MaxTxBytes fits rpc.max_body_bytes, CometBFT's own 1,000,000 does not, and
// the mempool takes exactly the app's bound.
func TestRPCBodyFitsMaxTx(t *testing.T) {
	d := NodeDefaults(t.TempDir(), "n0")
	if err := ValidateCometBFT(d); err != nil {
		t.Fatal(err)
	}
	if d.Mempool.MaxTxBytes != tx.MaxTxBytes {
		t.Fatalf("mempool.max_tx_bytes %d, tx.MaxTxBytes %d", d.Mempool.MaxTxBytes, tx.MaxTxBytes)
	}
	body, err := json.Marshal(map[string]any{
		"jsonrpc": "2.0",
		"id":      "0f5c1f9e-5b7e-4d7c-9d52-1c6f1c9b2a77", // a long (UUID) id
		"method":  "broadcast_tx_sync",
		"params":  map[string]string{"tx": base64.StdEncoding.EncodeToString(make([]byte, tx.MaxTxBytes))},
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := int64(len(body)); n > d.RPC.MaxBodyBytes || n <= cmtcfg.DefaultRPCConfig().MaxBodyBytes {
		t.Fatalf("body of a max tx is %d bytes; max_body_bytes %d, CometBFT default %d",
			n, d.RPC.MaxBodyBytes, cmtcfg.DefaultRPCConfig().MaxBodyBytes)
	}
	for _, n := range []int64{0, 1, 2, 3, 4, tx.MaxTxBytes} {
		if got, b64 := RPCBodyBytes(n), int64(base64.StdEncoding.EncodedLen(int(n))); got != b64+RPCEnvelopeBytes {
			t.Errorf("RPCBodyBytes(%d) = %d, want %d", n, got, b64+RPCEnvelopeBytes)
		}
	}
}
