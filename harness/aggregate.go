package harness

import (
	"maps"
	"slices"

	"github.com/shakedown-dev/shakedown/record"
)

// sample is one value of one series of one replica at one instant, its labels the SUT's own
// (no instance label).
type sample struct {
	name   string
	labels map[string]string
	value  float64
}

// seriesStore puts the samples of every replica at one instant into a record: each replica's
// own series (Record.ReplicaSeries, with an instance label) when there is more than one, and the
// series across the replicas (Record.Series), which the verdicts read. Both metrics sources store
// through it, so a record has one shape whichever source filled it. Across replicas a breaker
// state series is the worst replica's (open, else half-open, else closed, as the series' mapping
// reads the values), the readiness probe's is the least ready replica's, and every other series
// (counters, gauges, a histogram's _count and _sum) is the sum over the replicas that have it at
// that instant, as Prometheus's sum without(instance) is. Changes of a breaker's state across
// the replicas become "breaker" events. Not safe for concurrent use: one source, one goroutine.
type seriesStore struct {
	breakers   []record.BreakerMapping
	perReplica bool
	last       map[string]float64 // breaker series key -> its last value across the replicas
}

// newSeriesStore returns a store that reads breakers as breaker state series (none: no series is
// a breaker's).
func newSeriesStore(breakers []record.BreakerMapping, perReplica bool) *seriesStore {
	return &seriesStore{breakers: breakers, perReplica: perReplica, last: map[string]float64{}}
}

// breaker returns the mapping of a breaker state series, or nil.
func (s *seriesStore) breaker(name string) *record.BreakerMapping {
	for i := range s.breakers {
		if s.breakers[i].Series == name {
			return &s.breakers[i]
		}
	}
	return nil
}

// put stores the samples each replica (by instance) had at at.
func (s *seriesStore) put(rec *record.Recorder, at record.Duration, byInstance map[string][]sample) {
	across := map[string]*sample{}
	for _, in := range slices.Sorted(maps.Keys(byInstance)) {
		for _, x := range byInstance[in] {
			if s.perReplica {
				labels := maps.Clone(x.labels)
				if labels == nil {
					labels = map[string]string{}
				}
				labels[record.InstanceLabel] = in
				rec.AddReplicaSample(at, x.name, labels, x.value)
			}
			key := record.SeriesKey(x.name, x.labels)
			a := across[key]
			if a == nil {
				across[key] = &x
				continue
			}
			switch m := s.breaker(x.name); {
			case m != nil:
				if sv, sa := m.State(x.value).Severity(), m.State(a.value).Severity(); sv > sa || sv == sa && x.value > a.value {
					a.value = x.value
				}
			case x.name == record.ReadySeries:
				a.value = min(a.value, x.value)
			default:
				a.value += x.value
			}
		}
	}
	for _, key := range slices.Sorted(maps.Keys(across)) {
		a := across[key]
		rec.AddSample(at, a.name, a.labels, a.value)
		m := s.breaker(a.name)
		if m == nil {
			continue
		}
		if prev, seen := s.last[key]; !seen || prev != a.value {
			rec.AddEvent(record.Event{At: at, Kind: record.EventBreaker, Subject: a.labels[m.Label], Value: m.State(a.value).String()})
			s.last[key] = a.value
		}
	}
}
