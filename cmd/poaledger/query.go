package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
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
		v.Notes = os.Stderr
		o.Verifier = v
	}
	return c, o, nil
}

func verifiedLine(w io.Writer, info client.QueryInfo) {
	fmt.Fprintf(w, "state:    height %d\n", info.Height)
	if info.Verified {
		fmt.Fprintf(w, "verified: true (proof against header %d)\n", info.ProofHeight)
	}
}

// notFoundOut is the JSON form of a not-found answer (the command still exits 1).
type notFoundOut struct {
	NotFound    bool   `json:"not_found"`
	Log         string `json:"log"`
	Height      int64  `json:"height"`
	Verified    bool   `json:"verified"`
	ProofHeight int64  `json:"proof_height,omitempty"`
}

// completeLine says whether a list is proven to hold every item of its kind.
func completeLine(w io.Writer, complete bool, what string) {
	if complete {
		fmt.Fprintf(w, "complete: true (proven: no other %s exists at this height)\n", what)
	} else {
		fmt.Fprintf(w, "complete: NOT PROVEN (without --prove nothing is verified; other %ss may exist)\n", what)
	}
}

// provenQuery builds a query subcommand with --height/--prove/--genesis/--timeout:
// fetch reads (and with --prove verifies) the answer, text prints it as text.
// argName is "" for commands without arguments.
func provenQuery[T any](g *globals, use, short, example, argName string,
	fetch func(context.Context, *client.Client, []string, client.QueryOpts) (T, error),
	text func(io.Writer, T),
) *cobra.Command {
	var f queryFlags
	nargs := 0
	if argName != "" {
		nargs = 1
	}
	cmd := &cobra.Command{
		Use: use, Short: short, Example: example, Args: exactArgs(nargs, argName),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, o, err := g.queryOpts(&f)
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), f.timeout)
			defer cancel()
			res, err := fetch(ctx, c, args, o)
			var qe *client.QueryError
			if client.IsNotFound(err) && errors.As(err, &qe) && g.output == "json" {
				// A not-found answer is an answer too: with its state height (and,
				// with --prove, the header its absence was verified against).
				_ = g.print(cmd.OutOrStdout(), notFoundOut{NotFound: true, Log: qe.Log, Height: qe.Height,
					Verified: qe.Verified, ProofHeight: qe.ProofHeight}, nil)
			}
			if err != nil {
				return err
			}
			return g.print(cmd.OutOrStdout(), res, func(w io.Writer) { text(w, res) })
		},
	}
	f.register(cmd, true)
	return cmd
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

	event := provenQuery(g, "event ID", "Show an event by its id",
		"  poaledger query event 4f9d...adfb --prove\n  poaledger query event 4f9d...adfb --height 12 --output json", "ID",
		func(ctx context.Context, c *client.Client, args []string, o client.QueryOpts) (*client.EventResult, error) {
			return c.Event(ctx, args[0], o)
		},
		func(w io.Writer, res *client.EventResult) {
			r := res.Record
			fmt.Fprintf(w, "id:        %s\nseq:       %d\nsubmitter: %s\nheight:    %d (tx %s, index %d/%d)\ntime:      %s\nevent:     %s\n",
				r.ID, r.Seq, r.Submitter, r.Height, r.TxHash, r.TxIndex, r.EventIndex, r.BlockTime, strings.TrimSpace(string(r.Event)))
			verifiedLine(w, res.QueryInfo)
		})
	member := provenQuery(g, "member ADDRESS", "Show a member account",
		"  poaledger query member EBF19B2FEDB46301AFEEB2BFF463D3739DB5F496 --prove", "ADDRESS",
		func(ctx context.Context, c *client.Client, args []string, o client.QueryOpts) (*client.MemberResult, error) {
			return c.Member(ctx, args[0], o)
		},
		func(w io.Writer, res *client.MemberResult) {
			m := res.Member
			fmt.Fprintf(w, "address:      %s\nname:         %s\norganisation: %s\nroles:        %s\nstatus:       %s (since %d, updated %d)\n",
				m.Address, m.Name, m.Organisation, strings.Join(m.Roles, ","), m.Status, m.SinceHeight, m.UpdatedHeight)
			verifiedLine(w, res.QueryInfo)
		})
	members := provenQuery(g, "members", "List every member account",
		"  poaledger query members --prove --output json", "",
		func(ctx context.Context, c *client.Client, _ []string, o client.QueryOpts) (*client.MembersResult, error) {
			return c.Members(ctx, o)
		},
		func(w io.Writer, res *client.MembersResult) {
			for _, m := range res.Members {
				fmt.Fprintf(w, "%s %-8s %-20s %s\n", m.Address, m.Status, strings.Join(m.Roles, ","), m.Name)
			}
			verifiedLine(w, res.QueryInfo)
			completeLine(w, res.Complete, "member")
		})
	validators := provenQuery(g, "validators", "List the validators the ledger records",
		"  poaledger query validators --prove", "",
		func(ctx context.Context, c *client.Client, _ []string, o client.QueryOpts) (*client.ValidatorsResult, error) {
			return c.Validators(ctx, o)
		},
		func(w io.Writer, res *client.ValidatorsResult) {
			for _, v := range res.Validators {
				fmt.Fprintf(w, "%s power %d %s\n", v.Address, v.Power, v.Name)
			}
			verifiedLine(w, res.QueryInfo)
			completeLine(w, res.Complete, "validator")
		})
	misbehaviour := provenQuery(g, "misbehaviour", "List the misbehaviour (evidence) the ledger records",
		"  poaledger query misbehaviour --prove -o json", "",
		func(ctx context.Context, c *client.Client, _ []string, o client.QueryOpts) (*client.MisbehaviourResult, error) {
			return c.Misbehaviour(ctx, o)
		},
		func(w io.Writer, res *client.MisbehaviourResult) {
			for _, m := range res.Misbehaviour {
				fmt.Fprintf(w, "%s validator %s power %d at height %d (reported at %d)\n", m.Type, m.Validator, m.Power, m.Height, m.ReportedAt)
			}
			verifiedLine(w, res.QueryInfo)
			completeLine(w, res.Complete, "misbehaviour record")
		})
	nonce := provenQuery(g, "nonce ADDRESS", "Show a member's next nonce",
		"  poaledger query nonce EBF19B2FEDB46301AFEEB2BFF463D3739DB5F496", "ADDRESS",
		func(ctx context.Context, c *client.Client, args []string, o client.QueryOpts) (*client.NonceResult, error) {
			return c.Nonce(ctx, args[0], o)
		},
		func(w io.Writer, res *client.NonceResult) {
			fmt.Fprintf(w, "address:  %s\nnonce:    %d\n", res.Address, res.Nonce)
			verifiedLine(w, res.QueryInfo)
		})
	params := provenQuery(g, "params", "Show the chain parameters",
		"  poaledger query params --prove", "",
		func(ctx context.Context, c *client.Client, _ []string, o client.QueryOpts) (*client.ParamsResult, error) {
			return c.Params(ctx, o)
		},
		func(w io.Writer, res *client.ParamsResult) {
			fmt.Fprintf(w, "max_events_per_tx: %d\nmax_event_bytes:   %d\n", res.Params.MaxEventsPerTx, res.Params.MaxEventBytes)
			verifiedLine(w, res.QueryInfo)
		})

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

	cmd.AddCommand(event, member, members, validators, misbehaviour, nonce, params, status)
	cmd.AddCommand(govQueryCmds(g)...)
	return cmd
}
