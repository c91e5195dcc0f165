package api

import (
	"encoding/json"
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
	EventTypeEvent  = "poaledger.event"
	EventTypeMember = "poaledger.member"
	AttrID          = "id"
	AttrSubmitter   = "submitter"
	AttrEPC         = "epc"
	AttrAddress     = "address"
	AttrAction      = "action"
)
