package node_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	cmtcfg "github.com/cometbft/cometbft/config"
	cmttypes "github.com/cometbft/cometbft/types"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/poaledger/poaledger/app/tx"
	"github.com/poaledger/poaledger/config"
	"github.com/poaledger/poaledger/internal/testutil"
	"github.com/poaledger/poaledger/node"
)

// rpcPost POSTs a broadcast_tx_sync JSON-RPC request for txBytes to url, built by hand so
// the body on the wire is exactly what a client sends. It returns the HTTP status, the
// response body and the request body's size.
func rpcPost(t *testing.T, url string, txBytes []byte) (int, []byte, int) {
	t.Helper()
	body := []byte(`{"jsonrpc":"2.0","id":"limits-test","method":"broadcast_tx_sync","params":{"tx":"` +
		base64.StdEncoding.EncodeToString(txBytes) + `"}}`)
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, out, len(body)
}

// TestBroadcastMaxTxPassesRPCBodyLimit runs a node with the default config and submits,
// through broadcast_tx_sync over plain HTTP, a tx of tx.MaxTxBytes bytes (the largest
// the app allows). Its JSON-RPC body is well above CometBFT's default max_body_bytes
// (1,000,000), which answered such a request with HTTP 400 "request body too large".
// The tx is garbage, so the app refuses it in CheckTx with a non-zero code; that
// refusal proves the tx crossed the RPC and the mempool and reached the app.
func TestBroadcastMaxTxPassesRPCBodyLimit(t *testing.T) {
	tn := testutil.StartNode(t, testutil.WithChainID("limits-test"))
	limit := tn.Node.CometBFT().Config().RPC.MaxBodyBytes
	if limit != config.RPCBodyBytes(tx.MaxTxBytes) {
		t.Fatalf("rpc.max_body_bytes %d, want config.RPCBodyBytes(tx.MaxTxBytes) = %d", limit, config.RPCBodyBytes(tx.MaxTxBytes))
	}
	url := tn.HTTP + "/"

	big := bytes.Repeat([]byte{0xA5}, tx.MaxTxBytes)
	status, out, size := rpcPost(t, url, big)
	if size <= 1_000_000 || int64(size) > limit {
		t.Fatalf("request body %d bytes: want above CometBFT's default 1000000 and at most %d", size, limit)
	}
	if status != http.StatusOK {
		t.Fatalf("broadcast_tx_sync of a %d-byte tx (%d-byte body): HTTP %d: %.300s", len(big), size, status, out)
	}
	var res struct {
		Result *struct {
			Code uint32 `json:"code"`
			Log  string `json:"log"`
		} `json:"result"`
		Error *struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
			Data    string `json:"data"`
		} `json:"error"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("response %.300s: %v", out, err)
	}
	if res.Error != nil || res.Result == nil {
		t.Fatalf("broadcast_tx_sync of a %d-byte tx: JSON-RPC error %+v", len(big), res.Error)
	}
	if res.Result.Code == 0 {
		t.Fatalf("the app accepted a garbage tx: %+v", res.Result)
	}
	t.Logf("%d-byte tx, %d-byte body (limit %d): CheckTx code %d: %s", len(big), size, limit, res.Result.Code, res.Result.Log)

	// The measure is real: a body just over the limit is refused by the transport.
	over := make([]byte, (limit-int64(size-len(base64.StdEncoding.EncodeToString(big))))/4*3+3)
	status, out, size = rpcPost(t, url, over)
	if int64(size) <= limit || status != http.StatusBadRequest || !strings.Contains(string(out), "too large") {
		t.Fatalf("%d-byte body over the %d limit: HTTP %d: %.300s", size, limit, status, out)
	}
}

// TestNewRefusesRPCBodyTooSmall: a config.toml whose rpc.max_body_bytes cannot carry a
// tx of mempool.max_tx_bytes, or whose mempool.max_tx_bytes exceeds the app's bound, is
// refused at startup with an error naming the key and the required bound.
func TestNewRefusesRPCBodyTooSmall(t *testing.T) {
	home := t.TempDir()
	if _, err := node.InitHome(node.InitOptions{Home: home, ChainID: "limits-test", Unencrypted: true}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(home, "config", "config.toml")
	orig, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	set := func(key, val string) {
		t.Helper()
		re := regexp.MustCompile(`(?m)^` + key + ` = .*$`)
		if !re.Match(orig) {
			t.Fatalf("config.toml has no %s", key)
		}
		if err := os.WriteFile(path, re.ReplaceAll(orig, []byte(key+" = "+val)), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	opts := node.Options{Registerer: prometheus.NewRegistry(), LogWriter: io.Discard}
	for _, c := range []struct{ key, val, want string }{
		{"max_body_bytes", "1000000", fmt.Sprintf("rpc.max_body_bytes 1000000 cannot carry a broadcast_tx_sync of a %d-byte tx (mempool.max_tx_bytes): set it to at least %d",
			tx.MaxTxBytes, config.RPCBodyBytes(tx.MaxTxBytes))},
		{"max_tx_bytes", fmt.Sprint(2 * tx.MaxTxBytes), fmt.Sprintf("mempool.max_tx_bytes %d exceeds the app's tx limit %d", 2*tx.MaxTxBytes, tx.MaxTxBytes)},
	} {
		set(c.key, c.val)
		_, err := node.New(home, opts)
		if !errors.Is(err, config.ErrInvalid) || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), path) {
			t.Fatalf("%s = %s: New = %v; want an error naming %s and %q", c.key, c.val, err, path, c.want)
		}
	}
	// An Override (tests, embedders) is held to the same rule.
	if err := os.WriteFile(path, orig, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = node.New(home, node.Options{Registerer: prometheus.NewRegistry(), LogWriter: io.Discard,
		Override: func(c *cmtcfg.Config) { c.RPC.MaxBodyBytes = 1_000_000 }})
	if !errors.Is(err, config.ErrInvalid) || !strings.Contains(err.Error(), "rpc.max_body_bytes") {
		t.Fatalf("Override with max_body_bytes 1000000: New = %v", err)
	}
}

// TestGenesisAndChainIDLimits: the genesis block holds maximum-size txs, and chain ids
// are bounded by the app's tx.MaxChainIDLen (which CometBFT's own bound must allow).
func TestGenesisAndChainIDLimits(t *testing.T) {
	const validators = 64 // testnet.MaxNodes: a large commit in the block
	if got := cmttypes.MaxDataBytes(node.MaxBlockBytes, node.MaxEvidenceBytes, validators); got < 3*tx.MaxTxBytes {
		t.Fatalf("a %d-byte block leaves %d bytes for txs, less than 3 × tx.MaxTxBytes", node.MaxBlockBytes, got)
	}
	if tx.MaxChainIDLen > cmttypes.MaxChainIDLen {
		t.Fatalf("tx.MaxChainIDLen %d above CometBFT's %d", tx.MaxChainIDLen, cmttypes.MaxChainIDLen)
	}
	for _, c := range []struct {
		id string
		ok bool
	}{
		{"a", true},
		{strings.Repeat("x", tx.MaxChainIDLen), true},
		{strings.Repeat("x", tx.MaxChainIDLen+1), false},
		{"", false},
		{"bad\xff", false},
	} {
		if err := node.ValidateChainID(c.id); (err == nil) != c.ok {
			t.Errorf("ValidateChainID(%q) = %v, want ok=%v", c.id, err, c.ok)
		}
	}
	_, err := node.InitHome(node.InitOptions{Home: t.TempDir(), ChainID: strings.Repeat("x", tx.MaxChainIDLen+1)})
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("chain id longer than %d bytes", tx.MaxChainIDLen)) {
		t.Fatalf("InitHome with a long chain id: %v", err)
	}
}
