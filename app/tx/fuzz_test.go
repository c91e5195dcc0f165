package tx

import (
	"bytes"
	"errors"
	"testing"
)

// seedCorpus adds valid encodings and a few near misses of them.
func seedCorpus(f *testing.F, encodings [][]byte) {
	for _, b := range encodings {
		f.Add(b)
		if len(b) > 0 {
			f.Add(b[:len(b)-1])
			f.Add(append(bytes.Clone(b), 0))
		}
	}
	f.Add([]byte{})
	f.Add([]byte{0x0a, 0x80, 0x80, 0x80, 0x80, 0x08})
}

func FuzzDecodeEnvelope(f *testing.F) {
	var seeds [][]byte
	for _, body := range sampleBodies() {
		if _, txBytes, err := Sign(testKey(1), body); err == nil && len(txBytes) < 4096 {
			seeds = append(seeds, txBytes)
		}
	}
	seedCorpus(f, seeds)
	f.Fuzz(func(t *testing.T, b []byte) {
		env, err := DecodeEnvelope(b)
		if err != nil {
			if env != nil || !(errors.Is(err, ErrMalformed) || errors.Is(err, ErrTooLarge)) {
				t.Fatalf("DecodeEnvelope = %v, %v", env, err)
			}
			return
		}
		again, err := env.Encode()
		if err != nil {
			t.Fatalf("accepted envelope does not encode: %v", err)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("re-encoding differs:\n in %x\nout %x", b, again)
		}
		_ = env.VerifySignature() // must not panic
	})
}

func FuzzDecodeBody(f *testing.F) {
	var seeds [][]byte
	for _, body := range sampleBodies() {
		if bz, err := body.Encode(); err == nil && len(bz) < 4096 {
			seeds = append(seeds, bz)
		}
	}
	seedCorpus(f, seeds)
	f.Fuzz(func(t *testing.T, b []byte) {
		body, err := DecodeBody(b)
		if err != nil {
			if body != nil || !(errors.Is(err, ErrMalformed) || errors.Is(err, ErrTooLarge)) {
				t.Fatalf("DecodeBody = %v, %v", body, err)
			}
			return
		}
		again, err := body.Encode()
		if err != nil {
			t.Fatalf("accepted body does not encode: %v", err)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("re-encoding differs:\n in %x\nout %x", b, again)
		}
		_ = body.ValidateBasic() // must not panic
	})
}
