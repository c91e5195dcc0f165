package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/poaledger/poaledger/keyring"
)

type keyOut struct {
	Name    string `json:"name"`
	Address string `json:"address"`
	PubKey  string `json:"pubkey"`
	// Storage: encrypted, unencrypted (a test key) or legacy (format 1: keys migrate).
	Storage string `json:"storage,omitempty"`
}

func toKeyOut(k keyring.Key) keyOut {
	return keyOut{Name: k.Name, Address: k.Address(), PubKey: k.PubKeyBase64(), Storage: string(k.Storage)}
}

// storageText explains a key's storage in text output.
func storageText(s string) string {
	switch keyring.Storage(s) {
	case keyring.Plaintext:
		return "unencrypted (test key)"
	case keyring.Legacy:
		return "legacy, unencrypted (run `poaledger keys migrate`)"
	}
	return s
}

const maxExportSize = 64 << 10

func newKeysCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "Manage member signing keys (ed25519) in <home>/keys",
		Long: `Member keys sign transactions. Each is a file <home>/keys/NAME.json (mode 0600, in a
directory of mode 0700: a key file or directory open to group or others is refused,
with the chmod that fixes it). The private key is encrypted with a passphrase
(argon2id, ChaCha20-Poly1305); the name, address and public key stay readable, so
list and show need no passphrase. The address is the first 20 bytes of
sha256(pubkey) in upper-case hex, as in CometBFT.

The passphrase is read from, in order: --passphrase-file FILE (its first line),
$POALEDGER_PASSPHRASE, or a no-echo prompt when standard input is a terminal (a new
passphrase is asked twice). tx commands read it the same way.

--unencrypted (keys add, keys import, keys migrate; also init) stores the private key
in plaintext, marked "unencrypted" in the file: for throwaway local test networks
only (testnet init writes its keys that way). Such a key signs without a passphrase.
Key files written before encryption existed (format 1) sign only after
` + "`poaledger keys migrate`" + ` rewrites them.`,
		Example: "  poaledger keys add alice\n  poaledger keys list --output json\n  poaledger keys export alice > alice.key && poaledger keys import alice alice.key --home ./other",
	}
	show := func(cmd *cobra.Command, k keyring.Key) error {
		o := toKeyOut(k)
		return g.print(cmd.OutOrStdout(), o, func(w io.Writer) {
			f := &fields{}
			f.add("name", "%s", o.Name).add("address", "%s", o.Address).add("pubkey", "%s", o.PubKey)
			if o.Storage != "" {
				f.add("storage", "%s", storageText(o.Storage))
			}
			f.write(w)
		})
	}

	add := &cobra.Command{
		Use: "add NAME", Short: "Generate a new key (encrypted with a passphrase)", Args: exactArgs(1, "NAME"),
		Example: "  poaledger keys add alice --home ./demo\n  POALEDGER_PASSPHRASE=... poaledger keys add alice\n  poaledger keys add test1 --unencrypted --home ./localnet/node0",
		RunE: func(cmd *cobra.Command, args []string) error {
			k, err := openKeyring(cmd, g.home).Add(args[0])
			if err != nil {
				return err
			}
			if unencrypted(cmd) {
				warnUnencrypted(cmd, k.Name)
			}
			return show(cmd, k)
		},
	}
	addPassphraseFileFlag(add)
	add.Flags().Bool(unencryptedFlag, false, unencryptedUsage)

	migrate := &cobra.Command{
		Use:   "migrate [NAME...]",
		Short: "Encrypt unencrypted key files in place (all of them without NAME)",
		Long: `migrate rewrites key files, each atomically (a new file renamed over the old one),
so that their private key is encrypted with a passphrase (asked once for all of
them): the plaintext files of format 1 that poaledger wrote before encryption, and
keys stored with --unencrypted. Encrypted keys are left alone. Without NAME it
migrates every key in <home>/keys.

With --unencrypted it only rewrites format-1 files into the current format, still in
plaintext but marked as test keys (for the homes of old local testnets).`,
		Example: "  poaledger keys migrate --home ./demo\n  poaledger keys migrate admin --passphrase-file ./pass.txt\n  poaledger keys migrate --unencrypted --home ./localnet/node0",
		RunE: func(cmd *cobra.Command, args []string) error {
			r := openKeyring(cmd, g.home)
			names := args
			if len(names) == 0 {
				ks, err := r.List()
				if err != nil {
					return err
				}
				for _, k := range ks {
					names = append(names, k.Name)
				}
			}
			type migrated struct {
				Name string `json:"name"`
				From string `json:"from"`
				To   string `json:"to"`
			}
			out := []migrated{}
			var plain []string
			for _, name := range names {
				from, to, err := r.Migrate(name)
				if err != nil {
					return err
				}
				out = append(out, migrated{name, string(from), string(to)})
				if from != to && to == keyring.Plaintext {
					plain = append(plain, name)
				}
			}
			if len(plain) > 0 {
				warnUnencrypted(cmd, plain...)
			}
			return g.print(cmd.OutOrStdout(), out, func(w io.Writer) {
				if len(out) == 0 {
					fmt.Fprintf(w, "no keys in %s\n", r.Dir())
					return
				}
				rows := make([][]string, 0, len(out))
				for _, m := range out {
					change := m.From + " -> " + m.To
					if m.From == m.To {
						change = "unchanged (" + storageText(m.From) + ")"
					}
					rows = append(rows, []string{m.Name, change})
				}
				table(w, []string{"NAME", "STORAGE"}, rows)
			})
		},
	}
	addPassphraseFileFlag(migrate)
	migrate.Flags().Bool(unencryptedFlag, false, "rewrite format-1 files as marked test keys instead of encrypting them (local test networks only)")

	export := &cobra.Command{
		Use:   "export NAME",
		Short: "Write a key, encrypted with an export passphrase, to standard output",
		Long: `export writes key NAME as a JSON blob encrypted with an export passphrase of its own
(--export-passphrase-file FILE, else $POALEDGER_EXPORT_PASSPHRASE, else a prompt, twice),
for ` + "`poaledger keys import`" + ` on another machine. Unlocking the key may ask its own
passphrase first. The blob is as safe as the export passphrase: choose a strong one.`,
		Example: "  poaledger keys export alice --home ./demo > alice.key",
		Args:    exactArgs(1, "NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			blob, err := openKeyring(cmd, g.home).Export(args[0], exportPassphrase(cmd))
			if err != nil {
				return err
			}
			_, err = cmd.OutOrStdout().Write(blob)
			return err
		},
	}
	addPassphraseFileFlag(export)
	export.Flags().String(exportPassphraseFileFlag, "", "read the export passphrase from the first line of FILE (default: $"+exportPassphraseEnv+", else a prompt)")

	imp := &cobra.Command{
		Use:   "import NAME FILE|-",
		Short: "Store a key written by `keys export` under NAME",
		Long: `import reads a blob written by ` + "`poaledger keys export`" + ` from FILE (or standard input
for -), opens it with its export passphrase (--export-passphrase-file FILE, else
$POALEDGER_EXPORT_PASSPHRASE, else a prompt) and stores the key as NAME, encrypted with
this keyring's passphrase (asked like for keys add), or in plaintext with --unencrypted.
It refuses to overwrite a key.`,
		Example: "  poaledger keys import alice alice.key --home ./demo",
		Args:    exactArgs(2, "NAME FILE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := keyring.ValidName(args[0]); err != nil {
				return err
			}
			var r io.Reader = cmd.InOrStdin()
			if args[1] != "-" {
				f, err := os.Open(args[1])
				if err != nil {
					return err
				}
				defer f.Close()
				r = f
			}
			blob, err := io.ReadAll(io.LimitReader(r, maxExportSize))
			if err != nil {
				return err
			}
			k, err := openKeyring(cmd, g.home).ImportExported(args[0], blob, exportPassphrase(cmd))
			if err != nil {
				return err
			}
			if unencrypted(cmd) {
				warnUnencrypted(cmd, k.Name)
			}
			return show(cmd, k)
		},
	}
	addPassphraseFileFlag(imp)
	imp.Flags().String(exportPassphraseFileFlag, "", "read the export passphrase from the first line of FILE (default: $"+exportPassphraseEnv+", else a prompt)")
	imp.Flags().Bool(unencryptedFlag, false, unencryptedUsage)

	cmd.AddCommand(
		add,
		&cobra.Command{
			Use: "show NAME", Short: "Show a key's address and public key (no passphrase needed)", Args: exactArgs(1, "NAME"),
			Example: "  poaledger keys show alice --home ./demo --output json",
			RunE: func(cmd *cobra.Command, args []string) error {
				k, err := keyring.New(g.home).Show(args[0])
				if err != nil {
					return err
				}
				return show(cmd, k)
			},
		},
		&cobra.Command{
			Use: "list", Short: "List keys (no passphrase needed)", Args: exactArgs(0, ""),
			Example: "  poaledger keys list --home ./demo",
			RunE: func(cmd *cobra.Command, _ []string) error {
				if err := homeExists(g.home); err != nil {
					return err
				}
				r := keyring.New(g.home)
				ks, err := r.List()
				if err != nil {
					return err
				}
				out := make([]keyOut, 0, len(ks))
				for _, k := range ks {
					out = append(out, toKeyOut(k))
				}
				return g.print(cmd.OutOrStdout(), out, func(w io.Writer) { keysListText(w, out, r.Dir()) })
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
		migrate, export, imp,
	)
	return cmd
}

// keysListText is the text of keys list (golden: testdata/golden/keys_list*.txt).
func keysListText(w io.Writer, keys []keyOut, dir string) {
	if len(keys) == 0 {
		fmt.Fprintf(w, "no keys in %s (create one with `poaledger keys add NAME --home %s`)\n", dir, filepath.Dir(dir))
		return
	}
	rows := make([][]string, 0, len(keys))
	for _, k := range keys {
		rows = append(rows, []string{k.Name, k.Address, orDash(k.Storage), k.PubKey})
	}
	table(w, []string{"NAME", "ADDRESS", "STORAGE", "PUBKEY"}, rows)
}

// homeExists refuses a --home that does not exist, naming it and how the
// default is chosen, instead of answering as if it were an empty home.
func homeExists(home string) error {
	fi, err := os.Stat(home)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("home %s does not exist: no keys there (pass --home DIR, or set $POALEDGER_HOME; "+
			"create a home with `poaledger init` or a key with `poaledger keys add NAME`)", home)
	case err != nil:
		return err
	case !fi.IsDir():
		return fmt.Errorf("home %s is not a directory (--home)", home)
	}
	return nil
}
