package harness

import (
	"slices"
	"testing"
	"time"

	"github.com/shakedown-dev/shakedown/record"
)

// TestSeriesStoreAcrossReplicas: across replicas a breaker is the worst replica's state (as its
// mapping reads the values: gobreaker's open is 2, the core's half-open is 2), readiness the least
// ready replica's, and every other series the sum of the replicas that have it at that instant;
// each replica's own series keep an instance label, and only a change across the replicas is a
// breaker event.
func TestSeriesStoreAcrossReplicas(t *testing.T) {
	t.Parallel()
	gobreaker := record.BreakerMapping{Series: "gobreaker_state", Label: "name", Open: []float64{2}, Closed: []float64{0}}
	breaker := func(v float64) sample {
		return sample{name: record.BreakerSeries, labels: map[string]string{"name": "redis"}, value: v}
	}
	tests := []struct {
		name   string
		at     map[string][]sample
		series string
		labels map[string]string
		want   float64
	}{
		{"one replica open of three is open", map[string][]sample{"a": {breaker(0)}, "b": {breaker(0)}, "c": {breaker(record.BreakerOpen.Value())}},
			record.BreakerSeries, map[string]string{"name": "redis"}, record.BreakerOpen.Value()},
		{"open beats half-open though half-open's value is higher", map[string][]sample{"a": {breaker(record.BreakerHalfOpen.Value())}, "b": {breaker(record.BreakerOpen.Value())}},
			record.BreakerSeries, map[string]string{"name": "redis"}, record.BreakerOpen.Value()},
		{"half-open beats closed", map[string][]sample{"a": {breaker(record.BreakerClosed.Value())}, "b": {breaker(record.BreakerHalfOpen.Value())}},
			record.BreakerSeries, map[string]string{"name": "redis"}, record.BreakerHalfOpen.Value()},
		{"another library's mapping: open is 2, half-open 1", map[string][]sample{
			"a": {{name: "gobreaker_state", labels: map[string]string{"name": "db"}, value: 2}},
			"b": {{name: "gobreaker_state", labels: map[string]string{"name": "db"}, value: 1}}},
			"gobreaker_state", map[string]string{"name": "db"}, 2},
		{"counters are summed, by their labels", map[string][]sample{
			"a": {{name: "reqs_total", labels: map[string]string{"code": "200"}, value: 10}, {name: "reqs_total", labels: map[string]string{"code": "503"}, value: 4}},
			"b": {{name: "reqs_total", labels: map[string]string{"code": "200"}, value: 7}},
			"c": {{name: "reqs_total", labels: map[string]string{"code": "200"}, value: 5}}},
			"reqs_total", map[string]string{"code": "200"}, 22},
		{"readiness is every replica's", map[string][]sample{"a": {{name: record.ReadySeries, value: 1}}, "b": {{name: record.ReadySeries, value: 0}}},
			record.ReadySeries, nil, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rec := record.NewRecorder(time.Now(), record.ScenarioInfo{}, 1)
			newSeriesStore(record.WithCoreBreakers([]record.BreakerMapping{gobreaker}), true).put(rec, 0, tc.at)
			r := rec.Finish(record.StatusCompleted, nil)
			got := r.FindSeries(tc.series, tc.labels)
			if len(got) != 1 || len(got[0].Points) != 1 || got[0].Points[0].Value != tc.want {
				t.Fatalf("put(%v): %s%v across replicas = %+v; want one point %g", tc.at, tc.series, tc.labels, got, tc.want)
			}
			var n int
			for in, samples := range tc.at {
				for _, s := range samples {
					labels := map[string]string{record.InstanceLabel: in}
					for k, v := range s.labels {
						labels[k] = v
					}
					found := slices.ContainsFunc(r.ReplicaSeries, func(rs record.Series) bool {
						return rs.Key() == record.SeriesKey(s.name, labels) && rs.Points[0].Value == s.value
					})
					if !found {
						t.Errorf("replica %s's %s = %g is not in the replica series %+v", in, record.SeriesKey(s.name, labels), s.value, r.ReplicaSeries)
					}
					n++
				}
			}
			if len(r.ReplicaSeries) != n {
				t.Errorf("%d replica series; want %d, one per replica's sample", len(r.ReplicaSeries), n)
			}
		})
	}

	t.Run("events follow the state across replicas", func(t *testing.T) {
		t.Parallel()
		rec := record.NewRecorder(time.Now(), record.ScenarioInfo{}, 1)
		st := newSeriesStore(record.WithCoreBreakers(nil), true)
		for i, states := range [][3]float64{{0, 0, 0}, {0, 0, 1}, {1, 0, 1}, {0, 0, 2}, {0, 0, 0}} {
			at := map[string][]sample{}
			for k, v := range states {
				at[string(rune('a'+k))] = []sample{breaker(v)}
			}
			st.put(rec, record.Duration(i)*record.Duration(time.Second), at)
		}
		var got []string
		for _, e := range rec.Finish(record.StatusCompleted, nil).Events {
			if e.Kind == record.EventBreaker && e.Subject == "redis" {
				got = append(got, e.Value)
			}
		}
		if want := []string{"closed", "open", "half-open", "closed"}; !slices.Equal(got, want) {
			t.Errorf("breaker events %v; want %v (a second replica opening changes nothing across them)", got, want)
		}
	})

	t.Run("one replica: no replica series", func(t *testing.T) {
		t.Parallel()
		rec := record.NewRecorder(time.Now(), record.ScenarioInfo{}, 1)
		newSeriesStore(nil, false).put(rec, 0, map[string][]sample{"a": {breaker(1)}})
		if r := rec.Finish(record.StatusCompleted, nil); len(r.ReplicaSeries) != 0 || len(r.Series) != 1 || len(r.Instances()) != 0 {
			t.Errorf("one replica: series %+v, replica series %+v; want the one series and no replica series", r.Series, r.ReplicaSeries)
		}
	})
}
