package tx

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"testing"
)

// verify accepts exactly what crypto/ed25519.Verify accepts, on valid
// signatures and on the edge cases where implementations differ: small-order
// and non-canonical public keys, small-order R, non-canonical S, wrong sizes
// excluded (VerifySignature checks them first).
func TestVerifyMatchesStdlib(t *testing.T) {
	seed := sha256.Sum256([]byte("verify"))
	priv := ed25519.NewKeyFromSeed(seed[:])
	pub := priv.Public().(ed25519.PublicKey)
	msg := []byte("poaledger")
	sig := ed25519.Sign(priv, msg)
	hx := func(s string) []byte {
		b, err := hex.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	flip := func(b []byte, i int) []byte {
		c := append([]byte(nil), b...)
		c[i] ^= 1
		return c
	}
	// S + L (the group order): the same scalar, not canonical.
	sPlusL := append([]byte(nil), sig...)
	carry := 0
	l := hx("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010")
	for i := range 32 {
		v := int(sPlusL[32+i]) + int(l[i]) + carry
		sPlusL[32+i], carry = byte(v), v>>8
	}
	identity := hx("0100000000000000000000000000000000000000000000000000000000000000")
	nonCanonicalIdentity := hx("eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")
	cases := []struct {
		name          string
		pub, msg, sig []byte
	}{
		{"valid", pub, msg, sig},
		{"other message", pub, []byte("other"), sig},
		{"flipped R", pub, msg, flip(sig, 3)},
		{"flipped S", pub, msg, flip(sig, 40)},
		{"non-canonical S", pub, msg, sPlusL},
		{"other key", flip(pub, 0), msg, sig},
		{"identity key, identity R, zero S", identity, msg, append(append([]byte(nil), identity...), make([]byte, 32)...)},
		{"non-canonical identity key", nonCanonicalIdentity, msg, append(append([]byte(nil), identity...), make([]byte, 32)...)},
		{"key not on the curve", hx("0200000000000000000000000000000000000000000000000000000000000000"), msg, sig},
		{"all-ones key", hx("ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"), msg, sig},
	}
	for _, c := range cases {
		for range 2 { // the second time from the expanded-key cache
			if got, want := verify(c.pub, c.msg, c.sig), ed25519.Verify(c.pub, c.msg, c.sig); got != want {
				t.Errorf("%s: verify = %v, crypto/ed25519 = %v", c.name, got, want)
			}
		}
	}
}

func FuzzVerifyMatchesStdlib(f *testing.F) {
	seed := sha256.Sum256([]byte("fuzz"))
	priv := ed25519.NewKeyFromSeed(seed[:])
	msg := []byte("poaledger")
	f.Add([]byte(priv.Public().(ed25519.PublicKey)), msg, ed25519.Sign(priv, msg))
	f.Fuzz(func(t *testing.T, pub, msg, sig []byte) {
		if len(pub) != ed25519.PublicKeySize || len(sig) != ed25519.SignatureSize {
			return
		}
		if got, want := verify(pub, msg, sig), ed25519.Verify(pub, msg, sig); got != want {
			t.Fatalf("verify(%x, %x, %x) = %v, crypto/ed25519 = %v", pub, msg, sig, got, want)
		}
	})
}

func BenchmarkVerify(b *testing.B) {
	seed := sha256.Sum256([]byte("bench"))
	priv := ed25519.NewKeyFromSeed(seed[:])
	pub := priv.Public().(ed25519.PublicKey)
	msg := make([]byte, 1100)
	sig := ed25519.Sign(priv, msg)
	b.Run("crypto-ed25519", func(b *testing.B) {
		for b.Loop() {
			ed25519.Verify(pub, msg, sig)
		}
	})
	b.Run("cached-expanded-key", func(b *testing.B) {
		for b.Loop() {
			verify(pub, msg, sig)
		}
	})
}
