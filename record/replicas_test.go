package record

import (
	"encoding/json"
	"slices"
	"testing"
	"time"
)

// TestReplicaSeries: each replica's samples go to its own series, apart from the series the
// verdicts read; the finished record holds copies (samples added later change nothing), lists
// the replicas, and keeps them through its JSON form.
func TestReplicaSeries(t *testing.T) {
	t.Parallel()
	r := NewRecorder(time.Now(), ScenarioInfo{Name: "x"}, 1)
	for i, in := range []string{"b:2", "a:1", "b:2"} {
		r.AddReplicaSample(Duration(i), BreakerSeries, map[string]string{"name": "redis", InstanceLabel: in}, float64(i))
	}
	r.AddSample(0, BreakerSeries, map[string]string{"name": "redis"}, 1)
	r.SetSUT("http://a:1", []string{"http://a:1", "http://b:2"})
	rec := r.Finish(StatusCompleted, nil)
	r.AddReplicaSample(9, BreakerSeries, map[string]string{"name": "redis", InstanceLabel: "a:1"}, 9)
	r.SetSUT("http://changed:1", []string{"http://changed:1", "http://b:2"})
	if got := rec.Instances(); !slices.Equal(got, []string{"a:1", "b:2"}) {
		t.Errorf("Instances() = %v; want [a:1 b:2]", got)
	}
	if len(rec.ReplicaSeries) != 2 || len(rec.ReplicaSeries[0].Points) != 2 || len(rec.ReplicaSeries[1].Points) != 1 {
		t.Errorf("ReplicaSeries = %+v; want b:2 with two points and a:1 with one, nothing added after Finish", rec.ReplicaSeries)
	}
	if len(rec.FindSeries(BreakerSeries, nil)) != 1 || rec.Env.Replicas[0] != "http://a:1" {
		t.Errorf("Series %+v, Env.Replicas %v; want the one series across replicas and the replicas as they were", rec.Series, rec.Env.Replicas)
	}
	b, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	var back Record
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(back.Instances(), rec.Instances()) || !slices.Equal(back.Env.Replicas, rec.Env.Replicas) {
		t.Errorf("through JSON: instances %v, replicas %v", back.Instances(), back.Env.Replicas)
	}
}
