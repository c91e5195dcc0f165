package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	ctypes "github.com/cometbft/cometbft/rpc/core/types"
	rpctypes "github.com/cometbft/cometbft/rpc/jsonrpc/types"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/poaledger/poaledger/app/api"
	"github.com/poaledger/poaledger/app/tx"
)

// fakeNode is a CometBFT JSON-RPC server with fixed answers (no websocket, so a
// --wait polls tx_search): the golden tests drive the real commands against it
// and get the same text every run.
type fakeNode struct {
	t   *testing.T
	srv *httptest.Server

	status  *ctypes.ResultStatus
	vals    []*cmttypes.Validator
	queries map[string][]byte // abci_query path (or path prefix ending in /) -> value
	height  int64             // of every abci_query answer
	// txEvents are the ABCI events of a committed tx (tx_search).
	txEvents []abci.Event
	txHeight int64

	mu   sync.Mutex
	sent [][]byte // broadcast txs
}

// fakeTime is the block time of every header the fake serves.
var fakeTime = time.Date(2025, 3, 10, 7, 15, 0, 0, time.UTC)

func newFakeNode(t *testing.T, chainID string) *fakeNode {
	f := &fakeNode{t: t, queries: map[string][]byte{}, height: 7, txHeight: 8}
	f.status = &ctypes.ResultStatus{}
	f.status.NodeInfo.Network = chainID
	f.status.NodeInfo.Moniker = "node0"
	f.status.NodeInfo.DefaultNodeID = "d0e9c8f1a2b3c4d5e6f708192a3b4c5d6e7f8091"
	f.status.SyncInfo.LatestBlockHeight = f.height
	f.status.SyncInfo.LatestAppHash = []byte{0xAB, 0xCD, 0xEF, 0x01}
	f.status.SyncInfo.LatestBlockTime = fakeTime
	f.srv = httptest.NewServer(f)
	t.Cleanup(f.srv.Close)
	return f
}

// addr is the node's address in the tcp:// form the CLI documents.
func (f *fakeNode) addr() string { return "tcp://" + strings.TrimPrefix(f.srv.URL, "http://") }

func (f *fakeNode) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var req rpctypes.RPCRequest
	if err := json.Unmarshal(body, &req); err != nil {
		http.Error(w, "not a JSON-RPC request (this fake has no websocket)", http.StatusBadRequest)
		return
	}
	params := map[string]json.RawMessage{}
	_ = json.Unmarshal(req.Params, &params)
	res, err := f.answer(req.Method, params)
	resp := rpctypes.NewRPCSuccessResponse(req.ID, res)
	if err != nil {
		resp = rpctypes.RPCInternalError(req.ID, err)
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(resp)
}

func (f *fakeNode) answer(method string, params map[string]json.RawMessage) (any, error) {
	str := func(k string) string {
		var s string
		_ = json.Unmarshal(params[k], &s)
		return s
	}
	switch method {
	case "status":
		return f.status, nil
	case "validators":
		return &ctypes.ResultValidators{BlockHeight: f.height, Validators: f.vals, Count: len(f.vals), Total: len(f.vals)}, nil
	case "commit":
		h := f.height
		_ = json.Unmarshal(params["height"], &h)
		var hs string
		if json.Unmarshal(params["height"], &hs) == nil {
			_, _ = fmt.Sscan(hs, &h)
		}
		return &ctypes.ResultCommit{SignedHeader: cmttypes.SignedHeader{
			Header: &cmttypes.Header{ChainID: f.status.NodeInfo.Network, Height: h, Time: fakeTime.Add(time.Duration(h) * time.Second)},
			Commit: &cmttypes.Commit{Height: h}}, CanonicalCommit: true}, nil
	case "abci_query":
		path := str("path")
		v, ok := f.queries[path]
		if !ok {
			if i := strings.Index(path[1:], "/"); i >= 0 {
				v, ok = f.queries[path[:i+2]]
			}
		}
		if !ok {
			return &ctypes.ResultABCIQuery{Response: abci.ResponseQuery{Code: api.CodeNotFound, Codespace: api.Codespace,
				Log: "not found", Height: f.height}}, nil
		}
		return &ctypes.ResultABCIQuery{Response: abci.ResponseQuery{Value: v, Height: f.height}}, nil
	case "broadcast_tx_sync":
		b, err := base64.StdEncoding.DecodeString(str("tx"))
		if err != nil {
			return nil, err
		}
		f.mu.Lock()
		f.sent = append(f.sent, b)
		f.mu.Unlock()
		return &ctypes.ResultBroadcastTx{Hash: tx.Hash(b)}, nil
	case "tx_search":
		f.mu.Lock()
		defer f.mu.Unlock()
		if len(f.sent) == 0 {
			return &ctypes.ResultTxSearch{Txs: []*ctypes.ResultTx{}}, nil
		}
		b := f.sent[len(f.sent)-1]
		return &ctypes.ResultTxSearch{TotalCount: 1, Txs: []*ctypes.ResultTx{{Hash: tx.Hash(b), Height: f.txHeight, Tx: b,
			TxResult: abci.ExecTxResult{Events: f.txEvents}}}}, nil
	}
	return nil, fmt.Errorf("fake node: no method %s", method)
}

// setJSON serves v, as JSON, at path.
func (f *fakeNode) setJSON(path string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		f.t.Fatal(err)
	}
	f.queries[path] = b
}

// rawList is items as the []json.RawMessage of a list page.
func rawList(t *testing.T, items ...any) []json.RawMessage {
	out := make([]json.RawMessage, len(items))
	for i, it := range items {
		b, err := json.Marshal(it)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = b
	}
	return out
}
