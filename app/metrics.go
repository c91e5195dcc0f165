package app

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/poaledger/poaledger/app/api"
	"github.com/poaledger/poaledger/ledger"
)

// MetricsNamespace prefixes every app metric.
const MetricsNamespace = "poaledger"

// ValidatorLabel is the label naming a validator on the per-validator metrics:
// its address in upper-case hex, as CometBFT prints it (/validators,
// priv_validator_key.json).
const ValidatorLabel = "validator"

// BlockIntervalBuckets are the bucket bounds (seconds) of
// poaledger_block_interval_seconds: fine enough to resolve 1-s blocks under
// load and the ~31-s empty blocks of an idle chain (create_empty_blocks_interval
// 30 s plus the commit), up to 2 minutes.
var BlockIntervalBuckets = []float64{0.25, 0.5, 0.75, 1, 1.25, 1.5, 1.75, 2, 2.5, 3, 4, 5, 7.5, 10,
	15, 20, 25, 30, 32.5, 35, 40, 50, 60, 90, 120}

// Metrics are the app's Prometheus metrics. They observe the app; nothing read from
// them reaches state. Everything FinalizeBlock observes comes from the request
// (header time, last commit, misbehaviour): the app reads no clock.
type Metrics struct {
	TxsChecked     *prometheus.CounterVec
	TxsDelivered   *prometheus.CounterVec
	EventsRecorded prometheus.Counter
	LedgerHeight   prometheus.Gauge
	LedgerEvents   prometheus.Gauge
	Validators     prometheus.Gauge
	Members        prometheus.Gauge
	OpenProposals  prometheus.Gauge
	BlockSeconds   prometheus.Histogram
	CommitSeconds  prometheus.Histogram

	// Per validator, from each block's DecidedLastCommit (see signing.go).
	ValidatorSigned     *prometheus.CounterVec
	ValidatorMissed     *prometheus.CounterVec
	ValidatorLastSigned *prometheus.GaugeVec
	ValidatorLag        *prometheus.GaugeVec
	ValidatorPower      *prometheus.GaugeVec

	// The last commit as a whole.
	CommitRound        prometheus.Gauge
	LateCommits        prometheus.Counter
	CommitMissing      prometheus.Gauge
	CommitMissingPower prometheus.Gauge
	// LastBlockTime has no labels; a vec so that it is not exported (as 0, an
	// age of 56 years) before this node executed its first block.
	LastBlockTime *prometheus.GaugeVec
	BlockInterval prometheus.Histogram
	Misbehaviour  *prometheus.CounterVec
}

// NewMetrics creates the metrics and registers them with reg (nil: not registered).
// The node registers them through a registerer that adds chain_id to every series.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	ns := MetricsNamespace
	val := []string{ValidatorLabel}
	m := &Metrics{
		TxsChecked: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "txs_checked_total",
			Help: "Transactions checked by CheckTx on this node (new and rechecked), by result (ok, or the refusal reason)."}, []string{"result"}),
		TxsDelivered: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "txs_delivered_total",
			Help: "Transactions executed in FinalizeBlock, by result (ok, or the refusal reason)."}, []string{"result"}),
		EventsRecorded: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Name: "events_recorded_total",
			Help: "EPCIS events recorded by this node since it started."}),
		LedgerHeight: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Name: "ledger_height",
			Help: "Last committed ledger version (= block height)."}),
		LedgerEvents: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Name: "ledger_events",
			Help: "Events in the ledger at the last committed height."}),
		Validators: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Name: "validators",
			Help: "Validators in the app's state at the last committed height."}),
		Members: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Name: "members",
			Help: "Member accounts (active and revoked) at the last committed height."}),
		OpenProposals: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Name: "open_proposals",
			Help: "Governance proposals open at the last committed height."}),
		BlockSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: ns, Name: "block_execution_seconds",
			Help: "Time spent in FinalizeBlock.", Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16)}),
		CommitSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: ns, Name: "commit_seconds",
			Help: "Time spent in Commit (persisting the ledger version).", Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16)}),

		ValidatorSigned: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "validator_signed_blocks_total",
			Help: "Commits carrying the validator's signature for the block, among those this node executed since it started."}, val),
		ValidatorMissed: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "validator_missed_blocks_total",
			Help: "Commits the validator is absent from or voted nil in, among those this node executed since it started."}, val),
		ValidatorLastSigned: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: ns, Name: "validator_last_signed_height",
			Help: "Height of the last commit carrying the validator's signature (0: none since this node started)."}, val),
		ValidatorLag: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: ns, Name: "validator_signing_lag_blocks",
			Help: "Commits since the validator's last signature: the last commit's height minus validator_last_signed_height (0 while it signs every block)."}, val),
		ValidatorPower: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: ns, Name: "validator_power",
			Help: "The validator's voting power in the last commit."}, val),

		CommitRound: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Name: "last_commit_round",
			Help: "Round in which the last block was committed (0: its first proposer's block was accepted)."}),
		LateCommits: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Name: "late_commits_total",
			Help: "Blocks committed after round 0 (a proposer was down, slow or refused), among those this node executed since it started."}),
		CommitMissing: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Name: "last_commit_missing_validators",
			Help: "Validators absent from or voting nil in the last commit."}),
		CommitMissingPower: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Name: "last_commit_missing_power",
			Help: "Voting power of the validators absent from or voting nil in the last commit."}),
		LastBlockTime: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: ns, Name: "last_block_time_seconds",
			Help: "Header time of the last block this node executed, in unix seconds (block age = time() - this)."}, nil),
		BlockInterval: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: ns, Name: "block_interval_seconds",
			Help: "Time between the header times of consecutive blocks this node executed.", Buckets: BlockIntervalBuckets}),
		Misbehaviour: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "misbehaviour_total",
			Help: "Evidence of validator misbehaviour committed in blocks this node executed, by type and validator."}, []string{"type", ValidatorLabel}),
	}
	if reg != nil {
		reg.MustRegister(m.TxsChecked, m.TxsDelivered, m.EventsRecorded, m.LedgerHeight, m.LedgerEvents,
			m.Validators, m.Members, m.OpenProposals, m.BlockSeconds, m.CommitSeconds,
			m.ValidatorSigned, m.ValidatorMissed, m.ValidatorLastSigned, m.ValidatorLag, m.ValidatorPower,
			m.CommitRound, m.LateCommits, m.CommitMissing, m.CommitMissingPower, m.LastBlockTime, m.BlockInterval,
			m.Misbehaviour)
	}
	return m
}

// NopMetrics returns unregistered metrics.
func NopMetrics() *Metrics { return NewMetrics(nil) }

func (m *Metrics) txChecked(code uint32)   { m.TxsChecked.WithLabelValues(api.CodeName(code)).Inc() }
func (m *Metrics) txDelivered(code uint32) { m.TxsDelivered.WithLabelValues(api.CodeName(code)).Inc() }
func (m *Metrics) eventsRecorded(n int)    { m.EventsRecorded.Add(float64(n)) }

// setLedger refreshes the gauges from committed state at version.
func (m *Metrics) setLedger(s *ledger.Store, version int64) {
	m.LedgerHeight.Set(float64(version))
	if v, err := s.GetAt(api.MetaNextSeqKey, version); err == nil && v != nil {
		if n, err := api.DecodeUint64(v); err == nil {
			m.LedgerEvents.Set(float64(n))
		}
	}
	m.Validators.Set(float64(countPrefix(s, version, api.PrefixValidator)))
	m.Members.Set(float64(countPrefix(s, version, api.PrefixMember)))
	m.OpenProposals.Set(float64(countPrefix(s, version, api.PrefixOpenProposal)))
}

func countPrefix(s *ledger.Store, version int64, prefix byte) int {
	n := 0
	var cursor []byte
	for {
		items, next, err := s.IterateAt(version, []byte{prefix}, cursor, 0)
		if err != nil {
			return n
		}
		n += len(items)
		if next == nil {
			return n
		}
		cursor = next
	}
}
