package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/poaledger/poaledger/app/tx"
	"github.com/poaledger/poaledger/testnet"
)

// A node started by `testnet start` (testnet.Cluster) carries the supervisor's pid
// in testnet.SupervisorEnv; it then stops itself cleanly when the supervisor is
// gone. This is the fallback for unix systems without Linux's Pdeathsig; it does
// nothing for any other poaledger process.
func init() { testnet.WatchSupervisor() }

func newTestnetCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "testnet", Short: "Generate and run a local multi-validator testnet",
		Example: "  poaledger testnet init --validators 4 --output ./localnet && poaledger testnet start ./localnet"}
	cmd.AddCommand(newTestnetInitCmd(g), newTestnetStartCmd(g))
	return cmd
}

func newTestnetInitCmd(g *globals) *cobra.Command {
	var (
		o         testnet.InitOptions
		hostnames string
		docker    bool
	)
	cmd := &cobra.Command{
		Use:   "init --validators N --output DIR",
		Short: "Write the homes of N validators and M full nodes sharing one genesis",
		Long: `init writes DIR/node0, DIR/node1, ... (validators first, equal power) sharing one
genesis, with persistent peers filled in, and DIR/testnet.json describing them.

Every validator's home holds a member key "authority" (role authority); node0's home
also holds a key "recorder" (role recorder) for recording events.

By default every node listens on 127.0.0.1 with its own block of ports starting at
--base-port: node i uses p2p base+10i, rpc base+10i+1, metrics base+10i+2.
With --hostnames (or --docker, meaning node0,node1,...) every node listens on 0.0.0.0 at
the standard ports (p2p 26656, rpc 26657, metrics 26660) and peers dial host:26656.`,
		Example: `  poaledger testnet init --validators 4 --output ./localnet
  poaledger testnet init --validators 4 --non-validators 1 --output ./localnet --base-port 30000
  poaledger testnet init --validators 4 --docker --output build/compose`,
		Args: exactArgs(0, ""),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.Dir == "" {
				return usagef("--output is required")
			}
			if docker && hostnames != "" {
				return usagef("--docker and --hostnames exclude each other")
			}
			if docker {
				o.Hostnames = testnet.DockerHostnames(o.Validators + o.NonValidators)
			} else if hostnames != "" {
				o.Hostnames = strings.Split(hostnames, ",")
			}
			m, err := testnet.Init(o)
			if err != nil {
				return err
			}
			return g.print(cmd.OutOrStdout(), m, func(w io.Writer) { testnetInitText(w, m, o.Dir, selfCommand()) })
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.Validators, "validators", 4, "number of validators (equal power)")
	f.IntVar(&o.NonValidators, "non-validators", 0, "number of full nodes")
	f.StringVar(&o.Dir, "output", "", "output directory (must be empty or absent; required)")
	f.IntVar(&o.BasePort, "base-port", testnet.DefaultBasePort, "first port on 127.0.0.1; each node takes a block of 10")
	f.StringVar(&o.ChainID, "chain-id", "", fmt.Sprintf("chain id, at most %d bytes (default %s; with --docker or --hostnames %s)",
		tx.MaxChainIDLen, testnet.DefaultChainID, testnet.DefaultComposeChainID))
	f.StringVar(&hostnames, "hostnames", "", "comma-separated host name per node (validators first): listen on 0.0.0.0, standard ports")
	f.BoolVar(&docker, "docker", false, "hostname mode with hostnames node0,node1,... (for docker-compose)")
	f.BoolVar(&o.Force, "force", false, "allow a non-empty output directory (replaces its node directories)")
	return cmd
}

func newTestnetStartCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "start DIR",
		Short: "Run every node of a testnet as its own process until Ctrl-C",
		Long: `start runs "poaledger start --home DIR/nodeI" for every node of DIR/testnet.json, each
logging to DIR/nodeI/node.log with its pid in DIR/nodeI/node.pid, prints the RPC and
metrics endpoints, and waits for Ctrl-C, SIGTERM or SIGHUP (terminal closed); then it
stops every node (SIGTERM, SIGKILL after 15 s). A node that dies is reported, with the
cause when it is a locked home or a taken port; the others keep running, and when none
is left start exits with status 1.

The nodes die with start however it ends: on Linux the kernel sends each SIGTERM when
start dies (even by SIGKILL); on other unix systems each node notices within a second
that its parent is gone and stops itself.

start refuses to run, naming the nodes and their pids, while a pid file in DIR names a
live node process of that home (another start of the same testnet), or while something
already listens on the testnet's ports; a stale pid file is removed with a note.`,
		Example: "  poaledger testnet start ./localnet",
		Args:    exactArgs(1, "DIR"),
		RunE: func(cmd *cobra.Command, args []string) error {
			exe, err := os.Executable()
			if err != nil {
				return fmt.Errorf("testnet: cannot find own binary: %w", err)
			}
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
			defer stop()
			return testnet.Run(ctx, args[0], exe, cmd.OutOrStdout(), testnet.Hints{Self: selfCommand(), Example: exampleDocument()})
		},
	}
}

// testnetInitText is the text of testnet init (golden: testdata/golden/testnet_init.txt).
func testnetInitText(w io.Writer, m *testnet.Manifest, dir, self string) {
	validators := 0
	for _, n := range m.Nodes {
		if n.Validator {
			validators++
		}
	}
	fmt.Fprintf(w, "wrote testnet %s (chain %s, %s, %s)\n", dir, m.ChainID,
		plural(validators, "validator", "validators"), plural(len(m.Nodes)-validators, "full node", "full nodes"))
	rows := make([][]string, 0, len(m.Nodes))
	for _, n := range m.Nodes {
		role := "full node"
		if n.Validator {
			role = "validator"
		}
		rows = append(rows, []string{n.Name, role, n.RPC, n.P2P})
	}
	table(w, []string{"NODE", "ROLE", "RPC", "P2P"}, rows)
	rows = rows[:0]
	for _, k := range m.Keys {
		rows = append(rows, []string{k.Name, k.Address, strings.Join(k.Roles, ","), filepath.Join(dir, k.Home, "keys")})
	}
	table(w, []string{"KEY", "ADDRESS", "ROLES", "IN"}, rows)
	if m.Docker {
		fmt.Fprintln(w, "run it with docker-compose (see docker-compose.yml; `make compose-up`)")
	} else {
		fmt.Fprintf(w, "start it with:\n  %s testnet start %s\n", self, testnet.ShellQuote(dir))
	}
}
