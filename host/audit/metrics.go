package audit

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// Label values of toolgate_audit_records_total: a fixed list, whatever the
// records say.
var decisions = [...]string{DecisionAllowed, DecisionRefused, "other"}

func decisionIndex(d string) int {
	switch d {
	case DecisionAllowed:
		return 0
	case DecisionRefused:
		return 1
	}
	return 2
}

type metrics struct {
	records    [len(decisions)]prometheus.Counter
	dropped    prometheus.Counter
	errors     prometheus.Counter
	collectors []prometheus.Collector
}

// newMetrics returns the writer's metrics. queued reports the records
// waiting in the buffer; the gauge reads it at scrape time, so Write pays
// nothing for it.
func newMetrics(queued func() float64) *metrics {
	records := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "toolgate_audit_records_total",
		Help: "Audit records written to the trail, by decision (allowed, refused; other for the writer's own records).",
	}, []string{"decision"})
	m := &metrics{
		dropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "toolgate_audit_records_dropped_total",
			Help: "Audit records dropped because the buffer was full (audit.on_full = \"drop\").",
		}),
		errors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "toolgate_audit_write_errors_total",
			Help: "Failed writes, fsyncs and rotations of the audit trail; failed writes are retried.",
		}),
	}
	for i, d := range decisions {
		m.records[i] = records.WithLabelValues(d)
	}
	buffer := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "toolgate_audit_buffer_records",
		Help: "Audit records queued for the disk.",
	}, queued)
	m.collectors = []prometheus.Collector{records, m.dropped, m.errors, buffer}
	return m
}

// register registers the metrics on reg, all or none.
func (m *metrics) register(reg prometheus.Registerer) error {
	if reg == nil {
		return nil
	}
	for i, c := range m.collectors {
		if err := reg.Register(c); err != nil {
			for _, done := range m.collectors[:i] {
				reg.Unregister(done)
			}
			return fmt.Errorf("audit: registering metrics: %w", err)
		}
	}
	return nil
}
