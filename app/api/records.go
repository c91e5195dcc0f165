package api

import (
	"encoding/json"

	"github.com/poaledger/poaledger/consensus"
)

// Member status values.
const (
	StatusActive  = "active"
	StatusRevoked = "revoked"
)

// Member is a member account as stored under PrefixMember (JSON field names are
// part of the public query interface).
type Member struct {
	Address       string   `json:"address"`
	PubKey        []byte   `json:"pubkey"`
	Name          string   `json:"name"`
	Organisation  string   `json:"organisation"`
	Roles         []string `json:"roles"`
	Status        string   `json:"status"`
	SinceHeight   int64    `json:"since_height"`
	UpdatedHeight int64    `json:"updated_height"`
}

// EventMeta is the metadata stored with each event. The stored value is this object
// with one more field, "event", holding the event's JSON exactly as submitted.
type EventMeta struct {
	ID         string `json:"id"`
	Seq        uint64 `json:"seq"`
	Submitter  string `json:"submitter"`
	Height     int64  `json:"height"`
	TxHash     string `json:"tx_hash"`
	TxIndex    uint32 `json:"tx_index"`
	EventIndex uint32 `json:"event_index"`
	BlockTime  string `json:"block_time"`
}

// EventRecord is an event as returned by queries.
type EventRecord struct {
	EventMeta
	Event json.RawMessage `json:"event"`
}

// EncodeEventRecord writes meta plus the event bytes verbatim (json.Marshal would
// compact them, and the stored event is the event as submitted).
func EncodeEventRecord(meta EventMeta, event []byte) ([]byte, error) {
	head, err := json.Marshal(meta)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(head)+len(event)+10)
	out = append(out, head[:len(head)-1]...)
	out = append(out, `,"event":`...)
	out = append(out, event...)
	return append(out, '}'), nil
}

// DecodeEventRecord parses a stored event record; Event keeps the exact bytes.
func DecodeEventRecord(b []byte) (EventRecord, error) {
	var r EventRecord
	err := json.Unmarshal(b, &r)
	return r, err
}

// Validator is a consensus validator as stored under PrefixValidator.
type Validator struct {
	PubKey  []byte `json:"pubkey"`
	Address string `json:"address"`
	Power   int64  `json:"power"`
	Name    string `json:"name,omitempty"`
	// Operator is the address of the member that runs it (validators added by
	// governance; genesis validators have none).
	Operator string `json:"operator,omitempty"`
}

// Proposal is a governance proposal as stored under ProposalKey: the rules'
// record (id, kind, proposer, ballots, status, heights, note) and the change.
type Proposal struct {
	consensus.Proposal
	Action         ProposalAction `json:"action"`
	Reason         string         `json:"reason,omitempty"`
	EvidenceHeight uint64         `json:"evidence_height,omitempty"`
	EvidenceNumber uint64         `json:"evidence_number,omitempty"`
}

// ProposalAction is the change a proposal asks for; which fields are set
// depends on Proposal.Kind: add_member (pubkey, name, organisation, roles),
// revoke_member (address), set_roles (address, roles), add_validator (pubkey,
// power, name, operator), remove_validator (pubkey), set_power (pubkey, power),
// set_param (param, value), admit_node (node_id, node_role, operator),
// revoke_node (node_id).
type ProposalAction struct {
	PubKey       []byte   `json:"pubkey,omitempty"`
	Address      string   `json:"address,omitempty"`
	Name         string   `json:"name,omitempty"`
	Organisation string   `json:"organisation,omitempty"`
	Roles        []string `json:"roles,omitempty"`
	Power        uint64   `json:"power,omitempty"`
	Operator     string   `json:"operator,omitempty"`
	Param        string   `json:"param,omitempty"`
	Value        uint64   `json:"value,omitempty"`
	NodeID       string   `json:"node_id,omitempty"`
	NodeRole     string   `json:"node_role,omitempty"`
}

// Signing is one validator's signing record over the last Window blocks this
// node executed (node-local, from each block's last-commit info; not state,
// not provable).
type Signing struct {
	Address string `json:"address"`
	Power   int64  `json:"power"`
	Signed  int    `json:"signed"`
	Missed  int    `json:"missed"`
	Window  int    `json:"window"`
	// LastHeight is the height of the last commit counted.
	LastHeight int64 `json:"last_height"`
}

// Misbehaviour is evidence reported by CometBFT in FinalizeBlock.
type Misbehaviour struct {
	Type             string `json:"type"`
	Validator        string `json:"validator"`
	Power            int64  `json:"power"`
	Height           int64  `json:"height"`
	Time             string `json:"time"`
	TotalVotingPower int64  `json:"total_voting_power"`
	ReportedAt       int64  `json:"reported_at_height"`
}

// ABCI event types and attribute keys the app emits (indexed by CometBFT's kv
// indexer, and read by clients from tx results).
const (
	EventTypeEvent    = "poaledger.event"
	EventTypeMember   = "poaledger.member"
	EventTypeProposal = "poaledger.proposal"
	// EventTypeDeclaration marks an error declaration recorded beside an event.
	EventTypeDeclaration = "poaledger.declaration"
	AttrStatus           = "status"
	AttrKind             = "kind"
	AttrID               = "id"
	AttrSubmitter        = "submitter"
	AttrEPC              = "epc"
	AttrAddress          = "address"
	AttrAction           = "action"
)
