package scenarios

import (
	"strings"
	"testing"
	"time"
)

const commandBase = `name: x
environment: {services: [redis]}
load: {rate: 10/s, targets: [{url: /}]}
phases: {warmup: 1s, fault: 5s, recovery: 1s}
`

// TestReplicasAndPrometheusSource: a command's replicas from a port, and the prometheus source,
// read into their fields.
func TestReplicasAndPrometheusSource(t *testing.T) {
	t.Parallel()
	s, err := Parse("f.yaml", []byte(commandBase+`sut:
  command: [./shop]
  replicas: 3
  port: 18081
  env: {HTTP_ADDR: ":{{port}}", NODE: "shop-{{replica}}"}
metrics:
  source: prometheus
  keep: [shop_]
  prometheus:
    url: http://127.0.0.1:9090
    selector: '{job="shop", env=~"ci|dev",}'
    step: 2s
    wait: 1m
    headers: {Authorization: Bearer t}
    replica_labels: [pod, instance]
`))
	if err != nil {
		t.Fatal(err)
	}
	p := s.Metrics.Prometheus
	if s.SUT.N() != 3 || s.SUT.Port != 18081 || s.Metrics.SourceName() != MetricsPrometheus || p.URL != "http://127.0.0.1:9090" ||
		p.Step.D() != 2*time.Second || p.Wait.D() != time.Minute || p.Headers["Authorization"] != "Bearer t" || strings.Join(p.Labels(), ",") != "pod,instance" {
		t.Errorf("Parse = sut %+v, metrics %+v, prometheus %+v", s.SUT, s.Metrics, p)
	}
	// The prometheus block alone chooses its source; replica labels default to instance.
	s, err = Parse("f.yaml", []byte(commandBase+"sut: {url: http://127.0.0.1:8080}\nmetrics: {prometheus: {url: 'https://prom.example:9090/sub', selector: '{namespace=\"shop\"}'}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if s.Metrics.SourceName() != MetricsPrometheus || strings.Join(s.Metrics.Prometheus.Labels(), ",") != "instance" || s.SUT.N() != 1 {
		t.Errorf("source %q, replica labels %v, %d instances; want prometheus, [instance], 1", s.Metrics.SourceName(), s.Metrics.Prometheus.Labels(), s.SUT.N())
	}
	if s, err := Parse("f.yaml", []byte(commandBase+"sut: {command: [./shop]}\n")); err != nil || s.Metrics.SourceName() != MetricsScrape {
		t.Errorf("no metrics block: %v, source %q; want scrape", err, s.Metrics.SourceName())
	}
	// A service without metrics says so, in the short form or the long one.
	for _, m := range []string{"none", "{source: none}"} {
		if s, err := Parse("f.yaml", []byte(commandBase+"sut: {command: [./shop]}\nmetrics: "+m+"\n")); err != nil || s.Metrics.SourceName() != MetricsNone {
			t.Errorf("metrics: %s: %v, source %q; want none", m, err, s.Metrics.SourceName())
		}
	}
}

// TestReplicasAndSourceErrors: each bad replicas, port or metrics setting is an error at its
// line, column and field, saying what would be accepted.
func TestReplicasAndSourceErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, src string
		want      []string
	}{
		{"replicas of a builtin and of a url", `name: x
sut: {builtin: agentd, replicas: 3}
load: {rate: 10/s, targets: [{url: /}]}
phases: {fault: 1s}
`, []string{
			`f.yaml:2:34: sut.replicas: 3 with builtin "agentd"; a builtin runs once, in the harness's process: run replicas of a command (sut.command), each on its own {{port}}`,
		}},
		{"replicas of a url", commandBase + "sut: {url: http://127.0.0.1:8080, replicas: 2, port: 9000}\n", []string{
			`f.yaml:5:45: sut.replicas: 2 with url http://127.0.0.1:8080; the harness starts nothing for a url SUT, whose replicas are behind the url: leave replicas out, and read each replica's metrics with metrics.source: prometheus`,
			`f.yaml:5:54: sut.port: 9000; the port is a command's: a builtin and a url SUT have their own`,
		}},
		{"counts and ports", commandBase + "sut: {command: [./shop], replicas: 65, port: 65500}\n", []string{
			`f.yaml:5:36: sut.replicas: 65; want a number of instances from 1 to 64 (0: 1)`,
		}},
		{"port range", commandBase + "sut: {command: [./shop], replicas: 4, port: 65534}\n", []string{
			`f.yaml:5:45: sut.port: 65534; want a port from 1024 to 65532, so that each replica's (port to port+3) is one`,
		}},
		{"a low port", commandBase + "sut: {command: [./shop], port: 80}\n", []string{
			`f.yaml:5:32: sut.port: 80; want a port from 1024 to 65535`,
		}},
		{"an unknown source", commandBase + "sut: {command: [./shop]}\nmetrics: {source: pushgateway}\n", []string{
			`f.yaml:6:19: metrics.source: "pushgateway"; want scrape (the SUT's own metrics endpoint, each replica's), prometheus (a Prometheus server that scrapes the SUT) or none (it exports no metrics)`,
		}},
		{"prometheus without its server", commandBase + "sut: {command: [./shop]}\nmetrics: {source: prometheus, path: /m, headers: {A: b}}\n", []string{
			`f.yaml:6:37: metrics.path: "/m" is the scrape source's; with source prometheus, Prometheus scrapes the SUT where its own configuration says`,
			`f.yaml:6:50: metrics.headers: sent with the scrape source's scrapes; with source prometheus, put the headers Prometheus's API wants in metrics.prometheus.headers`,
			`f.yaml:6:10: metrics.prometheus: missing; the prometheus source wants the server's url and the SUT's selector`,
		}},
		{"a server with scrape", commandBase + "sut: {command: [./shop]}\nmetrics: {source: scrape, prometheus: {url: http://p:9090, selector: '{job=\"a\"}'}}\n", []string{
			`f.yaml:6:39: metrics.prometheus: set, but metrics.source is scrape; want source: prometheus to query this server, or leave prometheus out`,
		}},
		{"bad server settings", commandBase + `sut: {command: [./shop]}
metrics:
  prometheus:
    url: prom:9090
    selector: 'job="shop"'
    step: -1s
    replica_labels: [pod, 2x, pod, __name__]
`, []string{
			`f.yaml:8:10: metrics.prometheus.url: "prom:9090"; want the server's base URL, e.g. http://127.0.0.1:9090`,
			`f.yaml:9:15: metrics.prometheus.selector: "job=\"shop\""; want label matchers in braces, e.g. {job="shop"} or {namespace="shop", app=~"api|worker"}`,
			`f.yaml:10:11: metrics.prometheus.step: duration "-1s" is negative; want 0 or more`,
			`f.yaml:11:27: metrics.prometheus.replica_labels[1]: "2x"; want a label name (letters, digits and _, not starting with a digit), e.g. instance or pod`,
			`f.yaml:11:31: metrics.prometheus.replica_labels[2]: "pod" is named twice`,
			`f.yaml:11:36: metrics.prometheus.replica_labels[3]: "__name__"; want a label name`,
		}},
		{"a word that is not none", commandBase + "sut: {command: [./shop]}\nmetrics: nothing\n", []string{
			`f.yaml:6:10: metrics: "nothing"; want none (the service exports no metrics) or a mapping such as {source: scrape, path: /metrics}`,
		}},
		{"none with a source's fields", commandBase + "sut: {command: [./shop]}\nmetrics: {source: none, path: /m, keep: [shop_]}\n", []string{
			`f.yaml:6:31: metrics.path: set, but metrics.source is none: nothing is collected; leave it out, or name a source (scrape or prometheus)`,
			`f.yaml:6:41: metrics.keep: set, but metrics.source is none`,
		}},
		{"none with verdicts that read series", commandBase + `sut: {command: [./shop]}
metrics: none
faults: [{name: f, type: latency, target: redis, latency: 1s}]
assertions:
  - {name: up, type: availability, min: 90%}
  - {name: cache, type: breaker, breaker: cache, opens_within: 1s}
  - {name: m, type: metric, metric: shop_orders_total, op: increases}
  - {name: seen, type: noticed, fault: f, failures: {name: shop_failed_total}, min: 50%}
`, []string{
			`f.yaml:10:5: assertions[1]: breaker verdict "cache" reads the service's series resilience_circuit_breaker_state, but metrics.source is none: nothing would be collected for it to judge; give a source (scrape or prometheus) or drop the verdict`,
			`f.yaml:11:5: assertions[2]: metric verdict "m" reads the service's series shop_orders_total`,
			`f.yaml:12:5: assertions[3]: noticed verdict "seen" reads the service's series shop_failed_total`,
		}},
		{"no selector", commandBase + "sut: {command: [./shop]}\nmetrics: {prometheus: {url: http://p:9090}}\n", []string{
			`metrics.prometheus.selector: ""; want label matchers in braces`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			wantParseErrors(t, tt.src, tt.want)
		})
	}
}

func TestCheckSelector(t *testing.T) {
	t.Parallel()
	for sel, want := range map[string]string{
		`{job="shop"}`:                       "",
		` { job = "shop" , env !~ 'dev.*' }`: "",
		"{job=`a,b`, x=\"q\\\"r,\"}":         "",
		`{job="a",}`:                         "",
		`{}`:                                 "has no matcher",
		`job="shop"`:                         "want label matchers in braces",
		`{job=shop}`:                         `"job=shop" is not a label matcher`,
		`{job="a" env="b"}`:                  "is not a label matcher",
		`{job="a",,env="b"}`:                 `"" is not a label matcher`,
		`{__name__="up", job="a"}`:           "leave __name__ out",
		`{job=~"a"`:                          "want label matchers in braces",
	} {
		err := CheckSelector(sel)
		switch {
		case want == "" && err != nil:
			t.Errorf("CheckSelector(%s) = %v; want nil", sel, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("CheckSelector(%s) = %v; want an error saying %q", sel, err, want)
		}
	}
}

// FuzzCheckSelector: the selector check never panics, and a selector it accepts has its braces.
func FuzzCheckSelector(f *testing.F) {
	for _, s := range []string{`{job="shop"}`, `{a=~'x', b!="y\"z"}`, "{a=`,`}", `{`, `}`, `{,}`, `{a="\`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if CheckSelector(s) == nil {
			tr := strings.TrimSpace(s)
			if !strings.HasPrefix(tr, "{") || !strings.HasSuffix(tr, "}") {
				t.Errorf("CheckSelector(%q) accepted a selector without braces", s)
			}
		}
	})
}
