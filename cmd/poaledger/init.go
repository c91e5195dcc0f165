package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/poaledger/poaledger/app/tx"
	"github.com/poaledger/poaledger/node"
)

func newInitCmd(g *globals) *cobra.Command {
	var o node.InitOptions
	cmd := &cobra.Command{
		Use:   "init --chain-id ID",
		Short: "Create a one-validator chain in --home, with an authority key named admin",
		Long: `init writes CometBFT's config.toml and a genesis in which this node is the only
validator, poaledger's own config (config/poaledger.toml), and a member key named
"admin" (keys/admin.json) that genesis makes an authority and recorder. The admin key
is encrypted with a passphrase, read like for ` + "`keys add`" + ` (--passphrase-file FILE,
$POALEDGER_PASSPHRASE, or a prompt on a terminal); --unencrypted stores it in
plaintext, for a throwaway local test chain only. It refuses to touch an existing home
unless --force is given (which deletes that home's chain data and keys).`,
		Example: "  poaledger init --chain-id demo --home ./demo\n  poaledger init --chain-id demo --moniker acme-val --home ./demo --force\n  poaledger init --chain-id scratch --home ./scratch --unencrypted   # test chain: plaintext admin key",
		Args:    exactArgs(0, ""),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.ChainID == "" {
				return usagef("--chain-id is required")
			}
			o.Home = g.home
			if !o.Unencrypted {
				o.Passphrase = keyPassphrase(cmd)
			}
			res, err := node.InitHome(o)
			if err != nil {
				return err
			}
			if o.Unencrypted {
				warnUnencrypted(cmd, node.AdminKeyName)
			}
			return g.print(cmd.OutOrStdout(), res, func(w io.Writer) {
				fmt.Fprintf(w, "initialised %s\n  chain id: %s\n  moniker:  %s\n  node id:  %s\n  admin:    %s (key %q, roles authority,recorder)\n",
					res.Home, res.ChainID, res.Moniker, res.NodeID, res.AdminAddress, node.AdminKeyName)
				fmt.Fprintf(w, "start it with: poaledger start --home %s\n", res.Home)
			})
		},
	}
	cmd.Flags().StringVar(&o.ChainID, "chain-id", "", fmt.Sprintf("chain id (required, at most %d bytes)", tx.MaxChainIDLen))
	cmd.Flags().StringVar(&o.Moniker, "moniker", "node0", "this node's name")
	cmd.Flags().BoolVar(&o.Force, "force", false, "overwrite an existing home (deletes its chain data and keys)")
	cmd.Flags().BoolVar(&o.Unencrypted, unencryptedFlag, false, unencryptedUsage)
	addPassphraseFileFlag(cmd)
	return cmd
}

func newStartCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "start",
		Short: "Run the node (CometBFT in-process with the poaledger app) until SIGINT/SIGTERM",
		Long: `start runs the node in --home in the foreground. RPC listens where config.toml says
(127.0.0.1:26657 by default) and Prometheus metrics, CometBFT's and poaledger_*, on
127.0.0.1:26660. SIGINT or SIGTERM stop it cleanly: the ledger is closed and the next
start needs no recovery.`,
		Example: "  poaledger start --home ./demo",
		Args:    exactArgs(0, ""),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			err := node.Run(ctx, g.home, node.Options{Version: version})
			if errors.Is(err, context.Canceled) {
				return nil
			}
			return err
		},
	}
}
