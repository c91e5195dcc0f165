package ledger

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
)

// Deterministic workload shared by the determinism and crash tests: the ops of
// a block depend only on (seed, version), so a process that crashes and
// restarts replays exactly the stream a reference store sees.

type opKind uint8

const (
	opSetOnce  opKind = iota // append-only event-log key
	opSet                    // mutable record, random (hashed) key
	opSetSmall               // mutable record from a small hot set
	opDelete                 // delete a random mutable record
)

type testOp struct {
	kind       opKind
	key, value []byte
}

func blockOps(seed uint64, version int64, maxOps int) []testOp {
	rng := rand.New(rand.NewPCG(seed, uint64(version)))
	n := 1 + rng.IntN(maxOps)
	if rng.IntN(20) == 0 {
		n = 0 // empty block
	}
	ops := make([]testOp, 0, n)
	for i := range n {
		var op testOp
		switch r := rng.IntN(10); {
		case r < 4:
			k := binary.BigEndian.AppendUint64([]byte("e/"), uint64(version))
			op = testOp{opSetOnce, binary.BigEndian.AppendUint32(k, uint32(i)), nil}
		case r < 7:
			op = testOp{kind: opSet, key: hashedKey(rng.Uint64() % 4000)}
		case r < 9:
			op = testOp{kind: opSetSmall, key: binary.BigEndian.AppendUint16([]byte("n/"), uint16(rng.IntN(64)))}
		default:
			op = testOp{kind: opDelete, key: hashedKey(rng.Uint64() % 4000)}
		}
		if op.kind != opDelete {
			op.value = make([]byte, 16+rng.IntN(240))
			for j := range op.value {
				op.value[j] = byte(rng.Uint32())
			}
		}
		ops = append(ops, op)
	}
	return ops
}

func hashedKey(i uint64) []byte {
	h := sha256.Sum256(binary.BigEndian.AppendUint64(nil, i))
	return append([]byte("r/"), h[:12]...)
}

func applyTestOps(s *Store, ops []testOp) error {
	for _, op := range ops {
		var err error
		switch op.kind {
		case opSetOnce:
			err = s.SetOnce(op.key, op.value)
		case opSet, opSetSmall:
			err = s.Set(op.key, op.value)
		case opDelete:
			err = s.Delete(op.key)
		}
		if err != nil && !errors.Is(err, ErrExists) {
			return fmt.Errorf("op %d on %x: %w", op.kind, op.key, err)
		}
	}
	return nil
}
