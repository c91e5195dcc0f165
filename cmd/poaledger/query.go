package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/poaledger/poaledger/client"
)

type queryFlags struct {
	height  int64
	prove   bool
	genesis string
	timeout time.Duration
}

func (f *queryFlags) register(cmd *cobra.Command, provable bool) {
	cmd.Flags().Int64Var(&f.height, "height", 0, "state height to read (0 = latest committed)")
	cmd.Flags().DurationVar(&f.timeout, "timeout", time.Minute, "how long to wait for the node")
	if provable {
		cmd.Flags().BoolVar(&f.prove, "prove", false, "verify the answer: ICS23 proof against the app hash of a header light-verified from genesis")
		cmd.Flags().StringVar(&f.genesis, "genesis", "", "genesis.json that anchors verification (default <home>/config/genesis.json)")
	}
}

// opts connects to --node and builds the query options (a Verifier with --prove).
func (g *globals) queryOpts(f *queryFlags) (*client.Client, client.QueryOpts, error) {
	if f.height < 0 {
		return nil, client.QueryOpts{}, usagef("--height %d: must be >= 0", f.height)
	}
	c, err := client.New(g.node)
	if err != nil {
		return nil, client.QueryOpts{}, err
	}
	o := client.QueryOpts{Height: f.height, Prove: f.prove}
	if f.prove {
		gen := f.genesis
		if gen == "" {
			gen = filepath.Join(g.home, "config", "genesis.json")
		}
		v, err := client.NewVerifier(g.home, gen, c)
		if err != nil {
			return nil, o, err
		}
		o.Verifier = v
	}
	return c, o, nil
}

func verifiedLine(w io.Writer, info client.QueryInfo, prove bool) {
	fmt.Fprintf(w, "height:   %d\n", info.Height)
	if prove {
		fmt.Fprintf(w, "verified: %t (proof against header %d)\n", info.Verified, info.ProofHeight)
	}
}

func newQueryCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "query",
		Short: "Read ledger state from --node (with --prove: verified from your genesis)",
		Long: `query reads committed state through the node's abci_query. With --prove the answer
is verified on this machine: its ICS23 proof against the app hash of header H+1, and
that header against a chain of validator signatures traced back to your own
genesis.json (the latest verified header is kept in <home>/light/). A failed
verification exits non-zero and says what failed.`,
		Example: "  poaledger query event 4f9d...adfb --prove\n  poaledger query members --output json",
	}

	var ef queryFlags
	event := &cobra.Command{
		Use:     "event ID",
		Short:   "Show an event by its id",
		Example: "  poaledger query event 3a7c...e1 --prove\n  poaledger query event 3a7c...e1 --height 12 --output json",
		Args:    exactArgs(1, "ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, o, err := g.queryOpts(&ef)
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), ef.timeout)
			defer cancel()
			res, err := c.Event(ctx, args[0], o)
			if err != nil {
				return err
			}
			return g.print(cmd.OutOrStdout(), res, func(w io.Writer) {
				r := res.Record
				fmt.Fprintf(w, "id:        %s\nseq:       %d\nsubmitter: %s\nheight:    %d (tx %s, index %d/%d)\ntime:      %s\nevent:     %s\n",
					r.ID, r.Seq, r.Submitter, r.Height, r.TxHash, r.TxIndex, r.EventIndex, r.BlockTime, strings.TrimSpace(string(r.Event)))
				fmt.Fprintf(w, "state:     height %d\n", res.Height)
				if ef.prove {
					fmt.Fprintf(w, "verified:  %t (proof against header %d)\n", res.Verified, res.ProofHeight)
				}
			})
		},
	}
	ef.register(event, true)

	var mf queryFlags
	member := &cobra.Command{
		Use:     "member ADDRESS",
		Short:   "Show a member account",
		Example: "  poaledger query member 3F1C0000000000000000000000000000000000A9 --prove",
		Args:    exactArgs(1, "ADDRESS"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, o, err := g.queryOpts(&mf)
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), mf.timeout)
			defer cancel()
			res, err := c.Member(ctx, args[0], o)
			if err != nil {
				return err
			}
			return g.print(cmd.OutOrStdout(), res, func(w io.Writer) {
				m := res.Member
				fmt.Fprintf(w, "address:      %s\nname:         %s\norganisation: %s\nroles:        %s\nstatus:       %s (since %d, updated %d)\n",
					m.Address, m.Name, m.Organisation, strings.Join(m.Roles, ","), m.Status, m.SinceHeight, m.UpdatedHeight)
				verifiedLine(w, res.QueryInfo, mf.prove)
			})
		},
	}
	mf.register(member, true)

	var lf queryFlags
	members := &cobra.Command{
		Use:     "members",
		Short:   "List every member account",
		Example: "  poaledger query members --output json",
		Args:    exactArgs(0, ""),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, o, err := g.queryOpts(&lf)
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), lf.timeout)
			defer cancel()
			res, err := c.Members(ctx, o)
			if err != nil {
				return err
			}
			return g.print(cmd.OutOrStdout(), res, func(w io.Writer) {
				for _, m := range res.Members {
					fmt.Fprintf(w, "%s %-8s %-20s %s\n", m.Address, m.Status, strings.Join(m.Roles, ","), m.Name)
				}
				verifiedLine(w, res.QueryInfo, lf.prove)
			})
		},
	}
	lf.register(members, true)

	var nf queryFlags
	nonce := &cobra.Command{
		Use:     "nonce ADDRESS",
		Short:   "Show a member's next nonce",
		Example: "  poaledger query nonce 3F1C0000000000000000000000000000000000A9",
		Args:    exactArgs(1, "ADDRESS"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, o, err := g.queryOpts(&nf)
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), nf.timeout)
			defer cancel()
			res, err := c.Nonce(ctx, args[0], o)
			if err != nil {
				return err
			}
			return g.print(cmd.OutOrStdout(), res, func(w io.Writer) {
				fmt.Fprintf(w, "address:  %s\nnonce:    %d\n", res.Address, res.Nonce)
				verifiedLine(w, res.QueryInfo, nf.prove)
			})
		},
	}
	nf.register(nonce, true)

	var pf queryFlags
	params := &cobra.Command{
		Use:     "params",
		Short:   "Show the chain parameters",
		Example: "  poaledger query params --prove",
		Args:    exactArgs(0, ""),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, o, err := g.queryOpts(&pf)
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), pf.timeout)
			defer cancel()
			res, err := c.Params(ctx, o)
			if err != nil {
				return err
			}
			return g.print(cmd.OutOrStdout(), res, func(w io.Writer) {
				fmt.Fprintf(w, "max_events_per_tx: %d\nmax_event_bytes:   %d\n", res.Params.MaxEventsPerTx, res.Params.MaxEventBytes)
				verifiedLine(w, res.QueryInfo, pf.prove)
			})
		},
	}
	pf.register(params, true)

	var sf queryFlags
	status := &cobra.Command{
		Use:     "status",
		Short:   "Show chain id, height, app hash and validators (as the node reports them)",
		Example: "  poaledger query status --node tcp://127.0.0.1:26657 --output json",
		Args:    exactArgs(0, ""),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := client.New(g.node)
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), sf.timeout)
			defer cancel()
			st, err := c.Status(ctx)
			if err != nil {
				return err
			}
			return g.print(cmd.OutOrStdout(), st, func(w io.Writer) {
				fmt.Fprintf(w, "chain id:    %s\nheight:      %d\napp hash:    %s\nblock time:  %s\ncatching up: %t\nnode:        %s (%s)\nvalidators:\n",
					st.ChainID, st.Height, st.AppHash, st.LatestBlockTime.UTC().Format(time.RFC3339), st.CatchingUp, st.Moniker, st.NodeID)
				for _, v := range st.Validators {
					fmt.Fprintf(w, "  %s power %d\n", v.Address, v.Power)
				}
			})
		},
	}
	status.Flags().DurationVar(&sf.timeout, "timeout", 30*time.Second, "how long to wait for the node")

	cmd.AddCommand(event, member, members, nonce, params, status)
	return cmd
}
