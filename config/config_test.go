package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDefaultsValidateAndRoundTrip(t *testing.T) {
	if err := Default().Validate(); err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	got, err := Load(home) // no file: defaults
	if err != nil || got != Default() {
		t.Fatalf("Load without file = %+v, %v", got, err)
	}
	c := Default()
	c.Ledger.CacheSize = 1234
	if err := Save(home, c); err != nil {
		t.Fatal(err)
	}
	got, err = Load(home)
	if err != nil || got != c {
		t.Fatalf("round trip = %+v, %v", got, err)
	}
	if d := c.LedgerDir("/h"); d != "/h/data/ledger" {
		t.Fatalf("LedgerDir = %s", d)
	}
}

func TestLoadRejects(t *testing.T) {
	cases := map[string]struct{ toml, want string }{
		"unknown key":    {"[ledger]\ncache_sise = 5\n", "cache_sise"},
		"wrong type":     {"[ledger]\ncache_size = \"big\"\n", "poaledger.toml"},
		"negative keep":  {"[ledger]\nkeep_recent = -1\n", "ledger.keep_recent"},
		"zero page":      {"[app]\nmax_page_items = 0\n", "app.max_page_items"},
		"empty dir":      {"[ledger]\ndir = \"\"\n", "ledger.dir"},
		"not toml":       {"this is not toml", "poaledger.toml"},
		"huge sig cache": {"[app]\nsig_cache_size = 99999999\n", "app.sig_cache_size"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			home := t.TempDir()
			if err := os.MkdirAll(filepath.Join(home, "config"), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(Path(home), []byte(c.toml), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := Load(home)
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Load = %v; want ErrInvalid mentioning %q", err, c.want)
			}
		})
	}
}

func TestLoadCometBFT(t *testing.T) {
	if _, err := LoadCometBFT(t.TempDir()); err == nil || !strings.Contains(err.Error(), "poaledger init") {
		t.Fatalf("missing config.toml: %v", err)
	}
	d := NodeDefaults(t.TempDir(), "n0")
	if err := d.ValidateBasic(); err != nil {
		t.Fatal(err)
	}
	if d.Consensus.CreateEmptyBlocks || !d.Instrumentation.Prometheus || d.TxIndex.Indexer != "kv" {
		t.Fatalf("defaults changed: %+v", d.Consensus)
	}
}
