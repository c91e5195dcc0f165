package client

import (
	"context"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtbytes "github.com/cometbft/cometbft/libs/bytes"
	jsonrpcclient "github.com/cometbft/cometbft/rpc/jsonrpc/client"
	cmttypes "github.com/cometbft/cometbft/types"
)

// rpcClient is a typed client for the few CometBFT JSON-RPC methods the client
// uses, over CometBFT's plain JSON-RPC HTTP client. It deliberately avoids
// rpc/client/http and rpc/core/types, whose imports (p2p and its metrics) would
// pull a node's dependencies into every program that uses this package.
//
// The result types below mirror the JSON of CometBFT v0.38 (rpc/core/types),
// limited to the fields the client reads; unknown fields are ignored. Responses
// are decoded with CometBFT's libs/json, so int64 values sent as strings and
// registered key types (pub_key) decode as the node encoded them.
//
// Errors are returned as the JSON-RPC client reports them (a transport error or
// an RPC error carrying the node's message); callers add the context.
type rpcClient struct {
	c      *jsonrpcclient.Client
	remote string
}

// newRPCClient accepts the addresses rpc/client/http accepts: tcp://host:port
// (the CometBFT form, spoken as HTTP), http://, https:// and unix://.
func newRPCClient(remote string) (*rpcClient, error) {
	c, err := jsonrpcclient.New(remote)
	if err != nil {
		return nil, err
	}
	return &rpcClient{c: c, remote: remote}, nil
}

// resultStatus is /status (coretypes.ResultStatus without validator_info).
type resultStatus struct {
	NodeInfo rpcNodeInfo `json:"node_info"`
	SyncInfo rpcSyncInfo `json:"sync_info"`
}

// rpcNodeInfo is the part of p2p.DefaultNodeInfo the client reads.
type rpcNodeInfo struct {
	ID         string `json:"id"`
	ListenAddr string `json:"listen_addr"`
	Network    string `json:"network"` // chain id
	Version    string `json:"version"`
	Moniker    string `json:"moniker"`
	Other      struct {
		TxIndex    string `json:"tx_index"`
		RPCAddress string `json:"rpc_address"`
	} `json:"other"`
}

// rpcSyncInfo is coretypes.SyncInfo.
type rpcSyncInfo struct {
	LatestBlockHash   cmtbytes.HexBytes `json:"latest_block_hash"`
	LatestAppHash     cmtbytes.HexBytes `json:"latest_app_hash"`
	LatestBlockHeight int64             `json:"latest_block_height"`
	LatestBlockTime   time.Time         `json:"latest_block_time"`

	EarliestBlockHash   cmtbytes.HexBytes `json:"earliest_block_hash"`
	EarliestAppHash     cmtbytes.HexBytes `json:"earliest_app_hash"`
	EarliestBlockHeight int64             `json:"earliest_block_height"`
	EarliestBlockTime   time.Time         `json:"earliest_block_time"`

	CatchingUp bool `json:"catching_up"`
}

// resultABCIQuery is /abci_query.
type resultABCIQuery struct {
	Response abci.ResponseQuery `json:"response"`
}

// resultBroadcastTx is /broadcast_tx_sync.
type resultBroadcastTx struct {
	Code      uint32            `json:"code"`
	Data      cmtbytes.HexBytes `json:"data"`
	Log       string            `json:"log"`
	Codespace string            `json:"codespace"`
	Hash      cmtbytes.HexBytes `json:"hash"`
}

// resultTx is one transaction of /tx_search (without the proof, which the client
// never asks for).
type resultTx struct {
	Hash     cmtbytes.HexBytes `json:"hash"`
	Height   int64             `json:"height"`
	Index    uint32            `json:"index"`
	TxResult abci.ExecTxResult `json:"tx_result"`
	Tx       cmttypes.Tx       `json:"tx"`
}

// resultTxSearch is /tx_search.
type resultTxSearch struct {
	Txs        []*resultTx `json:"txs"`
	TotalCount int         `json:"total_count"`
}

// resultValidators is one page of /validators.
type resultValidators struct {
	BlockHeight int64                 `json:"block_height"`
	Validators  []*cmttypes.Validator `json:"validators"`
	Count       int                   `json:"count"` // on this page
	Total       int                   `json:"total"` // in the whole set
}

// resultCommit is /commit.
type resultCommit struct {
	SignedHeader cmttypes.SignedHeader `json:"signed_header"`
	Canonical    bool                  `json:"canonical"`
}

func (r *rpcClient) call(ctx context.Context, method string, params map[string]any, result any) error {
	if params == nil {
		params = map[string]any{}
	}
	_, err := r.c.Call(ctx, method, params, result)
	if err != nil {
		if u := unreachable(r.remote, err); u != nil {
			return u
		}
	}
	return err
}

func (r *rpcClient) status(ctx context.Context) (*resultStatus, error) {
	res := new(resultStatus)
	if err := r.call(ctx, "status", nil, res); err != nil {
		return nil, err
	}
	return res, nil
}

// abciQuery runs abci_query; height 0 is the latest state.
func (r *rpcClient) abciQuery(ctx context.Context, path string, data []byte, height int64, prove bool) (*resultABCIQuery, error) {
	res := new(resultABCIQuery)
	params := map[string]any{"path": path, "data": cmtbytes.HexBytes(data), "height": height, "prove": prove}
	if err := r.call(ctx, "abci_query", params, res); err != nil {
		return nil, err
	}
	return res, nil
}

func (r *rpcClient) broadcastTxSync(ctx context.Context, tx []byte) (*resultBroadcastTx, error) {
	res := new(resultBroadcastTx)
	if err := r.call(ctx, "broadcast_tx_sync", map[string]any{"tx": cmttypes.Tx(tx)}, res); err != nil {
		return nil, err
	}
	return res, nil
}

// txSearch runs tx_search for query (without proofs), page (1-based) of perPage
// results, oldest first.
func (r *rpcClient) txSearch(ctx context.Context, query string, page, perPage int) (*resultTxSearch, error) {
	res := new(resultTxSearch)
	params := map[string]any{"query": query, "prove": false, "page": page, "per_page": perPage, "order_by": "asc"}
	if err := r.call(ctx, "tx_search", params, res); err != nil {
		return nil, err
	}
	return res, nil
}

// validators fetches one page (1-based) of the validator set at height.
func (r *rpcClient) validators(ctx context.Context, height int64, page, perPage int) (*resultValidators, error) {
	res := new(resultValidators)
	params := map[string]any{"height": height, "page": page, "per_page": perPage}
	if err := r.call(ctx, "validators", params, res); err != nil {
		return nil, err
	}
	return res, nil
}

// commit fetches the signed header at height.
func (r *rpcClient) commit(ctx context.Context, height int64) (*resultCommit, error) {
	res := new(resultCommit)
	if err := r.call(ctx, "commit", map[string]any{"height": height}, res); err != nil {
		return nil, err
	}
	return res, nil
}
