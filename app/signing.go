package app

import (
	"fmt"
	"sort"
	"sync"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"

	"github.com/poaledger/poaledger/app/api"
)

// SigningWindow is how many recent commits the signing record covers.
const SigningWindow = 100

// signingRecord keeps, per validator, whether it signed each of the last
// SigningWindow commits this node executed (FinalizeBlock's DecidedLastCommit).
// It is node-local observation for operators and metrics: it never reaches
// state, and starts empty when the node starts.
type signingRecord struct {
	mu      sync.Mutex
	last    int64
	byAddr  map[string]*signingRing
	metrics *Metrics
}

type signingRing struct {
	power  int64
	flags  [SigningWindow]int8 // 1 signed, -1 missed, 0 not seen
	next   int
	seen   int
	signed int
	missed int
}

func (r *signingRing) add(signed bool) {
	switch r.flags[r.next] {
	case 1:
		r.signed--
	case -1:
		r.missed--
	}
	if signed {
		r.flags[r.next] = 1
		r.signed++
	} else {
		r.flags[r.next] = -1
		r.missed++
	}
	r.next = (r.next + 1) % SigningWindow
	r.seen = min(r.seen+1, SigningWindow)
}

// record counts the commit of height-1 carried by block height. A validator
// that voted (for the block or nil) signed; an absent one missed.
func (s *signingRecord) record(height int64, ci abci.CommitInfo) {
	if len(ci.Votes) == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.byAddr == nil {
		s.byAddr = map[string]*signingRing{}
	}
	for _, v := range ci.Votes {
		addr := fmt.Sprintf("%X", v.Validator.Address)
		r := s.byAddr[addr]
		if r == nil {
			r = &signingRing{}
			s.byAddr[addr] = r
		}
		r.power = v.Validator.Power
		r.add(v.BlockIdFlag != cmtproto.BlockIDFlagAbsent)
		if s.metrics != nil {
			s.metrics.ValidatorMissed.WithLabelValues(addr).Set(float64(r.missed))
			s.metrics.ValidatorSigned.WithLabelValues(addr).Set(float64(r.signed))
		}
	}
	s.last = height - 1
}

// list returns the record, ascending address.
func (s *signingRecord) list() []api.Signing {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]api.Signing, 0, len(s.byAddr))
	for addr, r := range s.byAddr {
		out = append(out, api.Signing{Address: addr, Power: r.power, Signed: r.signed, Missed: r.missed,
			Window: r.seen, LastHeight: s.last})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Address < out[j].Address })
	return out
}
