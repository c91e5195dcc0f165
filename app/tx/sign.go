package tx

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"

	voi "github.com/oasisprotocol/curve25519-voi/primitives/ed25519"
)

// SignBytes returns what an envelope signature covers: SignDomain followed by
// the body bytes exactly as carried in the envelope (never re-encoded).
func SignBytes(body []byte) []byte {
	out := make([]byte, 0, len(SignDomain)+len(body))
	out = append(out, SignDomain...)
	return append(out, body...)
}

// Sign encodes body, signs it with priv and returns the envelope and its
// encoding (the transaction bytes to broadcast). It enforces the encoding
// bounds but not ValidateBasic, so tests can sign invalid messages.
func Sign(priv ed25519.PrivateKey, body *Body) (*Envelope, []byte, error) {
	if len(priv) != ed25519.PrivateKeySize {
		return nil, nil, fmt.Errorf("%w: private key %d bytes, want %d", ErrBadSignature, len(priv), ed25519.PrivateKeySize)
	}
	bz, err := body.Encode()
	if err != nil {
		return nil, nil, err
	}
	env := &Envelope{
		Body:      bz,
		PubKey:    []byte(priv.Public().(ed25519.PublicKey)),
		Signature: ed25519.Sign(priv, SignBytes(bz)),
	}
	txBytes, err := env.Encode()
	if err != nil {
		return nil, nil, err
	}
	return env, txBytes, nil
}

// VerifySignature checks the public key and signature lengths and verifies
// the ed25519 signature over SignBytes(e.Body). Every failure wraps
// ErrBadSignature.
func (e *Envelope) VerifySignature() error {
	switch {
	case len(e.PubKey) != ed25519.PublicKeySize:
		return fmt.Errorf("%w: public key %d bytes, want %d", ErrBadSignature, len(e.PubKey), ed25519.PublicKeySize)
	case len(e.Signature) != ed25519.SignatureSize:
		return fmt.Errorf("%w: signature %d bytes, want %d", ErrBadSignature, len(e.Signature), ed25519.SignatureSize)
	case !verify(e.PubKey, SignBytes(e.Body), e.Signature):
		return fmt.Errorf("%w: verification failed", ErrBadSignature)
	}
	return nil
}

// stdlibRules makes curve25519-voi accept exactly the signatures Go's
// crypto/ed25519.Verify accepts (canonical S, cofactorless equation, any
// encoding of A and R that the standard library takes): every node, whatever
// the cache below holds, and every client that checks with the standard
// library, agree on each signature.
var stdlibRules = &voi.Options{Verify: voi.VerifyOptionsStdLib}

// maxExpandedKeys bounds expandedKeys; past it the cache starts again empty.
const maxExpandedKeys = 4096

// expandedKeys caches the decompressed, precomputed form of the public keys
// seen (a network's members are few and sign many txs): verification with it
// cost about half of crypto/ed25519.Verify's where it was first measured
// (BenchmarkVerify); on an AMD EPYC of family 23 (Zen 1, whose AVX2 runs at
// half width) it was 99 against 108 µs (2026-11-30).
var expandedKeys struct {
	sync.Mutex
	m map[string]*voi.ExpandedPublicKey
}

// verify reports whether sig is pub's ed25519 signature of msg under the
// standard library's rules. pub and sig have their sizes.
func verify(pub, msg, sig []byte) bool {
	expandedKeys.Lock()
	ek := expandedKeys.m[string(pub)]
	expandedKeys.Unlock()
	if ek == nil {
		var err error
		if ek, err = voi.NewExpandedPublicKey(voi.PublicKey(pub)); err != nil {
			return false // not a point: no signature verifies (as the standard library says)
		}
		expandedKeys.Lock()
		if expandedKeys.m == nil || len(expandedKeys.m) >= maxExpandedKeys {
			expandedKeys.m = make(map[string]*voi.ExpandedPublicKey)
		}
		expandedKeys.m[string(pub)] = ek
		expandedKeys.Unlock()
	}
	return voi.VerifyExpandedWithOptions(ek, msg, sig, stdlibRules)
}

// Address returns the member address of an ed25519 public key: the first
// AddressLen bytes of sha256(pub), the same as CometBFT's ed25519 address.
func Address(pub ed25519.PublicKey) []byte {
	sum := sha256.Sum256(pub)
	return sum[:AddressLen]
}

// AddressString formats an address as upper-case hex, as CometBFT does.
func AddressString(addr []byte) string {
	return strings.ToUpper(hex.EncodeToString(addr))
}

// ParseAddress parses upper- or lower-case hex of exactly AddressLen bytes.
// Errors wrap ErrMalformed.
func ParseAddress(s string) ([]byte, error) {
	if len(s) != 2*AddressLen {
		return nil, fmt.Errorf("%w: address: %d hex digits, want %d", ErrMalformed, len(s), 2*AddressLen)
	}
	addr, err := hex.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("%w: address: %v", ErrMalformed, err)
	}
	return addr, nil
}

// Hash returns sha256(txBytes), which is CometBFT's transaction hash.
func Hash(txBytes []byte) []byte {
	sum := sha256.Sum256(txBytes)
	return sum[:]
}
