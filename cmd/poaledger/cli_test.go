package main

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// TestBadInput: bad flags and arguments give a usage error naming the problem and
// touch nothing.
func TestBadInput(t *testing.T) {
	home := t.TempDir()
	cases := []struct {
		args  []string
		usage bool
		want  string
	}{
		{[]string{"version", "--output", "yaml"}, true, "--output"},
		{[]string{"init"}, true, "--chain-id is required"},
		{[]string{"init", "--chain-id", strings.Repeat("x", 51)}, false, "chain id longer"},
		{[]string{"keys", "add"}, true, "NAME"},
		{[]string{"keys", "add", "../evil"}, false, "invalid key name"},
		{[]string{"keys", "show", "nobody"}, false, "key not found"},
		{[]string{"tx", "record", "x.json"}, false, "no such file"},
		{[]string{"tx", "propose", "add-member", "notbase64", "--roles", "recorder", "--from", "admin"}, true, "PUBKEY"},
		{[]string{"tx", "propose", "revoke-member", "XYZ", "--from", "admin"}, true, "ADDRESS"},
		{[]string{"query", "event", "x", "--height", "-1"}, true, "--height"},
		{[]string{"start", "--bogus"}, true, "unknown flag"},
		{[]string{"start"}, false, "poaledger init"},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			root := newRootCmd()
			var out bytes.Buffer
			root.SetOut(&out)
			root.SetErr(&out)
			root.SetArgs(append(c.args, "--home", home))
			err := root.Execute()
			if err == nil {
				t.Fatalf("accepted; output %s", out.String())
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

func TestVersionJSON(t *testing.T) {
	root := newRootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetArgs([]string{"version", "--output", "json"})
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{`"version"`, `"commit"`, `"cometbft": "0.38.`} {
		if !strings.Contains(out.String(), f) {
			t.Errorf("version JSON lacks %s: %s", f, out.String())
		}
	}
}

// TestEveryCommandHasExample: the README promises --help with an example everywhere.
func TestEveryCommandHasExample(t *testing.T) {
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Name() != "help" && c.Name() != "completion" && !c.HasParent() || c.IsAvailableCommand() {
			if c.Example == "" {
				t.Errorf("%s has no example", c.CommandPath())
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(newRootCmd())
}
