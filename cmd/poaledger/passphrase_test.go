package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/poaledger/poaledger/keyring"
)

// testPassphrase is what this package's tests (and the binaries they run, which
// inherit the environment) encrypt member keys with, unless a test says otherwise.
// The README test does not inherit it: the README must export its own.
const testPassphrase = "poaledger test passphrase"

func TestMain(m *testing.M) {
	os.Setenv(passphraseEnv, testPassphrase)
	os.Unsetenv(exportPassphraseEnv)
	os.Exit(m.Run())
}

// runCLI runs the CLI in-process with stdin and returns stdout and stderr.
func runCLI(t *testing.T, stdin string, args ...string) (string, string, error) {
	t.Helper()
	root := newRootCmd()
	var out, errb bytes.Buffer
	root.SetIn(strings.NewReader(stdin))
	root.SetOut(&out)
	root.SetErr(&errb)
	root.SetArgs(args)
	err := root.Execute()
	return out.String(), errb.String(), err
}

func mustCLI(t *testing.T, args ...string) string {
	t.Helper()
	out, stderr, err := runCLI(t, "", args...)
	if err != nil {
		t.Fatalf("poaledger %s: %v\n%s%s", strings.Join(args, " "), err, out, stderr)
	}
	return out
}

// fakeTerminal makes stdin a terminal answering the given lines, and restores it.
func fakeTerminal(t *testing.T, answers ...string) *int {
	t.Helper()
	saved := terminal
	asked := new(int)
	terminal.is = func(io.Reader) bool { return true }
	terminal.read = func(io.Reader) ([]byte, error) {
		if *asked >= len(answers) {
			return nil, errors.New("no more answers")
		}
		*asked++
		return []byte(answers[*asked-1]), nil
	}
	t.Cleanup(func() { terminal = saved })
	return asked
}

func writeFile(t *testing.T, path, content string) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestKeysEncryptedByDefault(t *testing.T) {
	home := t.TempDir()
	var k keyOut
	if err := json.Unmarshal([]byte(mustCLI(t, "keys", "add", "alice", "--home", home, "-o", "json")), &k); err != nil {
		t.Fatal(err)
	}
	if k.Storage != "encrypted" {
		t.Fatalf("keys add: %+v", k)
	}
	raw, _ := os.ReadFile(filepath.Join(home, "keys", "alice.json"))
	if !strings.Contains(string(raw), `"ciphertext"`) || strings.Contains(string(raw), "privkey") {
		t.Fatalf("key file:\n%s", raw)
	}
	// show and list need no passphrase.
	t.Setenv(passphraseEnv, "")
	if out := mustCLI(t, "keys", "show", "alice", "--home", home); !strings.Contains(out, "storage: encrypted") || !strings.Contains(out, k.Address) {
		t.Fatalf("keys show:\n%s", out)
	}
	if out := mustCLI(t, "keys", "list", "--home", home); !strings.Contains(out, k.PubKey) {
		t.Fatalf("keys list:\n%s", out)
	}
	// The env passphrase unlocks it; a wrong one is named as such.
	t.Setenv(passphraseEnv, testPassphrase)
	t.Setenv(exportPassphraseEnv, "export passphrase")
	if _, _, err := runCLI(t, "", "keys", "export", "alice", "--home", home); err != nil {
		t.Fatal(err)
	}
	t.Setenv(passphraseEnv, "something else")
	if _, _, err := runCLI(t, "", "keys", "export", "alice", "--home", home); err == nil || !strings.Contains(err.Error(), "wrong passphrase for key alice") {
		t.Fatalf("export with a wrong passphrase: %v", err)
	}
}

func TestPassphraseSources(t *testing.T) {
	home, dir := t.TempDir(), t.TempDir()
	t.Setenv(passphraseEnv, "")
	good := writeFile(t, filepath.Join(dir, "good"), "file passphrase\r\nsecond line ignored\n")
	wrong := writeFile(t, filepath.Join(dir, "wrong"), "not the passphrase\n")
	empty := writeFile(t, filepath.Join(dir, "empty"), "\nx\n")

	// No source and no terminal: the error says how to give one.
	_, _, err := runCLI(t, "", "keys", "add", "alice", "--home", home)
	for _, want := range []string{"--passphrase-file", "$" + passphraseEnv, "terminal", "--unencrypted"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("keys add without a passphrase: %v (want %q in it)", err, want)
		}
	}
	if _, err := os.Stat(filepath.Join(home, "keys", "alice.json")); err == nil {
		t.Fatal("a refused keys add wrote a file")
	}
	if _, _, err := runCLI(t, "", "keys", "add", "alice", "--home", home, "--passphrase-file", empty); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Fatalf("empty passphrase file: %v", err)
	}
	t.Setenv(passphraseEnv, "short")
	if _, _, err := runCLI(t, "", "keys", "add", "alice", "--home", home); !errors.Is(err, keyring.ErrWeakPassphrase) {
		t.Fatalf("short passphrase: %v", err)
	}

	// --passphrase-file (first line, CRLF stripped) wins over the environment.
	t.Setenv(passphraseEnv, "from the environment")
	mustCLI(t, "keys", "add", "alice", "--home", home, "--passphrase-file", good)
	get := func() error {
		_, err := keyring.New(home, keyring.WithPassphrase(func(string, keyring.Purpose) ([]byte, error) {
			return []byte("file passphrase"), nil
		})).Get("alice")
		return err
	}
	if err := get(); err != nil {
		t.Fatalf("the file's first line is not the passphrase: %v", err)
	}
	t.Setenv(exportPassphraseEnv, "export passphrase")
	if _, _, err := runCLI(t, "", "keys", "export", "alice", "--home", home); err == nil || !strings.Contains(err.Error(), "wrong passphrase for key alice") {
		t.Fatalf("env passphrase for a key made with the file: %v", err)
	}
	if _, _, err := runCLI(t, "", "keys", "export", "alice", "--home", home, "--passphrase-file", wrong); err == nil || !strings.Contains(err.Error(), "wrong passphrase for key alice") {
		t.Fatalf("wrong passphrase file: %v", err)
	}
	mustCLI(t, "keys", "export", "alice", "--home", home, "--passphrase-file", good)

	// tx commands take --passphrase-file and unlock the key before calling the node
	// (which is not there: with the right passphrase the tx fails for that reason).
	txWith := func(file string) error {
		_, _, err := runCLI(t, "", "tx", "propose", "revoke-member", "EBF19B2FEDB46301AFEEB2BFF463D3739DB5F496",
			"--from", "alice", "--home", home, "--node", "tcp://127.0.0.1:1", "--timeout", "2s", "--passphrase-file", file)
		return err
	}
	if err := txWith(wrong); !errors.Is(err, keyring.ErrWrongPassphrase) {
		t.Errorf("tx with a wrong --passphrase-file: %v", err)
	}
	if err := txWith(good); err == nil || errors.Is(err, keyring.ErrWrongPassphrase) || strings.Contains(err.Error(), "passphrase") {
		t.Errorf("tx with the right --passphrase-file: %v (want a failure to reach the node)", err)
	}
}

func TestPassphrasePrompt(t *testing.T) {
	home := t.TempDir()
	t.Setenv(passphraseEnv, "")

	asked := fakeTerminal(t, "typed passphrase", "typed passphrase")
	out, stderr, err := runCLI(t, "", "keys", "add", "alice", "--home", home)
	if err != nil || *asked != 2 {
		t.Fatalf("keys add on a terminal: %v, asked %d times\n%s", err, *asked, stderr)
	}
	if !strings.Contains(stderr, "Choose a passphrase for key alice") || !strings.Contains(stderr, "Repeat it") || strings.Contains(out, "passphrase") {
		t.Fatalf("prompts belong on stderr:\nstdout:\n%s\nstderr:\n%s", out, stderr)
	}
	asked = fakeTerminal(t, "typed passphrase", "typo passphrase")
	if _, _, err := runCLI(t, "", "keys", "add", "bob", "--home", home); err == nil || !strings.Contains(err.Error(), "do not match") {
		t.Fatalf("mismatched confirmation: %v", err)
	}
	asked = fakeTerminal(t, "short")
	if _, _, err := runCLI(t, "", "keys", "add", "bob", "--home", home); !errors.Is(err, keyring.ErrWeakPassphrase) || *asked != 1 {
		t.Fatalf("short typed passphrase: %v, asked %d", err, *asked)
	}
	// Unlocking asks once; the environment, when set, is not overridden by the terminal.
	t.Setenv(exportPassphraseEnv, "export passphrase")
	asked = fakeTerminal(t, "typed passphrase")
	_, stderr, err = runCLI(t, "", "keys", "export", "alice", "--home", home)
	if err != nil || *asked != 1 || !strings.Contains(stderr, "Enter the passphrase for key alice") {
		t.Fatalf("unlock on a terminal: %v, asked %d\n%s", err, *asked, stderr)
	}
	t.Setenv(passphraseEnv, "typed passphrase")
	asked = fakeTerminal(t)
	if _, _, err := runCLI(t, "", "keys", "export", "alice", "--home", home); err != nil || *asked != 0 {
		t.Fatalf("env with a terminal: %v, asked %d", err, *asked)
	}
}

func TestKeysUnencryptedFlag(t *testing.T) {
	home := t.TempDir()
	t.Setenv(passphraseEnv, "")
	out, stderr, err := runCLI(t, "", "keys", "add", "test", "--unencrypted", "--home", home)
	if err != nil || !strings.Contains(stderr, "UNENCRYPTED") || !strings.Contains(out, "storage: unencrypted (test key)") {
		t.Fatalf("keys add --unencrypted: %v\n%s%s", err, out, stderr)
	}
	raw, _ := os.ReadFile(filepath.Join(home, "keys", "test.json"))
	if !strings.Contains(string(raw), `"unencrypted": true`) {
		t.Fatalf("key file:\n%s", raw)
	}
	// It signs without a passphrase (the tx gets as far as the node).
	_, _, err = runCLI(t, "", "tx", "propose", "revoke-member", "EBF19B2FEDB46301AFEEB2BFF463D3739DB5F496",
		"--from", "test", "--home", home, "--node", "tcp://127.0.0.1:1", "--timeout", "2s")
	if err == nil || strings.Contains(err.Error(), "passphrase") {
		t.Fatalf("tx with an unencrypted key: %v", err)
	}
}

func TestInitPassphrase(t *testing.T) {
	t.Setenv(passphraseEnv, "")
	home := filepath.Join(t.TempDir(), "h")
	if _, _, err := runCLI(t, "", "init", "--chain-id", "c", "--home", home); err == nil || !strings.Contains(err.Error(), "--unencrypted") {
		t.Fatalf("init without a passphrase: %v", err)
	}
	if _, err := os.Stat(home); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("init without a passphrase wrote into the home: %v", err)
	}
	t.Setenv(passphraseEnv, testPassphrase)
	mustCLI(t, "init", "--chain-id", "c", "--home", home)
	k, err := keyring.New(home).Show("admin")
	if err != nil || k.Storage != keyring.Encrypted {
		t.Fatalf("admin key: %+v, %v", k, err)
	}
	t.Setenv(passphraseEnv, "")
	home2 := filepath.Join(t.TempDir(), "h2")
	_, stderr, err := runCLI(t, "", "init", "--chain-id", "c", "--home", home2, "--unencrypted")
	if err != nil || !strings.Contains(stderr, "UNENCRYPTED") {
		t.Fatalf("init --unencrypted: %v\n%s", err, stderr)
	}
	if k, err := keyring.New(home2).Get("admin"); err != nil || k.Storage != keyring.Plaintext {
		t.Fatalf("admin key of init --unencrypted: %+v, %v", k, err)
	}
}

// writeV1 writes a key file as poaledger wrote them before encryption.
func writeV1(t *testing.T, home, name string) keyring.Key {
	t.Helper()
	k, err := keyring.New(t.TempDir(), keyring.Unencrypted()).Add(name)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := json.Marshal(map[string]string{"name": name, "type": "ed25519", "address": k.Address(),
		"pubkey": k.PubKeyBase64(), "privkey": base64.StdEncoding.EncodeToString(k.PrivKey)})
	if err := os.MkdirAll(filepath.Join(home, "keys"), 0o700); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(home, "keys", name+".json"), string(data))
	return k
}

func TestKeysMigrate(t *testing.T) {
	home := t.TempDir()
	old := writeV1(t, home, "old")
	writeV1(t, home, "old2")
	mustCLI(t, "keys", "add", "new", "--home", home)
	if out := mustCLI(t, "keys", "show", "old", "--home", home); !strings.Contains(out, "keys migrate") {
		t.Fatalf("keys show of a format-1 file:\n%s", out)
	}
	_, _, err := runCLI(t, "", "tx", "propose", "revoke-member", "EBF19B2FEDB46301AFEEB2BFF463D3739DB5F496",
		"--from", "old", "--home", home, "--node", "tcp://127.0.0.1:1")
	if !errors.Is(err, keyring.ErrLegacy) || !strings.Contains(err.Error(), "poaledger keys migrate old") {
		t.Fatalf("tx with a format-1 key: %v", err)
	}
	out := mustCLI(t, "keys", "migrate", "--home", home)
	for _, want := range []string{"NAME  STORAGE", "old   legacy -> encrypted", "old2  legacy -> encrypted", "new   unchanged (encrypted)"} {
		if !strings.Contains(out, want) {
			t.Fatalf("keys migrate output lacks %q:\n%s", want, out)
		}
	}
	k, err := keyring.New(home, keyring.WithPassphrase(func(string, keyring.Purpose) ([]byte, error) {
		return []byte(testPassphrase), nil
	})).Get("old")
	if err != nil || !k.PrivKey.Equal(old.PrivKey) || k.Storage != keyring.Encrypted {
		t.Fatalf("migrated key: %+v, %v", k, err)
	}
	// --unencrypted only re-marks format-1 files.
	home2 := t.TempDir()
	writeV1(t, home2, "t")
	t.Setenv(passphraseEnv, "")
	_, stderr, err := runCLI(t, "", "keys", "migrate", "t", "--unencrypted", "--home", home2, "-o", "json")
	if err != nil || !strings.Contains(stderr, "UNENCRYPTED") {
		t.Fatalf("keys migrate --unencrypted: %v\n%s", err, stderr)
	}
	if k, err := keyring.New(home2).Get("t"); err != nil || k.Storage != keyring.Plaintext {
		t.Fatalf("re-marked key: %+v, %v", k, err)
	}
}

func TestKeysExportImport(t *testing.T) {
	src, dst, dir := t.TempDir(), t.TempDir(), t.TempDir()
	var k keyOut
	_ = json.Unmarshal([]byte(mustCLI(t, "keys", "add", "alice", "--home", src, "-o", "json")), &k)
	t.Setenv(exportPassphraseEnv, "export passphrase")
	blob := mustCLI(t, "keys", "export", "alice", "--home", src)
	if !strings.Contains(blob, "poaledger-key-export") || !strings.Contains(blob, k.PubKey) {
		t.Fatalf("export blob:\n%s", blob)
	}
	blobFile := writeFile(t, filepath.Join(dir, "alice.key"), blob)

	t.Setenv(exportPassphraseEnv, "")
	_, _, err := runCLI(t, "", "keys", "import", "alice", blobFile, "--home", dst)
	if err == nil || !strings.Contains(err.Error(), "--"+exportPassphraseFileFlag) {
		t.Fatalf("import without the export passphrase: %v", err)
	}
	wrong := writeFile(t, filepath.Join(dir, "wrong"), "wrong export pw\n")
	if _, _, err := runCLI(t, "", "keys", "import", "alice", blobFile, "--home", dst, "--export-passphrase-file", wrong); err == nil ||
		!strings.Contains(err.Error(), "wrong passphrase for the export of key alice") {
		t.Fatalf("import with a wrong export passphrase: %v", err)
	}
	good := writeFile(t, filepath.Join(dir, "good"), "export passphrase\n")
	var got keyOut
	if err := json.Unmarshal([]byte(mustCLI(t, "keys", "import", "alice2", blobFile, "--home", dst, "--export-passphrase-file", good, "-o", "json")), &got); err != nil {
		t.Fatal(err)
	}
	if got.Name != "alice2" || got.Address != k.Address || got.Storage != "encrypted" {
		t.Fatalf("imported: %+v", got)
	}
	// From standard input, into the test backend.
	t.Setenv(exportPassphraseEnv, "export passphrase")
	out, stderr, err := runCLI(t, blob, "keys", "import", "alice3", "-", "--home", dst, "--unencrypted")
	if err != nil || !strings.Contains(out, "storage: unencrypted") || !strings.Contains(stderr, "UNENCRYPTED") {
		t.Fatalf("import from stdin: %v\n%s%s", err, out, stderr)
	}
	if _, _, err := runCLI(t, "", "keys", "import", "alice2", blobFile, "--home", dst); !errors.Is(err, keyring.ErrExists) {
		t.Fatalf("import over an existing key: %v", err)
	}
}

func TestKeysPermissions(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no mode bits")
	}
	home := t.TempDir()
	mustCLI(t, "keys", "add", "alice", "--home", home)
	p := filepath.Join(home, "keys", "alice.json")
	if err := os.Chmod(p, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"keys", "show", "alice"}, {"keys", "list"}, {"keys", "export", "alice"}} {
		_, _, err := runCLI(t, "", append(args, "--home", home)...)
		if !errors.Is(err, keyring.ErrPermissions) || !strings.Contains(err.Error(), "chmod 600 "+p) {
			t.Errorf("%s with a 0644 key file: %v", strings.Join(args, " "), err)
		}
	}
	if err := os.Chmod(p, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(home, "keys"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, _, err := runCLI(t, "", "keys", "add", "bob", "--home", home); !errors.Is(err, keyring.ErrPermissions) || !strings.Contains(err.Error(), "chmod 700") {
		t.Errorf("keys add into a 0755 keys dir: %v", err)
	}
}
