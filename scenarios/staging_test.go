package scenarios

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/shakedown-dev/shakedown/service"
)

func TestStaging(t *testing.T) {
	t.Setenv("PGPASSWORD", "from-the-environment")
	st, err := LoadStaging("testdata/staging.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Environment.External.Services["postgres"].URL; !strings.Contains(got, ":from-the-environment@") {
		t.Errorf("postgres url = %q; want ${PGPASSWORD} expanded", got)
	}
	sc, err := Load("testdata/good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	on, err := sc.OnStaging(st)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(on.Secrets, "from-the-environment") {
		t.Errorf("secrets on staging %q; want staging's ${PGPASSWORD} among them", on.Secrets)
	}
	if on.Environment.Backend != "external" || on.SUT.URL != "https://agentd.staging.internal" || len(on.Halt) != 1 || len(on.Faults) != len(sc.Faults) {
		t.Errorf("on staging: backend %q, sut %q, %d halts, %d faults", on.Environment.Backend, on.SUT.URL, len(on.Halt), len(on.Faults))
	}
	if sc.Environment.Backend != "local" {
		t.Error("OnStaging changed the scenario itself")
	}

	k8s, err := LoadStaging("testdata/staging-k8s.yaml")
	if err != nil {
		t.Fatal(err)
	}
	on, err = sc.OnStaging(k8s)
	if err != nil {
		t.Fatal(err)
	}
	if k := on.Environment.Kubernetes; on.Environment.Backend != service.BackendKubernetes || k == nil || k.Services[service.SUT].Container != "shop" {
		t.Errorf("on the kubernetes staging: backend %q, description %+v", on.Environment.Backend, k)
	}
	if m := on.Metrics; m.SourceName() != MetricsPrometheus || m.Prometheus == nil || m.Prometheus.URL != "http://prometheus.monitoring.svc:9090" || !slices.Equal(m.Keep, sc.Metrics.Keep) {
		t.Errorf("on the kubernetes staging: metrics %+v; want staging's Prometheus with the scenario's keep list", m)
	}

	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("environment:\n  backend: external\nsut: {url: http://x}\nallow: [x]\n"), 0o644)
	if _, err := LoadStaging(bad); err == nil || !strings.Contains(err.Error(), "bad.yaml:4:1: allow: unknown field") {
		t.Errorf("LoadStaging(bad) = %v; want the unknown field with its place", err)
	}
	redisOnly := &Staging{File: "s.yaml", Environment: Environment{Backend: "external", Services: []string{"redis"},
		External: &service.External{Toxiproxy: "http://t:8474", Services: map[string]service.ExternalService{"redis": {Address: "r:6379"}}}}, SUT: SUT{URL: "http://x"}}
	if _, err := sc.OnStaging(redisOnly); err == nil || !strings.Contains(err.Error(), "testdata/good.yaml on s.yaml") {
		t.Errorf("a scenario whose faults need services staging lacks: %v", err)
	}
}
