package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/poaledger/poaledger/app/api"
	"github.com/poaledger/poaledger/app/tx"
	"github.com/poaledger/poaledger/client"
)

// proposalOut is a proposal as tx commands print it.
type proposalOut struct {
	ID     uint64 `json:"id"`
	Kind   string `json:"kind"`
	Status string `json:"status"`
	Note   string `json:"note,omitempty"`
}

// readProposal is sendThen's step for propose and vote: it finds the proposal
// id in the tx's events and reads the proposal as it stands after the block.
func readProposal(ctx context.Context, c *client.Client, res *client.BroadcastResult, out *txOut) error {
	var id uint64
	for _, ev := range res.Events {
		if ev.Type != api.EventTypeProposal {
			continue
		}
		for _, a := range ev.Attributes {
			if a.Key == api.AttrID {
				n, err := strconv.ParseUint(a.Value, 10, 64)
				if err != nil {
					return fmt.Errorf("tx %s: proposal id %q in its events: %w", res.Hash, a.Value, err)
				}
				id = n
			}
		}
	}
	if id == 0 {
		return fmt.Errorf("tx %s committed at height %d without a proposal event", res.Hash, res.Height)
	}
	p, err := c.Proposal(ctx, id, client.QueryOpts{Height: res.Height})
	if err != nil {
		return err
	}
	out.Proposal = &proposalOut{ID: id, Kind: p.Proposal.Kind, Status: p.Proposal.Status, Note: p.Proposal.Note}
	return nil
}

func parsePubKey(arg, what string) ([]byte, error) {
	pub, err := base64.StdEncoding.DecodeString(arg)
	if err != nil || len(pub) != tx.PubKeyLen {
		return nil, usagef("%s %q: want a base64 ed25519 public key (%d bytes)", what, arg, tx.PubKeyLen)
	}
	return pub, nil
}

func parseAddress(arg, what string) ([]byte, error) {
	a, err := tx.ParseAddress(arg)
	if err != nil {
		return nil, usagef("%s %q: %v", what, arg, err)
	}
	return a, nil
}

func parseRoles(s string) []string {
	var out []string
	for _, r := range strings.Split(s, ",") {
		if r = strings.TrimSpace(r); r != "" {
			out = append(out, r)
		}
	}
	return out
}

func parsePower(s string) (uint64, error) {
	p, err := strconv.ParseUint(s, 10, 64)
	if err != nil || p == 0 {
		return 0, usagef("power %q: want a positive integer", s)
	}
	return p, nil
}

// newProposeCmd is `tx propose KIND ...`: one subcommand per governance action.
func newProposeCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "propose",
		Short: "Propose a governance change for the authorities to vote on (authority keys only)",
		Long: `propose opens a proposal; proposing counts as the proposer's yes vote. It passes at the
end of a block when yes-votes exceed vote_threshold_percent (default 50) of the active
authorities, fails when it no longer can, and expires after proposal_lifetime_blocks. A lone
authority's proposal passes in the block that carries it. With --wait the command prints the
proposal id and its status after that block.`,
		Example: "  poaledger tx propose add-member PUBKEY --roles recorder --name alice --org Acme --from admin --wait\n" +
			"  poaledger tx propose set-param vote_threshold_percent 66 --from admin --wait",
	}
	var reason, evidence string
	// action builds one subcommand whose args become the proposal's action.
	action := func(use, short, example string, nargs int, argNames string, build func(args []string) (tx.Action, error),
		extra func(*cobra.Command)) *cobra.Command {
		var f txFlags
		sub := &cobra.Command{Use: use, Short: short, Example: example, Args: exactArgs(nargs, argNames),
			RunE: func(c *cobra.Command, args []string) error {
				a, err := build(args)
				if err != nil {
					return err
				}
				m := &tx.Propose{Action: a, Reason: reason}
				if evidence != "" {
					h, n, ok := strings.Cut(evidence, "/")
					eh, err1 := strconv.ParseUint(h, 10, 64)
					en, err2 := strconv.ParseUint(n, 10, 64)
					if !ok || err1 != nil || err2 != nil || eh == 0 || en == 0 {
						return usagef("--evidence %q: want HEIGHT/NUMBER of a recorded misbehaviour (see query misbehaviour)", evidence)
					}
					m.EvidenceHeight, m.EvidenceNumber = eh, en
				}
				if err := (&tx.Body{ChainID: "check", Msg: m}).ValidateBasic(); err != nil {
					return usagef("%v", err)
				}
				return g.sendThen(c, &f, m, txOut{}, readProposal)
			}}
		f.register(sub)
		sub.Flags().StringVar(&reason, "reason", "", "why (free text, up to 512 bytes; kept with the proposal)")
		sub.Flags().StringVar(&evidence, "evidence", "", "HEIGHT/NUMBER of recorded misbehaviour this proposal answers")
		if extra != nil {
			extra(sub)
		}
		return sub
	}

	var power uint64
	var name, operator, roles, org, nodeRole string
	cmd.AddCommand(
		action("add-validator PUBKEY", "Add a consensus validator (base64 ed25519 key, as in priv_validator_key.json)",
			"  poaledger tx propose add-validator Q3Vr...= --power 3 --name acme-val --operator 3F1C...A9 --from admin --wait",
			1, "PUBKEY", func(args []string) (tx.Action, error) {
				pub, err := parsePubKey(args[0], "PUBKEY")
				if err != nil {
					return nil, err
				}
				op, err := parseAddress(operator, "--operator")
				if err != nil {
					return nil, err
				}
				return &tx.AddValidator{PubKey: pub, Power: power, Name: name, Operator: op}, nil
			}, func(c *cobra.Command) {
				c.Flags().Uint64Var(&power, "power", 0, "voting power (required; under a third of the total changes per block)")
				c.Flags().StringVar(&name, "name", "", "validator name")
				c.Flags().StringVar(&operator, "operator", "", "address of the member that runs it (required)")
			}),
		action("remove-validator PUBKEY", "Remove a consensus validator",
			"  poaledger tx propose remove-validator Q3Vr...= --from admin --wait",
			1, "PUBKEY", func(args []string) (tx.Action, error) {
				pub, err := parsePubKey(args[0], "PUBKEY")
				return &tx.RemoveValidator{PubKey: pub}, err
			}, nil),
		action("set-power PUBKEY POWER", "Change a validator's voting power",
			"  poaledger tx propose set-power Q3Vr...= 12 --from admin --wait",
			2, "PUBKEY POWER", func(args []string) (tx.Action, error) {
				pub, err := parsePubKey(args[0], "PUBKEY")
				if err != nil {
					return nil, err
				}
				p, err := parsePower(args[1])
				return &tx.SetPower{PubKey: pub, Power: p}, err
			}, nil),
		action("add-member PUBKEY", "Admit a member by ed25519 public key (base64, as `keys show` prints it)",
			"  poaledger tx propose add-member \"$(poaledger keys show alice -o json | jq -r .pubkey)\" \\\n      --roles recorder --name alice --org Acme --from admin --wait",
			1, "PUBKEY", func(args []string) (tx.Action, error) {
				pub, err := parsePubKey(args[0], "PUBKEY")
				return &tx.AddMember{PubKey: pub, Name: name, Organisation: org, Roles: parseRoles(roles)}, err
			}, func(c *cobra.Command) {
				c.Flags().StringVar(&roles, "roles", "", "comma-separated roles: recorder, authority (required)")
				c.Flags().StringVar(&name, "name", "", "member name")
				c.Flags().StringVar(&org, "org", "", "member organisation")
			}),
		action("revoke-member ADDRESS", "Revoke a member; its txs are refused from the next block on",
			"  poaledger tx propose revoke-member EBF19B2FEDB46301AFEEB2BFF463D3739DB5F496 --from admin --wait",
			1, "ADDRESS", func(args []string) (tx.Action, error) {
				a, err := parseAddress(args[0], "ADDRESS")
				return &tx.RevokeMember{Address: a}, err
			}, nil),
		action("set-roles ADDRESS ROLES", "Replace a member's roles (comma-separated)",
			"  poaledger tx propose set-roles EBF19B2FEDB46301AFEEB2BFF463D3739DB5F496 recorder,authority --from admin --wait",
			2, "ADDRESS ROLES", func(args []string) (tx.Action, error) {
				a, err := parseAddress(args[0], "ADDRESS")
				return &tx.SetRoles{Address: a, Roles: parseRoles(args[1])}, err
			}, nil),
		action("set-param NAME VALUE", "Set a chain parameter (see `query params`)",
			"  poaledger tx propose set-param vote_threshold_percent 66 --from admin --wait",
			2, "NAME VALUE", func(args []string) (tx.Action, error) {
				v, err := strconv.ParseUint(args[1], 10, 64)
				if err != nil {
					return nil, usagef("VALUE %q: want a non-negative integer", args[1])
				}
				if _, err := api.DefaultParams().Set(args[0], v); err != nil && strings.Contains(err.Error(), "unknown parameter") {
					return nil, usagef("%v", err)
				}
				return &tx.SetParam{Name: args[0], Value: v}, nil
			}, nil),
		action("admit-node NODE_ID", "Admit a CometBFT node (its node ID, as `poaledger init` prints it) to the network",
			"  poaledger tx propose admit-node 3a1f...c0 --role full --operator 3F1C...A9 --from admin --wait",
			1, "NODE_ID", func(args []string) (tx.Action, error) {
				id, err := api.ParseNodeID(args[0])
				if err != nil {
					return nil, usagef("NODE_ID: %v", err)
				}
				op, err := parseAddress(operator, "--operator")
				return &tx.AdmitNode{NodeID: id, Role: nodeRole, Operator: op}, err
			}, func(c *cobra.Command) {
				c.Flags().StringVar(&nodeRole, "role", "full", "validator, full or sentry")
				c.Flags().StringVar(&operator, "operator", "", "address of the member that runs it (required)")
			}),
		action("revoke-node NODE_ID", "Revoke a node; every node drops it within a block and refuses it after",
			"  poaledger tx propose revoke-node 3a1f...c0 --from admin --wait",
			1, "NODE_ID", func(args []string) (tx.Action, error) {
				id, err := api.ParseNodeID(args[0])
				if err != nil {
					return nil, usagef("NODE_ID: %v", err)
				}
				return &tx.RevokeNode{NodeID: id}, nil
			}, nil),
	)
	return cmd
}

// newVoteCmd is `tx vote ID yes|no`.
func newVoteCmd(g *globals) *cobra.Command {
	var f txFlags
	cmd := &cobra.Command{
		Use:   "vote ID yes|no",
		Short: "Vote on an open proposal (authority keys only; a later vote replaces yours)",
		Example: "  poaledger tx vote 3 yes --from authority --wait --home build/localnet/node1 --node tcp://127.0.0.1:26611\n" +
			"  poaledger tx vote 3 no --from admin",
		Args: exactArgs(2, "ID yes|no"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseUint(args[0], 10, 64)
			if err != nil || id == 0 {
				return usagef("ID %q: want a proposal id (see `query proposals`)", args[0])
			}
			var opt uint64
			switch strings.ToLower(args[1]) {
			case "yes", "y":
				opt = tx.VoteYes
			case "no", "n":
				opt = tx.VoteNo
			default:
				return usagef("vote %q: want yes or no", args[1])
			}
			return g.sendThen(cmd, &f, &tx.Vote{ProposalID: id, Option: opt}, txOut{}, readProposal)
		},
	}
	f.register(cmd)
	return cmd
}

// govQueryCmds are the governance queries: proposals, authorities, nodes and
// the signing record (validators and misbehaviour are in query.go).
func govQueryCmds(g *globals) []*cobra.Command {
	var status string
	proposals := provenQuery(g, "proposals", "List governance proposals (--status open|passed|rejected|expired|failed)",
		"  poaledger query proposals --status open --prove", "",
		func(ctx context.Context, c *client.Client, _ []string, o client.QueryOpts) (*client.ProposalsResult, error) {
			res, err := c.Proposals(ctx, o)
			if err != nil || status == "" {
				return res, err
			}
			kept := res.Proposals[:0]
			for _, p := range res.Proposals {
				if p.Status == status {
					kept = append(kept, p)
				}
			}
			res.Proposals = kept
			return res, nil
		},
		proposalsText)
	proposals.Flags().StringVar(&status, "status", "", "only proposals with this status")

	proposal := provenQuery(g, "proposal ID", "Show one governance proposal and its votes",
		"  poaledger query proposal 3 --prove", "ID",
		func(ctx context.Context, c *client.Client, args []string, o client.QueryOpts) (*client.ProposalResult, error) {
			id, err := strconv.ParseUint(args[0], 10, 64)
			if err != nil || id == 0 {
				return nil, usagef("ID %q: want a proposal id", args[0])
			}
			return c.Proposal(ctx, id, o)
		},
		proposalText)

	authorities := provenQuery(g, "authorities", "List the active authorities (the members who govern)",
		"  poaledger query authorities --prove", "",
		func(ctx context.Context, c *client.Client, _ []string, o client.QueryOpts) (*client.MembersResult, error) {
			return c.Authorities(ctx, o)
		},
		authoritiesText)

	nodes := provenQuery(g, "nodes", "List the nodes admitted to connect (and those revoked)",
		"  poaledger query nodes --prove", "",
		func(ctx context.Context, c *client.Client, _ []string, o client.QueryOpts) (*client.NodesResult, error) {
			return c.Nodes(ctx, o)
		},
		nodesText)

	signing := nodeQuery(g, "signing", "Show each validator's signed and missed blocks as --node observed them (not ledger state, not provable)",
		"  poaledger query signing --node tcp://127.0.0.1:26611",
		func(ctx context.Context, c *client.Client) (*client.SigningResult, error) { return c.Signing(ctx) },
		func(w io.Writer, res *client.SigningResult) { signingText(w, res, g.node) })
	return []*cobra.Command{proposals, proposal, authorities, nodes, signing}
}

// The text form of the governance queries (golden files: testdata/golden/query_*.txt).

func proposalsText(w io.Writer, res *client.ProposalsResult) {
	rows := make([][]string, 0, len(res.Proposals))
	for _, p := range res.Proposals {
		yes, no := 0, 0
		for _, b := range p.Ballots {
			if b.Yes {
				yes++
			} else {
				no++
			}
		}
		decided := "-"
		if p.DecidedHeight != 0 {
			decided = strconv.FormatInt(p.DecidedHeight, 10)
		}
		rows = append(rows, []string{strconv.FormatUint(p.ID, 10), p.Kind, p.Status, p.Proposer, fmt.Sprintf("%d/%d", yes, no), decided})
	}
	table(w, []string{"ID", "KIND", "STATUS", "PROPOSER", "VOTES (YES/NO)", "DECIDED"}, rows)
	(&fields{}).stateRows(res.QueryInfo).completeRow(res.Complete, "proposal", "proposals").write(w)
}

func proposalText(w io.Writer, res *client.ProposalResult) {
	p := res.Proposal
	f := &fields{}
	f.add("id", "%d", p.ID).add("kind", "%s", p.Kind).add("status", "%s", p.Status).add("proposer", "%s", p.Proposer).
		add("submitted", "height %d (expires after height %d)", p.SubmitHeight, p.ExpiryHeight)
	if p.DecidedHeight != 0 {
		f.add("decided", "height %d", p.DecidedHeight)
	}
	f.addIf("note", p.Note).addIf("reason", p.Reason)
	a := p.Action
	f.addIf("address", a.Address).addIf("name", a.Name).addIf("organisation", a.Organisation).
		addIf("roles", strings.Join(a.Roles, ",")).addIf("operator", a.Operator).addIf("param", a.Param).
		addIf("node_id", a.NodeID).addIf("node_role", a.NodeRole)
	if len(a.PubKey) > 0 {
		f.add("pubkey", "%s", base64.StdEncoding.EncodeToString(a.PubKey))
	}
	if a.Power != 0 {
		f.add("power", "%d", a.Power)
	}
	if a.Param != "" {
		f.add("value", "%d", a.Value)
	}
	for _, b := range p.Ballots {
		v := "no"
		if b.Yes {
			v = "yes"
		}
		f.add("vote", "%s %s", b.Voter, v)
	}
	f.stateRows(res.QueryInfo).write(w)
}

func authoritiesText(w io.Writer, res *client.MembersResult) {
	membersTable(w, res.Members)
	(&fields{}).stateRows(res.QueryInfo).completeRow(res.Complete, "authority", "authorities").write(w)
}

func nodesText(w io.Writer, res *client.NodesResult) {
	rows := make([][]string, 0, len(res.Nodes))
	for _, n := range res.Nodes {
		rows = append(rows, []string{n.ID, n.Role, n.Status, orDash(n.Operator), strconv.FormatInt(n.SinceHeight, 10)})
	}
	table(w, []string{"NODE ID", "ROLE", "STATUS", "OPERATOR", "SINCE"}, rows)
	(&fields{}).stateRows(res.QueryInfo).completeRow(res.Complete, "node", "nodes").write(w)
}

func signingText(w io.Writer, res *client.SigningResult, node string) {
	rows := make([][]string, 0, len(res.Signing))
	for _, s := range res.Signing {
		rows = append(rows, []string{s.Address, strconv.FormatInt(s.Power, 10), strconv.Itoa(s.Signed), strconv.Itoa(s.Missed), strconv.Itoa(s.Window)})
	}
	table(w, []string{"VALIDATOR", "POWER", "SIGNED", "MISSED", "OF LAST"}, rows)
	(&fields{}).add("observed by", "%s (up to height %d)", node, res.Height).
		add("verified", "%s", "no (unproven: the node's own observation, not ledger state)").write(w)
}
