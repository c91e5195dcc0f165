package app

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"

	"github.com/poaledger/poaledger/app/api"
)

// SigningWindow is how many recent commits the /signing record covers.
const SigningWindow = 100

// signingRecord is what this node saw of each block's last commit, round and
// header time (FinalizeBlock's request): per validator, whether it signed each
// of the last SigningWindow commits (the /signing query) and the metrics of
// Metrics (counters since the node started, last signed height, lag). It is
// node-local observation for operators: it never reaches state, reads no clock
// (block times come from the headers) and starts empty when the node starts.
// A validator that is no longer in the last commit's validator set is dropped,
// and its series with it.
type signingRecord struct {
	mu      sync.Mutex
	last    int64 // height of the last commit counted
	byAddr  map[string]*signingRing
	metrics *Metrics
	// prevHeight / prevTime: the last block seen, for the block interval.
	prevHeight int64
	prevTime   time.Time
	// evidence holds the (type, validator) pairs whose misbehaviour counter
	// was incremented: those stay exported after the validator leaves the set.
	evidence map[[2]string]bool
}

// misbehaviourTypes are the evidence types whose counters exist at 0 for every
// validator in the set, so that the first evidence is an increase.
var misbehaviourTypes = []string{
	strings.ToLower(abci.MisbehaviorType_DUPLICATE_VOTE.String()),
	strings.ToLower(abci.MisbehaviorType_LIGHT_CLIENT_ATTACK.String()),
}

type signingRing struct {
	power  int64
	flags  [SigningWindow]int8 // 1 signed, -1 missed, 0 not seen
	next   int
	seen   int
	signed int
	missed int
	// firstSeen is the height of the first commit this node saw the validator
	// in; lastSigned the height of the last commit carrying its signature (0:
	// none since the node started).
	firstSeen, lastSigned int64
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

// lag is the number of commits up to height since the validator's last
// signature (all of them since it was first seen, if it has not signed yet).
func (r *signingRing) lag(height int64) int64 {
	if r.lastSigned > 0 {
		return height - r.lastSigned
	}
	return height - r.firstSeen + 1
}

// observe records what block req tells about the chain: its header time (and
// the interval since the previous block), the commit of the previous height it
// carries (who signed, in which round) and the misbehaviour it reports.
func (s *signingRecord) observe(req *abci.RequestFinalizeBlock) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.metrics
	if m != nil && !req.Time.IsZero() {
		m.LastBlockTime.WithLabelValues().Set(float64(req.Time.UnixNano()) / 1e9)
		if s.prevHeight > 0 && s.prevHeight == req.Height-1 {
			if d := req.Time.Sub(s.prevTime); d >= 0 {
				m.BlockInterval.Observe(d.Seconds())
			}
		}
		s.prevHeight, s.prevTime = req.Height, req.Time
	}
	if m != nil {
		for _, mb := range req.Misbehavior {
			typ, addr := strings.ToLower(mb.Type.String()), fmt.Sprintf("%X", mb.Validator.Address)
			m.Misbehaviour.WithLabelValues(typ, addr).Inc()
			if s.evidence == nil {
				s.evidence = map[[2]string]bool{}
			}
			s.evidence[[2]string{typ, addr}] = true
		}
	}
	s.record(req.Height, req.DecidedLastCommit)
}

// record counts the commit of height-1 carried by block height. A validator
// whose vote is for the block signed it; an absent one, or one that voted nil,
// missed it. s.mu is held.
func (s *signingRecord) record(height int64, ci abci.CommitInfo) {
	if len(ci.Votes) == 0 {
		return
	}
	if s.byAddr == nil {
		s.byAddr = map[string]*signingRing{}
	}
	commit := height - 1
	inSet := make(map[string]bool, len(ci.Votes))
	var missing int
	var missingPower int64
	for _, v := range ci.Votes {
		addr := fmt.Sprintf("%X", v.Validator.Address)
		inSet[addr] = true
		r := s.byAddr[addr]
		if r == nil {
			r = &signingRing{firstSeen: commit}
			s.byAddr[addr] = r
			if m := s.metrics; m != nil {
				for _, typ := range misbehaviourTypes {
					m.Misbehaviour.WithLabelValues(typ, addr)
				}
			}
		}
		r.power = v.Validator.Power
		signed := v.BlockIdFlag == cmtproto.BlockIDFlagCommit
		r.add(signed)
		if signed {
			r.lastSigned = commit
		} else {
			missing++
			missingPower += v.Validator.Power
		}
		if m := s.metrics; m != nil {
			// Both counters exist from the first commit on (a missing series is
			// not a zero for rate() or an alert).
			sc, mc := m.ValidatorSigned.WithLabelValues(addr), m.ValidatorMissed.WithLabelValues(addr)
			if signed {
				sc.Inc()
			} else {
				mc.Inc()
			}
			m.ValidatorLastSigned.WithLabelValues(addr).Set(float64(r.lastSigned))
			m.ValidatorLag.WithLabelValues(addr).Set(float64(r.lag(commit)))
			m.ValidatorPower.WithLabelValues(addr).Set(float64(r.power))
		}
	}
	for addr := range s.byAddr {
		if !inSet[addr] {
			delete(s.byAddr, addr)
			if m := s.metrics; m != nil {
				m.ValidatorSigned.DeleteLabelValues(addr)
				m.ValidatorMissed.DeleteLabelValues(addr)
				m.ValidatorLastSigned.DeleteLabelValues(addr)
				m.ValidatorLag.DeleteLabelValues(addr)
				m.ValidatorPower.DeleteLabelValues(addr)
				for _, typ := range misbehaviourTypes {
					if !s.evidence[[2]string{typ, addr}] {
						m.Misbehaviour.DeleteLabelValues(typ, addr)
					}
				}
			}
		}
	}
	if m := s.metrics; m != nil {
		m.CommitRound.Set(float64(ci.Round))
		if ci.Round > 0 {
			m.LateCommits.Inc()
		}
		m.CommitMissing.Set(float64(missing))
		m.CommitMissingPower.Set(float64(missingPower))
	}
	s.last = commit
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
