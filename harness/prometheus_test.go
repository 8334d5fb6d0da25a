package harness

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shakedown-dev/shakedown/record"
	"github.com/shakedown-dev/shakedown/scenarios"
)

// fakeAPI answers the parts of Prometheus's HTTP API that the source asks (the wire format is
// Prometheus's), from a state the test moves: when each replica was last scraped. The real
// server is in TestReplicasAcrossSources; this one makes the waits' edges exact.
type fakeAPI struct {
	mu       sync.Mutex
	scraped  map[string]time.Time // instance -> its last scrape
	queries  []string             // every query, in order; a range query as "range:" + query
	onQuery  func(n int)          // called with the number of instant queries so far
	rangeRes string               // the result of a range query
	badData  bool
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	w.Header().Set("Content-Type", "application/json")
	f.mu.Lock()
	defer f.mu.Unlock()
	q := r.Form.Get("query")
	switch {
	case f.badData:
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"status":"error","errorType":"bad_data","error":"1:2: parse error: unexpected character"}`)
	case r.URL.Path == "/api/v1/query":
		f.queries = append(f.queries, q)
		var res []string
		for in, at := range f.scraped {
			v := "1"
			if strings.Contains(q, "timestamp(") {
				v = fmt.Sprintf("%.3f", float64(at.UnixMilli())/1000)
			}
			res = append(res, fmt.Sprintf(`{"metric":{"instance":%q},"value":[%.3f,%q]}`, in, float64(time.Now().UnixMilli())/1000, v))
		}
		fmt.Fprintf(w, `{"status":"success","data":{"resultType":"vector","result":[%s]}}`, strings.Join(res, ","))
		if f.onQuery != nil {
			f.onQuery(len(f.queries))
		}
	case r.URL.Path == "/api/v1/query_range":
		f.queries = append(f.queries, "range:"+q)
		fmt.Fprintf(w, `{"status":"success","data":{"resultType":"matrix","result":[%s]}}`, f.rangeRes)
	case r.URL.Path == "/api/v1/targets":
		fmt.Fprint(w, `{"status":"success","data":{"activeTargets":[{"labels":{"job":"shop","instance":"a:1"},"health":"up","lastError":""}],"droppedTargets":[]}}`)
	default:
		w.WriteHeader(http.StatusNotFound)
	}
}

// TestPrometheusCollectWaitsForTheEnd: the range query is asked only once every replica was
// scraped at or after the load's end; its samples reach the record across replicas and per
// replica, buckets and quantiles left out, job and instance not among the labels across them.
func TestPrometheusCollectWaitsForTheEnd(t *testing.T) {
	t.Parallel()
	// Prometheus's times are in milliseconds.
	rec := record.NewRecorder(time.Now().Add(-10*time.Second).Truncate(time.Millisecond), record.ScenarioInfo{}, 1)
	from, to := rec.Start(), time.Now()
	ts := func(d time.Duration) string { return fmt.Sprintf("%.3f", float64(from.Add(d).UnixMilli())/1000) }
	f := &fakeAPI{scraped: map[string]time.Time{"a:1": to.Add(-500 * time.Millisecond), "b:2": to.Add(-300 * time.Millisecond)}}
	f.rangeRes = strings.Join([]string{
		`{"metric":{"__name__":"resilience_circuit_breaker_state","name":"redis","job":"shop","instance":"a:1"},"values":[[` + ts(time.Second) + `,"0"],[` + ts(2*time.Second) + `,"0"]]}`,
		`{"metric":{"__name__":"resilience_circuit_breaker_state","name":"redis","job":"shop","instance":"b:2"},"values":[[` + ts(time.Second) + `,"0"],[` + ts(2*time.Second) + `,"1"]]}`,
		`{"metric":{"__name__":"reqs_total","code":"200","job":"shop","instance":"a:1"},"values":[[` + ts(time.Second) + `,"3"],[` + ts(2*time.Second) + `,"5"]]}`,
		`{"metric":{"__name__":"reqs_total","code":"200","job":"shop","instance":"b:2"},"values":[[` + ts(time.Second) + `,"4"],[` + ts(2*time.Second) + `,"6"]]}`,
		`{"metric":{"__name__":"lat_seconds_bucket","le":"0.1","job":"shop","instance":"a:1"},"values":[[` + ts(time.Second) + `,"1"]]}`,
		`{"metric":{"__name__":"lat_seconds_count","job":"shop","instance":"a:1"},"values":[[` + ts(time.Second) + `,"1"]]}`,
		`{"metric":{"__name__":"rpc_seconds","quantile":"0.9","job":"shop","instance":"a:1"},"values":[[` + ts(time.Second) + `,"0.2"]]}`,
		`{"metric":{"__name__":"rpc_seconds_count","job":"shop","instance":"a:1"},"values":[[` + ts(time.Second) + `,"7"]]}`,
	}, ",")
	// The third answer about the replicas' last scrapes is the first with both at or after the end.
	f.onQuery = func(n int) {
		if n == 2 {
			f.scraped = map[string]time.Time{"a:1": to, "b:2": to.Add(time.Second)}
		}
	}
	srv := httptest.NewServer(f)
	defer srv.Close()
	p := &promSource{URL: srv.URL, Selector: `{job="shop"}`, Step: time.Second, Wait: 30 * time.Second, ReplicaLabels: scenarios.DefaultReplicaLabels, Keep: []string{"resilience_", "reqs_", "lat_", "rpc_"}, Breakers: record.WithCoreBreakers(nil)}
	if err := p.collect(context.Background(), rec, from, to); err != nil {
		t.Fatalf("Collect: %v", err)
	}
	f.mu.Lock()
	queries := f.queries
	f.mu.Unlock()
	want := []string{p.lastQuery(), p.lastQuery(), p.lastQuery(), "range:" + p.rangeQuery()}
	if strings.Join(queries, "\n") != strings.Join(want, "\n") {
		t.Errorf("queries:\n  %s\nwant\n  %s", strings.Join(queries, "\n  "), strings.Join(want, "\n  "))
	}
	if want := `max by (instance) (timestamp({job="shop", __name__="up"}))`; p.lastQuery() != want {
		t.Errorf("lastQuery() = %s; want %s", p.lastQuery(), want)
	}
	if want := `{job="shop", __name__=~"(?:resilience_|reqs_|lat_|rpc_).*"}`; p.rangeQuery() != want {
		t.Errorf("rangeQuery() = %s; want %s", p.rangeQuery(), want)
	}
	r := rec.Finish(record.StatusCompleted, nil)
	check := func(what string, series []record.Series, key string, want ...float64) {
		t.Helper()
		for _, s := range series {
			if s.Key() != key {
				continue
			}
			var got []float64
			for _, p := range s.Points {
				got = append(got, p.Value)
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s %s = %v; want %v", what, key, got, want)
			}
			return
		}
		t.Errorf("%s: no %s among %d series", what, key, len(series))
	}
	check("across replicas", r.Series, `resilience_circuit_breaker_state{name="redis"}`, 0, 1)
	check("across replicas", r.Series, `reqs_total{code="200"}`, 7, 11)
	check("replica b:2", r.ReplicaSeries, `resilience_circuit_breaker_state{instance="b:2",name="redis"}`, 0, 1)
	check("replica a:1", r.ReplicaSeries, `reqs_total{code="200",instance="a:1"}`, 3, 5)
	check("across replicas", r.Series, `lat_seconds_count`, 1)
	check("across replicas", r.Series, `rpc_seconds_count`, 7)
	for _, s := range append(r.Series, r.ReplicaSeries...) {
		if s.Name == "lat_seconds_bucket" || s.Name == "rpc_seconds" || s.Labels["job"] != "" {
			t.Errorf("series %s: buckets, quantiles and job are left out", s.Key())
		}
	}
	if at := r.FindSeries(record.BreakerSeries, nil)[0].Points[1].At; at != record.Duration(2*time.Second) {
		t.Errorf("the second point is at %s; want 2s, its time less the record's start", at.D())
	}
	if st := r.Scrape; st == nil || st.Source != record.SourcePrometheus || st.Attempts != 4 || st.Failed != 0 || strings.Join(st.Instances, ",") != "a:1,b:2" {
		t.Errorf("Scrape = %+v; want the prometheus source, 4 requests, instances a:1 and b:2", st)
	}
	if !slicesContainEvent(r.Events, "redis", "open") {
		t.Errorf("events %+v; want the breaker open across replicas", r.Events)
	}
}

func slicesContainEvent(es []record.Event, subject, value string) bool {
	for _, e := range es {
		if e.Kind == record.EventBreaker && e.Subject == subject && e.Value == value {
			return true
		}
	}
	return false
}

// TestPrometheusCollectGivesUp: a replica never scraped after the end stops the wait after Wait,
// with an error that says which replica lags by how much and what the server scrapes; a query
// the server refuses as bad data stops it at once.
func TestPrometheusCollectGivesUp(t *testing.T) {
	t.Parallel()
	t.Run("lagging", func(t *testing.T) {
		t.Parallel()
		to := time.Now()
		f := &fakeAPI{scraped: map[string]time.Time{"a:1": to.Add(time.Second), "b:2": to.Add(-1500 * time.Millisecond)}}
		srv := httptest.NewServer(f)
		defer srv.Close()
		p := &promSource{URL: srv.URL, Selector: `{job="shop"}`, ReplicaLabels: scenarios.DefaultReplicaLabels, Step: time.Second, Wait: 500 * time.Millisecond}
		rec := record.NewRecorder(to.Add(-time.Minute), record.ScenarioInfo{}, 1)
		start := time.Now()
		err := p.collect(context.Background(), rec, to.Add(-time.Minute), to)
		took := time.Since(start)
		for _, want := range []string{"no scrape of every replica at or after the load's end", "b:2 last scraped 1.5s before the end", "a:1 scraped 1s after the end",
			"not within 500ms", `{job="shop", instance="a:1"} up`} {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("Collect = %v; want it to say %q", err, want)
			}
		}
		if took < 500*time.Millisecond || took > 10*time.Second {
			t.Errorf("Collect gave up after %s; want after its wait of 500ms", took)
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		for _, q := range f.queries {
			if strings.HasPrefix(q, "range:") {
				t.Errorf("the range query was asked before every replica was scraped after the end")
			}
		}
	})
	t.Run("bad data", func(t *testing.T) {
		t.Parallel()
		srv := httptest.NewServer(&fakeAPI{badData: true})
		defer srv.Close()
		p := &promSource{URL: srv.URL, Selector: `{job="shop"}`, ReplicaLabels: scenarios.DefaultReplicaLabels, Step: time.Second, Wait: time.Hour}
		rec := record.NewRecorder(time.Now(), record.ScenarioInfo{}, 1)
		err := p.ready(context.Background(), rec, 1)
		if err == nil || !strings.Contains(err.Error(), "refused") || !strings.Contains(err.Error(), "bad_data") {
			t.Errorf("Ready = %v; want the refusal at once", err)
		}
	})
}

// TestPrometheusReadyNamesTheTargets: against a real Prometheus, a selector that matches none of
// its targets stops the run before the load, within the wait, naming the selector and the
// server's targets.
func TestPrometheusReadyNamesTheTargets(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("-short: no servers")
	}
	target := fmt.Sprintf("127.0.0.1:%d", freePorts(t, 1)) // nothing listens there
	url := startPrometheus(t, []string{target})
	p := &promSource{URL: url, Selector: `{job="nope"}`, ReplicaLabels: scenarios.DefaultReplicaLabels, Step: time.Second, Wait: time.Second}
	rec := record.NewRecorder(time.Now(), record.ScenarioInfo{}, 1)
	start := time.Now()
	err := p.ready(context.Background(), rec, 3)
	for _, want := range []string{"metrics: prometheus " + url, "fewer than 3 replica(s) up in max by (instance) ({job=\"nope\", __name__=\"up\"})",
		"it has no target", fmt.Sprintf(`{job="shop", instance=%q}`, target)} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Ready = %v; want it to say %q", err, want)
		}
	}
	if took := time.Since(start); took > 15*time.Second {
		t.Errorf("Ready gave up after %s; want after its wait of 1s", took)
	}
	if st := rec.Finish(record.StatusCompleted, nil).Scrape; st == nil || st.Attempts == 0 || st.Source != record.SourcePrometheus {
		t.Errorf("Scrape = %+v; want the requests to the server counted", st)
	}
}
