package consensus

import (
	"errors"
	"fmt"
	"sort"
)

// Validator-set rules. CometBFT halts on an update that removes an absent
// validator, lists a key twice or empties the set, and its light clients
// assume less than 1/3 of the voting power changes per block; these rules
// refuse such changes before they reach CometBFT.

// Sentinel errors of the validator-set rules.
var (
	ErrValidatorExists  = errors.New("consensus: validator already in the set")
	ErrAbsentValidator  = errors.New("consensus: validator not in the set")
	ErrDuplicateKey     = errors.New("consensus: key listed twice")
	ErrEmptySet         = errors.New("consensus: validator set would be empty")
	ErrTooManyValidator = errors.New("consensus: too many validators")
	ErrPowerChange      = errors.New("consensus: voting power change too large for one block")
	ErrBadPower         = errors.New("consensus: bad voting power")
)

// MaxPower bounds one validator's voting power (CometBFT bounds the total at
// MaxInt64/8; this keeps any set of MaxValidatorsLimit validators under it).
const MaxPower = 1 << 40

// MaxValidatorsLimit is the hard bound of the max_validators parameter.
const MaxValidatorsLimit = 1000

// Power is one validator's voting power, keyed by its consensus public key
// (raw bytes as a string).
type Power struct {
	PubKey string
	Power  int64
}

// Change operations.
const (
	OpAdd    = "add"
	OpRemove = "remove"
	OpSet    = "set"
)

// Change is one requested change of the validator set.
type Change struct {
	Op     string
	PubKey string
	Power  int64 // for OpAdd and OpSet: 1..MaxPower
}

// CheckChange decides whether c alone may be applied to set: adding a key that
// is absent, removing or re-powering one that is present, with a power in
// 1..MaxPower. It does not apply the per-block rules (see Block).
func CheckChange(set []Power, c Change) error {
	_, present := find(set, c.PubKey)
	switch c.Op {
	case OpAdd, OpSet:
		if c.Power < 1 || c.Power > MaxPower {
			return fmt.Errorf("%w: %d (want 1..%d)", ErrBadPower, c.Power, int64(MaxPower))
		}
	case OpRemove:
	default:
		return fmt.Errorf("consensus: unknown validator change %q", c.Op)
	}
	switch {
	case c.Op == OpAdd && present:
		return fmt.Errorf("%w: %X", ErrValidatorExists, c.PubKey)
	case c.Op != OpAdd && !present:
		return fmt.Errorf("%w: %X", ErrAbsentValidator, c.PubKey)
	}
	return nil
}

func find(set []Power, key string) (int64, bool) {
	for _, v := range set {
		if v.PubKey == key {
			return v.Power, true
		}
	}
	return 0, false
}

// Block accumulates the validator changes decided in one block against the set
// the block started with. Each Add is checked against the set as changed so
// far, then against the per-block rules over every change of the block: at most
// maxValidators validators, a non-empty set, and less than a third of the
// starting total power changed (the sum over keys of |new power - old power|).
// A refused change leaves the Block as it was.
type Block struct {
	start   []Power
	current []Power
	max     int
}

// NewBlock starts a block's accumulation from the current set.
func NewBlock(set []Power, maxValidators int) *Block {
	cp := append([]Power(nil), set...)
	return &Block{start: set, current: cp, max: maxValidators}
}

// Add checks c and, if every rule holds, includes it.
func (b *Block) Add(c Change) error {
	if err := CheckChange(b.current, c); err != nil {
		return err
	}
	next := apply(b.current, c)
	if err := checkSet(b.start, next, b.max); err != nil {
		return err
	}
	b.current = next
	return nil
}

// Updates returns the block's net changes as (key, new power) in ascending key
// order, each key once; power 0 removes. This is the ValidatorUpdates list.
func (b *Block) Updates() []Power {
	var out []Power
	for _, v := range b.current {
		if old, ok := find(b.start, v.PubKey); !ok || old != v.Power {
			out = append(out, v)
		}
	}
	for _, v := range b.start {
		if _, ok := find(b.current, v.PubKey); !ok {
			out = append(out, Power{PubKey: v.PubKey, Power: 0})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].PubKey < out[j].PubKey })
	return out
}

// Set returns the set as changed so far, in ascending key order.
func (b *Block) Set() []Power {
	out := append([]Power(nil), b.current...)
	sort.Slice(out, func(i, j int) bool { return out[i].PubKey < out[j].PubKey })
	return out
}

func apply(set []Power, c Change) []Power {
	out := make([]Power, 0, len(set)+1)
	for _, v := range set {
		if v.PubKey == c.PubKey {
			if c.Op == OpSet {
				out = append(out, Power{PubKey: v.PubKey, Power: c.Power})
			}
			continue
		}
		out = append(out, v)
	}
	if c.Op == OpAdd {
		out = append(out, Power{PubKey: c.PubKey, Power: c.Power})
	}
	return out
}

// checkSet applies the per-block rules to the change from start to next.
func checkSet(start, next []Power, maxValidators int) error {
	if len(next) == 0 {
		return ErrEmptySet
	}
	if len(next) > maxValidators {
		return fmt.Errorf("%w: %d, max_validators %d", ErrTooManyValidator, len(next), maxValidators)
	}
	seen := make(map[string]bool, len(next)) // lookups only
	for _, v := range next {
		if seen[v.PubKey] {
			return fmt.Errorf("%w: %X", ErrDuplicateKey, v.PubKey)
		}
		seen[v.PubKey] = true
	}
	var total, changed int64
	for _, v := range start {
		total += v.Power
		if p, ok := find(next, v.PubKey); !ok {
			changed += v.Power
		} else {
			changed += abs(p - v.Power)
		}
	}
	for _, v := range next {
		if _, ok := find(start, v.PubKey); !ok {
			changed += v.Power
		}
	}
	if 3*changed >= total {
		return fmt.Errorf("%w: %d of total %d would change in one block (must stay under a third); change it in smaller steps",
			ErrPowerChange, changed, total)
	}
	return nil
}

func abs(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}
