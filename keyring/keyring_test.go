package keyring

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

func init() {
	// Fast argon2id for tests; TestDefaultKDF and BenchmarkUnlock use the real one.
	newKeyKDF = kdfParams{Time: 1, MemoryKiB: 64, Threads: 1}
}

// pass is a PassphraseFunc always answering p (a fresh slice: the keyring clears it).
func pass(p string) PassphraseFunc {
	return func(string, Purpose) ([]byte, error) { return []byte(p), nil }
}

const pw = "correct horse battery"

func keyPath(home, name string) string { return filepath.Join(home, "keys", name+".json") }

// editFile rewrites a key file's JSON through edit.
func editFile(t *testing.T, path string, edit func(m map[string]any)) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	if b, err = json.Marshal(m); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestKeyringLifecycle(t *testing.T) {
	home := t.TempDir()
	r := New(home, WithPassphrase(pass(pw)))
	k, err := r.Add("alice")
	if err != nil {
		t.Fatal(err)
	}
	if k.Storage != Encrypted {
		t.Fatalf("Add storage %q", k.Storage)
	}
	if _, err := r.Add("alice"); !errors.Is(err, ErrExists) {
		t.Fatalf("second Add: %v, want ErrExists", err)
	}
	fi, err := os.Stat(keyPath(home, "alice"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, %v; want 0600", fi.Mode().Perm(), err)
	}
	di, _ := os.Stat(filepath.Join(home, "keys"))
	if di.Mode().Perm() != 0o700 {
		t.Fatalf("keys dir mode %v, want 0700", di.Mode().Perm())
	}
	raw, _ := os.ReadFile(keyPath(home, "alice"))
	for _, secret := range [][]byte{k.PrivKey, k.PrivKey.Seed()} {
		if strings.Contains(string(raw), base64.StdEncoding.EncodeToString(secret)) {
			t.Fatalf("the key file holds the private key in plaintext:\n%s", raw)
		}
	}
	for _, want := range []string{`"version": 2`, `"kdf": "argon2id"`, `"cipher": "chacha20poly1305"`, k.PubKeyBase64(), k.Address()} {
		if !strings.Contains(string(raw), want) {
			t.Fatalf("key file lacks %s:\n%s", want, raw)
		}
	}
	got, err := r.Get("alice")
	if err != nil || got.Address() != k.Address() || !got.PrivKey.Equal(k.PrivKey) || got.Storage != Encrypted {
		t.Fatalf("Get = %+v, %v", got, err)
	}
	// Show and List need no passphrase.
	pub, err := New(home).Show("alice")
	if err != nil || !pub.PubKey.Equal(k.PubKey) || pub.PrivKey != nil || pub.Storage != Encrypted {
		t.Fatalf("Show = %+v, %v", pub, err)
	}
	if _, err := r.Add("bob"); err != nil {
		t.Fatal(err)
	}
	ks, err := New(home).List()
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
	if ents, _ := os.ReadDir(filepath.Join(home, "keys")); len(ents) != 1 {
		t.Fatalf("keys dir holds %d entries, want bob.json only (no temporary files)", len(ents))
	}
}

func TestKeyringPassphrases(t *testing.T) {
	home := t.TempDir()
	if _, err := New(home).Add("alice"); !errors.Is(err, ErrNoPassphrase) {
		t.Fatalf("Add without a passphrase source: %v, want ErrNoPassphrase", err)
	}
	if _, err := New(home, WithPassphrase(pass(""))).Add("alice"); !errors.Is(err, ErrNoPassphrase) {
		t.Fatalf("Add with an empty passphrase: %v, want ErrNoPassphrase", err)
	}
	if _, err := New(home, WithPassphrase(pass("1234567"))).Add("alice"); !errors.Is(err, ErrWeakPassphrase) {
		t.Fatalf("Add with a 7-byte passphrase: %v, want ErrWeakPassphrase", err)
	}
	if _, err := os.Stat(keyPath(home, "alice")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a refused Add left a file: %v", err)
	}
	var asked []Purpose
	r := New(home, WithPassphrase(func(name string, p Purpose) ([]byte, error) {
		if name != "alice" {
			t.Errorf("asked for key %q", name)
		}
		asked = append(asked, p)
		return []byte(pw), nil
	}))
	if _, err := r.Add("alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Get("alice"); err != nil {
		t.Fatal(err)
	}
	if len(asked) != 2 || asked[0] != Protect || asked[1] != Unlock {
		t.Fatalf("purposes asked: %v, want [Protect Unlock]", asked)
	}
	_, err := New(home, WithPassphrase(pass("not the passphrase"))).Get("alice")
	if !errors.Is(err, ErrWrongPassphrase) || !strings.Contains(err.Error(), "wrong passphrase for key alice") {
		t.Fatalf("Get with a wrong passphrase: %v", err)
	}
	if _, err := New(home).Get("alice"); !errors.Is(err, ErrNoPassphrase) {
		t.Fatalf("Get of an encrypted key without a passphrase source: %v", err)
	}
	boom := errors.New("no terminal")
	if _, err := New(home, WithPassphrase(func(string, Purpose) ([]byte, error) { return nil, boom })).Get("alice"); !errors.Is(err, boom) {
		t.Fatalf("the PassphraseFunc's error is lost: %v", err)
	}
	// Unicode passphrases are bytes like any other.
	u := New(home, WithPassphrase(pass("pässwörd-ключ-🔑")))
	if _, err := u.Add("unicode"); err != nil {
		t.Fatal(err)
	}
	if _, err := u.Get("unicode"); err != nil {
		t.Fatal(err)
	}
}

// TestKeyringTamper: every field of an encrypted file is bound to the ciphertext.
func TestKeyringTamper(t *testing.T) {
	home := t.TempDir()
	r := New(home, WithPassphrase(pass(pw)))
	if _, err := r.Add("alice"); err != nil {
		t.Fatal(err)
	}
	bob, err := r.Add("bob")
	if err != nil {
		t.Fatal(err)
	}
	orig, _ := os.ReadFile(keyPath(home, "alice"))
	bobRaw, _ := os.ReadFile(keyPath(home, "bob"))
	var bobFile map[string]any
	_ = json.Unmarshal(bobRaw, &bobFile)
	flip := func(s string) string {
		b, _ := base64.StdEncoding.DecodeString(s)
		b[len(b)/2] ^= 1
		return base64.StdEncoding.EncodeToString(b)
	}
	for _, c := range []struct {
		name string
		edit func(m map[string]any)
		want error
	}{
		{"ciphertext bit", func(m map[string]any) {
			c := m["crypto"].(map[string]any)
			c["ciphertext"] = flip(c["ciphertext"].(string))
		}, ErrWrongPassphrase},
		{"nonce bit", func(m map[string]any) {
			c := m["crypto"].(map[string]any)
			c["nonce"] = flip(c["nonce"].(string))
		}, ErrWrongPassphrase},
		{"salt bit", func(m map[string]any) {
			c := m["crypto"].(map[string]any)
			c["salt"] = flip(c["salt"].(string))
		}, ErrWrongPassphrase},
		{"kdf time", func(m map[string]any) {
			m["crypto"].(map[string]any)["kdf_params"].(map[string]any)["time"] = 2
		}, ErrWrongPassphrase},
		{"pubkey and address of another key", func(m map[string]any) {
			m["pubkey"], m["address"] = bob.PubKeyBase64(), bob.Address()
		}, ErrWrongPassphrase},
		{"crypto of another key", func(m map[string]any) { m["crypto"] = bobFile["crypto"] }, ErrWrongPassphrase},
		{"pubkey alone", func(m map[string]any) { m["pubkey"] = bob.PubKeyBase64() }, ErrCorrupt},
		{"name", func(m map[string]any) { m["name"] = "bob" }, ErrCorrupt},
		{"address", func(m map[string]any) { m["address"] = bob.Address() }, ErrCorrupt},
		{"cipher", func(m map[string]any) { m["crypto"].(map[string]any)["cipher"] = "aes-256-gcm" }, ErrCorrupt},
		{"kdf", func(m map[string]any) { m["crypto"].(map[string]any)["kdf"] = "scrypt" }, ErrCorrupt},
		{"huge kdf memory", func(m map[string]any) {
			m["crypto"].(map[string]any)["kdf_params"].(map[string]any)["memory_kib"] = 1 << 30
		}, ErrCorrupt},
		{"unknown field", func(m map[string]any) { m["note"] = "x" }, ErrCorrupt},
		{"version 3", func(m map[string]any) { m["version"] = 3 }, ErrCorrupt},
		{"plaintext added", func(m map[string]any) { m["unencrypted"] = true }, ErrCorrupt},
		{"kind export", func(m map[string]any) { m["kind"] = kindExport }, ErrCorrupt},
	} {
		if err := os.WriteFile(keyPath(home, "alice"), orig, 0o600); err != nil {
			t.Fatal(err)
		}
		editFile(t, keyPath(home, "alice"), c.edit)
		if _, err := r.Get("alice"); !errors.Is(err, c.want) {
			t.Errorf("%s: Get = %v, want %v", c.name, err, c.want)
		}
	}
	// The whole of bob's file under alice's name (name bound by the AAD, checked
	// against the file name first).
	if err := os.WriteFile(keyPath(home, "alice"), bobRaw, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Get("alice"); !errors.Is(err, ErrCorrupt) {
		t.Errorf("bob's file as alice.json: %v", err)
	}
	// Bob's file renamed and relabelled: the name is in the associated data.
	editFile(t, keyPath(home, "alice"), func(m map[string]any) { m["name"] = "alice" })
	if _, err := r.Get("alice"); !errors.Is(err, ErrWrongPassphrase) {
		t.Errorf("bob's file relabelled alice: %v", err)
	}
}

func TestKeyringPermissions(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no mode bits")
	}
	home := t.TempDir()
	r := New(home, WithPassphrase(pass(pw)))
	if _, err := r.Add("alice"); err != nil {
		t.Fatal(err)
	}
	p, dir := keyPath(home, "alice"), filepath.Join(home, "keys")
	for _, mode := range []os.FileMode{0o644, 0o640, 0o604, 0o660} {
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		for op, f := range map[string]func() error{
			"Get":  func() error { _, err := r.Get("alice"); return err },
			"Show": func() error { _, err := r.Show("alice"); return err },
			"List": func() error { _, err := r.List(); return err },
		} {
			err := f()
			if !errors.Is(err, ErrPermissions) || !strings.Contains(err.Error(), "chmod 600 "+p) || !strings.Contains(err.Error(), p) {
				t.Errorf("%s of a %04o key file: %v", op, mode, err)
			}
		}
	}
	if err := os.Chmod(p, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []os.FileMode{0o755, 0o750, 0o701} {
		if err := os.Chmod(dir, mode); err != nil {
			t.Fatal(err)
		}
		if _, err := r.Get("alice"); !errors.Is(err, ErrPermissions) || !strings.Contains(err.Error(), "chmod 700 "+dir) {
			t.Errorf("Get in a %04o keys dir: %v", mode, err)
		}
		if _, err := r.Add("bob"); !errors.Is(err, ErrPermissions) {
			t.Errorf("Add in a %04o keys dir: %v", mode, err)
		}
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Get("alice"); err != nil {
		t.Fatalf("after chmod: %v", err)
	}
}

func TestKeyringUnencrypted(t *testing.T) {
	home := t.TempDir()
	r := New(home, Unencrypted())
	k, err := r.Add("test")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(keyPath(home, "test"))
	if !strings.Contains(string(raw), `"unencrypted": true`) || !strings.Contains(string(raw), base64.StdEncoding.EncodeToString(k.PrivKey)) {
		t.Fatalf("unencrypted file:\n%s", raw)
	}
	// A marked file is read by any keyring without a passphrase.
	for _, kr := range []*Keyring{New(home), r, New(home, WithPassphrase(pass(pw)))} {
		got, err := kr.Get("test")
		if err != nil || !got.PrivKey.Equal(k.PrivKey) || got.Storage != Plaintext {
			t.Fatalf("Get = %+v, %v", got, err)
		}
	}
	// Corrupt plaintext is refused.
	editFile(t, keyPath(home, "test"), func(m map[string]any) {
		other, _, _ := ed25519.GenerateKey(rand.Reader)
		m["pubkey"] = base64.StdEncoding.EncodeToString(other)
		m["address"] = (Key{PubKey: other}).Address()
	})
	if _, err := New(home).Get("test"); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("mismatched plaintext key: %v", err)
	}
}

// writeLegacy writes key k as poaledger wrote key files before encryption.
func writeLegacy(t *testing.T, home string, k Key) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(home, "keys"), 0o700); err != nil {
		t.Fatal(err)
	}
	data, _ := json.MarshalIndent(map[string]string{
		"name": k.Name, "type": "ed25519", "address": k.Address(),
		"pubkey": k.PubKeyBase64(), "privkey": base64.StdEncoding.EncodeToString(k.PrivKey),
	}, "", "  ")
	if err := os.WriteFile(keyPath(home, k.Name), data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func newKey(t *testing.T, name string) Key {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return Key{Name: name, PubKey: pub, PrivKey: priv}
}

func TestKeyringMigrate(t *testing.T) {
	home := t.TempDir()
	old := newKey(t, "old")
	writeLegacy(t, home, old)
	r := New(home, WithPassphrase(pass(pw)))

	if k, err := New(home).Show("old"); err != nil || k.Storage != Legacy || !k.PubKey.Equal(old.PubKey) {
		t.Fatalf("Show of a version-1 file: %+v, %v", k, err)
	}
	_, err := r.Get("old")
	if !errors.Is(err, ErrLegacy) || !strings.Contains(err.Error(), "poaledger keys migrate old") {
		t.Fatalf("Get of a version-1 file: %v", err)
	}
	if k, err := New(home, Unencrypted()).Get("old"); err != nil || !k.PrivKey.Equal(old.PrivKey) || k.Storage != Legacy {
		t.Fatalf("Unencrypted Get of a version-1 file: %+v, %v", k, err)
	}

	from, to, err := r.Migrate("old")
	if err != nil || from != Legacy || to != Encrypted {
		t.Fatalf("Migrate = %s, %s, %v", from, to, err)
	}
	got, err := r.Get("old")
	if err != nil || !got.PrivKey.Equal(old.PrivKey) || got.Storage != Encrypted {
		t.Fatalf("Get after Migrate: %+v, %v", got, err)
	}
	if fi, _ := os.Stat(keyPath(home, "old")); fi.Mode().Perm() != 0o600 {
		t.Fatalf("migrated file mode %04o", fi.Mode().Perm())
	}
	raw, _ := os.ReadFile(keyPath(home, "old"))
	if strings.Contains(string(raw), base64.StdEncoding.EncodeToString(old.PrivKey)) {
		t.Fatal("migrated file still holds the private key")
	}
	if from, to, err := r.Migrate("old"); err != nil || from != Encrypted || to != Encrypted {
		t.Fatalf("second Migrate = %s, %s, %v", from, to, err)
	}
	if ents, _ := os.ReadDir(filepath.Join(home, "keys")); len(ents) != 1 {
		t.Fatalf("keys dir holds %d entries after Migrate, want 1", len(ents))
	}

	// Without a passphrase source, nothing changes.
	writeLegacy(t, home, newKey(t, "old2"))
	before, _ := os.ReadFile(keyPath(home, "old2"))
	if _, _, err := New(home).Migrate("old2"); !errors.Is(err, ErrNoPassphrase) {
		t.Fatalf("Migrate without a passphrase: %v", err)
	}
	if after, _ := os.ReadFile(keyPath(home, "old2")); string(after) != string(before) {
		t.Fatal("a failed Migrate changed the file")
	}
	// The test backend marks it instead; the encrypted backend then encrypts that.
	if from, to, err := New(home, Unencrypted()).Migrate("old2"); err != nil || from != Legacy || to != Plaintext {
		t.Fatalf("Unencrypted Migrate = %s, %s, %v", from, to, err)
	}
	if k, err := New(home).Get("old2"); err != nil || k.Storage != Plaintext {
		t.Fatalf("Get of a marked file: %+v, %v", k, err)
	}
	if from, to, err := r.Migrate("old2"); err != nil || from != Plaintext || to != Encrypted {
		t.Fatalf("Migrate of a marked file = %s, %s, %v", from, to, err)
	}
}

func TestKeyringExportImport(t *testing.T) {
	src, dst := t.TempDir(), t.TempDir()
	r := New(src, WithPassphrase(pass(pw)))
	k, err := r.Add("alice")
	if err != nil {
		t.Fatal(err)
	}
	const exportPW = "for the other machine"
	blob, err := r.Export("alice", pass(exportPW))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(blob), base64.StdEncoding.EncodeToString(k.PrivKey.Seed())) ||
		!strings.Contains(string(blob), kindExport) {
		t.Fatalf("export blob:\n%s", blob)
	}
	if _, err := r.Export("alice", pass("short")); !errors.Is(err, ErrWeakPassphrase) {
		t.Fatalf("Export with a short passphrase: %v", err)
	}
	d := New(dst, WithPassphrase(pass("destination keyring pw")))
	if _, err := d.ImportExported("alice2", blob, pass("wrong export pw")); !errors.Is(err, ErrWrongPassphrase) ||
		!strings.Contains(err.Error(), "wrong passphrase for the export of key alice") {
		t.Fatalf("import with a wrong passphrase: %v", err)
	}
	got, err := d.ImportExported("alice2", blob, pass(exportPW))
	if err != nil || got.Name != "alice2" || !got.PrivKey.Equal(k.PrivKey) || got.Storage != Encrypted {
		t.Fatalf("ImportExported = %+v, %v", got, err)
	}
	again, err := d.Get("alice2")
	if err != nil || !again.PrivKey.Equal(k.PrivKey) {
		t.Fatalf("Get after import: %+v, %v", again, err)
	}
	if _, err := d.ImportExported("alice2", blob, pass(exportPW)); !errors.Is(err, ErrExists) {
		t.Fatalf("second import: %v", err)
	}
	// Imported as a test key.
	if got, err := New(dst, Unencrypted()).ImportExported("plain", blob, pass(exportPW)); err != nil || got.Storage != Plaintext {
		t.Fatalf("import into the test backend: %+v, %v", got, err)
	}
	// An export is not a key file, and a key file is not an export.
	if err := os.WriteFile(keyPath(dst, "blob"), blob, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Get("blob"); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "keys import") {
		t.Fatalf("export as a key file: %v", err)
	}
	keyFileRaw, _ := os.ReadFile(keyPath(src, "alice"))
	if _, err := d.ImportExported("x", keyFileRaw, pass(pw)); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("key file as an export: %v", err)
	}
	// The exported name is authenticated too.
	var m map[string]any
	_ = json.Unmarshal(blob, &m)
	m["name"] = "mallory"
	tampered, _ := json.Marshal(m)
	if _, err := d.ImportExported("y", tampered, pass(exportPW)); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("renamed export: %v", err)
	}
}

func TestKeyringRejects(t *testing.T) {
	home := t.TempDir()
	r := New(home, WithPassphrase(pass(pw)))
	for _, name := range []string{"", "..", "../x", "a/b", "with space", string(make([]byte, 65))} {
		if _, err := r.Add(name); !errors.Is(err, ErrBadName) {
			t.Errorf("Add(%q) = %v, want ErrBadName", name, err)
		}
		if _, err := New(home).Add(name); !errors.Is(err, ErrBadName) {
			t.Errorf("Add(%q) without a passphrase = %v, want ErrBadName first", name, err)
		}
	}
	if err := os.MkdirAll(filepath.Join(home, "keys"), 0o700); err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string]string{
		"notjson":  "{",
		"shortkey": `{"privkey":"AAAA","pubkey":"AAAA"}`,
		"trailing": `{"version":2}{}`,
		"empty2":   `{"version":2,"name":"empty2","type":"ed25519"}`,
	} {
		if err := os.WriteFile(keyPath(home, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := r.Get(name); !errors.Is(err, ErrCorrupt) {
			t.Errorf("Get(%s) = %v, want ErrCorrupt", name, err)
		}
	}
	k := newKey(t, "mismatch")
	writeLegacy(t, home, k)
	other := newKey(t, "y")
	editFile(t, keyPath(home, "mismatch"), func(m map[string]any) { m["pubkey"] = other.PubKeyBase64() })
	if _, err := New(home, Unencrypted()).Get("mismatch"); !errors.Is(err, ErrCorrupt) {
		t.Errorf("pubkey/privkey mismatch: %v, want ErrCorrupt", err)
	}
}

// TestDefaultKDF: new files get RFC 9106's parameters (time 3, 64 MiB, 4 lanes).
func TestDefaultKDF(t *testing.T) {
	if testing.Short() {
		t.Skip("runs argon2id with 64 MiB")
	}
	if defaultKDF != (kdfParams{Time: 3, MemoryKiB: 64 << 10, Threads: 4}) {
		t.Fatalf("defaultKDF = %+v", defaultKDF)
	}
	saved := newKeyKDF
	newKeyKDF = defaultKDF
	defer func() { newKeyKDF = saved }()
	home := t.TempDir()
	r := New(home, WithPassphrase(pass(pw)))
	if _, err := r.Add("alice"); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(keyPath(home, "alice"))
	if !strings.Contains(string(raw), `"kdf_params": {`) || !strings.Contains(string(raw), `"memory_kib": 65536`) ||
		!strings.Contains(string(raw), `"time": 3`) || !strings.Contains(string(raw), `"threads": 4`) {
		t.Fatalf("key file:\n%s", raw)
	}
	start := time.Now()
	if _, err := r.Get("alice"); err != nil {
		t.Fatal(err)
	}
	t.Logf("unlock with the default argon2id parameters: %v", time.Since(start))
}

// BenchmarkUnlock measures Get of a key encrypted with the default parameters: what
// every signing command pays once, and a passphrase guesser per guess.
func BenchmarkUnlock(b *testing.B) {
	saved := newKeyKDF
	newKeyKDF = defaultKDF
	defer func() { newKeyKDF = saved }()
	home := b.TempDir()
	r := New(home, WithPassphrase(pass(pw)))
	if _, err := r.Add("alice"); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		if _, err := r.Get("alice"); err != nil {
			b.Fatal(err)
		}
	}
}
