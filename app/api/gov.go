package api

import "encoding/json"

// ProposalPage is a page of a /proposals query, ascending id.
type ProposalPage struct {
	Proposals []json.RawMessage `json:"proposals"`
	// Next is the cursor (hex) for the following page; empty when done.
	Next string `json:"next,omitempty"`
}

// SigningList is the value of a /signing query, ascending address.
type SigningList struct {
	Signing []Signing `json:"signing"`
}
