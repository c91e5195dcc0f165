package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/poaledger/poaledger/keyring"
)

type keyOut struct {
	Name    string `json:"name"`
	Address string `json:"address"`
	PubKey  string `json:"pubkey"`
}

func toKeyOut(k keyring.Key) keyOut {
	return keyOut{Name: k.Name, Address: k.Address(), PubKey: k.PubKeyBase64()}
}

func newKeysCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "Manage member signing keys (ed25519) in <home>/keys",
		Long: `Member keys sign transactions. Each is a file <home>/keys/NAME.json, mode 0600,
holding the private key: keep it safe. The address is the first 20 bytes of
sha256(pubkey) in upper-case hex, as in CometBFT.`,
		Example: "  poaledger keys add alice\n  poaledger keys list --output json",
	}
	show := func(cmd *cobra.Command, k keyring.Key) error {
		o := toKeyOut(k)
		return g.print(cmd.OutOrStdout(), o, func(w io.Writer) {
			fmt.Fprintf(w, "name:    %s\naddress: %s\npubkey:  %s\n", o.Name, o.Address, o.PubKey)
		})
	}
	cmd.AddCommand(
		&cobra.Command{
			Use: "add NAME", Short: "Generate a new key", Args: exactArgs(1, "NAME"),
			Example: "  poaledger keys add alice --home ./demo",
			RunE: func(cmd *cobra.Command, args []string) error {
				k, err := keyring.New(g.home).Add(args[0])
				if err != nil {
					return err
				}
				return show(cmd, k)
			},
		},
		&cobra.Command{
			Use: "show NAME", Short: "Show a key's address and public key", Args: exactArgs(1, "NAME"),
			Example: "  poaledger keys show alice --home ./demo --output json",
			RunE: func(cmd *cobra.Command, args []string) error {
				k, err := keyring.New(g.home).Get(args[0])
				if err != nil {
					return err
				}
				return show(cmd, k)
			},
		},
		&cobra.Command{
			Use: "list", Short: "List keys", Args: exactArgs(0, ""),
			Example: "  poaledger keys list --home ./demo",
			RunE: func(cmd *cobra.Command, _ []string) error {
				ks, err := keyring.New(g.home).List()
				if err != nil {
					return err
				}
				out := make([]keyOut, 0, len(ks))
				for _, k := range ks {
					out = append(out, toKeyOut(k))
				}
				return g.print(cmd.OutOrStdout(), out, func(w io.Writer) {
					for _, o := range out {
						fmt.Fprintf(w, "%-16s %s %s\n", o.Name, o.Address, o.PubKey)
					}
				})
			},
		},
		&cobra.Command{
			Use: "delete NAME", Short: "Delete a key file (irreversible)", Args: exactArgs(1, "NAME"),
			Example: "  poaledger keys delete alice --home ./demo",
			RunE: func(cmd *cobra.Command, args []string) error {
				if err := keyring.New(g.home).Delete(args[0]); err != nil {
					return err
				}
				return g.print(cmd.OutOrStdout(), map[string]string{"deleted": args[0]}, func(w io.Writer) {
					fmt.Fprintf(w, "deleted key %s\n", args[0])
				})
			},
		},
	)
	return cmd
}
