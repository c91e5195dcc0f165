package testutil_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtcfg "github.com/cometbft/cometbft/config"
	"github.com/cometbft/cometbft/libs/bytes"
	rpcclient "github.com/cometbft/cometbft/rpc/client"
	coretypes "github.com/cometbft/cometbft/rpc/core/types"

	"github.com/poaledger/poaledger/app/tx"
	"github.com/poaledger/poaledger/internal/testutil"
)

func TestFreePortsDistinctAndBindable(t *testing.T) {
	seen := map[int]bool{}
	for round := 0; round < 3; round++ {
		ports := append(testutil.FreePorts(t, 16), testutil.FreePort(t))
		for _, p := range ports {
			if seen[p] {
				t.Fatalf("port %d returned twice", p)
			}
			seen[p] = true
			l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
			if err != nil {
				t.Fatalf("port %d not bindable: %v", p, err)
			}
			l.Close()
		}
	}
}

func TestPollNeedsDeadline(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	calls := 0
	err := testutil.Poll(ctx, "x", func(context.Context) error { calls++; return nil })
	if err == nil || calls != 0 {
		t.Fatalf("Poll without a deadline: %v after %d calls", err, calls)
	}
}

func TestPollRetriesUntilNil(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	calls := 0
	err := testutil.Poll(ctx, "third time", func(ctx context.Context) error {
		if _, ok := ctx.Deadline(); !ok {
			t.Error("attempt context has no deadline")
		}
		calls++
		if calls < 3 {
			return errors.New("not yet")
		}
		return nil
	})
	if err != nil || calls != 3 {
		t.Fatalf("Poll: %v after %d calls", err, calls)
	}
}

func TestPollReportsLastError(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	calls := 0
	err := testutil.Poll(ctx, "the thing", func(ctx context.Context) error {
		calls++
		if calls == 3 { // the last attempt outlives ctx: its error must not hide this one
			return fmt.Errorf("attempt %d failed", calls)
		}
		if calls > 3 {
			<-ctx.Done()
			return ctx.Err()
		}
		return fmt.Errorf("attempt %d failed", calls)
	})
	if err == nil || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Poll: %v", err)
	}
	for _, want := range []string{"the thing", "attempt 3 failed"} {
		if !strings.Contains(err.Error(), want) {
			t.Fatalf("Poll error %q lacks %q", err, want)
		}
	}
}

// fakeABCI answers ABCIQuery with a fixed response and records the path.
type fakeABCI struct {
	rpcclient.ABCIClient
	path string
	res  abci.ResponseQuery
	err  error
}

func (f *fakeABCI) ABCIQuery(_ context.Context, path string, _ bytes.HexBytes) (*coretypes.ResultABCIQuery, error) {
	f.path = path
	if f.err != nil {
		return nil, f.err
	}
	return &coretypes.ResultABCIQuery{Response: f.res}, nil
}

func TestNextNonceDecodes(t *testing.T) {
	be := func(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }
	for name, tc := range map[string]struct {
		res     abci.ResponseQuery
		err     error
		want    uint64
		wantErr string
		badVal  bool
	}{
		"empty is 0":     {res: abci.ResponseQuery{}, want: 0},
		"8 bytes":        {res: abci.ResponseQuery{Value: be(0x0102030405060708)}, want: 0x0102030405060708},
		"max":            {res: abci.ResponseQuery{Value: be(1<<64 - 1)}, want: 1<<64 - 1},
		"short value":    {res: abci.ResponseQuery{Value: []byte{1, 2, 3}}, wantErr: "3 bytes", badVal: true},
		"long value":     {res: abci.ResponseQuery{Value: make([]byte, 9)}, wantErr: "9 bytes", badVal: true},
		"non-zero code":  {res: abci.ResponseQuery{Code: 4, Codespace: "poaledger", Log: "no block"}, wantErr: "code 4"},
		"transport fail": {err: errors.New("connection refused"), wantErr: "connection refused"},
	} {
		t.Run(name, func(t *testing.T) {
			f := &fakeABCI{res: tc.res, err: tc.err}
			got, err := testutil.NextNonce(context.Background(), f, "ABCD")
			if f.path != "/nonce/ABCD" {
				t.Fatalf("queried %q", f.path)
			}
			if tc.wantErr == "" {
				if err != nil || got != tc.want {
					t.Fatalf("got %d, %v; want %d", got, err, tc.want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || errors.Is(err, testutil.ErrNonceValue) != tc.badVal {
				t.Fatalf("got %d, %v; want an error with %q (ErrNonceValue %v)", got, err, tc.wantErr, tc.badVal)
			}
		})
	}
}

// TestStartNode runs the harness and checks what it returns against the node:
// RPC and HTTP answer, the admin key signs txs the chain accepts, NextNonce follows.
func TestStartNode(t *testing.T) {
	// The home's config makes no empty blocks; the override (applied after the
	// harness's own settings) turns them on, so height 3 shows it took effect.
	var rpcSet bool
	tn := testutil.StartNode(t, testutil.WithChainID("testutil-chain"),
		testutil.WithConfig(func(c *cmtcfg.Config) { rpcSet = strings.HasPrefix(c.RPC.ListenAddress, "tcp://127.0.0.1:") }),
		testutil.WithConfig(func(c *cmtcfg.Config) {
			c.Consensus.CreateEmptyBlocks = true
			c.Consensus.CreateEmptyBlocksInterval = 0
		}))
	if !rpcSet || tn.ChainID != "testutil-chain" || tn.Node == nil {
		t.Fatalf("StartNode: override saw the harness's RPC address %v, %+v", rpcSet, tn)
	}
	if _, err := os.Stat(tn.GenesisFile()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(tn.HTTP + "/status")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s/status: %s", tn.HTTP, resp.Status)
	}
	rpc := testutil.NewRPC(t, tn.RPC)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := testutil.WaitCaughtUp(ctx, rpc, 3)
	if err != nil {
		t.Fatal(err)
	}
	if st.NodeInfo.Network != tn.ChainID || st.SyncInfo.LatestBlockHeight < 3 {
		t.Fatalf("status: chain %q height %d", st.NodeInfo.Network, st.SyncInfo.LatestBlockHeight)
	}
	addr := tn.Admin.Address()
	if n, err := testutil.NextNonce(ctx, rpc, addr); err != nil || n != 0 {
		t.Fatalf("nonce before any tx: %d %v", n, err)
	}
	for nonce := uint64(0); nonce < 2; nonce++ {
		ev := fmt.Sprintf(`{"type":"ObjectEvent","eventTime":"2026-01-01T00:00:00Z","eventTimeZoneOffset":"+00:00","action":"OBSERVE","epcList":["urn:epc:id:sgtin:0614141.107346.testutil-%d"]}`, nonce)
		_, bz, err := tx.Sign(tn.Admin.PrivKey, &tx.Body{ChainID: tn.ChainID, Nonce: nonce, Msg: &tx.RecordEvents{Events: [][]byte{[]byte(ev)}}})
		if err != nil {
			t.Fatal(err)
		}
		res, err := rpc.BroadcastTxCommit(ctx, bz)
		if err != nil || res.CheckTx.Code != 0 || res.TxResult.Code != 0 {
			t.Fatalf("tx nonce %d: %+v %v", nonce, res, err)
		}
		if _, err := testutil.WaitHeight(ctx, rpc, res.Height); err != nil {
			t.Fatal(err)
		}
		if n, err := testutil.NextNonce(ctx, rpc, addr); err != nil || n != nonce+1 {
			t.Fatalf("nonce after tx %d: %d %v", nonce, n, err)
		}
	}
	short, cancelShort := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancelShort()
	if _, err := testutil.WaitHeight(short, rpc, 1<<40); err == nil || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("WaitHeight for a height never reached: %v", err)
	}
}

func TestWaitHeightReportsLastStatus(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := testutil.WaitHeight(ctx, fakeStatus{height: 7, catching: true}, 8)
	if err == nil || !strings.Contains(err.Error(), "height 8") || !strings.Contains(err.Error(), "at height 7, catching up true") {
		t.Fatalf("WaitHeight: %v", err)
	}
	ctx2, cancel2 := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel2()
	if _, err := testutil.WaitCaughtUp(ctx2, fakeStatus{height: 9, catching: true}, 8); err == nil {
		t.Fatal("WaitCaughtUp accepted a node catching up")
	}
	ctx3, cancel3 := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel3()
	if st, err := testutil.WaitHeight(ctx3, fakeStatus{height: 9, catching: true}, 8); err != nil || st.SyncInfo.LatestBlockHeight != 9 {
		t.Fatalf("WaitHeight: %+v %v", st, err)
	}
}

type fakeStatus struct {
	height   int64
	catching bool
}

func (f fakeStatus) Status(context.Context) (*coretypes.ResultStatus, error) {
	return &coretypes.ResultStatus{SyncInfo: coretypes.SyncInfo{LatestBlockHeight: f.height, CatchingUp: f.catching}}, nil
}
