package slo_test

import (
	"fmt"
	"time"

	"github.com/shakedown-dev/shakedown/resilience/slo"
)

func ExampleEvaluate() {
	o, _ := slo.ParseObjective("99.9%")
	// Ten minutes of one-second buckets, 100 requests each; 30 s of total outage from 5m.
	s := slo.Series{Step: time.Second, Buckets: make([]slo.Bucket, 600)}
	for i := range s.Buckets {
		s.Buckets[i] = slo.Bucket{Good: 100, Total: 100}
		if i >= 300 && i < 330 {
			s.Buckets[i].Good = 0
		}
	}
	r := slo.Evaluate(o, s, 10*time.Minute, nil, slo.Thresholds{})
	fmt.Printf("budget %g, bad %.1f%%, %.0fx the budget: %s\n", o.Budget(), r.BadShare*100, r.Consumed, r.Level)
	// Output: budget 0.001, bad 5.0%, 50x the budget: freeze
}
