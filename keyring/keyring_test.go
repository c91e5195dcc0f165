package keyring

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestKeyringLifecycle(t *testing.T) {
	home := t.TempDir()
	r := New(home)
	k, err := r.Add("alice")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Add("alice"); !errors.Is(err, ErrExists) {
		t.Fatalf("second Add: %v, want ErrExists", err)
	}
	fi, err := os.Stat(filepath.Join(home, "keys", "alice.json"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, %v; want 0600", fi.Mode().Perm(), err)
	}
	di, _ := os.Stat(filepath.Join(home, "keys"))
	if di.Mode().Perm() != 0o700 {
		t.Fatalf("keys dir mode %v, want 0700", di.Mode().Perm())
	}
	got, err := r.Get("alice")
	if err != nil || got.Address() != k.Address() || !got.PrivKey.Equal(k.PrivKey) {
		t.Fatalf("Get = %+v, %v", got, err)
	}
	if _, err := r.Add("bob"); err != nil {
		t.Fatal(err)
	}
	ks, err := r.List()
	if err != nil || len(ks) != 2 || ks[0].Name != "alice" || ks[1].Name != "bob" || ks[0].PrivKey != nil {
		t.Fatalf("List = %+v, %v", ks, err)
	}
	if err := r.Delete("alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Get("alice"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get after Delete: %v", err)
	}
	if err := r.Delete("alice"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second Delete: %v", err)
	}
}

func TestKeyringRejects(t *testing.T) {
	home := t.TempDir()
	r := New(home)
	for _, name := range []string{"", "..", "../x", "a/b", "with space", string(make([]byte, 65))} {
		if _, err := r.Add(name); !errors.Is(err, ErrBadName) {
			t.Errorf("Add(%q) = %v, want ErrBadName", name, err)
		}
	}
	if err := os.MkdirAll(filepath.Join(home, "keys"), 0o700); err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string]string{
		"notjson":  "{",
		"shortkey": `{"privkey":"AAAA","pubkey":"AAAA"}`,
	} {
		if err := os.WriteFile(filepath.Join(home, "keys", name+".json"), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := r.Get(name); !errors.Is(err, ErrCorrupt) {
			t.Errorf("Get(%s) = %v, want ErrCorrupt", name, err)
		}
	}
	k, _ := New(t.TempDir()).Add("x")
	k.Name = "mismatch"
	if err := r.Import(k); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(home, "keys", "mismatch.json")
	b, _ := os.ReadFile(path)
	other, _ := New(t.TempDir()).Add("y")
	b = []byte(strings.Replace(string(b), k.PubKeyBase64(), other.PubKeyBase64(), 1))
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Get("mismatch"); !errors.Is(err, ErrCorrupt) {
		t.Errorf("pubkey/privkey mismatch: %v, want ErrCorrupt", err)
	}
}
