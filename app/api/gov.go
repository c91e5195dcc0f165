package api

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
)

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

// Node is a CometBFT node's admission record, stored under NodeKey: only nodes
// with status active may connect to, sync from or gossip with the network's
// nodes (CometBFT asks /p2p/filter/id/<id> of every peer).
type Node struct {
	ID            string `json:"id"` // lower-case hex, as CometBFT prints it
	Role          string `json:"role"`
	Operator      string `json:"operator"` // member address
	Status        string `json:"status"`   // StatusActive or StatusRevoked
	SinceHeight   int64  `json:"since_height"`
	UpdatedHeight int64  `json:"updated_height"`
}

// NodePage is a page of a /nodes query, ascending node id.
type NodePage struct {
	Nodes []json.RawMessage `json:"nodes"`
	// Next is the cursor (hex) for the following page; empty when done.
	Next string `json:"next,omitempty"`
}

// Node and peer-filter query paths.
const (
	PathNode  = "/node/" // /node/<id>: value = Node JSON
	PathNodes = "/nodes" // /nodes[?cursor=<hex>&limit=<n>]: value = NodePage JSON
	// PathFilterID and PathFilterAddr are CometBFT's peer filters
	// (filter_peers = true): code 0 admits, any other code refuses.
	PathFilterID   = "/p2p/filter/id/"
	PathFilterAddr = "/p2p/filter/addr/"
)

// ParseNodeID parses a CometBFT node ID: 40 hex characters (either case).
func ParseNodeID(s string) ([]byte, error) {
	if len(s) != 40 {
		return nil, fmt.Errorf("node id %q: want 40 hex characters", s)
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("node id %q: %v", s, err)
	}
	return b, nil
}

// NodeIDString is the form CometBFT prints a node ID in.
func NodeIDString(id []byte) string { return hex.EncodeToString(id) }
