package keyring

// The key file format.
//
// Version 2, encrypted (what Add writes):
//
//	{
//	  "version": 2,
//	  "name": "alice",
//	  "type": "ed25519",
//	  "address": "3F1C...A9",            // upper-case hex, first 20 bytes of sha256(pubkey)
//	  "pubkey": "base64 (32 bytes)",
//	  "crypto": {
//	    "kdf": "argon2id",
//	    "kdf_params": {"time": 3, "memory_kib": 65536, "threads": 4},
//	    "salt": "base64 (16 bytes)",
//	    "cipher": "chacha20poly1305",
//	    "nonce": "base64 (12 bytes)",
//	    "ciphertext": "base64 (32-byte ed25519 seed + 16-byte tag)"
//	  }
//	}
//
// The AEAD key is argon2id(passphrase, salt, kdf_params, 32 bytes); the associated
// data is the JSON of {domain "poaledger/keyring/v2", version, kind, name, type,
// address, pubkey, kdf, kdf_params, cipher}, so every readable field is authenticated.
// Reading also checks that address is derived from pubkey and that the decrypted seed
// gives pubkey.
//
// Version 2, unencrypted (the test backend): the same header, no "crypto", and
// "unencrypted": true with "privkey": base64 of the 64-byte ed25519 private key.
//
// Version 1 (before encryption): {"name", "type", "address", "pubkey", "privkey"},
// no "version"; privkey in plaintext.
//
// An export (Keyring.Export) is a version-2 encrypted file with "kind":
// "poaledger-key-export" (also in the associated data), so a key file and an export
// cannot be mistaken for each other.

import (
	"bytes"
	"crypto/cipher"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/chacha20poly1305"
)

const (
	formatVersion = 2
	keyType       = "ed25519"
	kdfArgon2id   = "argon2id"
	cipherChaCha  = "chacha20poly1305"
	aadDomain     = "poaledger/keyring/v2"
	kindKey       = ""
	kindExport    = "poaledger-key-export"
	saltLen       = 16
	aeadKeyLen    = chacha20poly1305.KeySize
)

// kdfParams are argon2id's cost parameters.
type kdfParams struct {
	Time      uint32 `json:"time"`
	MemoryKiB uint32 `json:"memory_kib"`
	Threads   uint8  `json:"threads"`
}

// defaultKDF is RFC 9106's second recommended argon2id option (t=3, 64 MiB, p=4),
// meant for when 2 GiB per derivation is too much: about 0.1-0.2 s per key on one
// machine, which a signer pays once per command and a guesser per guess.
var defaultKDF = kdfParams{Time: 3, MemoryKiB: 64 << 10, Threads: 4}

// newKeyKDF is what new files are encrypted with. Only tests change it (to keep
// them fast); there is no public way to weaken it.
var newKeyKDF = defaultKDF

// Bounds on the parameters a file may ask for, so a crafted file cannot make the
// reader allocate or spin without limit.
const (
	maxKDFTime      = 16
	maxKDFMemoryKiB = 1 << 20 // 1 GiB
	maxKDFThreads   = 64
)

func (p kdfParams) check() error {
	if p.Time < 1 || p.Time > maxKDFTime || p.Threads < 1 || p.Threads > maxKDFThreads ||
		p.MemoryKiB < 8*uint32(p.Threads) || p.MemoryKiB > maxKDFMemoryKiB {
		return fmt.Errorf("%w: argon2id parameters %+v out of bounds", ErrCorrupt, p)
	}
	return nil
}

type cryptoSection struct {
	KDF        string    `json:"kdf"`
	KDFParams  kdfParams `json:"kdf_params"`
	Salt       string    `json:"salt"`
	Cipher     string    `json:"cipher"`
	Nonce      string    `json:"nonce"`
	Ciphertext string    `json:"ciphertext"`
}

// keyFile is a key file of any version, or an export.
type keyFile struct {
	Version     int            `json:"version"`
	Kind        string         `json:"kind,omitempty"`
	Name        string         `json:"name"`
	Type        string         `json:"type"`
	Address     string         `json:"address"`
	PubKey      string         `json:"pubkey"`
	Unencrypted bool           `json:"unencrypted,omitempty"`
	PrivKey     string         `json:"privkey,omitempty"`
	Crypto      *cryptoSection `json:"crypto,omitempty"`

	pub ed25519.PublicKey // decoded PubKey, set by check
}

func (f *keyFile) storage() Storage {
	switch {
	case f.Version == 1:
		return Legacy
	case f.Crypto != nil:
		return Encrypted
	}
	return Plaintext
}

// decodeKeyFile decodes and checks the key file of name (everything that can be
// checked without the passphrase).
func decodeKeyFile(data []byte, name string) (*keyFile, error) {
	var probe struct {
		Version *int    `json:"version"`
		Kind    *string `json:"kind"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	if probe.Kind != nil {
		return nil, fmt.Errorf("%w: this is a key export (kind %q), not a key file: import it with `poaledger keys import NAME FILE`", ErrCorrupt, *probe.Kind)
	}
	if probe.Version == nil {
		return decodeLegacy(data, name)
	}
	if *probe.Version != formatVersion {
		return nil, fmt.Errorf("%w: key file format version %d is not supported by this poaledger (it reads 1 and 2)", ErrCorrupt, *probe.Version)
	}
	f, err := decodeStrict(data)
	if err != nil {
		return nil, err
	}
	if f.Name != name {
		return nil, fmt.Errorf("%w: the file holds key %q, not %q (key files are named NAME.json)", ErrCorrupt, f.Name, name)
	}
	return f, f.check()
}

// decodeExport decodes and checks an export blob.
func decodeExport(data []byte) (*keyFile, error) {
	f, err := decodeStrict(data)
	if err != nil {
		return nil, fmt.Errorf("not a poaledger key export: %w", err)
	}
	if f.Version != formatVersion || f.Kind != kindExport || f.Crypto == nil {
		return nil, fmt.Errorf("%w: not a poaledger key export (want version %d, kind %q, encrypted)", ErrCorrupt, formatVersion, kindExport)
	}
	if err := ValidName(f.Name); err != nil {
		return nil, fmt.Errorf("%w: export: %v", ErrCorrupt, err)
	}
	return f, f.check()
}

func decodeStrict(data []byte) (*keyFile, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f keyFile
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: data after the JSON object", ErrCorrupt)
	}
	return &f, nil
}

func decodeLegacy(data []byte, name string) (*keyFile, error) {
	var f keyFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	f.Version, f.Name = 1, name
	priv, err := decodePriv(f.PrivKey)
	if err != nil {
		return nil, err
	}
	f.pub = priv.Public().(ed25519.PublicKey)
	if f.PubKey != base64.StdEncoding.EncodeToString(f.pub) {
		return nil, fmt.Errorf("%w: pubkey does not match privkey", ErrCorrupt)
	}
	return &f, nil
}

// check validates a version-2 header and the shape of its private part.
func (f *keyFile) check() error {
	if f.Type != keyType {
		return fmt.Errorf("%w: key type %q, want %q", ErrCorrupt, f.Type, keyType)
	}
	raw, err := base64.StdEncoding.DecodeString(f.PubKey)
	if err != nil || len(raw) != ed25519.PublicKeySize {
		return fmt.Errorf("%w: bad pubkey", ErrCorrupt)
	}
	pub := ed25519.PublicKey(raw)
	f.pub = pub
	if want := (Key{PubKey: pub}).Address(); f.Address != want {
		return fmt.Errorf("%w: address %s is not the pubkey's (%s)", ErrCorrupt, f.Address, want)
	}
	switch {
	case f.Crypto == nil && f.Unencrypted && f.PrivKey != "":
		priv, err := decodePriv(f.PrivKey)
		if err != nil {
			return err
		}
		if !priv.Public().(ed25519.PublicKey).Equal(pub) {
			return fmt.Errorf("%w: pubkey does not match privkey", ErrCorrupt)
		}
		return nil
	case f.Crypto != nil && !f.Unencrypted && f.PrivKey == "":
	default:
		return fmt.Errorf(`%w: want either "crypto" or "unencrypted": true with "privkey"`, ErrCorrupt)
	}
	c := f.Crypto
	if c.KDF != kdfArgon2id || c.Cipher != cipherChaCha {
		return fmt.Errorf("%w: kdf %q / cipher %q not supported (want %s / %s)", ErrCorrupt, c.KDF, c.Cipher, kdfArgon2id, cipherChaCha)
	}
	if err := c.KDFParams.check(); err != nil {
		return err
	}
	salt, err1 := base64.StdEncoding.DecodeString(c.Salt)
	nonce, err2 := base64.StdEncoding.DecodeString(c.Nonce)
	ct, err3 := base64.StdEncoding.DecodeString(c.Ciphertext)
	if err1 != nil || err2 != nil || err3 != nil || len(salt) < saltLen || len(salt) > 64 ||
		len(nonce) != chacha20poly1305.NonceSize || len(ct) != ed25519.SeedSize+chacha20poly1305.Overhead {
		return fmt.Errorf("%w: bad salt, nonce or ciphertext", ErrCorrupt)
	}
	return nil
}

func decodePriv(s string) (ed25519.PrivateKey, error) {
	priv, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(priv) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("%w: bad privkey", ErrCorrupt)
	}
	// The second half of an ed25519 private key is its public key: recompute it.
	k := ed25519.NewKeyFromSeed(priv[:ed25519.SeedSize])
	if subtle.ConstantTimeCompare(k, priv) != 1 {
		return nil, fmt.Errorf("%w: privkey is inconsistent", ErrCorrupt)
	}
	return k, nil
}

func (f *keyFile) publicKey() Key {
	return Key{Name: f.Name, PubKey: f.pub, Storage: f.storage()}
}

// plainKey is the key of an unencrypted (version 1 or 2) file.
func (f *keyFile) plainKey(path string) (Key, error) {
	if f.storage() == Encrypted {
		return Key{}, fmt.Errorf("keyring: %s is encrypted", path)
	}
	priv, err := decodePriv(f.PrivKey)
	if err != nil {
		return Key{}, fmt.Errorf("%s: %w", path, err)
	}
	return Key{Name: f.Name, PubKey: f.pub, PrivKey: priv, Storage: f.storage()}, nil
}

// aad is the associated data of f: every field but the salt, nonce and ciphertext.
func (f *keyFile) aad() []byte {
	b, err := json.Marshal(struct {
		Domain    string    `json:"domain"`
		Version   int       `json:"version"`
		Kind      string    `json:"kind"`
		Name      string    `json:"name"`
		Type      string    `json:"type"`
		Address   string    `json:"address"`
		PubKey    string    `json:"pubkey"`
		KDF       string    `json:"kdf"`
		KDFParams kdfParams `json:"kdf_params"`
		Cipher    string    `json:"cipher"`
	}{aadDomain, f.Version, f.Kind, f.Name, f.Type, f.Address, f.PubKey,
		f.Crypto.KDF, f.Crypto.KDFParams, f.Crypto.Cipher})
	if err != nil {
		panic(err) // a struct of strings and integers always marshals
	}
	return b
}

func deriveAEAD(pass []byte, c *cryptoSection, salt []byte) (cipher.AEAD, error) {
	p := c.KDFParams
	key := argon2.IDKey(pass, salt, p.Time, p.MemoryKiB, p.Threads, aeadKeyLen)
	defer clear(key)
	aead, err := chacha20poly1305.New(key)
	if err != nil {
		return nil, fmt.Errorf("keyring: %w", err)
	}
	return aead, nil
}

// open decrypts an encrypted file or export with pass.
func (f *keyFile) open(pass []byte) (Key, error) {
	c := f.Crypto
	salt, _ := base64.StdEncoding.DecodeString(c.Salt)
	nonce, _ := base64.StdEncoding.DecodeString(c.Nonce)
	ct, _ := base64.StdEncoding.DecodeString(c.Ciphertext)
	aead, err := deriveAEAD(pass, c, salt)
	if err != nil {
		return Key{}, err
	}
	seed, err := aead.Open(nil, nonce, ct, f.aad())
	if err != nil {
		return Key{}, ErrWrongPassphrase
	}
	defer clear(seed)
	priv := ed25519.NewKeyFromSeed(seed)
	if !priv.Public().(ed25519.PublicKey).Equal(f.pub) {
		return Key{}, fmt.Errorf("%w: the decrypted key does not match pubkey", ErrCorrupt)
	}
	return Key{Name: f.Name, PubKey: f.pub, PrivKey: priv, Storage: Encrypted}, nil
}

func header(k Key, kind string) keyFile {
	pub := k.PrivKey.Public().(ed25519.PublicKey)
	return keyFile{Version: formatVersion, Kind: kind, Name: k.Name, Type: keyType,
		Address: (Key{PubKey: pub}).Address(), PubKey: base64.StdEncoding.EncodeToString(pub)}
}

func marshalFile(f *keyFile) ([]byte, error) {
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("keyring: encode: %w", err)
	}
	return append(data, '\n'), nil
}

// encodePlain is the unencrypted (test backend) file of k.
func encodePlain(k Key) ([]byte, error) {
	f := header(k, kindKey)
	f.Unencrypted = true
	f.PrivKey = base64.StdEncoding.EncodeToString(k.PrivKey)
	return marshalFile(&f)
}

// encodeSealed is the encrypted file (kindKey) or export (kindExport) of k.
func encodeSealed(k Key, kind string, pass []byte) ([]byte, error) {
	f := header(k, kind)
	salt := make([]byte, saltLen)
	nonce := make([]byte, chacha20poly1305.NonceSize)
	if _, err := rand.Read(salt); err != nil {
		return nil, fmt.Errorf("keyring: %w", err)
	}
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("keyring: %w", err)
	}
	f.Crypto = &cryptoSection{KDF: kdfArgon2id, KDFParams: newKeyKDF, Cipher: cipherChaCha,
		Salt: base64.StdEncoding.EncodeToString(salt), Nonce: base64.StdEncoding.EncodeToString(nonce)}
	aead, err := deriveAEAD(pass, f.Crypto, salt)
	if err != nil {
		return nil, err
	}
	ct := aead.Seal(nil, nonce, k.PrivKey.Seed(), f.aad())
	f.Crypto.Ciphertext = base64.StdEncoding.EncodeToString(ct)
	return marshalFile(&f)
}
