package config

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/poaledger/poaledger/ledger"
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

// TestDefaultOwners pins every default of poaledger.toml to its single owner, and the
// numbers in the file's comments to the constants (struct-tag comments cannot refer to
// constants, so this test keeps them from drifting apart).
func TestDefaultOwners(t *testing.T) {
	d := Default()
	if d.Ledger.CacheSize != ledger.DefaultCacheSize || ledger.DefaultOptions().CacheSize != ledger.DefaultCacheSize {
		t.Fatalf("cache size: config %d, ledger.DefaultOptions %d, ledger.DefaultCacheSize %d",
			d.Ledger.CacheSize, ledger.DefaultOptions().CacheSize, ledger.DefaultCacheSize)
	}
	if d.App.MaxPageItems != DefaultMaxPageItems || d.App.SigCacheSize != DefaultSigCacheSize || d.Ledger.Dir != DefaultLedgerDir {
		t.Fatalf("defaults %+v", d)
	}
	if MaxPageItems != ledger.MaxPageItems {
		t.Fatalf("MaxPageItems %d, ledger caps pages at %d", MaxPageItems, ledger.MaxPageItems)
	}
	home := t.TempDir()
	if err := Save(home, d); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(Path(home))
	if err != nil {
		t.Fatal(err)
	}
	itoa := strconv.Itoa
	for _, want := range []string{
		"1.." + itoa(MaxCacheSize) + ", default " + itoa(ledger.DefaultCacheSize) + ". 0 is refused",
		"1.." + itoa(MaxPageItems) + ", default " + itoa(DefaultMaxPageItems),
		"0.." + itoa(MaxSigCacheSize) + ", default " + itoa(DefaultSigCacheSize) + "; 0 disables",
		"0 keeps all",
	} {
		if !strings.Contains(string(data), want) {
			t.Errorf("poaledger.toml comments do not say %q:\n%s", want, data)
		}
	}
}

func writeAppConfig(t *testing.T, text string) string {
	t.Helper()
	home := t.TempDir()
	if err := os.MkdirAll(filepath.Join(home, "config"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(Path(home), []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return home
}

// TestCacheSize: 0 is refused (the IAVL cache cannot be disabled), a missing key is
// ledger.DefaultCacheSize, and the bounds are [1, MaxCacheSize].
func TestCacheSize(t *testing.T) {
	cases := []struct {
		name, toml string
		want       int    // CacheSize after Load when ok
		err        string // substring of the error, "" when ok
	}{
		{"missing key is the default", "[ledger]\nkeep_recent = 0\n", ledger.DefaultCacheSize, ""},
		{"zero is refused", "[ledger]\ncache_size = 0\n", 0, "ledger.cache_size 0: the IAVL node cache cannot be disabled"},
		{"negative", "[ledger]\ncache_size = -1\n", 0, "ledger.cache_size -1 outside [1, 50000000]"},
		{"one", "[ledger]\ncache_size = 1\n", 1, ""},
		{"maximum", "[ledger]\ncache_size = " + strconv.Itoa(MaxCacheSize) + "\n", MaxCacheSize, ""},
		{"above maximum", "[ledger]\ncache_size = " + strconv.Itoa(MaxCacheSize+1) + "\n", 0, "ledger.cache_size 50000001 outside"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			home := writeAppConfig(t, c.toml)
			got, err := Load(home)
			if c.err == "" {
				if err != nil || got.Ledger.CacheSize != c.want {
					t.Fatalf("Load = %d, %v; want %d", got.Ledger.CacheSize, err, c.want)
				}
				return
			}
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), c.err) || !strings.Contains(err.Error(), Path(home)) {
				t.Fatalf("Load = %v; want ErrInvalid naming %s and %q", err, Path(home), c.err)
			}
		})
	}
}

func TestLoadRejects(t *testing.T) {
	cases := map[string]struct{ toml, want string }{
		"unknown key":      {"[ledger]\ncache_sise = 5\n", "cache_sise"},
		"wrong type":       {"[ledger]\ncache_size = \"big\"\n", "poaledger.toml"},
		"zero cache":       {"[ledger]\ncache_size = 0\n", "ledger.cache_size"},
		"negative keep":    {"[ledger]\nkeep_recent = -1\n", "ledger.keep_recent"},
		"zero page":        {"[app]\nmax_page_items = 0\n", "app.max_page_items"},
		"page too big":     {"[app]\nmax_page_items = 10001\n", "app.max_page_items 10001 outside [1, 10000]"},
		"empty dir":        {"[ledger]\ndir = \"\"\n", "ledger.dir"},
		"not toml":         {"this is not toml", "poaledger.toml"},
		"huge sig cache":   {"[app]\nsig_cache_size = 99999999\n", "app.sig_cache_size"},
		"negative pending": {"[app]\nmax_pending_txs_per_signer = -1\n", "app.max_pending_txs_per_signer -1 outside [0, 1000000]"},
		"gc off":           {"[runtime]\ngc_percent = 0\n", "runtime.gc_percent 0 outside [25, 10000]"},
		"gc huge":          {"[runtime]\ngc_percent = 20000\n", "runtime.gc_percent 20000 outside [25, 10000]"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			home := writeAppConfig(t, c.toml)
			_, err := Load(home)
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Load = %v; want ErrInvalid mentioning %q", err, c.want)
			}
		})
	}
}
