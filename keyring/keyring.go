// Package keyring stores members' ed25519 signing keys as files in the node home
// (<home>/keys/<name>.json, mode 0600, directory 0700).
//
// # Encryption at rest
//
// A key file (format version 2, see format.go) keeps the name, address and public key
// readable, so listing and showing keys needs no passphrase, and the private key (the
// 32-byte ed25519 seed) encrypted: argon2id derives a 256-bit key from the passphrase
// and a random salt, and ChaCha20-Poly1305 seals the seed with the file's name, type,
// address, public key and crypto parameters as associated data, so none of them can be
// changed or swapped between files without the AEAD refusing the file. A wrong
// passphrase and an altered file are the same error, ErrWrongPassphrase.
//
// The passphrase comes from a PassphraseFunc (WithPassphrase): the keyring never reads
// a terminal or the environment itself; the CLI does (cmd/poaledger/passphrase.go).
//
// The test backend (Unencrypted) writes the private key in plaintext, in a file marked
// "unencrypted": true. It is meant for throwaway local networks (testnet init, tests).
// Such a file is read without a passphrase by every keyring: it says what it is, and
// its creator asked for it explicitly.
//
// Files of format version 1 (the plaintext files poaledger wrote before encryption,
// without a "version" field) are listed and shown, but their private key is only
// handed out by the Unencrypted backend; Migrate rewrites them, in place and
// atomically, encrypted (or, with the Unencrypted backend, as marked plaintext).
//
// # Permissions
//
// The keys directory must not be accessible to group or others (0700) and neither may
// a key file (0600): every operation but Delete refuses otherwise with ErrPermissions,
// naming the file and the chmod that fixes it (not on Windows, which has no mode bits).
//
// Names are restricted to [A-Za-z0-9_.-], 1..64 characters, so a name can never
// escape the keys directory.
package keyring

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"

	"github.com/poaledger/poaledger/app/tx"
)

var (
	ErrNotFound = errors.New("keyring: key not found")
	ErrExists   = errors.New("keyring: key already exists")
	ErrBadName  = errors.New("keyring: invalid key name")
	ErrCorrupt  = errors.New("keyring: key file corrupt")
	// ErrWrongPassphrase: the passphrase does not open the key (or the file was altered).
	ErrWrongPassphrase = errors.New("keyring: wrong passphrase")
	// ErrNoPassphrase: the key is encrypted (or is to be) and no passphrase was given.
	ErrNoPassphrase = errors.New("keyring: no passphrase")
	// ErrWeakPassphrase: a new passphrase shorter than MinPassphraseLen.
	ErrWeakPassphrase = errors.New("keyring: passphrase too short")
	// ErrPermissions: the keys directory or a key file is open to group or others.
	ErrPermissions = errors.New("keyring: insecure permissions")
	// ErrLegacy: a version-1 plaintext key file; Migrate it.
	ErrLegacy = errors.New("keyring: unencrypted key file of format version 1")
)

// MinPassphraseLen is the shortest passphrase accepted for encrypting a key.
const MinPassphraseLen = 8

const (
	maxKeys     = 10_000
	maxFileSize = 64 << 10
)

var nameRE = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// Storage says how a key file keeps its private key.
type Storage string

const (
	// Encrypted: format version 2, argon2id + ChaCha20-Poly1305.
	Encrypted Storage = "encrypted"
	// Plaintext: format version 2 marked "unencrypted" (the test backend).
	Plaintext Storage = "unencrypted"
	// Legacy: format version 1, plaintext; see Migrate.
	Legacy Storage = "legacy"
)

// Key is one member key. PrivKey is nil in listings (List, Show).
type Key struct {
	Name    string
	PubKey  ed25519.PublicKey
	PrivKey ed25519.PrivateKey
	// Storage is how the key's file keeps it (empty for a key not read from a file).
	Storage Storage
}

// Address is the member address (first 20 bytes of sha256(pubkey)).
func (k Key) Address() string { return tx.AddressString(tx.Address(k.PubKey)) }

// PubKeyBase64 is the public key as standard base64.
func (k Key) PubKeyBase64() string { return base64.StdEncoding.EncodeToString(k.PubKey) }

// Purpose tells a PassphraseFunc what the passphrase is for.
type Purpose int

const (
	// Unlock: decrypt an existing key (or export).
	Unlock Purpose = iota
	// Protect: encrypt a key (a new key, a migration, an export); a prompt should
	// ask twice.
	Protect
)

// PassphraseFunc returns the passphrase for the key name. The keyring clears the
// returned slice after use.
type PassphraseFunc func(name string, p Purpose) ([]byte, error)

// Option configures New.
type Option func(*Keyring)

// WithPassphrase sets where the keyring gets passphrases from.
func WithPassphrase(f PassphraseFunc) Option { return func(r *Keyring) { r.pass = f } }

// Unencrypted selects the test backend: Add, Import and Migrate write the private key
// in plaintext (marked "unencrypted" in the file), and Get also reads format-1 files.
// For local test networks only: anyone who can read such a file can sign as its member.
func Unencrypted() Option { return func(r *Keyring) { r.plaintext = true } }

// Keyring is a directory of key files.
type Keyring struct {
	dir       string
	pass      PassphraseFunc
	plaintext bool
}

// New returns the keyring of a home directory (<home>/keys). Without options it can
// list, show and delete keys and read unencrypted ones; adding or reading an encrypted
// key needs WithPassphrase (or Unencrypted, to write test keys).
func New(home string, opts ...Option) *Keyring {
	r := &Keyring{dir: filepath.Join(home, "keys")}
	for _, o := range opts {
		o(r)
	}
	return r
}

// Dir is the directory holding the key files.
func (r *Keyring) Dir() string { return r.dir }

// ValidName reports whether name can be a key name.
func ValidName(name string) error {
	if !nameRE.MatchString(name) || name == "." || name == ".." {
		return fmt.Errorf("%w %q: use 1-64 of A-Z a-z 0-9 _ . -", ErrBadName, name)
	}
	return nil
}

func (r *Keyring) path(name string) (string, error) {
	if err := ValidName(name); err != nil {
		return "", err
	}
	return filepath.Join(r.dir, name+".json"), nil
}

// Add generates a new key. It refuses to overwrite an existing one.
func (r *Keyring) Add(name string) (Key, error) {
	if _, err := r.path(name); err != nil {
		return Key{}, err
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return Key{}, fmt.Errorf("keyring: generate: %w", err)
	}
	k := Key{Name: name, PubKey: pub, PrivKey: priv}
	if err := r.Import(k); err != nil {
		return Key{}, err
	}
	k.Storage = r.writes()
	return k, nil
}

// writes is the storage this keyring writes.
func (r *Keyring) writes() Storage {
	if r.plaintext {
		return Plaintext
	}
	return Encrypted
}

// Import stores a given key under k.Name, encrypted unless the keyring is
// Unencrypted; it refuses to overwrite.
func (r *Keyring) Import(k Key) error {
	p, err := r.path(k.Name)
	if err != nil {
		return err
	}
	if len(k.PrivKey) != ed25519.PrivateKeySize {
		return fmt.Errorf("%w: private key must be %d bytes", ErrCorrupt, ed25519.PrivateKeySize)
	}
	if err := r.prepareDir(); err != nil {
		return err
	}
	if _, err := os.Lstat(p); err == nil {
		return fmt.Errorf("%w: %q (delete it first)", ErrExists, k.Name)
	}
	data, err := r.encode(k)
	if err != nil {
		return err
	}
	return r.write(p, data, false)
}

// encode is the file r writes for k (asking for a passphrase if it encrypts).
func (r *Keyring) encode(k Key) ([]byte, error) {
	if r.plaintext {
		return encodePlain(k)
	}
	pass, err := r.passphrase(k.Name, Protect)
	if err != nil {
		return nil, err
	}
	defer clear(pass)
	return encodeSealed(k, kindKey, pass)
}

func (r *Keyring) passphrase(name string, p Purpose) ([]byte, error) {
	if r.pass == nil {
		if p == Protect {
			return nil, fmt.Errorf("%w to encrypt key %q (or use the unencrypted test backend)", ErrNoPassphrase, name)
		}
		return nil, fmt.Errorf("%w for key %q: it is encrypted", ErrNoPassphrase, name)
	}
	return checkPass(p)(r.pass(name, p))
}

// CheckNewPassphrase applies the rules for a passphrase that is to encrypt a key:
// not empty, at least MinPassphraseLen bytes.
func CheckNewPassphrase(pass []byte) error {
	_, err := checkPass(Protect)(pass, nil)
	return err
}

// checkPass applies the passphrase rules for p to what a PassphraseFunc returned:
// never empty, and at least MinPassphraseLen bytes to encrypt.
func checkPass(p Purpose) func([]byte, error) ([]byte, error) {
	return func(pass []byte, err error) ([]byte, error) {
		switch {
		case err != nil:
			return nil, err
		case len(pass) == 0:
			return nil, fmt.Errorf("%w: the passphrase is empty", ErrNoPassphrase)
		case p == Protect && len(pass) < MinPassphraseLen:
			return nil, fmt.Errorf("%w: use at least %d characters", ErrWeakPassphrase, MinPassphraseLen)
		}
		return pass, nil
	}
}

// Get loads a key with its private part.
func (r *Keyring) Get(name string) (Key, error) {
	p, f, err := r.read(name)
	if err != nil {
		return Key{}, err
	}
	switch f.storage() {
	case Legacy:
		if !r.plaintext {
			return Key{}, fmt.Errorf("%w: %s: run `poaledger keys migrate %s` to encrypt it (or `keys migrate %s --unencrypted` to keep it as a local test key)",
				ErrLegacy, p, name, name)
		}
		return f.plainKey(p)
	case Plaintext:
		return f.plainKey(p)
	}
	pass, err := r.passphrase(name, Unlock)
	if err != nil {
		return Key{}, err
	}
	defer clear(pass)
	k, err := f.open(pass)
	if errors.Is(err, ErrWrongPassphrase) {
		return Key{}, fmt.Errorf("%w for key %s (or %s was altered)", ErrWrongPassphrase, name, p)
	}
	if err != nil {
		return Key{}, fmt.Errorf("%s: %w", p, err)
	}
	return k, nil
}

// Show returns a key without its private part; it needs no passphrase.
func (r *Keyring) Show(name string) (Key, error) {
	_, f, err := r.read(name)
	if err != nil {
		return Key{}, err
	}
	return f.publicKey(), nil
}

// List returns every key (without private parts) sorted by name.
func (r *Keyring) List() ([]Key, error) {
	if err := r.checkDir(); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(r.dir)
	if err != nil {
		return nil, fmt.Errorf("keyring: %w", err)
	}
	var out []Key
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok || e.IsDir() {
			continue
		}
		if len(out) >= maxKeys {
			return nil, fmt.Errorf("keyring: more than %d keys in %s", maxKeys, r.dir)
		}
		k, err := r.Show(name)
		if err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Delete removes a key file.
func (r *Keyring) Delete(name string) error {
	p, err := r.path(name)
	if err != nil {
		return err
	}
	if err := os.Remove(p); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: %q", ErrNotFound, name)
	} else if err != nil {
		return fmt.Errorf("keyring: %w", err)
	}
	return nil
}

// Migrate rewrites the key file of name, in place and atomically, into the storage
// this keyring writes: a format-1 or unencrypted file is encrypted (asking for a new
// passphrase); with the Unencrypted backend a format-1 file becomes a marked
// unencrypted one. An encrypted key is left alone. It returns the storage before and
// after.
func (r *Keyring) Migrate(name string) (from, to Storage, err error) {
	p, f, err := r.read(name)
	if err != nil {
		return "", "", err
	}
	from = f.storage()
	if from == Encrypted || from == Plaintext && r.plaintext {
		return from, from, nil
	}
	k, err := f.plainKey(p)
	if err != nil {
		return "", "", err
	}
	data, err := r.encode(k)
	if err != nil {
		return "", "", err
	}
	if err := r.write(p, data, true); err != nil {
		return "", "", err
	}
	return from, r.writes(), nil
}

// Export returns key name encrypted under a passphrase of its own (asked from pass
// with Protect), as a JSON blob for ImportExported on another machine. Reading the
// key may ask this keyring's passphrase first.
func (r *Keyring) Export(name string, pass PassphraseFunc) ([]byte, error) {
	k, err := r.Get(name)
	if err != nil {
		return nil, err
	}
	if pass == nil {
		return nil, fmt.Errorf("%w to encrypt the export of key %q", ErrNoPassphrase, name)
	}
	ep, err := checkPass(Protect)(pass(name, Protect))
	if err != nil {
		return nil, err
	}
	defer clear(ep)
	return encodeSealed(k, kindExport, ep)
}

// ImportExported stores, under name, the key of a blob written by Export (its
// passphrase asked from pass with Unlock), encrypted with this keyring's passphrase
// (or in plaintext with the Unencrypted backend). It refuses to overwrite.
func (r *Keyring) ImportExported(name string, blob []byte, pass PassphraseFunc) (Key, error) {
	p, err := r.path(name)
	if err != nil {
		return Key{}, err
	}
	if err := r.prepareDir(); err != nil {
		return Key{}, err
	}
	if _, err := os.Lstat(p); err == nil {
		return Key{}, fmt.Errorf("%w: %q (delete it first, or import under another name)", ErrExists, name)
	}
	f, err := decodeExport(blob)
	if err != nil {
		return Key{}, err
	}
	if pass == nil {
		return Key{}, fmt.Errorf("%w to open the export of key %q", ErrNoPassphrase, f.Name)
	}
	ep, err := checkPass(Unlock)(pass(f.Name, Unlock))
	if err != nil {
		return Key{}, err
	}
	defer clear(ep)
	k, err := f.open(ep)
	if errors.Is(err, ErrWrongPassphrase) {
		return Key{}, fmt.Errorf("%w for the export of key %s (or the export was altered)", ErrWrongPassphrase, f.Name)
	}
	if err != nil {
		return Key{}, err
	}
	k.Name = name
	if err := r.Import(k); err != nil {
		return Key{}, err
	}
	k.Storage = r.writes()
	return k, nil
}

// read opens, checks and decodes the key file of name.
func (r *Keyring) read(name string) (string, *keyFile, error) {
	p, err := r.path(name)
	if err != nil {
		return "", nil, err
	}
	if err := r.checkDir(); errors.Is(err, fs.ErrNotExist) {
		return "", nil, fmt.Errorf("%w: %q in %s", ErrNotFound, name, r.dir)
	} else if err != nil {
		return "", nil, err
	}
	fh, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil, fmt.Errorf("%w: %q in %s", ErrNotFound, name, r.dir)
	}
	if err != nil {
		return "", nil, fmt.Errorf("keyring: %w", err)
	}
	defer fh.Close()
	fi, err := fh.Stat()
	if err != nil {
		return "", nil, fmt.Errorf("keyring: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return "", nil, fmt.Errorf("%w: %s is not a regular file", ErrCorrupt, p)
	}
	if err := checkMode(fi, p, "key file", 0o600); err != nil {
		return "", nil, err
	}
	data, err := io.ReadAll(io.LimitReader(fh, maxFileSize+1))
	if err != nil {
		return "", nil, fmt.Errorf("keyring: read %s: %w", p, err)
	}
	if len(data) > maxFileSize {
		return "", nil, fmt.Errorf("%w: %s is larger than %d bytes", ErrCorrupt, p, maxFileSize)
	}
	f, err := decodeKeyFile(data, name)
	if err != nil {
		return "", nil, fmt.Errorf("%s: %w", p, err)
	}
	return p, f, nil
}

// checkMode refuses a file or directory open to group or others.
func checkMode(fi fs.FileInfo, path, what string, want fs.FileMode) error {
	if runtime.GOOS == "windows" || fi.Mode().Perm()&0o077 == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s %s has mode %04o, open to group or others (anyone who can read it may attack it); fix it with: chmod %o %s",
		ErrPermissions, what, path, fi.Mode().Perm(), want, path)
}

func (r *Keyring) checkDir() error {
	fi, err := os.Stat(r.dir)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("keyring: %s is not a directory", r.dir)
	}
	return checkMode(fi, r.dir, "keys directory", 0o700)
}

// prepareDir creates the keys directory (0700) or checks an existing one.
func (r *Keyring) prepareDir() error {
	if err := os.MkdirAll(r.dir, 0o700); err != nil {
		return fmt.Errorf("keyring: %w", err)
	}
	return r.checkDir()
}

// write stores data at p through a temporary file in the same directory, synced
// before it takes the name: replace renames it over p, otherwise it is linked to p,
// which fails if p exists. A crash leaves either the old file or the new one.
func (r *Keyring) write(p string, data []byte, replace bool) error {
	tmp, err := os.CreateTemp(r.dir, "."+filepath.Base(p)+".tmp-*") // mode 0600
	if err != nil {
		return fmt.Errorf("keyring: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("keyring: write %s: %w", tmp.Name(), err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("keyring: sync %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("keyring: %w", err)
	}
	if replace {
		err = os.Rename(tmp.Name(), p)
	} else if err = os.Link(tmp.Name(), p); err != nil && !errors.Is(err, fs.ErrExist) {
		err = writeExclusive(p, data) // a file system without hard links
	}
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%w: %q (delete it first)", ErrExists, strings.TrimSuffix(filepath.Base(p), ".json"))
	}
	if err != nil {
		return fmt.Errorf("keyring: %w", err)
	}
	syncDir(r.dir)
	return nil
}

// writeExclusive creates p (mode 0600), refusing an existing file, and writes data;
// unlike write, a crash can leave p partly written (Get then reports it corrupt).
func writeExclusive(p string, data []byte) error {
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(p)
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(p)
		return err
	}
	return f.Close()
}

// syncDir makes a rename or link durable (best effort: not every OS can sync a directory).
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}
