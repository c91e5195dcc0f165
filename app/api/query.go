package api

import (
	"bytes"
	"encoding/json"
	"fmt"

	ics23 "github.com/cosmos/ics23/go"
)

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
	PathProposal     = "/proposal/" // /proposal/<id>: value = Proposal JSON
	// PathProposals lists proposals by id: /proposals[?cursor=<hex>&limit=<n>],
	// value = ProposalPage JSON.
	PathProposals = "/proposals"
	// PathSigning is each validator's signing record as this node saw it
	// (value = SigningList JSON; node-local, refused with prove).
	PathSigning = "/signing"
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

// PageGap is a key that a proven list page shows absent, and the neighbours its
// non-existence proof must show. The gaps of a page (PageGaps) prove it complete:
// no key under the list's prefix lies between the page's start and its first
// item, between two consecutive items, or between its last item and the next
// page's cursor (or, on the last page, the end of the prefix).
type PageGap struct {
	// Key is proven absent.
	Key []byte
	// Left is the key the proof's left neighbour must have; nil: any key before
	// Key, or none.
	Left []byte
	// Right is the key the proof's right neighbour must have; nil: none, or a key
	// outside Prefix (the list ends).
	Right []byte
	// Prefix is the list's key prefix.
	Prefix []byte
}

// PageGaps returns the gaps of a page of the list under prefix that starts at key
// start (prefix itself on the first page, else the cursor asked for), holds keys
// (ascending) and continues at next (nil on the last page), in the order the node
// appends their non-existence proofs after the items' existence proofs:
//
//   - start, unless it is the first item (or the page is empty): its right
//     neighbour must be the first item (or next, or nothing under the prefix);
//   - for each item k, the key k||0x00 (the smallest key after k) unless it is
//     the following item (or next): its left neighbour must be k, its right
//     neighbour the following item (or next, or nothing under the prefix).
//
// Node and client both derive the gaps with this function.
func PageGaps(prefix, start []byte, keys [][]byte, next []byte) []PageGap {
	var gaps []PageGap
	if len(keys) == 0 || !bytes.Equal(start, keys[0]) {
		right := next
		if len(keys) > 0 {
			right = keys[0]
		}
		gaps = append(gaps, PageGap{Key: bytes.Clone(start), Right: bytes.Clone(right), Prefix: bytes.Clone(prefix)})
	}
	for i, k := range keys {
		succ := next
		if i+1 < len(keys) {
			succ = keys[i+1]
		}
		g := append(bytes.Clone(k), 0)
		if succ != nil && bytes.Equal(g, succ) {
			continue
		}
		gaps = append(gaps, PageGap{Key: g, Left: bytes.Clone(k), Right: bytes.Clone(succ), Prefix: bytes.Clone(prefix)})
	}
	return gaps
}

// PageGapKeys returns the keys of PageGaps(prefix, start, keys, next), in order.
func PageGapKeys(prefix, start []byte, keys [][]byte, next []byte) [][]byte {
	gaps := PageGaps(prefix, start, keys, next)
	out := make([][]byte, len(gaps))
	for i, g := range gaps {
		out[i] = g.Key
	}
	return out
}

// VerifyPageGap checks that proof proves gap.Key absent under root (VerifyProof)
// and shows the neighbours gap names (CheckPageGapNeighbours). Errors wrap
// ErrProof.
func VerifyPageGap(proof *ics23.CommitmentProof, root []byte, gap PageGap) error {
	if err := VerifyProof(proof, root, gap.Key, nil); err != nil {
		return err
	}
	return CheckPageGapNeighbours(proof, gap)
}

// CheckPageGapNeighbours checks that proof is a non-existence proof of gap.Key
// whose neighbours are the ones gap names. It does not depend on the root: ICS23's
// non-existence check (VerifyProof with a nil value, against the root) establishes
// that the left and right neighbours exist under the root, that Key lies strictly
// between them and that they are adjacent leaves (nothing lies between them); this
// adds which keys they must be, so that a page's items are all the keys in its
// range. Errors wrap ErrProof.
func CheckPageGapNeighbours(proof *ics23.CommitmentProof, gap PageGap) error {
	if proof == nil {
		return fmt.Errorf("%w: nil proof", ErrProof)
	}
	ne := ics23.Decompress(proof).GetNonexist()
	if ne == nil {
		return fmt.Errorf("%w: want a non-existence proof for gap key %x", ErrProof, gap.Key)
	}
	if !bytes.Equal(ne.Key, gap.Key) {
		return fmt.Errorf("%w: non-existence proof is for key %x, not %x", ErrProof, ne.Key, gap.Key)
	}
	var left, right []byte
	if ne.Left != nil {
		left = ne.Left.Key
	}
	if ne.Right != nil {
		right = ne.Right.Key
	}
	switch {
	case gap.Left != nil && !bytes.Equal(left, gap.Left):
		return fmt.Errorf("%w: the key before %x is %x, expected %x (the page's item before the gap)", ErrProof, gap.Key, left, gap.Left)
	case gap.Left == nil && left != nil && bytes.Compare(left, gap.Key) >= 0:
		return fmt.Errorf("%w: left neighbour %x is not before %x", ErrProof, left, gap.Key)
	case gap.Right != nil && !bytes.Equal(right, gap.Right):
		if right != nil && bytes.Compare(right, gap.Right) < 0 {
			return fmt.Errorf("%w: the key after %x is %x, expected %x: the page leaves out key %x", ErrProof, gap.Key, right, gap.Right, right)
		}
		return fmt.Errorf("%w: the key after %x is %x, expected %x", ErrProof, gap.Key, right, gap.Right)
	case gap.Right == nil && right != nil && bytes.HasPrefix(right, gap.Prefix):
		return fmt.Errorf("%w: key %x after %x is in the list (prefix %x) but the page says the list ends there", ErrProof, right, gap.Key, gap.Prefix)
	}
	return nil
}
