// Package metrics holds the host's Prometheus registry and serves it. Each
// package declares and registers its own metrics; this one only collects
// them, with the Go runtime and process collectors, and exposes /metrics in
// the OpenMetrics format.
package metrics

import (
	"crypto/subtle"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// NewRegistry returns a registry with the runtime and process collectors.
// Toolgate never uses the global default registry, so tests and embedding
// programs can run several hosts in one process.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// Handler serves the registry, in OpenMetrics when the scraper asks for it.
// A non-empty token must come as "Authorization: Bearer <token>".
func Handler(reg *prometheus.Registry, token string) http.Handler {
	h := promhttp.HandlerFor(reg, promhttp.HandlerOpts{EnableOpenMetrics: true, Registry: reg})
	if token == "" {
		return h
	}
	want := []byte("Bearer " + token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			http.Error(w, "unauthorized: /metrics needs the scrape token (metrics.bearer_token_env)", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}
