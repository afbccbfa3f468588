package pluginhost

import (
	"github.com/prometheus/client_golang/prometheus"
)

// collector reports each supervised plugin's state at scrape time, so the
// call path pays only for the in-flight counter.
type collector struct {
	plugins func() []*Supervised
}

var (
	upDesc = prometheus.NewDesc("toolgate_plugin_up",
		"1 when the plugin has a process serving calls, 0 while it restarts or is parked.", []string{"plugin"}, nil)
	restartsDesc = prometheus.NewDesc("toolgate_plugin_restarts_total",
		"Processes started for the plugin after its first.", []string{"plugin"}, nil)
	inFlightDesc = prometheus.NewDesc("toolgate_plugin_in_flight",
		"Calls running in the plugin now.", []string{"plugin"}, nil)
	circuitDesc = prometheus.NewDesc("toolgate_plugin_circuit_open",
		"1 when the plugin failed too often in a row and is parked, 0 otherwise.", []string{"plugin"}, nil)
	queueDesc = prometheus.NewDesc("toolgate_plugin_queue_depth",
		"Calls waiting for one of the plugin's max_concurrent slots.", []string{"plugin"}, nil)
)

// NewCollector returns the Prometheus collector of the plugins' state;
// plugins returns those in service at scrape time, which a reload changes.
func NewCollector(plugins func() []*Supervised) prometheus.Collector {
	return &collector{plugins: plugins}
}

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{upDesc, restartsDesc, inFlightDesc, circuitDesc, queueDesc} {
		ch <- d
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	for _, s := range c.plugins() {
		ch <- prometheus.MustNewConstMetric(upDesc, prometheus.GaugeValue, boolValue(s.Up()), s.Name)
		ch <- prometheus.MustNewConstMetric(restartsDesc, prometheus.CounterValue, float64(s.restarts.Load()), s.Name)
		ch <- prometheus.MustNewConstMetric(inFlightDesc, prometheus.GaugeValue, float64(s.inFlight.Load()), s.Name)
		ch <- prometheus.MustNewConstMetric(circuitDesc, prometheus.GaugeValue, boolValue(s.parked.Load()), s.Name)
		ch <- prometheus.MustNewConstMetric(queueDesc, prometheus.GaugeValue, float64(s.limit.Queued()), s.Name)
	}
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
