package api

import "encoding/json"

// ProofOpType is the type of every ProofOp the app returns: Data is an encoded
// ics23.CommitmentProof for Key against the app hash (the IAVL root; there is one tree).
const ProofOpType = "ics23:iavl"

// Query paths (abci_query). Each honours height (0 = latest committed) and prove.
const (
	PathEvent      = "/event/"     // /event/<id>: value = event record JSON
	PathMember     = "/member/"    // /member/<address>: value = member JSON
	PathMembers    = "/members"    // /members[?cursor=<hex>&limit=<n>]: value = MemberPage JSON
	PathNonce      = "/nonce/"     // /nonce/<address>: value = next nonce, 8 bytes big-endian (empty if 0)
	PathParams     = "/params"     // value = Params JSON; key = ParamsKey()
	PathValidators = "/validators" // /validators[?cursor=<hex>&limit=<n>]: value = ValidatorList JSON
	// PathMisbehaviour lists evidence CometBFT reported:
	// /misbehaviour[?cursor=<hex>&limit=<n>], value = MisbehaviourList JSON.
	PathMisbehaviour = "/misbehaviour"
)

// DefaultPageItems is the page size of list queries (/members) when the node's
// configuration does not set one (config app.max_page_items), and so the page a
// client gets without asking for a limit.
const DefaultPageItems = 100

// MisbehaviourList is a page of a /misbehaviour query, oldest first.
type MisbehaviourList struct {
	Misbehaviour []json.RawMessage `json:"misbehaviour"`
	// Next is the cursor (hex) for the following page; empty when done.
	Next string `json:"next,omitempty"`
}

// MemberPage is the value of a /members query.
type MemberPage struct {
	Members []json.RawMessage `json:"members"`
	// Next is the cursor (hex) for the following page; empty when done.
	Next string `json:"next,omitempty"`
}

// ValidatorList is a page of a /validators query, in consensus-key order.
type ValidatorList struct {
	Validators []json.RawMessage `json:"validators"`
	// Next is the cursor (hex) for the following page; empty when done.
	Next string `json:"next,omitempty"`
}

// EventQueryKeys returns the index and log keys a /event/<id> answer must prove.
func EventQueryKeys(id string, seq uint64) (idKey, logKey []byte) {
	return EventIDKey(id), EventLogKey(seq)
}
