package app

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/poaledger/poaledger/app/api"
	"github.com/poaledger/poaledger/ledger"
)

// MetricsNamespace prefixes every app metric.
const MetricsNamespace = "poaledger"

// Metrics are the app's Prometheus metrics. They observe the app; nothing read from
// them reaches state.
type Metrics struct {
	TxsChecked     *prometheus.CounterVec
	TxsDelivered   *prometheus.CounterVec
	EventsRecorded prometheus.Counter
	LedgerHeight   prometheus.Gauge
	LedgerEvents   prometheus.Gauge
	Validators     prometheus.Gauge
	Members        prometheus.Gauge
	BlockSeconds   prometheus.Histogram
	// ValidatorSigned / ValidatorMissed: commits each validator signed / missed
	// over the last SigningWindow blocks this node executed.
	ValidatorSigned *prometheus.GaugeVec
	ValidatorMissed *prometheus.GaugeVec
	OpenProposals   prometheus.Gauge
	CommitSeconds   prometheus.Histogram
}

// NewMetrics creates the metrics and registers them with reg (nil: not registered).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		TxsChecked: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: MetricsNamespace, Name: "txs_checked_total",
			Help: "Transactions checked by CheckTx, by result (ok, or the refusal reason)."}, []string{"result"}),
		TxsDelivered: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: MetricsNamespace, Name: "txs_delivered_total",
			Help: "Transactions executed in FinalizeBlock, by result (ok, or the refusal reason)."}, []string{"result"}),
		EventsRecorded: prometheus.NewCounter(prometheus.CounterOpts{Namespace: MetricsNamespace, Name: "events_recorded_total",
			Help: "EPCIS events recorded by this node since it started."}),
		LedgerHeight: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: MetricsNamespace, Name: "ledger_height",
			Help: "Last committed ledger version (= block height)."}),
		LedgerEvents: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: MetricsNamespace, Name: "ledger_events",
			Help: "Events in the ledger at the last committed height."}),
		Validators: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: MetricsNamespace, Name: "validators",
			Help: "Validators in the app's state at the last committed height."}),
		Members: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: MetricsNamespace, Name: "members",
			Help: "Member accounts (active and revoked) at the last committed height."}),
		BlockSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: MetricsNamespace, Name: "block_execution_seconds",
			Help: "Time spent in FinalizeBlock.", Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16)}),
		ValidatorSigned: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: MetricsNamespace, Name: "validator_signed_blocks",
			Help: "Commits the validator signed among the last 100 this node executed."}, []string{"validator"}),
		ValidatorMissed: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: MetricsNamespace, Name: "validator_missed_blocks",
			Help: "Commits the validator missed among the last 100 this node executed."}, []string{"validator"}),
		OpenProposals: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: MetricsNamespace, Name: "open_proposals",
			Help: "Governance proposals open at the last committed height."}),
		CommitSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: MetricsNamespace, Name: "commit_seconds",
			Help: "Time spent in Commit (persisting the ledger version).", Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16)}),
	}
	if reg != nil {
		reg.MustRegister(m.TxsChecked, m.TxsDelivered, m.EventsRecorded, m.LedgerHeight, m.LedgerEvents,
			m.Validators, m.Members, m.BlockSeconds, m.CommitSeconds, m.ValidatorSigned, m.ValidatorMissed, m.OpenProposals)
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
