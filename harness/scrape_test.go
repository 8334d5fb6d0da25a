package harness

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/shakedown-dev/shakedown/record"
	"github.com/shakedown-dev/shakedown/resilience/circuitbreaker"
	"github.com/shakedown-dev/shakedown/resilience/prom"
)

// TestScraperRecordsSeriesAndBreakerEvents scrapes the resilience core's real metrics while a
// breaker opens, and finds the series and the transition in the record.
func TestScraperRecordsSeriesAndBreakerEvents(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	m, _ := prom.New(reg)
	b, _ := circuitbreaker.New(circuitbreaker.Settings{Name: "ollama", ConsecutiveFailures: 1, Observer: m.Breaker()})
	m.WatchBreaker(b)
	// Each scrape served says which breaker state it carried. The scraper stores a scrape before
	// it asks for the next, so once the next is served the one before is in the record.
	scraped := make(chan circuitbreaker.State, 1000)
	metrics := promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := b.State()
		metrics.ServeHTTP(w, r)
		scraped <- st
	}))
	defer srv.Close()
	waitStored := func(want circuitbreaker.State) {
		for st := range scraped {
			if st == want {
				break
			}
		}
		<-scraped
	}

	rec := record.NewRecorder(time.Now(), record.ScenarioInfo{}, 1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		// A generous client timeout: with the default (one tick, 20ms here) a loaded machine can
		// time a scrape out on the client while the handler still counts it as served.
		Scraper{URL: srv.URL, Tick: 20 * time.Millisecond, Keep: []string{"resilience_"}, Client: &http.Client{Timeout: 10 * time.Second}}.Run(ctx, rec)
		close(done)
	}()
	waitStored(circuitbreaker.StateClosed)
	p, _ := b.Allow()
	p.Done(context.DeadlineExceeded) // opens it
	waitStored(circuitbreaker.StateOpen)
	cancel()
	<-done
	r := rec.Finish(record.StatusCompleted, nil)
	states := r.FindSeries("resilience_circuit_breaker_state", map[string]string{"name": "ollama"})
	if len(states) != 1 || states[0].Points[0].Value != 0 || states[0].Points[len(states[0].Points)-1].Value != 1 {
		t.Fatalf("state series %+v; want 0 then 1", states)
	}
	var seen []string
	for _, e := range r.Events {
		if e.Kind == "breaker" {
			seen = append(seen, e.Value)
		}
	}
	if len(seen) != 2 || seen[0] != "closed" || seen[1] != "open" {
		t.Errorf("breaker events %v; want [closed open]", seen)
	}
	for _, s := range r.Series {
		if s.Name == "go_goroutines" {
			t.Error("Keep did not filter go_goroutines out")
		}
	}
}

func TestScraperRecordsFailures(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		rec := record.NewRecorder(time.Now(), record.ScenarioInfo{}, 1)
		ctx, cancel := context.WithTimeout(context.Background(), 2500*time.Millisecond)
		defer cancel()
		// No server: every scrape fails fast (an invalid port), once per tick: at 0s, 1s and 2s.
		Scraper{URL: "http://127.0.0.1:0/metrics"}.Run(ctx, rec)
		r := rec.Finish(record.StatusCompleted, nil)
		if len(r.Events) != 3 || r.Events[0].Kind != "scrape" || r.Events[0].Value != "failed" {
			t.Errorf("events %+v; want 3 failed scrapes", r.Events)
		}
	})
}
