package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/poaledger/poaledger/client"
)

// usageError marks a bad flag or argument (exit code 2).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

// globals are the persistent flags shared by every command.
type globals struct {
	home   string
	node   string
	output string
}

func defaultHome() string {
	if h := os.Getenv("POALEDGER_HOME"); h != "" {
		return h
	}
	dir, err := os.UserHomeDir()
	if err != nil {
		return ".poaledger"
	}
	return filepath.Join(dir, ".poaledger")
}

func newRootCmd() *cobra.Command {
	g := &globals{}
	root := &cobra.Command{
		Use:   "poaledger",
		Short: "Permissioned (Proof of Authority) ledger of GS1 EPCIS 2.0 events on CometBFT",
		Long: `poaledger runs a validator or full node of a permissioned CometBFT chain whose
application keeps an immutable, provable ledger of GS1 EPCIS 2.0 supply-chain events
and of the members allowed to write them.`,
		Example: `  poaledger init --chain-id demo --home ./demo && poaledger start --home ./demo
  poaledger query status --node tcp://127.0.0.1:26657`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if g.output != "text" && g.output != "json" {
				return usagef("--output %q: want text or json", g.output)
			}
			return nil
		},
	}
	root.PersistentFlags().StringVar(&g.home, "home", defaultHome(), "node home directory (env POALEDGER_HOME)")
	root.PersistentFlags().StringVar(&g.node, "node", "tcp://127.0.0.1:26657", "CometBFT RPC address of the node to talk to")
	root.PersistentFlags().StringVarP(&g.output, "output", "o", "text", "output format: text or json")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err.Error()} })
	root.PersistentFlags().Lookup("node").Usage = "CometBFT RPC address of the node to talk to: " + client.NodeAddressForms
	root.AddCommand(
		newInitCmd(g), newStartCmd(g), newKeysCmd(g), newTxCmd(g), newQueryCmd(g),
		newVersionCmd(g), newTestnetCmd(g), newStatusCmd(g), newBenchCmd(g),
	)
	requireSubcommands(root)
	return root
}

// requireSubcommands makes every command that only groups subcommands (tx,
// query, keys, ...) refuse an unknown or missing subcommand as a usage error
// (exit 2) with cobra's suggestions, instead of printing help and exiting 0.
func requireSubcommands(cmd *cobra.Command) {
	for _, sub := range cmd.Commands() {
		requireSubcommands(sub)
	}
	if !cmd.HasSubCommands() || cmd.Runnable() || !cmd.HasParent() {
		return
	}
	cmd.SuggestionsMinimumDistance = 2
	cmd.Args = func(c *cobra.Command, args []string) error {
		if len(args) == 0 {
			return nil
		}
		msg := fmt.Sprintf("unknown command %q for %q", args[0], c.CommandPath())
		if sugg := c.SuggestionsFor(args[0]); len(sugg) > 0 {
			msg += "\n\nDid you mean this?\n\t" + strings.Join(sugg, "\n\t")
		}
		return usagef("%s\n\nRun '%s --help' for its commands.", msg, c.CommandPath())
	}
	cmd.RunE = func(c *cobra.Command, _ []string) error {
		var names []string
		for _, s := range c.Commands() {
			if s.IsAvailableCommand() {
				names = append(names, s.Name())
			}
		}
		return usagef("%s needs a subcommand: %s (see '%s --help')", c.CommandPath(), strings.Join(names, ", "), c.CommandPath())
	}
}

// printer writes either the JSON form of v or the text produced by text.
func (g *globals) print(w io.Writer, v any, text func(io.Writer)) error {
	if g.output == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	text(w)
	return nil
}

// exactArgs is cobra.ExactArgs with a usage error naming the arguments.
func exactArgs(n int, names string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return usagef("%s takes %d argument(s): %s (got %d)", cmd.CommandPath(), n, names, len(args))
		}
		return nil
	}
}
