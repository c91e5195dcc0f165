package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cometbft/cometbft/p2p"

	"github.com/poaledger/poaledger/node"
)

// `init --genesis FILE` writes a joining home and prints its node ID, its
// validator key and the proposals that admit it, each a command line the CLI
// accepts; the JSON form carries the same.
func TestInitGenesisJoins(t *testing.T) {
	dir := t.TempDir()
	netHome := filepath.Join(dir, "net")
	if out, err := runInit(t, "init", "--chain-id", "join-cli", "--home", netHome, "--unencrypted"); err != nil {
		t.Fatalf("init: %v\n%s", err, out)
	}
	gen := filepath.Join(netHome, "config", "genesis.json")
	var netInit node.InitResult
	out, err := runInit(t, "init", "--chain-id", "x", "--home", filepath.Join(dir, "other"), "--unencrypted", "-o", "json")
	if err != nil || json.Unmarshal([]byte(out), &netInit) != nil {
		t.Fatalf("init -o json: %v\n%s", err, out)
	}

	// JSON, with the operator filled in.
	const operator = "ebf19b2fedb46301afeeb2bff463d3739db5f496"
	joinHome := filepath.Join(dir, "joiner")
	peer := netInit.NodeID + "@127.0.0.1:26656"
	out, err = runInit(t, "init", "--genesis", gen, "--home", joinHome, "--moniker", "acme-val",
		"--persistent-peers", peer, "--operator", operator, "-o", "json")
	if err != nil {
		t.Fatalf("init --genesis: %v\n%s", err, out)
	}
	var res joinOut
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.JoinResult == nil {
		t.Fatalf("init --genesis -o json: %v\n%s", err, out)
	}
	if res.ChainID != "join-cli" || res.Moniker != "acme-val" || res.PersistentPeers != peer || len(res.NodeID) != 40 ||
		res.ValidatorPubKey == "" || res.GenesisPower != 10 || res.Proposals.MaxPower != 3 {
		t.Errorf("init --genesis JSON: %s", out)
	}
	want, _ := os.ReadFile(gen)
	if got, _ := os.ReadFile(filepath.Join(joinHome, "config", "genesis.json")); !bytes.Equal(got, want) {
		t.Error("genesis not copied verbatim")
	}
	if _, err := os.Stat(filepath.Join(joinHome, "keys")); err == nil {
		t.Error("init --genesis made a keys directory")
	}
	upper := strings.ToUpper(operator)
	for name, cmdline := range map[string]string{"admit_full": res.Proposals.AdmitFull,
		"admit_validator": res.Proposals.AdmitValidator, "add_validator": res.Proposals.AddValidator} {
		for _, w := range []string{"--operator " + upper, "--from AUTHORITY_KEY --wait"} {
			if !strings.Contains(cmdline, w) {
				t.Errorf("%s %q lacks %q", name, cmdline, w)
			}
		}
		argv := strings.Fields(strings.ReplaceAll(cmdline, "POWER", "3"))
		if argv[0] != "poaledger" {
			t.Fatalf("%s: %q", name, cmdline)
		}
		if err := checkCommandParses(argv[1:]); err != nil {
			t.Errorf("%s %q is not a valid command: %v", name, cmdline, err)
		}
	}
	for _, c := range []struct{ line, want string }{
		{res.Proposals.AdmitFull, "admit-node " + res.NodeID + " --role full"},
		{res.Proposals.AdmitValidator, "admit-node " + res.NodeID + " --role validator"},
		{res.Proposals.AddValidator, "add-validator " + res.ValidatorPubKey + " --power POWER --name acme-val"},
	} {
		if !strings.Contains(c.line, c.want) {
			t.Errorf("%q lacks %q", c.line, c.want)
		}
	}

	// Text: the ID, the key, the member-key advice and the proposals.
	textHome := filepath.Join(dir, "text")
	out, err = runInit(t, "init", "--genesis", gen, "--home", textHome, "--chain-id", "join-cli")
	if err != nil {
		t.Fatalf("init --genesis: %v\n%s", err, out)
	}
	nk, err := p2p.LoadNodeKey(filepath.Join(textHome, "config", "node_key.json"))
	if err != nil {
		t.Fatal(err)
	}
	id := string(nk.ID())
	for _, w := range []string{"to join chain join-cli", "node id:          " + id, "validator pubkey:",
		"persistent peers: none: set persistent_peers in", "poaledger keys add NAME --home " + textHome,
		"tx propose add-member PUBKEY", "admit-node " + id + " --role full --operator ADDRESS --from AUTHORITY_KEY --wait",
		"admit-node " + id + " --role validator --operator ADDRESS", "tx propose add-validator ", "at most 3",
		"tx vote ID yes", "start it with: poaledger start --home " + textHome} {
		if !strings.Contains(out, w) {
			t.Errorf("init --genesis output lacks %q:\n%s", w, out)
		}
	}
}

// init --genesis refuses flags that do not fit and an existing home.
func TestInitGenesisRefuses(t *testing.T) {
	dir := t.TempDir()
	netHome := filepath.Join(dir, "net")
	if out, err := runInit(t, "init", "--chain-id", "join-cli", "--home", netHome, "--unencrypted"); err != nil {
		t.Fatalf("init: %v\n%s", err, out)
	}
	gen := filepath.Join(netHome, "config", "genesis.json")
	cases := []struct {
		args  []string
		usage bool
		want  string
	}{
		{[]string{"init", "--genesis", gen, "--unencrypted"}, true, "no member key"},
		{[]string{"init", "--genesis", gen, "--chain-id", "other"}, true, `chain "join-cli"`},
		{[]string{"init", "--genesis", gen, "--operator", "xyz"}, true, "--operator"},
		{[]string{"init", "--chain-id", "c", "--persistent-peers", "a@b:1"}, true, "only for init --genesis"},
		{[]string{"init", "--chain-id", "c", "--operator", "EBF19B2FEDB46301AFEEB2BFF463D3739DB5F496"}, true, "only for init --genesis"},
		{[]string{"init", "--genesis", gen, "--persistent-peers", "nope"}, false, "NODE_ID@HOST:PORT"},
		{[]string{"init", "--genesis", filepath.Join(dir, "missing.json")}, false, "no such file"},
		{[]string{"init", "--genesis", gen, "--home", netHome}, false, "already initialised"},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args[1:], " "), func(t *testing.T) {
			args := c.args
			if !strings.Contains(strings.Join(args, " "), "--home") {
				args = append(args, "--home", filepath.Join(t.TempDir(), "h"))
			}
			out, err := runInit(t, args...)
			if err == nil {
				t.Fatalf("accepted:\n%s", out)
			}
			var ue *usageError
			if errors.As(err, &ue) != c.usage {
				t.Errorf("usage error = %v, want %v (%v)", !c.usage, c.usage, err)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not mention %q", err, c.want)
			}
		})
	}
}

// runInit runs the CLI in-process (passphrase_test.go's runCLI) and returns its
// stdout (with stderr appended when it fails) and its error.
func runInit(t *testing.T, args ...string) (string, error) {
	t.Helper()
	out, errOut, err := runCLI(t, "", args...)
	if err != nil {
		out += errOut
	}
	return out, err
}
