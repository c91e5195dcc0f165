package testnet

import (
	"bytes"
	"strings"
	"testing"
)

// TestDefaultChainIDs: a loopback testnet (make localnet) and a hostname one
// (make compose-up) get chain ids of their own, so a home of one is refused by
// the other by name.
func TestDefaultChainIDs(t *testing.T) {
	loop, err := Init(InitOptions{Dir: t.TempDir(), Validators: 1, BasePort: 30100})
	if err != nil {
		t.Fatal(err)
	}
	compose, err := Init(InitOptions{Dir: t.TempDir(), Validators: 2, Hostnames: DockerHostnames(2)})
	if err != nil {
		t.Fatal(err)
	}
	if loop.ChainID != "poaledger-localnet" || compose.ChainID != "poaledger-compose" {
		t.Fatalf("chain ids %q (loopback) and %q (hostnames)", loop.ChainID, compose.ChainID)
	}
	named, err := Init(InitOptions{Dir: t.TempDir(), Validators: 1, Hostnames: []string{"a"}, ChainID: "mine"})
	if err != nil || named.ChainID != "mine" {
		t.Fatalf("--chain-id mine: %+v %v", named, err)
	}
}

// TestPrintHints: the commands testnet start prints name the binary as given,
// the example file, the homes under the directory as given and the real RPC
// addresses; paths that need it are quoted for sh.
func TestPrintHints(t *testing.T) {
	m, err := Init(InitOptions{Dir: t.TempDir(), Validators: 2, BasePort: 30200})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	printHints(&out, m, "my net", Hints{Self: "./build/poaledger", Example: "examples/01-commission.json"})
	for _, want := range []string{
		"./build/poaledger tx record examples/01-commission.json --from recorder --home 'my net/node0' --node tcp://127.0.0.1:30201 --wait",
		"./build/poaledger query members --prove --home 'my net/node0' --node tcp://127.0.0.1:30201",
		"./build/poaledger status --node tcp://127.0.0.1:30211",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("hints lack %q:\n%s", want, out.String())
		}
	}
	out.Reset()
	printHints(&out, m, "net", Hints{Self: "poaledger"})
	if !strings.Contains(out.String(), "poaledger tx record FILE --from recorder") {
		t.Errorf("without an example file:\n%s", out.String())
	}
	for in, want := range map[string]string{"build/localnet": "build/localnet", "a b": "'a b'", "it's": `'it'\''s'`, "": "''"} {
		if got := ShellQuote(in); got != want {
			t.Errorf("ShellQuote(%q) = %s, want %s", in, got, want)
		}
	}
}
