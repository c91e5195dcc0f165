package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	dto "github.com/prometheus/client_model/go"

	"github.com/poaledger/poaledger/app/api"
)

// metricsBlock is one FinalizeBlock of TestMetricsFromFinalizeBlock: the header
// time (seconds after t0), the round of the last commit and each validator's
// flag in it ("" = not in the set).
type metricsBlock struct {
	at    float64
	round int32
	flags map[string]cmtproto.BlockIDFlag
	mis   []abci.Misbehavior
}

var (
	valA = bytes.Repeat([]byte{0xa1}, 20)
	valB = bytes.Repeat([]byte{0xb2}, 20)
	valC = bytes.Repeat([]byte{0xc3}, 20)
	valD = bytes.Repeat([]byte{0xd4}, 20)
)

func hexAddr(b []byte) string { return fmt.Sprintf("%X", b) }

// finalizeAt runs FinalizeBlock + Commit of the next height with the header time
// and last commit of b.
func (h *harness) finalizeAt(t0 time.Time, b metricsBlock) []byte {
	h.t.Helper()
	h.height++
	var votes []abci.VoteInfo
	for _, v := range [][]byte{valA, valB, valC, valD} {
		if f, ok := b.flags[hexAddr(v)]; ok {
			votes = append(votes, abci.VoteInfo{Validator: abci.Validator{Address: v, Power: 10}, BlockIdFlag: f})
		}
	}
	req := &abci.RequestFinalizeBlock{Height: h.height, Time: t0.Add(time.Duration(b.at * float64(time.Second))),
		DecidedLastCommit: abci.CommitInfo{Round: b.round, Votes: votes}, Misbehavior: b.mis}
	res, err := h.app.FinalizeBlock(context.Background(), req)
	if err != nil {
		h.t.Fatal(err)
	}
	if _, err := h.app.Commit(context.Background(), &abci.RequestCommit{}); err != nil {
		h.t.Fatal(err)
	}
	return res.AppHash
}

// TestMetricsFromFinalizeBlock checks every metric FinalizeBlock feeds from its
// request: per validator signed / missed (absent or nil) / last signed height /
// lag / power, dropped when the validator leaves the set; the last commit's
// round, missing validators and power, and the count of late commits; header
// time and the block-interval histogram; misbehaviour. The metrics never touch
// the app hash, and promlint (what `promtool check metrics` runs) finds nothing.
func TestMetricsFromFinalizeBlock(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	h := newHarness(t, "", func(s *harnessSetup) { s.opts.Metrics = m })
	plain := newHarness(t, "") // no metrics: the app hash must not differ

	const (
		C = cmtproto.BlockIDFlagCommit
		N = cmtproto.BlockIDFlagNil
		X = cmtproto.BlockIDFlagAbsent
	)
	a, b, c, d := hexAddr(valA), hexAddr(valB), hexAddr(valC), hexAddr(valD)
	f := func(fa, fb, fc, fd cmtproto.BlockIDFlag) map[string]cmtproto.BlockIDFlag {
		out := map[string]cmtproto.BlockIDFlag{a: fa, b: fb, c: fc}
		if fd != 0 {
			out[d] = fd
		}
		return out
	}
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	blocks := []metricsBlock{
		{at: 0},                       // height 1: no last commit
		{at: 1, flags: f(C, X, N, C)}, // commit 1: B absent, C nil
		{at: 1.5, round: 1, flags: f(C, C, N, X)}, // commit 2, round 1: C nil, D absent
		{at: 31.5, flags: f(C, C, C, X)},          // commit 3: D absent (an idle 30-s block)
		{at: 32.5, round: 2, flags: f(C, C, C, 0), // commit 4, round 2: D has left the set
			mis: []abci.Misbehavior{{Type: abci.MisbehaviorType_DUPLICATE_VOTE, Validator: abci.Validator{Address: valD, Power: 10}, Height: 3}}},
	}
	for i, blk := range blocks {
		got, want := h.finalizeAt(t0, blk), plain.finalizeAt(t0, blk)
		if !bytes.Equal(got, want) {
			t.Fatalf("height %d: app hash %X with metrics, %X without", i+1, got, want)
		}
	}

	val := func(v *prometheus.CounterVec, addr string) float64 {
		return value(t, v.WithLabelValues(addr))
	}
	gauge := func(v *prometheus.GaugeVec, addr string) float64 {
		return value(t, v.WithLabelValues(addr))
	}
	for _, c := range []struct {
		addr                         string
		signed, missed, last, lag, p float64
	}{
		{a, 4, 0, 4, 0, 10},
		{b, 3, 1, 4, 0, 10},
		{c, 2, 2, 4, 0, 10}, // nil counts as missed
	} {
		if s, ms, l, lag, p := val(m.ValidatorSigned, c.addr), val(m.ValidatorMissed, c.addr), gauge(m.ValidatorLastSigned, c.addr),
			gauge(m.ValidatorLag, c.addr), gauge(m.ValidatorPower, c.addr); s != c.signed || ms != c.missed || l != c.last || lag != c.lag || p != c.p {
			t.Errorf("validator %s: signed %v missed %v last_signed %v lag %v power %v, want %v %v %v %v %v",
				c.addr[:6], s, ms, l, lag, p, c.signed, c.missed, c.last, c.lag, c.p)
		}
	}

	// D left the set: none of its per-validator series is exported any more.
	var out bytes.Buffer
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		for _, mt := range mf.GetMetric() {
			for _, lp := range mt.GetLabel() {
				if lp.GetName() == ValidatorLabel && lp.GetValue() == d && (mf.GetName() != "poaledger_misbehaviour_total" || mt.GetCounter().GetValue() == 0) {
					fmt.Fprintf(&out, "%s{validator=%s} ", mf.GetName(), d[:6])
				}
			}
		}
	}
	if out.Len() > 0 {
		t.Errorf("a validator that left the set is still exported: %s", out.String())
	}

	for name, c := range map[string]struct {
		got, want float64
	}{
		"last_commit_round":              {value(t, m.CommitRound), 2},
		"late_commits_total":             {value(t, m.LateCommits), 2},
		"last_commit_missing_validators": {value(t, m.CommitMissing), 0},
		"last_commit_missing_power":      {value(t, m.CommitMissingPower), 0},
		"last_block_time_seconds":        {value(t, m.LastBlockTime), float64(t0.Unix()) + 32.5},
		"misbehaviour_total":             {value(t, m.Misbehaviour.WithLabelValues("duplicate_vote", d)), 1},
		"ledger_height":                  {value(t, m.LedgerHeight), 5},
	} {
		if c.got != c.want {
			t.Errorf("poaledger_%s = %v, want %v", name, c.got, c.want)
		}
	}

	// Intervals 1, 0.5, 30, 1: the 1-s and 30-s blocks land in their own buckets.
	checkHistogram(t, m.BlockInterval, map[float64]uint64{0.25: 0, 0.5: 1, 0.75: 1, 1: 3, 25: 3, 30: 4, 120: 4}, 4, 32.5)

	// The /signing query keeps its window view, without the departed validator.
	q, _ := h.app.Query(context.Background(), &abci.RequestQuery{Path: api.PathSigning})
	var l api.SigningList
	if err := json.Unmarshal(q.Value, &l); err != nil {
		t.Fatal(err)
	}
	if len(l.Signing) != 3 || l.Signing[2].Address != c || l.Signing[2].Missed != 2 || l.Signing[2].LastHeight != 4 {
		t.Errorf("/signing %+v", l.Signing)
	}

	mfs, err = reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	problems, err := promlint.NewWithMetricFamilies(mfs).Lint()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("promlint: %s: %s", p.Metric, p.Text)
	}
}

// A validator first seen absent has a lag counted from the first commit this
// node saw it in; one that comes back resets it to 0. A restart (a gap in the
// heights this node saw) observes no block interval across the gap.
func TestSigningLag(t *testing.T) {
	m := NewMetrics(nil)
	s := &signingRecord{metrics: m}
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	vote := func(flag cmtproto.BlockIDFlag) abci.CommitInfo {
		return abci.CommitInfo{Votes: []abci.VoteInfo{
			{Validator: abci.Validator{Address: valA, Power: 10}, BlockIdFlag: cmtproto.BlockIDFlagCommit},
			{Validator: abci.Validator{Address: valB, Power: 5}, BlockIdFlag: flag},
		}}
	}
	lag := func() float64 { return value(t, m.ValidatorLag.WithLabelValues(hexAddr(valB))) }
	for h := int64(10); h < 16; h++ {
		s.observe(&abci.RequestFinalizeBlock{Height: h, Time: t0.Add(time.Duration(h) * time.Second), DecidedLastCommit: vote(cmtproto.BlockIDFlagAbsent)})
	}
	// commits 9..14 missed: first seen at 9, six commits without a signature.
	if got := lag(); got != 6 {
		t.Fatalf("lag %v, want 6", got)
	}
	if got := value(t, m.CommitMissingPower); got != 5 {
		t.Fatalf("missing power %v, want 5", got)
	}
	s.observe(&abci.RequestFinalizeBlock{Height: 16, Time: t0.Add(16 * time.Second), DecidedLastCommit: vote(cmtproto.BlockIDFlagCommit)})
	if got, last := lag(), value(t, m.ValidatorLastSigned.WithLabelValues(hexAddr(valB))); got != 0 || last != 15 {
		t.Fatalf("after signing: lag %v last signed %v, want 0 and 15", got, last)
	}
	s.observe(&abci.RequestFinalizeBlock{Height: 20, Time: t0.Add(100 * time.Second), DecidedLastCommit: vote(cmtproto.BlockIDFlagNil)})
	if got := lag(); got != 4 {
		t.Fatalf("lag after a nil vote at 19, last signed 15: %v, want 4", got)
	}
	if dm := value(t, m.LastBlockTime); dm != float64(t0.Unix())+100 {
		t.Fatalf("last block time %v", dm)
	}
	// heights 10..16 give 6 intervals of 1 s; 16 -> 20 is a gap, not an interval.
	checkHistogram(t, m.BlockInterval, map[float64]uint64{0.75: 0, 1: 6, 120: 6}, 6, 6)
}

// value is the value of the single counter or gauge c collects.
func value(t *testing.T, c prometheus.Collector) float64 {
	t.Helper()
	ch := make(chan prometheus.Metric, 2)
	c.Collect(ch)
	close(ch)
	var out []float64
	for mt := range ch {
		var pb dto.Metric
		if err := mt.Write(&pb); err != nil {
			t.Fatal(err)
		}
		switch {
		case pb.Counter != nil:
			out = append(out, pb.Counter.GetValue())
		case pb.Gauge != nil:
			out = append(out, pb.Gauge.GetValue())
		}
	}
	if len(out) != 1 {
		t.Fatalf("collector gave %d values", len(out))
	}
	return out[0]
}

// checkHistogram compares h's cumulative counts at the given bounds (each must be
// a bucket bound), its count and sum.
func checkHistogram(t *testing.T, h prometheus.Histogram, want map[float64]uint64, count uint64, sum float64) {
	t.Helper()
	var pb dto.Metric
	if err := h.Write(&pb); err != nil {
		t.Fatal(err)
	}
	got := map[float64]uint64{}
	for _, b := range pb.Histogram.GetBucket() {
		got[b.GetUpperBound()] = b.GetCumulativeCount()
	}
	if len(got) != len(BlockIntervalBuckets) {
		t.Errorf("%d buckets, want %d", len(got), len(BlockIntervalBuckets))
	}
	for le, w := range want {
		if g, ok := got[le]; !ok || g != w {
			t.Errorf("bucket le=%g: %d (present %v), want %d", le, g, ok, w)
		}
	}
	if pb.Histogram.GetSampleCount() != count || pb.Histogram.GetSampleSum() != sum {
		t.Errorf("count %d sum %g, want %d %g", pb.Histogram.GetSampleCount(), pb.Histogram.GetSampleSum(), count, sum)
	}
}
