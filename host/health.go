package host

import (
	"encoding/json"
	"net/http"

	"github.com/toolgate/toolgate/host/metrics"
)

// healthz says the process lives and answers HTTP.
func (h *Host) healthz(w http.ResponseWriter, _ *http.Request) {
	writeHealth(w, http.StatusOK, map[string]any{"status": "ok"})
}

// readyz says whether the host can serve calls: the config is loaded (it is,
// or the host would not run), every issuer's keys are at hand, and every
// plugin has a serving process. The body names what is not ready.
func (h *Host) readyz(w http.ResponseWriter, _ *http.Request) {
	var problems []string
	plugins := map[string]string{}
	l := h.live.Load()
	for _, p := range l.plugins {
		state := "up"
		if !p.Up() {
			state = "down"
			problems = append(problems, "plugin "+p.Name+" has no serving process")
		}
		plugins[p.Name] = state
	}
	keys := "ready"
	if l.auth == nil {
		keys = "authorization off"
	} else if err := l.auth.verifier.Ready(); err != nil {
		keys = err.Error()
		problems = append(problems, err.Error())
	}
	body := map[string]any{"status": "ready", "config": h.cfg.File, "plugins": plugins, "issuer_keys": keys}
	status := http.StatusOK
	if len(problems) > 0 {
		body["status"], body["problems"] = "not ready", problems
		status = http.StatusServiceUnavailable
	}
	writeHealth(w, status, body)
}

func writeHealth(w http.ResponseWriter, status int, body map[string]any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(body)
}

// metricsHandler serves /metrics, behind a bearer token when
// metrics.bearer_token_env names one.
func (h *Host) metricsHandler() http.Handler {
	return metrics.Handler(h.metrics, h.cfg.MetricsBearerToken())
}
