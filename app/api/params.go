package api

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/poaledger/poaledger/app/tx"
)

// Params are the chain parameters. They have one representation from genesis to
// query to client: this struct as JSON (integers as JSON numbers), in genesis
// app_state.params, stored under ParamsKey, returned by /params and decoded by
// clients with DecodeParams. Governance changes them; nothing else does.
type Params struct {
	// MaxEventsPerTx bounds RecordEvents; at most tx.MaxEventsPerTx.
	MaxEventsPerTx uint64 `json:"max_events_per_tx"`
	// MaxEventBytes bounds one event; at most tx.MaxEventBytes.
	MaxEventBytes uint64 `json:"max_event_bytes"`
	// MaxEventsPerSignerBlock bounds the events one signer records in one block,
	// so one member cannot take a whole block (nor, block after block, the
	// ledger); at least MaxEventsPerTx, at most MaxEventsPerSignerBlockLimit.
	MaxEventsPerSignerBlock uint64 `json:"max_events_per_signer_block"`
}

// MaxEventsPerSignerBlockLimit is the hard bound of Params.MaxEventsPerSignerBlock.
const MaxEventsPerSignerBlockLimit = 1_000_000

// paramNames are the JSON names of every parameter; DecodeParams requires each.
var paramNames = []string{"max_events_per_tx", "max_event_bytes", "max_events_per_signer_block"}

// DefaultParams are the parameters of a new chain.
func DefaultParams() Params {
	return Params{MaxEventsPerTx: tx.MaxEventsPerTx, MaxEventBytes: tx.MaxEventBytes, MaxEventsPerSignerBlock: 2 * tx.MaxEventsPerTx}
}

// Validate checks each parameter against its hard bound.
func (p Params) Validate() error {
	if p.MaxEventsPerTx < 1 || p.MaxEventsPerTx > tx.MaxEventsPerTx {
		return fmt.Errorf("params.max_events_per_tx %d outside [1, %d]", p.MaxEventsPerTx, tx.MaxEventsPerTx)
	}
	if p.MaxEventBytes < 2 || p.MaxEventBytes > tx.MaxEventBytes {
		return fmt.Errorf("params.max_event_bytes %d outside [2, %d]", p.MaxEventBytes, tx.MaxEventBytes)
	}
	if p.MaxEventsPerSignerBlock < p.MaxEventsPerTx || p.MaxEventsPerSignerBlock > MaxEventsPerSignerBlockLimit {
		return fmt.Errorf("params.max_events_per_signer_block %d outside [max_events_per_tx %d, %d]",
			p.MaxEventsPerSignerBlock, p.MaxEventsPerTx, MaxEventsPerSignerBlockLimit)
	}
	return nil
}

// Encode returns the canonical JSON of p (fields in declaration order), the bytes
// stored under ParamsKey.
func (p Params) Encode() []byte {
	b, err := json.Marshal(p)
	if err != nil {
		panic(fmt.Sprintf("api: params do not encode: %v", err)) // only integer fields
	}
	return b
}

// DecodeParams parses and validates Params JSON. Unknown fields, a missing field,
// trailing data and out-of-bound values are errors.
func DecodeParams(b []byte) (Params, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return Params{}, fmt.Errorf("params: %w", err)
	}
	for _, name := range paramNames {
		if _, ok := raw[name]; !ok {
			return Params{}, fmt.Errorf("params: %s is missing", name)
		}
	}
	var p Params
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return Params{}, fmt.Errorf("params: %w", err)
	}
	if dec.More() {
		return Params{}, fmt.Errorf("params: trailing data after the object")
	}
	return p, p.Validate()
}
