package health

import (
	"encoding/json"
	"net/http"
)

// Handler serves GET /health/live and GET /health/ready.
func (c *Checker) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /health/live", c.LiveHandler())
	mux.Handle("GET /health/ready", c.ReadyHandler())
	return mux
}

// LiveHandler answers 200 with the report, or 503 when a liveness check failed.
func (c *Checker) LiveHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rep := c.Live(r.Context())
		write(w, rep, rep.Status == Healthy)
	})
}

// ReadyHandler answers 200 when healthy or degraded, 503 when unhealthy.
func (c *Checker) ReadyHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rep := c.Ready(r.Context())
		write(w, rep, rep.Status != Unhealthy)
	})
}

func write(w http.ResponseWriter, rep Report, ok bool) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if !ok {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	json.NewEncoder(w).Encode(rep)
}
