// Package keyring stores members' ed25519 signing keys as files in the node home
// (<home>/keys/<name>.json, mode 0600, directory 0700).
//
// A key file holds the private key: anyone who can read it can sign as that member.
// Names are restricted to [A-Za-z0-9_.-], 1..64 characters, so a name can never
// escape the keys directory.
package keyring

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/poaledger/poaledger/app/tx"
)

var (
	ErrNotFound = errors.New("keyring: key not found")
	ErrExists   = errors.New("keyring: key already exists")
	ErrBadName  = errors.New("keyring: invalid key name")
	ErrCorrupt  = errors.New("keyring: key file corrupt")
)

const maxKeys = 10_000

var nameRE = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// Key is one member key. PrivKey is nil in listings.
type Key struct {
	Name    string
	PubKey  ed25519.PublicKey
	PrivKey ed25519.PrivateKey
}

// Address is the member address (first 20 bytes of sha256(pubkey)).
func (k Key) Address() string { return tx.AddressString(tx.Address(k.PubKey)) }

// PubKeyBase64 is the public key as standard base64.
func (k Key) PubKeyBase64() string { return base64.StdEncoding.EncodeToString(k.PubKey) }

type file struct {
	Name    string `json:"name"`
	Type    string `json:"type"`
	Address string `json:"address"`
	PubKey  string `json:"pubkey"`
	PrivKey string `json:"privkey"`
}

// Keyring is a directory of key files.
type Keyring struct{ dir string }

// New returns the keyring of a home directory (<home>/keys).
func New(home string) *Keyring { return &Keyring{dir: filepath.Join(home, "keys")} }

// Dir is the directory holding the key files.
func (r *Keyring) Dir() string { return r.dir }

func (r *Keyring) path(name string) (string, error) {
	if !nameRE.MatchString(name) || name == "." || name == ".." {
		return "", fmt.Errorf("%w %q: use 1-64 of A-Z a-z 0-9 _ . -", ErrBadName, name)
	}
	return filepath.Join(r.dir, name+".json"), nil
}

// Add generates a new key. It refuses to overwrite an existing one.
func (r *Keyring) Add(name string) (Key, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return Key{}, fmt.Errorf("keyring: generate: %w", err)
	}
	k := Key{Name: name, PubKey: pub, PrivKey: priv}
	return k, r.Import(k)
}

// Import stores a given key under k.Name; it refuses to overwrite.
func (r *Keyring) Import(k Key) error {
	p, err := r.path(k.Name)
	if err != nil {
		return err
	}
	if len(k.PrivKey) != ed25519.PrivateKeySize {
		return fmt.Errorf("%w: private key must be %d bytes", ErrCorrupt, ed25519.PrivateKeySize)
	}
	if err := os.MkdirAll(r.dir, 0o700); err != nil {
		return fmt.Errorf("keyring: %w", err)
	}
	data, err := json.MarshalIndent(file{
		Name: k.Name, Type: "ed25519", Address: k.Address(),
		PubKey:  base64.StdEncoding.EncodeToString(k.PrivKey.Public().(ed25519.PublicKey)),
		PrivKey: base64.StdEncoding.EncodeToString(k.PrivKey),
	}, "", "  ")
	if err != nil {
		return fmt.Errorf("keyring: encode: %w", err)
	}
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%w: %q (delete it first)", ErrExists, k.Name)
	}
	if err != nil {
		return fmt.Errorf("keyring: %w", err)
	}
	if _, err := f.Write(append(data, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("keyring: write %s: %w", p, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("keyring: sync %s: %w", p, err)
	}
	return f.Close()
}

// Get loads a key with its private part.
func (r *Keyring) Get(name string) (Key, error) {
	p, err := r.path(name)
	if err != nil {
		return Key{}, err
	}
	data, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return Key{}, fmt.Errorf("%w: %q in %s", ErrNotFound, name, r.dir)
	}
	if err != nil {
		return Key{}, fmt.Errorf("keyring: %w", err)
	}
	var f file
	if err := json.Unmarshal(data, &f); err != nil {
		return Key{}, fmt.Errorf("%w: %s: %v", ErrCorrupt, p, err)
	}
	priv, err := base64.StdEncoding.DecodeString(f.PrivKey)
	if err != nil || len(priv) != ed25519.PrivateKeySize {
		return Key{}, fmt.Errorf("%w: %s: bad privkey", ErrCorrupt, p)
	}
	k := Key{Name: name, PrivKey: ed25519.PrivateKey(priv)}
	k.PubKey = k.PrivKey.Public().(ed25519.PublicKey)
	if f.PubKey != k.PubKeyBase64() {
		return Key{}, fmt.Errorf("%w: %s: pubkey does not match privkey", ErrCorrupt, p)
	}
	return k, nil
}

// List returns every key (without private parts) sorted by name.
func (r *Keyring) List() ([]Key, error) {
	entries, err := os.ReadDir(r.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
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
		k, err := r.Get(name)
		if err != nil {
			return nil, err
		}
		k.PrivKey = nil
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
