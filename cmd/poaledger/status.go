package main

import (
	"context"
	"fmt"
	"io"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	"github.com/spf13/cobra"
)

// statusTimeout bounds `poaledger status`; Docker's HEALTHCHECK runs it every 10 s.
const statusTimeout = 5 * time.Second

type nodeStatus struct {
	Moniker     string `json:"moniker"`
	ChainID     string `json:"chain_id"`
	Height      int64  `json:"height"`
	AppHash     string `json:"app_hash"`
	BlockTime   string `json:"block_time"`
	CatchingUp  bool   `json:"catching_up"`
	VotingPower int64  `json:"voting_power"`
}

func newStatusCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "Print the status of --node (exit 1 if its RPC does not answer)",
		Long: `status asks --node for its /status: chain id, latest height, app hash and whether it
is catching up. It exits non-zero when the RPC does not answer within 5 s, so it serves
as the Docker HEALTHCHECK.`,
		Example: "  poaledger status --node tcp://127.0.0.1:26657",
		Args:    exactArgs(0, ""),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := rpchttp.New(g.node, "/websocket")
			if err != nil {
				return usagef("--node %q: %v", g.node, err)
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), statusTimeout)
			defer cancel()
			st, err := c.Status(ctx)
			if err != nil {
				return fmt.Errorf("node %s unreachable: %w", g.node, err)
			}
			s := nodeStatus{
				Moniker: st.NodeInfo.Moniker, ChainID: st.NodeInfo.Network,
				Height: st.SyncInfo.LatestBlockHeight, AppHash: st.SyncInfo.LatestAppHash.String(),
				BlockTime:  st.SyncInfo.LatestBlockTime.UTC().Format(time.RFC3339Nano),
				CatchingUp: st.SyncInfo.CatchingUp, VotingPower: st.ValidatorInfo.VotingPower,
			}
			return g.print(cmd.OutOrStdout(), s, func(w io.Writer) {
				fmt.Fprintf(w, "moniker:      %s\nchain id:     %s\nheight:       %d\napp hash:     %s\nblock time:   %s\ncatching up:  %v\nvoting power: %d\n",
					s.Moniker, s.ChainID, s.Height, s.AppHash, s.BlockTime, s.CatchingUp, s.VotingPower)
			})
		},
	}
}
