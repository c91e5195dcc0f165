package ledger

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"testing"
)

func TestMarkerRoundTrip(t *testing.T) {
	h := sha256.Sum256([]byte("x"))
	tests := []struct {
		name    string
		in      CommitInfo
		wantErr bool
	}{
		{"version 1", CommitInfo{1, h[:]}, false},
		{"max version", CommitInfo{1<<63 - 1, h[:]}, false},
		{"zero version", CommitInfo{0, h[:]}, true},
		{"negative version", CommitInfo{-5, h[:]}, true},
		{"short hash", CommitInfo{1, h[:31]}, true},
		{"nil hash", CommitInfo{1, nil}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			raw, err := EncodeMarker(tc.in)
			if (err != nil) != tc.wantErr {
				t.Fatalf("EncodeMarker err = %v", err)
			}
			if err != nil {
				return
			}
			got, err := DecodeMarker(raw)
			if err != nil || got.Version != tc.in.Version || !bytes.Equal(got.Hash, tc.in.Hash) {
				t.Fatalf("DecodeMarker = %+v, %v", got, err)
			}
			// Every truncation and every single-bit flip is detected.
			for n := range len(raw) {
				if _, err := DecodeMarker(raw[:n]); !errors.Is(err, ErrCorruptMarker) {
					t.Fatalf("truncated to %d: %v", n, err)
				}
			}
			for i := range len(raw) * 8 {
				bad := bytes.Clone(raw)
				bad[i/8] ^= 1 << (i % 8)
				if _, err := DecodeMarker(bad); !errors.Is(err, ErrCorruptMarker) {
					t.Fatalf("bit %d flipped: %v", i, err)
				}
			}
			if _, err := DecodeMarker(append(bytes.Clone(raw), 0)); !errors.Is(err, ErrCorruptMarker) {
				t.Fatal("extended marker accepted")
			}
		})
	}
}

func FuzzDecodeMarker(f *testing.F) {
	h := sha256.Sum256(nil)
	good, _ := EncodeMarker(CommitInfo{Version: 42, Hash: h[:]})
	f.Add(good)
	f.Add(good[:10])
	f.Add([]byte{})
	f.Add(bytes.Repeat([]byte{0xff}, markerBytes))
	f.Fuzz(func(t *testing.T, raw []byte) {
		c, err := DecodeMarker(raw)
		if err != nil {
			if !errors.Is(err, ErrCorruptMarker) {
				t.Fatalf("error does not wrap ErrCorruptMarker: %v", err)
			}
			return
		}
		if c.Version <= 0 || len(c.Hash) != markerHashBytes {
			t.Fatalf("decoded invalid marker %+v", c)
		}
		again, err := EncodeMarker(c)
		if err != nil || !bytes.Equal(again, raw) {
			t.Fatalf("re-encoding differs: %x vs %x (%v)", again, raw, err)
		}
	})
}
