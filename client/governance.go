package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/poaledger/poaledger/app/api"
)

// ProposalResult is one governance proposal.
type ProposalResult struct {
	Proposal api.Proposal `json:"proposal"`
	QueryInfo
}

// ProposalsResult is every proposal, ascending id, read at one height.
type ProposalsResult struct {
	Proposals []api.Proposal `json:"proposals"`
	// Complete is true when every page was proven complete (see Members).
	Complete bool `json:"complete"`
	QueryInfo
}

// NodeResult is one node's admission record.
type NodeResult struct {
	Node api.Node `json:"node"`
	QueryInfo
}

// NodesResult is every node admission record, ascending node id.
type NodesResult struct {
	Nodes    []api.Node `json:"nodes"`
	Complete bool       `json:"complete"`
	QueryInfo
}

// SigningResult is the signing record as the node observed it (never proven).
type SigningResult struct {
	Signing []api.Signing `json:"signing"`
	Height  int64         `json:"height"`
}

// single runs a one-key query whose value must decode into out and pass check;
// a missing key is a *QueryError (IsNotFound), verified absent with Prove.
func (c *Client) single(ctx context.Context, path string, key []byte, opts QueryOpts, check func(raw []byte) error) ([]byte, QueryInfo, error) {
	res, info, err := c.run(ctx, path, opts, func(res *abci.ResponseQuery) ([]provenKV, error) {
		if !bytes.Equal(res.Key, key) {
			return nil, fmt.Errorf("response key %X, expected %X", res.Key, key)
		}
		if isNotFoundResponse(res) {
			return []provenKV{{Key: key}}, nil
		}
		if err := check(res.Value); err != nil {
			return nil, err
		}
		return []provenKV{{Key: key, Value: res.Value}}, nil
	})
	if err != nil {
		return nil, QueryInfo{}, err
	}
	if isNotFoundResponse(res) {
		return nil, info, notFound(path, res, info)
	}
	if err := check(res.Value); err != nil {
		return nil, info, fmt.Errorf("client: %s: %w", path, err)
	}
	return bytes.Clone(res.Value), info, nil
}

func decodeProposal(raw []byte, id uint64) (api.Proposal, error) {
	var p api.Proposal
	if err := json.Unmarshal(raw, &p); err != nil {
		return p, fmt.Errorf("value is not a proposal record: %v", err)
	}
	if id != 0 && p.ID != id {
		return p, fmt.Errorf("record is proposal %d, asked for %d", p.ID, id)
	}
	return p, nil
}

// Proposal looks up a governance proposal by id.
func (c *Client) Proposal(ctx context.Context, id uint64, opts QueryOpts) (*ProposalResult, error) {
	if id == 0 {
		return nil, errors.New("client: proposal ids start at 1")
	}
	path := api.PathProposal + strconv.FormatUint(id, 10)
	raw, info, err := c.single(ctx, path, api.ProposalKey(id), opts, func(raw []byte) error {
		_, err := decodeProposal(raw, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	p, _ := decodeProposal(raw, id)
	return &ProposalResult{Proposal: p, QueryInfo: info}, nil
}

// Proposals returns every proposal, all pages at one height, ascending id; with
// Prove the list is proven complete.
func (c *Client) Proposals(ctx context.Context, opts QueryOpts) (*ProposalsResult, error) {
	l, err := c.list(ctx, listSpec{
		path: api.PathProposals, prefix: api.PrefixProposal, what: "proposal",
		items: func(v []byte) ([]json.RawMessage, string, error) {
			var p api.ProposalPage
			err := json.Unmarshal(v, &p)
			return p.Proposals, p.Next, err
		},
		key: func(raw json.RawMessage, _ []byte) ([]byte, error) {
			p, err := decodeProposal(raw, 0)
			if err != nil {
				return nil, err
			}
			return api.ProposalKey(p.ID), nil
		},
	}, opts)
	if err != nil {
		return nil, err
	}
	out := &ProposalsResult{Proposals: make([]api.Proposal, len(l.items)), Complete: l.complete, QueryInfo: l.info}
	for i, raw := range l.items {
		if out.Proposals[i], err = decodeProposal(raw, 0); err != nil {
			return nil, fmt.Errorf("client: %s: %w", api.PathProposals, err)
		}
	}
	return out, nil
}

func decodeNode(raw []byte) (api.Node, []byte, error) {
	var n api.Node
	if err := json.Unmarshal(raw, &n); err != nil {
		return n, nil, fmt.Errorf("value is not a node record: %v", err)
	}
	id, err := api.ParseNodeID(n.ID)
	return n, id, err
}

// Node looks up a node's admission record by node ID (40 hex characters).
func (c *Client) Node(ctx context.Context, idHex string, opts QueryOpts) (*NodeResult, error) {
	id, err := api.ParseNodeID(idHex)
	if err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	path := api.PathNode + api.NodeIDString(id)
	raw, info, err := c.single(ctx, path, api.NodeKey(id), opts, func(raw []byte) error {
		_, got, err := decodeNode(raw)
		if err == nil && !bytes.Equal(got, id) {
			err = fmt.Errorf("record is for node %x, asked for %x", got, id)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	n, _, _ := decodeNode(raw)
	return &NodeResult{Node: n, QueryInfo: info}, nil
}

// Nodes returns every node admission record; with Prove the list is proven
// complete.
func (c *Client) Nodes(ctx context.Context, opts QueryOpts) (*NodesResult, error) {
	l, err := c.list(ctx, listSpec{
		path: api.PathNodes, prefix: api.PrefixNode, what: "node",
		items: func(v []byte) ([]json.RawMessage, string, error) {
			var p api.NodePage
			err := json.Unmarshal(v, &p)
			return p.Nodes, p.Next, err
		},
		key: func(raw json.RawMessage, _ []byte) ([]byte, error) {
			_, id, err := decodeNode(raw)
			if err != nil {
				return nil, err
			}
			return api.NodeKey(id), nil
		},
	}, opts)
	if err != nil {
		return nil, err
	}
	out := &NodesResult{Nodes: make([]api.Node, len(l.items)), Complete: l.complete, QueryInfo: l.info}
	for i, raw := range l.items {
		if out.Nodes[i], _, err = decodeNode(raw); err != nil {
			return nil, fmt.Errorf("client: %s: %w", api.PathNodes, err)
		}
	}
	return out, nil
}

// Authorities returns the active members holding the authority role, from a
// (with Prove: complete, verified) read of every member.
func (c *Client) Authorities(ctx context.Context, opts QueryOpts) (*MembersResult, error) {
	all, err := c.Members(ctx, opts)
	if err != nil {
		return nil, err
	}
	out := *all
	out.Members = nil
	for _, m := range all.Members {
		if m.Status == api.StatusActive && containsRole(m.Roles, "authority") {
			out.Members = append(out.Members, m)
		}
	}
	return &out, nil
}

func containsRole(roles []string, r string) bool {
	for _, x := range roles {
		if strings.EqualFold(x, r) {
			return true
		}
	}
	return false
}

// Signing returns each validator's signing record as the node observed it over
// its last blocks. It is the node's own observation, not ledger state: it
// cannot be proven, and a node may lie about it.
func (c *Client) Signing(ctx context.Context) (*SigningResult, error) {
	res, err := c.query(ctx, api.PathSigning, 0, false)
	if err != nil {
		return nil, err
	}
	if res.Code != 0 {
		return nil, queryError(api.PathSigning, res)
	}
	var l api.SigningList
	if err := json.Unmarshal(res.Value, &l); err != nil {
		return nil, fmt.Errorf("client: %s: %w", api.PathSigning, err)
	}
	return &SigningResult{Signing: l.Signing, Height: res.Height}, nil
}
