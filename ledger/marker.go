package ledger

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
)

// Commit marker: the record written (and synced) after every version the tree
// has durably saved. Layout, fixed size:
//
//	magic "PLCM" | format byte (1) | version int64 big-endian | hash (32 bytes) | CRC-32C of all before
const (
	markerMagic     = "PLCM"
	markerFormat    = 1
	markerHashBytes = 32
	markerBytes     = len(markerMagic) + 1 + 8 + markerHashBytes + 4
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// EncodeMarker encodes a commit marker. It returns an error for a non-positive
// version or a hash that is not 32 bytes.
func EncodeMarker(c CommitInfo) ([]byte, error) {
	if c.Version <= 0 {
		return nil, fmt.Errorf("ledger: marker version %d must be positive", c.Version)
	}
	if len(c.Hash) != markerHashBytes {
		return nil, fmt.Errorf("ledger: marker hash is %d bytes, want %d", len(c.Hash), markerHashBytes)
	}
	out := make([]byte, 0, markerBytes)
	out = append(out, markerMagic...)
	out = append(out, markerFormat)
	out = binary.BigEndian.AppendUint64(out, uint64(c.Version))
	out = append(out, c.Hash...)
	out = binary.BigEndian.AppendUint32(out, crc32.Checksum(out, crcTable))
	return out, nil
}

// DecodeMarker decodes a commit marker. Any truncation, extension, bit flip or
// foreign record gives an error wrapping ErrCorruptMarker; it never panics.
func DecodeMarker(b []byte) (CommitInfo, error) {
	if len(b) != markerBytes {
		return CommitInfo{}, fmt.Errorf("%w: %d bytes, want %d", ErrCorruptMarker, len(b), markerBytes)
	}
	body, sum := b[:markerBytes-4], binary.BigEndian.Uint32(b[markerBytes-4:])
	if got := crc32.Checksum(body, crcTable); got != sum {
		return CommitInfo{}, fmt.Errorf("%w: checksum %08x, want %08x", ErrCorruptMarker, got, sum)
	}
	if !bytes.Equal(body[:len(markerMagic)], []byte(markerMagic)) {
		return CommitInfo{}, fmt.Errorf("%w: bad magic %q", ErrCorruptMarker, body[:len(markerMagic)])
	}
	if f := body[len(markerMagic)]; f != markerFormat {
		return CommitInfo{}, fmt.Errorf("%w: unknown format %d", ErrCorruptMarker, f)
	}
	off := len(markerMagic) + 1
	v := binary.BigEndian.Uint64(body[off:])
	if v == 0 || v > 1<<63-1 {
		return CommitInfo{}, fmt.Errorf("%w: version %d out of range", ErrCorruptMarker, v)
	}
	off += 8
	return CommitInfo{Version: int64(v), Hash: bytes.Clone(body[off : off+markerHashBytes])}, nil
}
