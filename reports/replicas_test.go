package reports

import (
	"bytes"
	"strings"
	"testing"

	"github.com/shakedown-dev/shakedown/record"
)

// TestHTMLShowsReplicas: a record with each replica's series shows each replica's breaker as a
// band of its own (the one that opened in the open colour), the replicas, and the Prometheus
// source it was read from, its password redacted.
func TestHTMLShowsReplicas(t *testing.T) {
	t.Parallel()
	j := sample()
	r := j.Record
	r.Env.Replicas = []string{"http://127.0.0.1:8081", "http://127.0.0.1:8082", "http://127.0.0.1:8083"}
	r.Scrape = &record.ScrapeStats{Source: record.SourcePrometheus, URL: "http://admin:pr0m@127.0.0.1:9090", Query: `{job="shop", __name__=~"(?:resilience_).*"}`,
		Instances: []string{"127.0.0.1:8081", "127.0.0.1:8082", "127.0.0.1:8083"}, Attempts: 12}
	for i, in := range r.Scrape.Instances {
		s := record.Series{Name: record.BreakerSeries, Labels: map[string]string{"name": "ollama", record.InstanceLabel: in}}
		for at := record.Duration(0); at < 30*sec; at += sec {
			v := record.BreakerClosed.Value()
			if i == 1 && at >= 12*sec && at < 22*sec {
				v = record.BreakerOpen.Value()
			}
			s.Points = append(s.Points, record.Point{At: at, Value: v})
		}
		r.ReplicaSeries = append(r.ReplicaSeries, s)
	}
	var b bytes.Buffer
	if err := (HTML{}).Render(&b, NewJournal(r, j.Verdicts)); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"circuit breaker states per replica", "circuit breaker states across the replicas (the worst replica&#39;s)",
		"ollama @ 127.0.0.1:8081", "ollama @ 127.0.0.1:8082", "ollama @ 127.0.0.1:8083",
		`<title>ollama @ 127.0.0.1:8082 open from 12s</title>`,
		"3, the load spread over them round-robin", "3 replicas: <code>127.0.0.1:8081</code>",
		"read from Prometheus at http://admin:***@127.0.0.1:9090", "12 API requests",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the report lacks %q", want)
		}
	}
	if strings.Contains(out, "pr0m") {
		t.Error("the report shows the Prometheus password")
	}
	if strings.Contains(out, "ollama @ 127.0.0.1:8081 open") {
		t.Error("replica 8081's breaker never opened, yet its band shows open")
	}
}
