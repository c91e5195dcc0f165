package api

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/poaledger/poaledger/app/tx"
	"github.com/poaledger/poaledger/consensus"
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
	// VoteThresholdPercent: a proposal passes when yes-votes exceed this percent
	// of the active authorities counted at decision time; 1..99.
	VoteThresholdPercent uint64 `json:"vote_threshold_percent"`
	// ProposalLifetimeBlocks: an undecided proposal expires this many blocks
	// after the block that carried it; 1..MaxProposalLifetime.
	ProposalLifetimeBlocks uint64 `json:"proposal_lifetime_blocks"`
	// MaxValidators bounds the validator set; 1..consensus.MaxValidatorsLimit.
	MaxValidators uint64 `json:"max_validators"`
	// MaxMembers bounds member accounts (active and revoked); 1..MaxMembersLimit.
	MaxMembers uint64 `json:"max_members"`
}

// Hard bounds of governance parameters.
const (
	MaxProposalLifetime = 10_000_000
	MaxMembersLimit     = 1_000_000
)

// MaxEventsPerSignerBlockLimit is the hard bound of Params.MaxEventsPerSignerBlock.
const MaxEventsPerSignerBlockLimit = 1_000_000

// paramNames are the JSON names of every parameter; DecodeParams requires each.
var paramNames = []string{"max_events_per_tx", "max_event_bytes", "max_events_per_signer_block",
	"vote_threshold_percent", "proposal_lifetime_blocks", "max_validators", "max_members"}

// ParamNames lists every parameter's name, in declaration order.
func ParamNames() []string { return append([]string(nil), paramNames...) }

// Set returns p with parameter name set to value, validated as a whole.
func (p Params) Set(name string, value uint64) (Params, error) {
	switch name {
	case "max_events_per_tx":
		p.MaxEventsPerTx = value
	case "max_event_bytes":
		p.MaxEventBytes = value
	case "max_events_per_signer_block":
		p.MaxEventsPerSignerBlock = value
	case "vote_threshold_percent":
		p.VoteThresholdPercent = value
	case "proposal_lifetime_blocks":
		p.ProposalLifetimeBlocks = value
	case "max_validators":
		p.MaxValidators = value
	case "max_members":
		p.MaxMembers = value
	default:
		return p, fmt.Errorf("unknown parameter %q; parameters: %v", name, paramNames)
	}
	return p, p.Validate()
}

// DefaultParams are the parameters of a new chain.
func DefaultParams() Params {
	return Params{
		MaxEventsPerTx:          tx.MaxEventsPerTx,
		MaxEventBytes:           tx.MaxEventBytes,
		MaxEventsPerSignerBlock: 2 * tx.MaxEventsPerTx,
		VoteThresholdPercent:    50,
		ProposalLifetimeBlocks:  100_000,
		MaxValidators:           100,
		MaxMembers:              10_000,
	}
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
	if !consensus.ValidThreshold(p.VoteThresholdPercent) {
		return fmt.Errorf("params.vote_threshold_percent %d outside [1, 99]", p.VoteThresholdPercent)
	}
	if p.ProposalLifetimeBlocks < 1 || p.ProposalLifetimeBlocks > MaxProposalLifetime {
		return fmt.Errorf("params.proposal_lifetime_blocks %d outside [1, %d]", p.ProposalLifetimeBlocks, MaxProposalLifetime)
	}
	if p.MaxValidators < 1 || p.MaxValidators > consensus.MaxValidatorsLimit {
		return fmt.Errorf("params.max_validators %d outside [1, %d]", p.MaxValidators, consensus.MaxValidatorsLimit)
	}
	if p.MaxMembers < 1 || p.MaxMembers > MaxMembersLimit {
		return fmt.Errorf("params.max_members %d outside [1, %d]", p.MaxMembers, MaxMembersLimit)
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
