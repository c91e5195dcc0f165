package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/poaledger/poaledger/app/api"
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

// notFoundOut is the JSON form of a not-found answer (the command still exits 1).
type notFoundOut struct {
	NotFound    bool   `json:"not_found"`
	Log         string `json:"log"`
	Height      int64  `json:"height"`
	Verified    bool   `json:"verified"`
	ProofHeight int64  `json:"proof_height,omitempty"`
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
		eventText)
	member := provenQuery(g, "member ADDRESS", "Show a member account",
		"  poaledger query member EBF19B2FEDB46301AFEEB2BFF463D3739DB5F496 --prove", "ADDRESS",
		func(ctx context.Context, c *client.Client, args []string, o client.QueryOpts) (*client.MemberResult, error) {
			return c.Member(ctx, args[0], o)
		},
		memberText)
	members := provenQuery(g, "members", "List every member account",
		"  poaledger query members --prove --output json", "",
		func(ctx context.Context, c *client.Client, _ []string, o client.QueryOpts) (*client.MembersResult, error) {
			return c.Members(ctx, o)
		},
		membersText)
	validators := provenQuery(g, "validators", "List the validators the ledger records",
		"  poaledger query validators --prove", "",
		func(ctx context.Context, c *client.Client, _ []string, o client.QueryOpts) (*client.ValidatorsResult, error) {
			return c.Validators(ctx, o)
		},
		validatorsText)
	misbehaviour := provenQuery(g, "misbehaviour", "List the misbehaviour (evidence) the ledger records",
		"  poaledger query misbehaviour --prove -o json", "",
		func(ctx context.Context, c *client.Client, _ []string, o client.QueryOpts) (*client.MisbehaviourResult, error) {
			return c.Misbehaviour(ctx, o)
		},
		misbehaviourText)
	nonce := provenQuery(g, "nonce ADDRESS", "Show a member's next nonce",
		"  poaledger query nonce EBF19B2FEDB46301AFEEB2BFF463D3739DB5F496", "ADDRESS",
		func(ctx context.Context, c *client.Client, args []string, o client.QueryOpts) (*client.NonceResult, error) {
			return c.Nonce(ctx, args[0], o)
		},
		nonceText)
	params := provenQuery(g, "params", "Show the chain parameters",
		"  poaledger query params --prove", "",
		func(ctx context.Context, c *client.Client, _ []string, o client.QueryOpts) (*client.ParamsResult, error) {
			return c.Params(ctx, o)
		},
		paramsText)

	status := nodeQuery(g, "status", "Show chain id, height, app hash and validators (as the node reports them)",
		"  poaledger query status --node tcp://127.0.0.1:26657 --output json",
		func(ctx context.Context, c *client.Client) (*client.Status, error) { return c.Status(ctx) },
		statusText)

	cmd.AddCommand(event, member, members, validators, misbehaviour, nonce, params, status)
	cmd.AddCommand(govQueryCmds(g)...)
	cmd.AddCommand(epcisQueryCmds(g)...)
	return cmd
}

// The text form of each query's answer (golden files: testdata/golden/query_*.txt).

func eventText(w io.Writer, res *client.EventResult) {
	r := res.Record
	f := &fields{}
	f.add("id", "%s", r.ID).
		add("seq", "%d", r.Seq).
		add("submitter", "%s", r.Submitter).
		add("height", "%d", r.Height).
		add("tx_hash", "%s", r.TxHash).
		add("tx_index", "%d (the tx's position in block %d)", r.TxIndex, r.Height).
		add("event_index", "%d (the event's position in the tx)", r.EventIndex)
	if rt := res.RecordTime; !rt.Time.IsZero() {
		how := "unverified"
		if rt.Verified {
			how = "verified"
		}
		f.add("recorded", "%s (commit time of block %d, from header %d, %s)", rt.Time.Format(time.RFC3339Nano), r.Height, rt.Header, how)
	}
	f.stateRows(res.QueryInfo).write(w)
	fmt.Fprintf(w, "event:\n%s\n", indentBlock(indentJSON(r.Event)))
}

func memberText(w io.Writer, res *client.MemberResult) {
	m := res.Member
	f := &fields{}
	f.add("address", "%s", m.Address).
		add("name", "%s", orDash(m.Name)).
		add("organisation", "%s", orDash(m.Organisation)).
		add("roles", "%s", orDash(strings.Join(m.Roles, ","))).
		add("status", "%s (since height %d, updated at height %d)", m.Status, m.SinceHeight, m.UpdatedHeight).
		add("pubkey", "%s", base64.StdEncoding.EncodeToString(m.PubKey))
	f.stateRows(res.QueryInfo).write(w)
}

// membersTable is the table of query members and query authorities.
func membersTable(w io.Writer, members []api.Member) {
	rows := make([][]string, 0, len(members))
	for _, m := range members {
		rows = append(rows, []string{m.Address, orDash(m.Name), orDash(m.Organisation), orDash(strings.Join(m.Roles, ",")),
			m.Status, strconv.FormatInt(m.SinceHeight, 10)})
	}
	table(w, []string{"ADDRESS", "NAME", "ORGANISATION", "ROLES", "STATUS", "SINCE"}, rows)
}

func membersText(w io.Writer, res *client.MembersResult) {
	membersTable(w, res.Members)
	(&fields{}).stateRows(res.QueryInfo).completeRow(res.Complete, "member", "members").write(w)
}

func validatorsText(w io.Writer, res *client.ValidatorsResult) {
	rows := make([][]string, 0, len(res.Validators))
	for _, v := range res.Validators {
		rows = append(rows, []string{v.Address, strconv.FormatInt(v.Power, 10), orDash(v.Name), orDash(v.Operator)})
	}
	table(w, []string{"ADDRESS", "POWER", "NAME", "OPERATOR"}, rows)
	(&fields{}).stateRows(res.QueryInfo).completeRow(res.Complete, "validator", "validators").write(w)
}

func misbehaviourText(w io.Writer, res *client.MisbehaviourResult) {
	rows := make([][]string, 0, len(res.Misbehaviour))
	for _, m := range res.Misbehaviour {
		rows = append(rows, []string{m.Type, m.Validator, strconv.FormatInt(m.Power, 10), strconv.FormatInt(m.Height, 10),
			strconv.FormatInt(m.ReportedAt, 10), orDash(m.Time)})
	}
	table(w, []string{"TYPE", "VALIDATOR", "POWER", "HEIGHT", "REPORTED AT", "TIME"}, rows)
	(&fields{}).stateRows(res.QueryInfo).completeRow(res.Complete, "misbehaviour record", "misbehaviour records").write(w)
}

func nonceText(w io.Writer, res *client.NonceResult) {
	f := &fields{}
	f.add("address", "%s", res.Address).add("nonce", "%d", res.Nonce)
	f.stateRows(res.QueryInfo).write(w)
}

// paramsText prints every chain parameter, by its name in `tx propose set-param`.
func paramsText(w io.Writer, res *client.ParamsResult) {
	var values map[string]uint64
	_ = json.Unmarshal(res.Params.Encode(), &values)
	f := &fields{}
	for _, name := range api.ParamNames() {
		f.add(name, "%d", values[name])
	}
	f.stateRows(res.QueryInfo).write(w)
}

func statusText(w io.Writer, st *client.Status) {
	f := &fields{}
	f.add("chain id", "%s", st.ChainID).
		add("height", "%d", st.Height).
		add("app hash", "%s", st.AppHash).
		add("block time", "%s", st.LatestBlockTime.UTC().Format(time.RFC3339)).
		add("catching up", "%t", st.CatchingUp).
		add("node", "%s (%s)", st.Moniker, st.NodeID).
		add("verified", "%s", "no (unproven: the node's own report; `query validators --prove` verifies the set)")
	f.write(w)
	rows := make([][]string, 0, len(st.Validators))
	for _, v := range st.Validators {
		rows = append(rows, []string{v.Address, strconv.FormatInt(v.Power, 10)})
	}
	table(w, []string{"VALIDATOR", "POWER"}, rows)
}

// nodeQuery builds a query command for what --node says of itself (status, its
// signing record): no state, no proof.
func nodeQuery[T any](g *globals, use, short, example string,
	fetch func(context.Context, *client.Client) (T, error), text func(io.Writer, T)) *cobra.Command {
	var f queryFlags
	cmd := &cobra.Command{
		Use: use, Short: short, Example: example, Args: exactArgs(0, ""),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := client.New(g.node)
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), f.timeout)
			defer cancel()
			res, err := fetch(ctx, c)
			if err != nil {
				return err
			}
			return g.print(cmd.OutOrStdout(), res, func(w io.Writer) { text(w, res) })
		},
	}
	cmd.Flags().DurationVar(&f.timeout, "timeout", 30*time.Second, "how long to wait for the node")
	return cmd
}
