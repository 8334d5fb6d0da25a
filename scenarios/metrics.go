package scenarios

import (
	"fmt"

	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/shakedown-dev/shakedown/assertions"
)

// SourceName returns the metrics source that runs: Source, or prometheus when Prometheus is
// given, else scrape.
func (m Metrics) SourceName() string {
	switch {
	case m.Source != "":
		return m.Source
	case m.Prometheus != nil:
		return MetricsPrometheus
	}
	return MetricsScrape
}

// DefaultReplicaLabels are the labels that tell a Prometheus source's replicas apart when the
// scenario names none: Prometheus's own instance label.
var DefaultReplicaLabels = []string{"instance"}

// Labels returns the replica labels: ReplicaLabels, or DefaultReplicaLabels.
func (p *PrometheusSource) Labels() []string {
	if len(p.ReplicaLabels) == 0 {
		return DefaultReplicaLabels
	}
	return p.ReplicaLabels
}

// fromScalar reads the short form metrics: none.
func (m *Metrics) fromScalar(v string) error {
	if v != MetricsNone {
		return fmt.Errorf("%q; want none (the service exports no metrics) or a mapping such as {source: scrape, path: /metrics}", v)
	}
	m.Source = MetricsNone
	return nil
}

// checkMetrics checks the metrics block: a known source, and each source's own fields.
func (s *Scenario) checkMetrics() []problem {
	var ps []problem
	add := func(path, format string, a ...any) { ps = append(ps, problem{path, fmt.Sprintf(format, a...)}) }
	m := s.Metrics
	switch m.SourceName() {
	case MetricsScrape:
		if m.Prometheus != nil {
			add("metrics.prometheus", "set, but metrics.source is scrape; want source: prometheus to query this server, or leave prometheus out")
		}
		return ps
	case MetricsNone:
		return s.checkNoMetrics()
	case MetricsPrometheus:
	default:
		add("metrics.source", "%q; want scrape (the SUT's own metrics endpoint, each replica's), prometheus (a Prometheus server that scrapes the SUT) or none (it exports no metrics)", m.Source)
		return ps
	}
	if m.Path != "" {
		add("metrics.path", "%q is the scrape source's; with source prometheus, Prometheus scrapes the SUT where its own configuration says", m.Path)
	}
	if len(m.Headers) > 0 {
		add("metrics.headers", "sent with the scrape source's scrapes; with source prometheus, put the headers Prometheus's API wants in metrics.prometheus.headers")
	}
	p := m.Prometheus
	if p == nil {
		add("metrics.prometheus", `missing; the prometheus source wants the server's url and the SUT's selector, e.g. {url: http://127.0.0.1:9090, selector: '{job="shop"}'}`)
		return ps
	}
	if u, err := url.Parse(p.URL); p.URL == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		add("metrics.prometheus.url", "%q; want the server's base URL, e.g. http://127.0.0.1:9090", p.URL)
	}
	if err := CheckSelector(p.Selector); err != nil {
		add("metrics.prometheus.selector", "%v", err)
	}
	if p.Step < 0 {
		add("metrics.prometheus.step", "%s; want a duration of 0 (the scrape tick, 1s) or more", p.Step)
	}
	if p.Wait < 0 {
		add("metrics.prometheus.wait", "%s; want a duration of 0 (30s) or more", p.Wait)
	}
	for i, l := range p.ReplicaLabels {
		path := fmt.Sprintf("metrics.prometheus.replica_labels[%d]", i)
		switch {
		case !labelNameRE.MatchString(l) || l == "__name__":
			add(path, "%q; want a label name (letters, digits and _, not starting with a digit), e.g. instance or pod", l)
		case slices.Index(p.ReplicaLabels, l) < i:
			add(path, "%q is named twice", l)
		}
	}
	return ps
}

// checkNoMetrics checks a scenario whose service exports no metrics: no field of a source, and no
// verdict that reads the service's series (it would have nothing to judge).
func (s *Scenario) checkNoMetrics() []problem {
	var ps []problem
	m := s.Metrics
	for _, f := range []struct {
		path string
		set  bool
	}{{"metrics.path", m.Path != ""}, {"metrics.headers", len(m.Headers) > 0}, {"metrics.keep", len(m.Keep) > 0}, {"metrics.prometheus", m.Prometheus != nil}} {
		if f.set {
			ps = append(ps, problem{f.path, "set, but metrics.source is none: nothing is collected; leave it out, or name a source (scrape or prometheus)"})
		}
	}
	for i, a := range s.Assertions {
		if r, ok := a.(assertions.SeriesReader); ok {
			ps = append(ps, problem{fmt.Sprintf("assertions[%d]", i), fmt.Sprintf("%s verdict %q reads the service's series %s, but metrics.source is none: nothing would be collected for it to judge; give a source (scrape or prometheus) or drop the verdict",
				a.Kind(), a.Base().Name, strings.Join(r.ReadsSeries(), ", "))})
		}
	}
	return ps
}

var (
	labelNameRE = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)
	// matcherRE is one label matcher: a name, an operator and a quoted value.
	matcherRE = regexp.MustCompile(`^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|` + "`[^`]*`" + `)\s*$`)
)

// CheckSelector checks a Prometheus source's selector: label matchers in braces
// ('{job="shop", env!="dev"}'), at least one, without __name__ (the harness adds the names of the
// families it keeps). Prometheus checks the values' regular expressions when it is asked.
func CheckSelector(sel string) error {
	const want = `want label matchers in braces, e.g. {job="shop"} or {namespace="shop", app=~"api|worker"}`
	s := strings.TrimSpace(sel)
	if !strings.HasPrefix(s, "{") || !strings.HasSuffix(s, "}") {
		return fmt.Errorf("%q; %s", sel, want)
	}
	ms := splitMatchers(s[1 : len(s)-1])
	if len(ms) == 0 {
		return fmt.Errorf("%q has no matcher; %s", sel, want)
	}
	for _, m := range ms {
		g := matcherRE.FindStringSubmatch(m)
		switch {
		case g == nil:
			return fmt.Errorf("%q: %q is not a label matcher (name, one of = != =~ !~, a quoted value); %s", sel, strings.TrimSpace(m), want)
		case g[1] == "__name__":
			return fmt.Errorf("%q: leave __name__ out; the harness adds the names of the families it keeps (metrics.keep)", sel)
		}
	}
	return nil
}

// splitMatchers splits the inside of a selector at the commas outside quotes; a trailing comma
// is allowed, as Prometheus allows it.
func splitMatchers(s string) []string {
	var out []string
	var quote rune
	start, escaped := 0, false
	for i, r := range s {
		switch {
		case escaped:
			escaped = false
		case quote != 0 && r == '\\' && quote != '`':
			escaped = true
		case quote != 0 && r == quote:
			quote = 0
		case quote == 0 && (r == '"' || r == '\'' || r == '`'):
			quote = r
		case quote == 0 && r == ',':
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	if last := s[start:]; strings.TrimSpace(last) != "" || len(out) == 0 && strings.TrimSpace(s) != "" {
		out = append(out, last)
	}
	return out
}
