package reports

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
)

// TestPush: the results reach a Pushgateway (a fake one that decodes what it is sent) in the
// scenario's group, with a gauge per verdict.
func TestPush(t *testing.T) {
	t.Parallel()
	var path, method string
	families := map[string]*dto.MetricFamily{}
	gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path, method = r.URL.Path, r.Method
		dec := expfmt.NewDecoder(r.Body, expfmt.ResponseFormat(r.Header))
		for {
			var mf dto.MetricFamily
			if err := dec.Decode(&mf); err != nil {
				break
			}
			families[mf.GetName()] = &mf
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer gw.Close()
	j := sample()
	j.Record.Scenario.Name = "llm-down"
	if err := Push(context.Background(), gw.URL, j); err != nil {
		t.Fatal(err)
	}
	if method != http.MethodPut || path != "/metrics/job/shakedown/scenario/llm-down" {
		t.Errorf("%s %s; want PUT to the scenario's group", method, path)
	}
	passed := families["shakedown_verdict_passed"]
	if passed == nil || len(passed.Metric) != 3 {
		t.Fatalf("shakedown_verdict_passed: %v; want one series per verdict", passed)
	}
	got := map[string]float64{}
	for _, m := range passed.Metric {
		for _, l := range m.Label {
			if l.GetName() == "verdict" {
				got[l.GetValue()] = m.GetGauge().GetValue()
			}
		}
	}
	if got["breaker opens"] != 1 || got["no 5xx <storm>"] != 0 {
		t.Errorf("verdicts pushed: %v", got)
	}
	if s := families["shakedown_run_success"]; s == nil || s.Metric[0].GetGauge().GetValue() != 0 {
		t.Errorf("shakedown_run_success: %v; want 0 (a verdict failed)", s)
	}
	if err := Push(context.Background(), "http://127.0.0.1:1", j); err == nil || !strings.Contains(err.Error(), "Pushgateway") {
		t.Errorf("push to nothing: %v", err)
	}
}
