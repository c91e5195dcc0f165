package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/spf13/cobra"

	"github.com/poaledger/poaledger/app/tx"
	"github.com/poaledger/poaledger/node"
)

func newInitCmd(g *globals) *cobra.Command {
	var o node.InitOptions
	var genesis, peers, operator string
	cmd := &cobra.Command{
		Use:   "init --chain-id ID | --genesis FILE",
		Short: "Create a one-validator chain in --home (admin key), or with --genesis a node that joins a running network",
		Long: `init writes CometBFT's config.toml and a genesis in which this node is the only
validator, poaledger's own config (config/poaledger.toml), and a member key named
"admin" (keys/admin.json) that genesis makes an authority and recorder. The admin key
is encrypted with a passphrase, read like for ` + "`keys add`" + ` (--passphrase-file FILE,
$POALEDGER_PASSPHRASE, or a prompt on a terminal); --unencrypted stores it in
plaintext, for a throwaway local test chain only. It refuses to touch an existing home
unless --force is given (which deletes that home's chain data and keys).

With --genesis FILE (the running network's genesis.json) init instead prepares a node
that joins that network: config.toml with poaledger's defaults (--persistent-peers
fills in persistent_peers), a new node key and validator key, and the genesis copied
unchanged once it validates. It makes no member key. It prints the node ID and the
validator's consensus public key, and the proposals the network's authorities vote on
to admit the node (admit-node) and, for a validator, to add its key (add-validator);
until the node is admitted its peers refuse it. --operator fills in the member address
of whoever runs the node.`,
		Example: "  poaledger init --chain-id demo --home ./demo\n" +
			"  poaledger init --chain-id demo --moniker acme-val --home ./demo --force\n" +
			"  poaledger init --chain-id scratch --home ./scratch --unencrypted   # test chain: plaintext admin key\n" +
			"  poaledger init --genesis genesis.json --moniker acme-val --home ./acme \\\n" +
			"      --persistent-peers 9f2c...41@10.0.0.5:26656,b71e...0d@10.0.0.6:26656",
		Args: exactArgs(0, ""),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if genesis != "" {
				return g.join(cmd, o, genesis, peers, operator)
			}
			for _, f := range []string{"persistent-peers", "operator"} {
				if cmd.Flags().Changed(f) {
					return usagef("--%s is only for init --genesis (joining a running network)", f)
				}
			}
			if o.ChainID == "" {
				return usagef("--chain-id is required (or --genesis FILE to join a running network)")
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
				fmt.Fprintf(w, "start it with: %s start --home %s\n", selfCommand(), shellQuote(res.Home)) // hints.go
			})
		},
	}
	cmd.Flags().StringVar(&o.ChainID, "chain-id", "", fmt.Sprintf("chain id (required without --genesis, at most %d bytes)", tx.MaxChainIDLen))
	cmd.Flags().StringVar(&o.Moniker, "moniker", "node0", "this node's name (with --genesis: default the host name)")
	cmd.Flags().BoolVar(&o.Force, "force", false, "overwrite an existing home (deletes its chain data and keys)")
	cmd.Flags().BoolVar(&o.Unencrypted, unencryptedFlag, false, unencryptedUsage)
	cmd.Flags().StringVar(&genesis, "genesis", "", "join the running network of this genesis.json instead of creating a chain")
	cmd.Flags().StringVar(&peers, "persistent-peers", "", "with --genesis: NODE_ID@HOST:PORT,... of the network's nodes, for config.toml")
	cmd.Flags().StringVar(&operator, "operator", "", "with --genesis: member address of whoever runs this node, for the printed proposals")
	addPassphraseFileFlag(cmd)
	return cmd
}

// joinOut is what `init --genesis` prints as JSON.
type joinOut struct {
	*node.JoinResult
	// Proposals are the commands an authority runs to admit the node as a full
	// node, or as a validator and then add its validator key.
	Proposals joinProposals `json:"proposals"`
}

type joinProposals struct {
	AdmitFull      string `json:"admit_full"`
	AdmitValidator string `json:"admit_validator"`
	AddValidator   string `json:"add_validator"`
	MaxPower       int64  `json:"max_power_at_genesis"` // largest --power one block may add to the genesis set
}

// join is `init --genesis FILE`.
func (g *globals) join(cmd *cobra.Command, o node.InitOptions, genesis, peers, operator string) error {
	if cmd.Flags().Changed(unencryptedFlag) {
		return usagef("--%s: init --genesis writes no member key (make one with `poaledger keys add`)", unencryptedFlag)
	}
	if operator != "" {
		a, err := tx.ParseAddress(operator)
		if err != nil {
			return usagef("--operator %q: %v", operator, err)
		}
		operator = tx.AddressString(a)
	}
	moniker := o.Moniker
	if !cmd.Flags().Changed("moniker") {
		moniker = "" // the host name
	}
	if o.ChainID != "" {
		// Only a check: the genesis names the chain.
		doc, err := cmttypes.GenesisDocFromFile(genesis)
		if err == nil && doc.ChainID != o.ChainID {
			return usagef("--chain-id %q, but %s is the genesis of chain %q", o.ChainID, genesis, doc.ChainID)
		}
	}
	res, err := node.JoinHome(node.JoinOptions{Home: g.home, Genesis: genesis, Moniker: moniker,
		PersistentPeers: peers, Force: o.Force})
	if err != nil {
		return err
	}
	op := operator
	if op == "" {
		op = "ADDRESS"
	}
	const tail = " --from AUTHORITY_KEY --wait"
	out := joinOut{JoinResult: res, Proposals: joinProposals{
		AdmitFull:      fmt.Sprintf("poaledger tx propose admit-node %s --role full --operator %s%s", res.NodeID, op, tail),
		AdmitValidator: fmt.Sprintf("poaledger tx propose admit-node %s --role validator --operator %s%s", res.NodeID, op, tail),
		AddValidator: fmt.Sprintf("poaledger tx propose add-validator %s --power POWER --name %s --operator %s%s",
			res.ValidatorPubKey, shellWord(res.Moniker), op, tail),
		MaxPower: max(0, (res.GenesisPower-1)/3),
	}}
	return g.print(cmd.OutOrStdout(), out, func(w io.Writer) {
		p := out.Proposals
		fmt.Fprintf(w, "initialised %s to join chain %s (genesis %s, copied unchanged)\n", res.Home, res.ChainID, genesis)
		fmt.Fprintf(w, "  moniker:          %s\n  node id:          %s\n", res.Moniker, res.NodeID)
		fmt.Fprintf(w, "  validator pubkey: %s (consensus address %s)\n", res.ValidatorPubKey, res.ValidatorAddress)
		if res.PersistentPeers != "" {
			fmt.Fprintf(w, "  persistent peers: %s\n", res.PersistentPeers)
		} else {
			fmt.Fprintf(w, "  persistent peers: none: set persistent_peers in %s (NODE_ID@HOST:PORT of the network's nodes)\n",
				filepath.Join(res.Home, "config", "config.toml"))
		}
		fmt.Fprintf(w, "\nNo member key was made (this genesis does not know you). To sign txs, make one and send its\n"+
			"public key to an authority of the network, who proposes it as a member:\n"+
			"  poaledger keys add NAME --home %s\n"+
			"  poaledger keys show NAME --home %s -o json     # pubkey and address\n"+
			"  poaledger tx propose add-member PUBKEY --roles recorder --name NAME --org ORG%s\n", res.Home, res.Home, tail)
		fmt.Fprintf(w, "\nThe authorities admit this node; one proposes, the others vote `poaledger tx vote ID yes%s`\n", tail)
		if operator == "" {
			fmt.Fprintln(w, "(ADDRESS: the member address of whoever runs the node; AUTHORITY_KEY: the authority's key name)")
		}
		fmt.Fprintf(w, "  as a full node:\n    %s\n", p.AdmitFull)
		fmt.Fprintf(w, "  as a validator, admit it, then add its validator key:\n    %s\n    %s\n", p.AdmitValidator, p.AddValidator)
		fmt.Fprintf(w, "  POWER: less than a third of the validators' total power may change in one block; the genesis\n"+
			"  validators have %d, so at most %d (see `poaledger query validators` for the set now)\n", res.GenesisPower, p.MaxPower)
		fmt.Fprintf(w, "\nstart it with: poaledger start --home %s (peers refuse it until the admit-node proposal passes)\n", res.Home)
	})
}

// shellWord quotes s for a shell when it is not a plain word.
func shellWord(s string) string {
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("._-+=/:@,", c)) {
			return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
		}
	}
	if s == "" {
		return "''"
	}
	return s
}

func newStartCmd(g *globals) *cobra.Command {
	var lf logFlags // start_log.go: --log-level, --log-format
	cmd := &cobra.Command{
		Use:   "start",
		Short: "Run the node (CometBFT in-process with the poaledger app) until SIGINT/SIGTERM",
		Long: `start runs the node in --home in the foreground. RPC listens where config.toml says
(127.0.0.1:26657 by default) and Prometheus metrics, CometBFT's and poaledger_*, on
127.0.0.1:26660. SIGINT or SIGTERM stop it cleanly: the ledger is closed and the next
start needs no recovery. With proxy_app = "persistent_kvstore" in config.toml it runs
CometBFT's kvstore example app instead of poaledger's (the baseline of ` + "`poaledger bench`" + `).`,
		Example: "  poaledger start --home ./demo\n  poaledger start --home ./demo --log-level consensus:debug,*:info --log-format json",
		Args:    exactArgs(0, ""),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			opts, closeApp, err := startOptions(g.home) // bench.go: the app config.toml's proxy_app names
			if err != nil {
				return err
			}
			defer closeApp()
			opts.LogLevel, opts.LogFormat = lf.level, lf.format
			err = node.Run(ctx, g.home, opts)
			if errors.Is(err, context.Canceled) {
				return nil
			}
			return err
		},
	}
	lf.register(cmd)
	return cmd
}
