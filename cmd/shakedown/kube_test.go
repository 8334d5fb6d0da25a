package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/shakedown-dev/shakedown/env/kube"
	"github.com/shakedown-dev/shakedown/env/kube/kubetest"
	"github.com/shakedown-dev/shakedown/record"
	"github.com/shakedown-dev/shakedown/reports"
)

// These tests run the command against a real API server with Chaos Mesh's CRDs (kubetest). No
// Chaos Mesh controller runs there, so no fault takes effect: they check the objects the run
// makes and removes, and what the record and report say of them.

// kubeScenario writes a scenario on the kubernetes backend in namespace ns: the services are
// named by address (nothing listens there: no fault takes effect), the SUT is an httptest
// server, the fault phase is fault long.
func kubeScenario(t *testing.T, ns, sutURL, fault string) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), ns+".yaml")
	err := os.WriteFile(file, []byte(fmt.Sprintf(`name: %s
environment:
  backend: kubernetes
  services: [postgres, redis]
  kubernetes:
    context: envtest
    approximate: true
    services:
      postgres: {address: "127.0.0.1:5432", namespace: %s, selector: {app: postgres}}
      redis: {address: "127.0.0.1:6379", namespace: %s, selector: {app: redis}}
      sut: {namespace: %s, selector: {app: shop}}
sut: {url: %s, ready: /}
load: {rate: 20/s, targets: [{url: /work}]}
phases: {warmup: 1s, fault: %s, recovery: 1s}
faults:
  - {name: db-slow, type: latency, target: postgres, latency: 100ms, duration: 1s}
  - {name: cache-resets, type: reset_peer, target: redis, timeout: 10ms, start: 1s}
assertions:
  - {name: still available, type: availability, phase: fault, min: 99%%}
`, ns, ns, ns, ns, sutURL, fault)), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	return file
}

func okSUT(t *testing.T) *httptest.Server {
	sut := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	t.Cleanup(sut.Close)
	return sut
}

// TestKubernetesRun: a run on the kubernetes backend makes each fault's Chaos Mesh object for
// its window and deletes it; the record names each object and what was approximated, the report
// shows it, and nothing is left in the cluster.
func TestKubernetesRun(t *testing.T) {
	c, kubeconfig := kubetest.Server(t)
	ns := kubetest.Namespace(t, c, "cli-run")
	file := kubeScenario(t, ns, okSUT(t).URL, "3s")
	out := t.TempDir()
	var stdout, stderr strings.Builder
	if err := run(context.Background(), []string{"run", file, "--out", out, "--quiet", "--kubeconfig", kubeconfig, "--allow-target", kubetest.Context}, &stdout, &stderr); err != nil {
		t.Fatalf("run: %v\n%s\n%s", err, stdout.String(), stderr.String())
	}
	if left := kubetest.Objects(t, c, ns, kube.Kinds); len(left) > 0 {
		t.Errorf("left in the cluster: %v", left)
	}
	paths, _ := filepath.Glob(filepath.Join(out, "cli-run-*", "journal.json"))
	if len(paths) != 1 {
		t.Fatalf("journals: %v", paths)
	}
	j, err := reports.ReadJournalFile(paths[0])
	if err != nil {
		t.Fatal(err)
	}
	removed := map[string]string{}
	for _, e := range j.Record.Faults {
		if e.Error != "" {
			t.Errorf("fault event %+v", e)
		}
		if e.Action == record.FaultRemoved {
			removed[e.Fault] = e.Detail
		}
	}
	if d := removed["db-slow"]; !strings.HasPrefix(d, "NetworkChaos "+ns+"/sd-") || strings.Contains(d, "approximated") {
		t.Errorf("db-slow's removal: %q; want its NetworkChaos named, nothing approximated", d)
	}
	if d := removed["cache-resets"]; !strings.Contains(d, "approximated: connections reset (TCP RST) → all packets dropped") {
		t.Errorf("cache-resets' removal: %q; want the approximation said", d)
	}
	html, err := os.ReadFile(filepath.Join(filepath.Dir(paths[0]), "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(html), "approximated: connections reset (TCP RST)") {
		t.Error("the report does not say what was approximated")
	}
	if j.Record.Env.Backend != "kubernetes" {
		t.Errorf("backend %q", j.Record.Env.Backend)
	}
}

// TestKubernetesRefusals: before anything is made, a context not allowed by name is refused,
// and so is a fault Chaos Mesh cannot express (validate says so too).
func TestKubernetesRefusals(t *testing.T) {
	c, kubeconfig := kubetest.Server(t)
	ns := kubetest.Namespace(t, c, "cli-refused")
	file := kubeScenario(t, ns, okSUT(t).URL, "3s")
	var stdout, stderr strings.Builder
	err := run(context.Background(), []string{"run", file, "--quiet", "--out", t.TempDir(), "--kubeconfig", kubeconfig}, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), `cluster context "envtest"`) || !strings.Contains(err.Error(), "--allow-target envtest") {
		t.Errorf("run without the context allowed: %v", err)
	}
	b, _ := os.ReadFile(file)
	os.WriteFile(file, []byte(strings.Replace(string(b), "approximate: true", "approximate: false", 1)), 0o644)
	stdout.Reset()
	err = run(context.Background(), []string{"validate", file}, &stdout, &stderr)
	if err == nil || !strings.Contains(stdout.String(), `fault "cache-resets" (reset_peer): Chaos Mesh cannot express it`) {
		t.Errorf("validate: %v\n%s", err, stdout.String())
	}
	err = run(context.Background(), []string{"run", file, "--quiet", "--out", t.TempDir(), "--kubeconfig", kubeconfig, "--allow-target", kubetest.Context}, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "set kubernetes.approximate: true") {
		t.Errorf("run with an inexpressible fault: %v", err)
	}
	if left := kubetest.Objects(t, c, ns, kube.Kinds); len(left) > 0 {
		t.Errorf("refused runs made %v", left)
	}
}

// TestKubernetesRunCtrlC: SIGINT during a window: the run exits 4 (aborted) and the window's
// object is gone.
func TestKubernetesRunCtrlC(t *testing.T) {
	c, kubeconfig := kubetest.Server(t)
	ns := kubetest.Namespace(t, c, "cli-ctrl-c")
	file := kubeScenario(t, ns, okSUT(t).URL, "60s")
	err := interruptOnFault(t, []string{"SHAKEDOWN_STATE_DIR=" + t.TempDir()}, []string{"run", file, "--out", t.TempDir(),
		"--log-level", "info", "--kubeconfig", kubeconfig, "--allow-target", kubetest.Context}, func() {
		if got := kubetest.Objects(t, c, ns, kube.Kinds); len(got) == 0 {
			t.Error("no object in the cluster once a fault was applied")
		}
	})
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != exitAborted {
		t.Errorf("exit = %v; want status %d (aborted)", err, exitAborted)
	}
	if left := kubetest.Objects(t, c, ns, kube.Kinds); len(left) > 0 {
		t.Errorf("left after Ctrl-C: %v", left)
	}
}

// TestSweepKubernetes: shakedown sweep --kubernetes deletes the objects of a harness of this
// machine that is gone, only once the context is allowed, and leaves others alone.
func TestSweepKubernetes(t *testing.T) {
	c, kubeconfig := kubetest.Server(t)
	ns := kubetest.Namespace(t, c, "cli-sweep")
	file := kubeScenario(t, ns, "http://127.0.0.1:1", "3s")
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	for name, pid := range map[string]int{"dead": dead.Process.Pid, "live": os.Getpid()} {
		obj := &v1alpha1.PodChaos{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{
			kube.LabelManagedBy: kube.ManagedBy, kube.LabelRun: name, kube.LabelHost: host, kube.LabelPid: strconv.Itoa(pid)}},
			Spec: v1alpha1.PodChaosSpec{Action: v1alpha1.PodKillAction, ContainerSelector: v1alpha1.ContainerSelector{PodSelector: v1alpha1.PodSelector{Mode: v1alpha1.AllMode,
				Selector: v1alpha1.PodSelectorSpec{GenericSelectorSpec: v1alpha1.GenericSelectorSpec{Namespaces: []string{ns}}}}}}}
		if err := c.Create(context.Background(), obj); err != nil {
			t.Fatal(err)
		}
	}
	var stdout, stderr strings.Builder
	t.Setenv("SHAKEDOWN_STATE_DIR", t.TempDir())
	if err := run(context.Background(), []string{"sweep", "--kubernetes", file, "--kubeconfig", kubeconfig}, &stdout, &stderr); !errors.Is(err, kube.ErrContextNotAllowed) {
		t.Errorf("sweep without the context allowed: %v", err)
	}
	stdout.Reset()
	if err := run(context.Background(), []string{"sweep", "--kubernetes", file, "--kubeconfig", kubeconfig, "--allow-target", kubetest.Context}, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("deleted PodChaos %s/dead of run dead: its harness (pid %d on this machine) is gone", ns, dead.Process.Pid); !strings.Contains(stdout.String(), want) {
		t.Errorf("sweep said %q; want %q", stdout.String(), want)
	}
	if left := kubetest.Objects(t, c, ns, kube.Kinds); len(left) != 1 || left[0] != "PodChaos/live" {
		t.Errorf("after the sweep: %v; want the live run's object alone", left)
	}
}

// TestExportCommand: export writes the manifests of a catalog scenario with a staging file's
// description, and says what is wrong with bad input.
func TestExportCommand(t *testing.T) {
	staging := filepath.Join(t.TempDir(), "staging.yaml")
	os.WriteFile(staging, []byte(`environment:
  backend: kubernetes
  services: [postgres, redis, ollama]
  kubernetes:
    context: staging
    services:
      postgres: {address: "db.staging.svc:5432", namespace: staging, selector: {app: postgres}}
      redis: {address: "redis.staging.svc:6379", namespace: staging, selector: {app: redis}}
      ollama: {address: "ollama.staging.svc:11434", namespace: staging, selector: {app: ollama}}
sut: {url: "https://shop.staging.internal"}
`), 0o644)
	cat := "../../scenarios/catalog/"
	var stdout, stderr strings.Builder
	if err := run(context.Background(), []string{"export", "chaos-mesh", "--staging", staging, cat + "redis-outage.yaml"}, &stdout, &stderr); err != nil {
		t.Fatalf("export: %v\n%s", err, stderr.String())
	}
	for _, want := range []string{"kind: NetworkChaos", "action: partition", "name: redis-outage-redis-down-w0", "shakedown.dev/offset: 10s", "duration: 30s"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("export lacks %q:\n%s", want, stdout.String())
		}
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"export", "chaos-mesh", cat + "redis-outage.yaml"}, "has no kubernetes description"},
		{[]string{"export", "chaos-mesh", "--staging", staging, "--form", "helm", cat + "redis-outage.yaml"}, `form "helm"; want manifests or workflow`},
		{[]string{"export", "chaos-mesh", "--staging", staging, "--schedule", "@daily", cat + "redis-outage.yaml"}, "a schedule is for the workflow form"},
		{[]string{"export", "chaos-mesh", "--staging", staging, cat + "redis-flaky.yaml"}, `fault "cache-errors" (command): Chaos Mesh cannot express it`},
		{[]string{"export", "kustomize"}, "want shakedown export chaos-mesh"},
		{[]string{"export", "proxy", "--staging", staging}, "no image: build images/shakedown-proxy/Dockerfile.release"},
		{[]string{"export", "proxy", cat + "redis-outage.yaml"}, "want --staging FILE"},
	} {
		err := run(context.Background(), c.args, &stdout, &stderr)
		var u usageError
		if !errors.As(err, &u) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v; want a usage error saying %q", c.args, err, c.want)
		}
	}
}

// TestExportProxyCommand: shakedown export proxy writes the fault proxy's objects for the
// staging description the docs show (env/kube.TestExportProxy has the API server accept them).
func TestExportProxyCommand(t *testing.T) {
	t.Setenv("PGPASSWORD", "secret") // the staging file reads it
	var stdout, stderr strings.Builder
	args := []string{"export", "proxy", "--staging", "../../scenarios/testdata/staging-k8s.yaml", "--image", "registry.example.com/shakedown-proxy:v1"}
	if err := run(context.Background(), args, &stdout, &stderr); err != nil {
		t.Fatalf("%v: %v\n%s", args, err, stderr.String())
	}
	for _, want := range []string{"kind: Deployment", "namespace: shop-staging", "image: registry.example.com/shakedown-proxy:v1",
		`"upstream": "postgres.shop-staging.svc:5432"`, `"listen": "0.0.0.0:6379"`, "automountServiceAccountToken: false"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("export proxy lacks %q:\n%s", want, stdout.String())
		}
	}
}

// TestStagingSkipsWhatChaosMeshCannotRun: with --staging on the kubernetes backend, a scenario
// with a fault Chaos Mesh cannot express is skipped with the reason, and the others run.
func TestStagingSkipsWhatChaosMeshCannotRun(t *testing.T) {
	c, kubeconfig := kubetest.Server(t)
	ns := kubetest.Namespace(t, c, "cli-staging")
	dir := t.TempDir()
	staging := filepath.Join(dir, "staging.yaml")
	os.WriteFile(staging, []byte(fmt.Sprintf(`environment:
  backend: kubernetes
  services: [postgres, redis]
  kubernetes:
    context: envtest
    services:
      postgres: {address: "127.0.0.1:5432", namespace: %s, selector: {app: postgres}}
      redis: {address: "127.0.0.1:6379", namespace: %s, selector: {app: redis}}
sut: {url: %s, ready: /}
allow_targets: [envtest]
`, ns, ns, okSUT(t).URL)), 0o644)
	scenario := func(name, fault string) string {
		f := filepath.Join(dir, name+".yaml")
		os.WriteFile(f, []byte(fmt.Sprintf(`name: %s
environment: {services: [postgres, redis]}
sut: {url: http://127.0.0.1:1}
load: {rate: 40/s, targets: [{url: /}]}
phases: {warmup: 1s, fault: 2s, recovery: 1s}
faults: [%s]
assertions: [{name: available, type: availability, phase: fault, min: 99%%}]
`, name, fault)), 0o644)
		return f
	}
	runs := scenario("runs", "{name: cache-down, type: proxy_down, target: redis}")
	cannot := scenario("cannot", "{name: db-errors, type: query, target: postgres, fault: drop}")
	var stdout, stderr strings.Builder
	if err := run(context.Background(), []string{"run", cannot, runs, "--staging", staging, "--quiet", "--out", dir, "--kubeconfig", kubeconfig}, &stdout, &stderr); err != nil {
		t.Fatalf("run: %v\n%s", err, stdout.String())
	}
	out := stdout.String()
	if n := strings.Count(out, "skipped on "+staging+": "+cannot+": "); n != 2 || !strings.Contains(out, `fault "db-errors" (query): Chaos Mesh cannot express it`) {
		t.Errorf("output %q; want the skipped scenario and why, before and after the runs", out)
	}
	if !strings.Contains(out, "runs: report ") {
		t.Errorf("output %q; want the runnable scenario run", out)
	}
}
