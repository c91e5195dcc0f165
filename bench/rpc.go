package bench

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// rpcGet is a minimal reader of CometBFT's URI RPC (GET /method?args) for the
// block poller: it decodes only the fields it needs with encoding/json, which
// keeps the poller's CPU small next to the nodes it measures (a full block is
// megabytes of JSON).
type rpcGet struct {
	base string // http://127.0.0.1:port
	hc   *http.Client
}

func newRPCGet(rpc string) *rpcGet {
	return &rpcGet{
		base: "http://" + strings.TrimPrefix(strings.TrimPrefix(rpc, "tcp://"), "http://"),
		hc:   &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 2, DisableCompression: true}},
	}
}

// rpcAttemptTimeout bounds one RPC call of the poller.
const rpcAttemptTimeout = 20 * time.Second

func (r *rpcGet) get(ctx context.Context, path string, result any) error {
	ctx, cancel := context.WithTimeout(ctx, rpcAttemptTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.base+path, nil)
	if err != nil {
		return err
	}
	resp, err := r.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		return err
	}
	var env struct {
		Result json.RawMessage `json:"result"`
		Error  *struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
			Data    string `json:"data"`
		} `json:"error"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if env.Error != nil {
		return fmt.Errorf("%s: %s %s", path, env.Error.Message, env.Error.Data)
	}
	return json.Unmarshal(env.Result, result)
}

// int64s decodes CometBFT's int64-as-string.
type int64s int64

func (i *int64s) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	v, err := strconv.ParseInt(s, 10, 64)
	*i = int64s(v)
	return err
}

func (r *rpcGet) latestHeight(ctx context.Context) (int64, error) {
	var st struct {
		SyncInfo struct {
			LatestBlockHeight int64s `json:"latest_block_height"`
		} `json:"sync_info"`
	}
	if err := r.get(ctx, "/status", &st); err != nil {
		return 0, err
	}
	return int64(st.SyncInfo.LatestBlockHeight), nil
}

// blockTxs returns block h's header time and its txs.
func (r *rpcGet) blockTxs(ctx context.Context, h int64) (time.Time, [][]byte, error) {
	var res struct {
		Block struct {
			Header struct {
				Height int64s    `json:"height"`
				Time   time.Time `json:"time"`
			} `json:"header"`
			Data struct {
				Txs []string `json:"txs"`
			} `json:"data"`
		} `json:"block"`
	}
	if err := r.get(ctx, "/block?height="+strconv.FormatInt(h, 10), &res); err != nil {
		return time.Time{}, nil, err
	}
	if int64(res.Block.Header.Height) != h {
		return time.Time{}, nil, fmt.Errorf("/block?height=%d answered block %d", h, res.Block.Header.Height)
	}
	txs := make([][]byte, len(res.Block.Data.Txs))
	for i, s := range res.Block.Data.Txs {
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return time.Time{}, nil, fmt.Errorf("block %d tx %d: %w", h, i, err)
		}
		txs[i] = b
	}
	return res.Block.Header.Time, txs, nil
}

// txCodes returns the result code of every tx of block h.
func (r *rpcGet) txCodes(ctx context.Context, h int64) ([]uint32, error) {
	var res struct {
		TxsResults []struct {
			Code uint32 `json:"code"`
		} `json:"txs_results"`
	}
	if err := r.get(ctx, "/block_results?height="+strconv.FormatInt(h, 10), &res); err != nil {
		return nil, err
	}
	out := make([]uint32, len(res.TxsResults))
	for i, t := range res.TxsResults {
		out[i] = t.Code
	}
	return out, nil
}
