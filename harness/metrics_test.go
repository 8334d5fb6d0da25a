package harness

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shakedown-dev/shakedown/record"
	"github.com/shakedown-dev/shakedown/reports"
	"github.com/shakedown-dev/shakedown/scenarios"
	"github.com/shakedown-dev/shakedown/units"
)

// TestNoMetricsScrapesNothing: a service without a metrics endpoint, run with metrics: none, is
// never scraped, and neither the progress line nor the report speaks of scrapes; the same service
// with the default source is scraped and shows its failed scrapes in both (what none avoids).
func TestNoMetricsScrapesNothing(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("-short: no servers")
	}
	var scrapes atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/metrics" {
			scrapes.Add(1)
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	for _, tt := range []struct {
		metrics       scenarios.Metrics
		wantScrapes   bool
		wantInReport  string
		wantInProgres string
	}{
		{scenarios.Metrics{Source: scenarios.MetricsNone}, false, `id="no-metrics"`, ""},
		{scenarios.Metrics{}, true, "scrapes, ", "metrics: GET " + srv.URL + "/metrics: 404 Not Found"},
	} {
		scrapes.Store(0)
		sc := readyScenario(scenarios.SUT{URL: srv.URL})
		sc.Metrics = tt.metrics
		sc.Phases.Fault = units.Duration(2500 * time.Millisecond)
		var mu sync.Mutex
		var lines []string
		rec, err := run(context.Background(), sc, RunOptions{StateDir: t.TempDir(), ScrapeTick: 200 * time.Millisecond},
			ObserverFuncs{Progress: func(p Progress) { mu.Lock(); lines = append(lines, p.String()); mu.Unlock() }})
		if err != nil {
			t.Fatal(err)
		}
		source := sc.Metrics.SourceName()
		if got := scrapes.Load() > 0; got != tt.wantScrapes {
			t.Errorf("source %s: %d scrapes of /metrics; want some: %v", source, scrapes.Load(), tt.wantScrapes)
		}
		mu.Lock()
		progress := strings.Join(lines, "\n")
		mu.Unlock()
		if len(lines) == 0 || tt.wantInProgres == "" && strings.Contains(progress, "metrics:") || !strings.Contains(progress, tt.wantInProgres) {
			t.Errorf("source %s: progress lines\n%s\nwant them to say %q (and nothing of metrics when it is empty)", source, progress, tt.wantInProgres)
		}
		var html bytes.Buffer
		if err := (reports.HTML{}).Render(&html, reports.NewJournal(rec, nil)); err != nil {
			t.Fatal(err)
		}
		if report := html.String(); !strings.Contains(report, tt.wantInReport) || !tt.wantScrapes && strings.Contains(report, "scrapes") {
			t.Errorf("source %s: the report's environment lacks %q (or speaks of scrapes with none)", source, tt.wantInReport)
		}
		if st := rec.Scrape; !tt.wantScrapes && (st == nil || st.Source != record.SourceNone || st.Attempts != 0) {
			t.Errorf("source none: the record's scrapes %+v; want source none and no attempt", st)
		}
	}
}
