package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	ctypes "github.com/cometbft/cometbft/rpc/core/types"
	rpctypes "github.com/cometbft/cometbft/rpc/jsonrpc/types"

	"github.com/poaledger/poaledger/internal/testutil"
)

// statusServer answers /status with st (after delay), as a CometBFT RPC would.
func statusServer(t *testing.T, st *ctypes.ResultStatus, delay time.Duration) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var req rpctypes.RPCRequest
		if err := json.Unmarshal(body, &req); err != nil || req.Method != "status" {
			http.Error(w, "status only", http.StatusBadRequest)
			return
		}
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(rpctypes.NewRPCSuccessResponse(req.ID, st))
	}))
	t.Cleanup(srv.Close)
	return "tcp://" + strings.TrimPrefix(srv.URL, "http://")
}

func statusAt(height int64, blockTime time.Time, catchingUp bool) *ctypes.ResultStatus {
	st := &ctypes.ResultStatus{}
	st.NodeInfo.Network, st.NodeInfo.Moniker = "demo", "node0"
	st.SyncInfo.LatestBlockHeight, st.SyncInfo.LatestBlockTime, st.SyncInfo.CatchingUp = height, blockTime, catchingUp
	st.SyncInfo.LatestAppHash = []byte{0xAB}
	st.ValidatorInfo.VotingPower = 10
	return st
}

// runStatus runs `poaledger status ARGS` through the command tree and returns
// stdout, the error and the exit code run() gives that error.
func runStatus(t *testing.T, args ...string) (string, error, int) {
	t.Helper()
	root := newRootCmd()
	var out, errOut bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetArgs(append([]string{"status", "--home", t.TempDir()}, args...))
	err := root.Execute()
	code := 0
	if err != nil {
		code = 1
		if _, ok := err.(*usageError); ok {
			code = 2
		}
	}
	return out.String(), err, code
}

// TestStatusHealth: `poaledger status` (the image's HEALTHCHECK) exits 0 for a
// caught-up node with a recent block, printing block_age next to catching_up,
// and 1, saying why, when the RPC does not answer (refused or too slow), when
// the node is catching up, and when the last block is older than
// --max-block-age (90 s by default).
func TestStatusHealth(t *testing.T) {
	now := time.Now()
	down := "tcp://127.0.0.1:" + strconv.Itoa(testutil.FreePort(t))
	cases := []struct {
		name string
		node string
		args []string
		code int
		out  []string // in stdout
		why  string   // in the error
	}{
		{name: "healthy", node: statusServer(t, statusAt(12, now.Add(-3*time.Second), false), 0),
			out: []string{"height:       12\n", "block age:    3.", "catching up:  false\n"}},
		{name: "idle chain, 31-s empty blocks", node: statusServer(t, statusAt(12, now.Add(-31*time.Second), false), 0),
			out: []string{"block age:    31."}},
		{name: "rpc refused", node: down, code: 1, why: "does not answer on its RPC"},
		{name: "rpc too slow", node: statusServer(t, statusAt(12, now, false), 2*time.Second), code: 1, why: "does not answer on its RPC within 300ms"},
		{name: "catching up", node: statusServer(t, statusAt(12, now.Add(-time.Hour), true), 0), code: 1,
			out: []string{"catching up:  true\n"}, why: "is catching up (at height 12)"},
		{name: "stalled", node: statusServer(t, statusAt(12, now.Add(-2*time.Minute), false), 0), code: 1,
			out: []string{"block age:    120.", "catching up:  false\n"}, why: "is 2m0s old, more than --max-block-age 1m30s: the chain has stopped or this node is stuck"},
		{name: "stalled by a custom bound", node: statusServer(t, statusAt(12, now.Add(-20*time.Second), false), 0),
			args: []string{"--max-block-age", "10s"}, code: 1, why: "more than --max-block-age 10s"},
		{name: "no block yet", node: statusServer(t, statusAt(0, time.Time{}, false), 0),
			out: []string{"block age:    none (no block yet)\n"}},
		{name: "bad bound", node: down, args: []string{"--max-block-age", "0s"}, code: 2, why: "want a positive duration"},
	}
	old := statusTimeout
	statusTimeout = 300 * time.Millisecond
	defer func() { statusTimeout = old }()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err, code := runStatus(t, append([]string{"--node", c.node}, c.args...)...)
			if code != c.code {
				t.Fatalf("exit %d (%v), want %d\n%s", code, err, c.code, out)
			}
			for _, w := range c.out {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
			if c.why != "" && (err == nil || !strings.Contains(err.Error(), c.why)) {
				t.Errorf("error %v, want it to say %q", err, c.why)
			}
		})
	}

	// JSON: block_age in seconds next to catching_up.
	out, err, _ := runStatus(t, "--node", statusServer(t, statusAt(5, now.Add(-2500*time.Millisecond), false), 0), "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	var j struct {
		BlockAge   *float64 `json:"block_age"`
		CatchingUp *bool    `json:"catching_up"`
	}
	if err := json.Unmarshal([]byte(out), &j); err != nil || j.BlockAge == nil || *j.BlockAge < 2.5 || *j.BlockAge > 10 || j.CatchingUp == nil {
		t.Fatalf("json %s: %v", out, err)
	}
}
