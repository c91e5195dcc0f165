package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	"github.com/spf13/cobra"
)

// statusTimeout bounds `poaledger status`; Docker's HEALTHCHECK runs it every 10 s
// (with a 6-s timeout).
var statusTimeout = 5 * time.Second

// defaultMaxBlockAge is --max-block-age's default: three times the 30-s interval
// at which an idle chain makes empty blocks (create_empty_blocks_interval), the
// threshold of the PoaledgerNoNewBlock alert too.
const defaultMaxBlockAge = 90 * time.Second

type nodeStatus struct {
	Moniker   string `json:"moniker"`
	ChainID   string `json:"chain_id"`
	Height    int64  `json:"height"`
	AppHash   string `json:"app_hash"`
	BlockTime string `json:"block_time"`
	// BlockAge is the seconds since the last block's header time (null before
	// the first block).
	BlockAge    *float64 `json:"block_age"`
	CatchingUp  bool     `json:"catching_up"`
	VotingPower int64    `json:"voting_power"`
}

func newStatusCmd(g *globals) *cobra.Command {
	maxAge := defaultMaxBlockAge
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Print the status of --node; exit 1 if it does not answer, is catching up or its last block is too old",
		Long: `status asks --node for its /status: chain id, latest height, app hash, the block's
header time and age (block_age: seconds since that time), whether it is catching up,
and its voting power. It is the Docker HEALTHCHECK: it exits 1, saying why, when

  - the RPC does not answer within 5 s,
  - the node is catching up (block or state sync), or
  - its last block is older than --max-block-age (default 90 s: an idle chain makes an
    empty block every ~31 s, so 90 s without one means the chain or the node stopped).

The status is printed before the reason whenever the node answered.`,
		Example: "  poaledger status --node tcp://127.0.0.1:26657\n  poaledger status --max-block-age 5m -o json",
		Args:    exactArgs(0, ""),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if maxAge <= 0 {
				return usagef("--max-block-age %s: want a positive duration", maxAge)
			}
			c, err := rpchttp.New(g.node, "/websocket")
			if err != nil {
				return usagef("--node %q: %v", g.node, err)
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), statusTimeout)
			defer cancel()
			st, err := c.Status(ctx)
			if err != nil {
				return fmt.Errorf("node %s does not answer on its RPC within %s: %v", g.node, statusTimeout, err)
			}
			s := nodeStatus{
				Moniker: st.NodeInfo.Moniker, ChainID: st.NodeInfo.Network,
				Height: st.SyncInfo.LatestBlockHeight, AppHash: st.SyncInfo.LatestAppHash.String(),
				BlockTime:  st.SyncInfo.LatestBlockTime.UTC().Format(time.RFC3339Nano),
				CatchingUp: st.SyncInfo.CatchingUp, VotingPower: st.ValidatorInfo.VotingPower,
			}
			var age time.Duration
			if s.Height > 0 {
				age = time.Since(st.SyncInfo.LatestBlockTime)
				secs := math.Round(age.Seconds()*10) / 10
				s.BlockAge = &secs
			}
			if err := g.print(cmd.OutOrStdout(), s, func(w io.Writer) {
				blockAge := "none (no block yet)"
				if s.BlockAge != nil {
					blockAge = fmt.Sprintf("%.1fs", *s.BlockAge)
				}
				fmt.Fprintf(w, "moniker:      %s\nchain id:     %s\nheight:       %d\napp hash:     %s\nblock time:   %s\nblock age:    %s\ncatching up:  %v\nvoting power: %d\n",
					s.Moniker, s.ChainID, s.Height, s.AppHash, s.BlockTime, blockAge, s.CatchingUp, s.VotingPower)
			}); err != nil {
				return err
			}
			return health(g.node, s, age, maxAge)
		},
	}
	cmd.Flags().DurationVar(&maxAge, "max-block-age", defaultMaxBlockAge, "fail when the last block's header time is older than this")
	return cmd
}

// health is status's verdict: nil for a node that is caught up with a recent
// block, otherwise why not.
func health(node string, s nodeStatus, age, maxAge time.Duration) error {
	switch {
	case s.CatchingUp:
		return fmt.Errorf("node %s is catching up (at height %d): not serving the chain's latest state yet", node, s.Height)
	case s.Height > 0 && age > maxAge:
		return fmt.Errorf("node %s: its last block (height %d, %s) is %s old, more than --max-block-age %s: the chain has stopped or this node is stuck",
			node, s.Height, s.BlockTime, age.Round(time.Second), maxAge)
	}
	return nil
}
