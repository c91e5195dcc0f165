package main

// Passphrases for member keys. A command that unlocks or encrypts a key gets the
// passphrase from, in order:
//
//  1. --passphrase-file FILE: the file's first line (without its line ending);
//  2. $POALEDGER_PASSPHRASE (when not empty);
//  3. a no-echo prompt on the terminal, when standard input is one (a new passphrase
//     is asked twice);
//
// and otherwise fails, saying how to give one. Export passphrases (keys export and
// keys import) work the same with --export-passphrase-file and
// $POALEDGER_EXPORT_PASSPHRASE. --unencrypted (init, keys add, keys import, keys
// migrate) writes plaintext test keys instead and needs no passphrase.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/poaledger/poaledger/keyring"
)

const (
	passphraseFileFlag       = "passphrase-file"
	passphraseEnv            = "POALEDGER_PASSPHRASE"
	exportPassphraseFileFlag = "export-passphrase-file"
	exportPassphraseEnv      = "POALEDGER_EXPORT_PASSPHRASE"
	unencryptedFlag          = "unencrypted"

	unencryptedUsage = "store the private key UNENCRYPTED (marked so in the key file): for throwaway local test networks only"
	maxPassFileSize  = 64 << 10
)

// addPassphraseFileFlag registers --passphrase-file on cmd.
func addPassphraseFileFlag(cmd *cobra.Command) {
	cmd.Flags().String(passphraseFileFlag, "", "read the key passphrase from the first line of FILE (default: $"+passphraseEnv+", else a prompt on a terminal)")
}

// terminal is how passphrases are prompted for; tests replace it.
var terminal = struct {
	is   func(in io.Reader) bool
	read func(in io.Reader) ([]byte, error)
}{
	is: func(in io.Reader) bool {
		f, ok := in.(*os.File)
		return ok && term.IsTerminal(int(f.Fd()))
	},
	read: func(in io.Reader) ([]byte, error) { return term.ReadPassword(int(in.(*os.File).Fd())) },
}

// passSource gets the passphrases of one command run.
type passSource struct {
	what     string // "passphrase" or "export passphrase"
	flag     string // the flag naming a file
	file     string // its value
	env      string
	in       io.Reader
	out      io.Writer // prompts
	newPass  []byte    // a new (Protect) passphrase once given, reused for more keys (keys migrate)
	fromFile []byte
}

func newPassSource(cmd *cobra.Command, what, flag, env string) *passSource {
	s := &passSource{what: what, flag: flag, env: env, in: cmd.InOrStdin(), out: cmd.ErrOrStderr()}
	if f := cmd.Flag(flag); f != nil {
		s.file = f.Value.String()
	}
	return s
}

// keyPassphrase is the key PassphraseFunc of cmd.
func keyPassphrase(cmd *cobra.Command) keyring.PassphraseFunc {
	return newPassSource(cmd, "passphrase", passphraseFileFlag, passphraseEnv).get
}

// exportPassphrase is the export PassphraseFunc of cmd.
func exportPassphrase(cmd *cobra.Command) keyring.PassphraseFunc {
	return newPassSource(cmd, "export passphrase", exportPassphraseFileFlag, exportPassphraseEnv).get
}

// get is a keyring.PassphraseFunc.
func (s *passSource) get(name string, p keyring.Purpose) ([]byte, error) {
	if p == keyring.Protect && s.newPass != nil {
		return bytes.Clone(s.newPass), nil
	}
	pass, err := s.obtain(name, p)
	if err != nil {
		return nil, err
	}
	if p == keyring.Protect {
		if err := keyring.CheckNewPassphrase(pass); err != nil {
			return nil, err
		}
		s.newPass = bytes.Clone(pass)
	}
	return pass, nil
}

func (s *passSource) obtain(name string, p keyring.Purpose) ([]byte, error) {
	if s.file != "" {
		if s.fromFile == nil {
			b, err := readPassphraseFile(s.file)
			if err != nil {
				return nil, fmt.Errorf("--%s: %w", s.flag, err)
			}
			s.fromFile = b
		}
		return bytes.Clone(s.fromFile), nil
	}
	if v := os.Getenv(s.env); v != "" {
		return []byte(v), nil
	}
	if !terminal.is(s.in) {
		what := "its " + s.what
		if s.what == "export passphrase" {
			what = "the export passphrase"
		}
		if p == keyring.Protect {
			hint := ""
			if s.what == "passphrase" {
				hint = ", or --" + unencryptedFlag + " for a throwaway test key"
			}
			return nil, fmt.Errorf("a %s is needed to encrypt key %s: give it with --%s FILE or $%s, or run on a terminal to be asked%s",
				s.what, name, s.flag, s.env, hint)
		}
		return nil, fmt.Errorf("key %s is encrypted: give %s with --%s FILE or $%s, or run on a terminal to be asked",
			name, what, s.flag, s.env)
	}
	if p == keyring.Unlock {
		return s.prompt(fmt.Sprintf("Enter the %s for key %s: ", s.what, name))
	}
	pass, err := s.prompt(fmt.Sprintf("Choose a %s for key %s (at least %d characters): ", s.what, name, keyring.MinPassphraseLen))
	if err != nil {
		return nil, err
	}
	if err := keyring.CheckNewPassphrase(pass); err != nil {
		return nil, err
	}
	again, err := s.prompt("Repeat it: ")
	if err != nil {
		return nil, err
	}
	defer clear(again)
	if !bytes.Equal(pass, again) {
		return nil, errors.New("the passphrases do not match")
	}
	return pass, nil
}

func (s *passSource) prompt(text string) ([]byte, error) {
	fmt.Fprint(s.out, text)
	b, err := terminal.read(s.in)
	fmt.Fprintln(s.out)
	if err != nil {
		return nil, fmt.Errorf("reading the %s: %w", s.what, err)
	}
	return b, nil
}

// readPassphraseFile returns the first line of path, without its line ending.
func readPassphraseFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxPassFileSize))
	if err != nil {
		return nil, err
	}
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		b = b[:i]
	}
	b = bytes.TrimSuffix(b, []byte("\r"))
	if len(b) == 0 {
		return nil, fmt.Errorf("%s: the first line is empty", path)
	}
	return b, nil
}

// keyOptions are the keyring options of cmd: passphrases from cmd's sources, and the
// test backend when cmd has --unencrypted set. tx commands load their signing key
// with keyring.New(home, keyOptions(cmd)...).Get(name).
func keyOptions(cmd *cobra.Command) []keyring.Option {
	opts := []keyring.Option{keyring.WithPassphrase(keyPassphrase(cmd))}
	if unencrypted(cmd) {
		opts = append(opts, keyring.Unencrypted())
	}
	return opts
}

// openKeyring is the keyring of home for cmd (see keyOptions).
func openKeyring(cmd *cobra.Command, home string) *keyring.Keyring {
	return keyring.New(home, keyOptions(cmd)...)
}

func unencrypted(cmd *cobra.Command) bool {
	f := cmd.Flags().Lookup(unencryptedFlag)
	return f != nil && f.Value.String() == "true"
}

// warnUnencrypted says loudly, on stderr, that names were written in plaintext.
func warnUnencrypted(cmd *cobra.Command, names ...string) {
	fmt.Fprintf(cmd.ErrOrStderr(), "WARNING: key %s is stored UNENCRYPTED (--%s): anyone who can read the file can sign as this member; use it on throwaway local test networks only\n",
		strings.Join(names, ", "), unencryptedFlag)
}
