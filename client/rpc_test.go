package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/p2p"
	cmtcrypto "github.com/cometbft/cometbft/proto/tendermint/crypto"
	rpcclient "github.com/cometbft/cometbft/rpc/client"
	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	ctypes "github.com/cometbft/cometbft/rpc/core/types"
	rpctypes "github.com/cometbft/cometbft/rpc/jsonrpc/types"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/poaledger/poaledger/app/tx"
)

// fakeRPC is a JSON-RPC endpoint whose answers a test programs with handle; a
// non-nil error is answered as the node answers a failed call (internal error
// whose data is the message). It records every call.
type fakeRPC struct {
	handle func(method string, params map[string]json.RawMessage) (any, error)

	mu    sync.Mutex
	calls []fakeCall
}

type fakeCall struct {
	method string
	params map[string]json.RawMessage
}

func newFakeRPC(t *testing.T, handle func(string, map[string]json.RawMessage) (any, error)) (*fakeRPC, *httptest.Server) {
	f := &fakeRPC{handle: handle}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

func (f *fakeRPC) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var req rpctypes.RPCRequest
	if err := json.Unmarshal(body, &req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	params := map[string]json.RawMessage{}
	if len(req.Params) > 0 {
		if err := json.Unmarshal(req.Params, &params); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
	}
	f.mu.Lock()
	f.calls = append(f.calls, fakeCall{method: req.Method, params: params})
	f.mu.Unlock()
	res, err := f.handle(req.Method, params)
	resp := rpctypes.NewRPCSuccessResponse(req.ID, res)
	if err != nil {
		resp = rpctypes.RPCInternalError(req.ID, err)
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(resp)
}

func (f *fakeRPC) takeCalls() []fakeCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.calls
	f.calls = nil
	return c
}

func (f *fakeRPC) count(method string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		if c.method == method {
			n++
		}
	}
	return n
}

// TestRPCRequestsMatchCometBFT sends each call with this package's client and with
// CometBFT's rpc/client/http and requires the same method and parameters on the wire.
func TestRPCRequestsMatchCometBFT(t *testing.T) {
	f, srv := newFakeRPC(t, func(string, map[string]json.RawMessage) (any, error) { return map[string]any{}, nil })
	ours, err := newRPCClient(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := rpchttp.New(srv.URL, "/websocket")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	txBytes := []byte("some tx bytes")
	hash := tx.Hash(txBytes)
	h, page, perPage, one := int64(5), 2, 100, 1
	pairs := []struct {
		name         string
		ours, theirs func() error
	}{
		{"status", func() error { _, err := ours.status(ctx); return err },
			func() error { _, err := theirs.Status(ctx); return err }},
		{"abci_query latest", func() error { _, err := ours.abciQuery(ctx, "/event/x", nil, 0, false); return err },
			func() error {
				_, err := theirs.ABCIQueryWithOptions(ctx, "/event/x", nil, rpcclient.ABCIQueryOptions{})
				return err
			}},
		{"abci_query proven", func() error { _, err := ours.abciQuery(ctx, "/member/y", []byte{1, 2}, 7, true); return err },
			func() error {
				_, err := theirs.ABCIQueryWithOptions(ctx, "/member/y", []byte{1, 2}, rpcclient.ABCIQueryOptions{Height: 7, Prove: true})
				return err
			}},
		{"broadcast_tx_sync", func() error { _, err := ours.broadcastTxSync(ctx, txBytes); return err },
			func() error { _, err := theirs.BroadcastTxSync(ctx, txBytes); return err }},
		{"tx_search", func() error { _, err := ours.txSearch(ctx, fmt.Sprintf("tx.hash='%X'", hash), 1, 1); return err },
			func() error {
				_, err := theirs.TxSearch(ctx, fmt.Sprintf("tx.hash='%X'", hash), false, &one, &one, "asc")
				return err
			}},
		{"validators", func() error { _, err := ours.validators(ctx, h, page, perPage); return err },
			func() error { _, err := theirs.Validators(ctx, &h, &page, &perPage); return err }},
		{"commit", func() error { _, err := ours.commit(ctx, h); return err },
			func() error { _, err := theirs.Commit(ctx, &h); return err }},
	}
	for _, p := range pairs {
		if err := p.ours(); err != nil {
			t.Fatalf("%s: %v", p.name, err)
		}
		if err := p.theirs(); err != nil {
			t.Fatalf("%s (cometbft client): %v", p.name, err)
		}
		calls := f.takeCalls()
		if len(calls) != 2 {
			t.Fatalf("%s: %d calls", p.name, len(calls))
		}
		if calls[0].method != calls[1].method {
			t.Fatalf("%s: method %q, cometbft sends %q", p.name, calls[0].method, calls[1].method)
		}
		if got, want := jsonValue(t, calls[0].params), jsonValue(t, calls[1].params); !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: params %v, cometbft sends %v", p.name, got, want)
		}
	}
}

func jsonValue(t *testing.T, m map[string]json.RawMessage) map[string]any {
	t.Helper()
	out := map[string]any{}
	for k, raw := range m {
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			t.Fatal(err)
		}
		out[k] = v
	}
	return out
}

// TestRPCResultsDecode serves CometBFT's own result types and checks that this
// package's mirrors decode every field the client reads.
func TestRPCResultsDecode(t *testing.T) {
	now := time.Date(2024, 6, 1, 12, 0, 0, 123, time.UTC)
	keys := lvKeys(3)
	vals := lvSet(keys)
	header := lvHeader("decode-chain", 42, now, vals, vals)
	sh := cmttypes.SignedHeader{Header: header, Commit: lvCommit(t, "decode-chain", header, vals, keys)}
	txBytes := []byte("tx")
	events := []abci.Event{{Type: "poaledger.event", Attributes: []abci.EventAttribute{{Key: "id", Value: "abc", Index: true}}}}
	query := abci.ResponseQuery{Code: 3, Log: "log", Info: "info", Index: -1, Key: []byte("k"), Value: []byte("v"),
		ProofOps: &cmtcrypto.ProofOps{Ops: []cmtcrypto.ProofOp{{Type: "ics23:iavl", Key: []byte("k"), Data: []byte("proof")}}},
		Height:   1 << 40, Codespace: "poaledger"}
	results := map[string]any{
		"status": &ctypes.ResultStatus{
			NodeInfo: p2p.DefaultNodeInfo{DefaultNodeID: "0123456789abcdef0123456789abcdef01234567", ListenAddr: "tcp://0.0.0.0:26656",
				Network: "decode-chain", Version: "0.38.26", Moniker: "val-1",
				Other: p2p.DefaultNodeInfoOther{TxIndex: "on", RPCAddress: "tcp://127.0.0.1:26657"}},
			SyncInfo: ctypes.SyncInfo{LatestBlockHash: header.Hash(), LatestAppHash: header.AppHash, LatestBlockHeight: 1 << 40,
				LatestBlockTime: now, EarliestBlockHeight: 1, CatchingUp: true},
		},
		"abci_query":        &ctypes.ResultABCIQuery{Response: query},
		"broadcast_tx_sync": &ctypes.ResultBroadcastTx{Code: 7, Log: "refused", Codespace: "poaledger", Hash: tx.Hash(txBytes), Data: []byte{9}},
		"tx_search": &ctypes.ResultTxSearch{TotalCount: 1, Txs: []*ctypes.ResultTx{{Hash: tx.Hash(txBytes), Height: 41, Index: 2, Tx: txBytes,
			TxResult: abci.ExecTxResult{Code: 0, Log: "ok", Events: events, GasUsed: 5}}}},
		"validators": &ctypes.ResultValidators{BlockHeight: 42, Validators: vals.Validators, Count: 3, Total: 3},
		"commit":     &ctypes.ResultCommit{SignedHeader: sh, CanonicalCommit: true},
	}
	_, srv := newFakeRPC(t, func(method string, _ map[string]json.RawMessage) (any, error) {
		if r, ok := results[method]; ok {
			return r, nil
		}
		return nil, fmt.Errorf("no method %s", method)
	})
	r, err := newRPCClient(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	st, err := r.status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := results["status"].(*ctypes.ResultStatus)
	if st.NodeInfo.ID != string(want.NodeInfo.DefaultNodeID) || st.NodeInfo.Network != "decode-chain" || st.NodeInfo.Moniker != "val-1" ||
		st.NodeInfo.Other.TxIndex != "on" || st.NodeInfo.Version != "0.38.26" ||
		st.SyncInfo.LatestBlockHeight != 1<<40 || !bytes.Equal(st.SyncInfo.LatestAppHash, header.AppHash) ||
		!bytes.Equal(st.SyncInfo.LatestBlockHash, header.Hash()) || !st.SyncInfo.LatestBlockTime.Equal(now) ||
		!st.SyncInfo.CatchingUp || st.SyncInfo.EarliestBlockHeight != 1 {
		t.Fatalf("status: %+v", st)
	}

	q, err := r.abciQuery(ctx, "/x", nil, 0, true)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(q.Response, query) {
		t.Fatalf("abci_query: %+v, want %+v", q.Response, query)
	}

	b, err := r.broadcastTxSync(ctx, txBytes)
	if err != nil {
		t.Fatal(err)
	}
	if b.Code != 7 || b.Log != "refused" || b.Codespace != "poaledger" || !bytes.Equal(b.Hash, tx.Hash(txBytes)) || !bytes.Equal(b.Data, []byte{9}) {
		t.Fatalf("broadcast_tx_sync: %+v", b)
	}

	ts, err := r.txSearch(ctx, "tx.hash='AB'", 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	if ts.TotalCount != 1 || len(ts.Txs) != 1 {
		t.Fatalf("tx_search: %+v", ts)
	}
	tr := ts.Txs[0]
	if tr.Height != 41 || tr.Index != 2 || !bytes.Equal(tr.Tx, txBytes) || !bytes.Equal(tr.Hash, tx.Hash(txBytes)) ||
		!reflect.DeepEqual(tr.TxResult, results["tx_search"].(*ctypes.ResultTxSearch).Txs[0].TxResult) {
		t.Fatalf("tx_search: %+v", tr)
	}

	vr, err := r.validators(ctx, 42, 1, 100)
	if err != nil {
		t.Fatal(err)
	}
	if vr.BlockHeight != 42 || vr.Count != 3 || vr.Total != 3 || len(vr.Validators) != 3 {
		t.Fatalf("validators: %+v", vr)
	}
	got, err := cmttypes.ValidatorSetFromExistingValidators(vr.Validators)
	if err != nil || !bytes.Equal(got.Hash(), vals.Hash()) {
		t.Fatalf("validators decode to another set: %v", err)
	}
	for i, v := range vr.Validators {
		if v.ProposerPriority != vals.Validators[i].ProposerPriority || !v.PubKey.Equals(vals.Validators[i].PubKey) {
			t.Fatalf("validator %d: %+v, want %+v", i, v, vals.Validators[i])
		}
	}

	cr, err := r.commit(ctx, 42)
	if err != nil {
		t.Fatal(err)
	}
	if !cr.Canonical || cr.SignedHeader.Header == nil || cr.SignedHeader.Commit == nil ||
		!bytes.Equal(cr.SignedHeader.Hash(), header.Hash()) || cr.SignedHeader.ValidateBasic("decode-chain") != nil ||
		vals.VerifyCommitLight("decode-chain", cr.SignedHeader.Commit.BlockID, 42, cr.SignedHeader.Commit) != nil {
		t.Fatalf("commit: %+v", cr)
	}
}

func TestNewAddresses(t *testing.T) {
	_, srv := newFakeRPC(t, func(method string, _ map[string]json.RawMessage) (any, error) {
		return &ctypes.ResultStatus{NodeInfo: p2p.DefaultNodeInfo{Network: "addr-chain"}}, nil
	})
	hostPort := strings.TrimPrefix(srv.URL, "http://")
	for _, remote := range []string{srv.URL, "tcp://" + hostPort} {
		c, err := New(remote)
		if err != nil {
			t.Fatalf("%s: %v", remote, err)
		}
		if c.Remote() != remote {
			t.Fatalf("Remote() = %q, want %q", c.Remote(), remote)
		}
		st, err := c.Status(context.Background())
		if err != nil || st.ChainID != "addr-chain" {
			t.Fatalf("%s: status %+v %v", remote, st, err)
		}
	}
	for _, remote := range []string{"", "http://[::1"} {
		if _, err := New(remote); err == nil || !strings.HasPrefix(err.Error(), "client: ") {
			t.Fatalf("New(%q): %v", remote, err)
		}
	}
	// A node that is not there is a transport error, wrapped with what was asked.
	c := mustClient(t, "tcp://127.0.0.1:1")
	if _, err := c.Status(context.Background()); err == nil || !strings.HasPrefix(err.Error(), "client: status: ") {
		t.Fatalf("status of no node: %v", err)
	}
}

func TestBroadcast(t *testing.T) {
	txBytes := []byte("a signed tx")
	hash := tx.Hash(txBytes)
	events := []abci.Event{{Type: "poaledger.event", Attributes: []abci.EventAttribute{{Key: "id", Value: "e1", Index: true}}}}
	// node answers broadcast_tx_sync with check, and tx_search with lookups in turn
	// (the last one repeated). It has no websocket, so a wait polls tx_search.
	node := func(check *ctypes.ResultBroadcastTx, lookups ...func() (any, error)) func(string, map[string]json.RawMessage) (any, error) {
		var mu sync.Mutex
		n := 0
		return func(method string, _ map[string]json.RawMessage) (any, error) {
			switch method {
			case "broadcast_tx_sync":
				return check, nil
			case "tx_search":
				mu.Lock()
				defer mu.Unlock()
				i := min(n, len(lookups)-1)
				n++
				return lookups[i]()
			}
			return nil, fmt.Errorf("unexpected %s", method)
		}
	}
	accepted := &ctypes.ResultBroadcastTx{Hash: hash}
	notFound := func() (any, error) { return &ctypes.ResultTxSearch{Txs: []*ctypes.ResultTx{}}, nil }
	inBlock := func(code uint32) func() (any, error) {
		return func() (any, error) {
			return &ctypes.ResultTxSearch{TotalCount: 1, Txs: []*ctypes.ResultTx{{Hash: hash, Height: 9, Tx: txBytes,
				TxResult: abci.ExecTxResult{Code: code, Codespace: "poaledger", Log: "the log", Events: events}}}}, nil
		}
	}
	ctx := context.Background()

	t.Run("waits until in a block", func(t *testing.T) {
		f, srv := newFakeRPC(t, node(accepted, notFound, notFound, inBlock(0)))
		res, err := mustClient(t, srv.URL).Broadcast(ctx, txBytes, true)
		if err != nil {
			t.Fatal(err)
		}
		if res.Hash != fmt.Sprintf("%X", hash) || res.Height != 9 || res.Code != 0 || res.Log != "the log" ||
			!reflect.DeepEqual(res.Events, events) || f.count("tx_search") != 3 {
			t.Fatalf("result %+v after %d lookups", res, f.count("tx_search"))
		}
	})
	t.Run("no wait", func(t *testing.T) {
		f, srv := newFakeRPC(t, node(accepted, inBlock(0)))
		res, err := mustClient(t, srv.URL).Broadcast(ctx, txBytes, false)
		if err != nil || res.Height != 0 || res.Hash != fmt.Sprintf("%X", hash) || f.count("tx_search") != 0 {
			t.Fatalf("%+v %v", res, err)
		}
	})
	t.Run("refused by CheckTx", func(t *testing.T) {
		_, srv := newFakeRPC(t, node(&ctypes.ResultBroadcastTx{Code: 4, Codespace: "poaledger", Log: "bad", Hash: hash}, inBlock(0)))
		_, err := mustClient(t, srv.URL).Broadcast(ctx, txBytes, true)
		var te *TxError
		if !errors.As(err, &te) || te.Code != 4 || te.Height != 0 || te.Log != "bad" || te.Hash != fmt.Sprintf("%X", hash) {
			t.Fatalf("%v", err)
		}
	})
	t.Run("failed in its block", func(t *testing.T) {
		_, srv := newFakeRPC(t, node(accepted, inBlock(6)))
		res, err := mustClient(t, srv.URL).Broadcast(ctx, txBytes, true)
		var te *TxError
		if !errors.As(err, &te) || te.Code != 6 || te.Height != 9 || res == nil || res.Height != 9 {
			t.Fatalf("%+v %v", res, err)
		}
	})
	t.Run("indexer disabled", func(t *testing.T) {
		_, srv := newFakeRPC(t, node(accepted, func() (any, error) { return nil, errors.New("transaction indexing is disabled") }))
		_, err := mustClient(t, srv.URL).Broadcast(ctx, txBytes, true)
		if err == nil || !strings.Contains(err.Error(), "tx indexer is disabled") {
			t.Fatalf("%v", err)
		}
	})
	t.Run("never in a block", func(t *testing.T) {
		_, srv := newFakeRPC(t, node(accepted, notFound))
		cctx, cancel := context.WithTimeout(ctx, 4*PollInterval)
		defer cancel()
		_, err := mustClient(t, srv.URL).Broadcast(cctx, txBytes, true)
		if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), fmt.Sprintf("%X", hash)) {
			t.Fatalf("%v", err)
		}
	})
	t.Run("node reports another hash", func(t *testing.T) {
		_, srv := newFakeRPC(t, node(&ctypes.ResultBroadcastTx{Hash: tx.Hash([]byte("other"))}, inBlock(0)))
		if _, err := mustClient(t, srv.URL).Broadcast(ctx, txBytes, false); err == nil || !strings.Contains(err.Error(), "expected") {
			t.Fatalf("%v", err)
		}
	})
	t.Run("rpc error", func(t *testing.T) {
		_, srv := newFakeRPC(t, func(string, map[string]json.RawMessage) (any, error) { return nil, errors.New("mempool is full") })
		_, err := mustClient(t, srv.URL).Broadcast(ctx, txBytes, false)
		if err == nil || !strings.HasPrefix(err.Error(), "client: broadcast_tx_sync: ") || !strings.Contains(err.Error(), "mempool is full") {
			t.Fatalf("%v", err)
		}
	})
}
