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
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	toxiclient "github.com/Shopify/toxiproxy/v2/client"
	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/shakedown-dev/shakedown/env/kube"
	"github.com/shakedown-dev/shakedown/env/kube/kubetest"
	"github.com/shakedown-dev/shakedown/faults"
	"github.com/shakedown-dev/shakedown/faults/seeded"
	"github.com/shakedown-dev/shakedown/record"
	"github.com/shakedown-dev/shakedown/reports"
	"github.com/shakedown-dev/shakedown/scenarios/catalog"
	"github.com/shakedown-dev/shakedown/service"
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

// watchNames calls names every interval on its own goroutine until the function it returns is
// called, which returns every name seen, each once, in the order first seen.
func watchNames(every time.Duration, names func() []string) (stop func() []string) {
	var seen []string
	done, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		for {
			select {
			case <-done:
				return
			case <-time.After(every):
			}
			for _, n := range names() {
				if !slices.Contains(seen, n) {
					seen = append(seen, n)
				}
			}
		}
	}()
	return func() []string {
		close(done)
		<-stopped
		return seen
	}
}

// TestKubernetesRunWithFaultProxy: on the kubernetes backend with a fault proxy in the
// description (kubernetes.fault_proxy), a command fault runs on the fault proxy, decided from
// the run's seed, while a latency fault in the same scenario is a Chaos Mesh object: each is
// made for its window and removed after it (seen while the run goes on), the record holds the
// command fault's decisions draw for draw, and afterwards neither the cluster nor the proxy
// holds anything of the run.
func TestKubernetesRunWithFaultProxy(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: no servers")
	}
	c, kubeconfig := kubetest.Server(t)
	ns := kubetest.Namespace(t, c, "cli-proxy")
	api, proxy, rd, sut := pingBehindFaultProxy(t, "/work")
	file := filepath.Join(t.TempDir(), "proxy.yaml")
	os.WriteFile(file, []byte(fmt.Sprintf(`name: cli-proxy
seed: 11
environment:
  backend: kubernetes
  services: [redis]
  kubernetes:
    context: envtest
    fault_proxy: {api: %s}
    services:
      redis: {address: %q, namespace: %s, selector: {app: redis}}
sut: {url: %s, ready: /}
load: {rate: 20/s, targets: [{url: /work}]}
phases: {warmup: 1s, fault: 2s, recovery: 1s}
faults:
  - {name: ping-errors, type: command, target: redis, fault: error, match: PING, probability: 30%%}
  - {name: cache-slow, type: latency, target: redis, latency: 10ms}
`, api, rd.Direct(), ns, sut.URL)), 0o644)

	// What the run makes, seen from outside while it goes on.
	objects := watchNames(50*time.Millisecond, func() []string { return kubetest.Objects(t, c, ns, kube.Kinds) })
	toxics := watchNames(50*time.Millisecond, func() []string { return faultToxics(t, proxy) })
	out := t.TempDir()
	var stdout, stderr strings.Builder
	err := run(context.Background(), []string{"run", file, "--out", out, "--quiet", "--kubeconfig", kubeconfig, "--allow-target", kubetest.Context}, &stdout, &stderr)
	seenObjects, seenToxics := objects(), toxics()
	if err != nil {
		t.Fatalf("run: %v\n%s\n%s", err, stdout.String(), stderr.String())
	}
	if len(seenObjects) != 1 || !strings.HasPrefix(seenObjects[0], "NetworkChaos") || !slices.Equal(seenToxics, []string{"shakedown-ping-errors"}) {
		t.Errorf("seen during the run: objects %v, toxics %v; want the latency fault's NetworkChaos and the command fault's toxic", seenObjects, seenToxics)
	}
	if left := kubetest.Objects(t, c, ns, kube.Kinds); len(left) > 0 {
		t.Errorf("left in the cluster: %v", left)
	}
	if left := faultToxics(t, proxy); len(left) > 0 {
		t.Errorf("left on the fault proxy: %v; want its stages alone", left)
	}
	paths, _ := filepath.Glob(filepath.Join(out, "cli-proxy-*", "journal.json"))
	if len(paths) != 1 {
		t.Fatalf("journals: %v", paths)
	}
	j, err := reports.ReadJournalFile(paths[0])
	if err != nil {
		t.Fatal(err)
	}
	draws := seeded.NewDraws(11, "ping-errors")
	var n int
	for i, d := range j.Record.DecisionLog {
		if d.Fault != "ping-errors" {
			continue
		}
		seq, draw, inj := draws.Decide(0.3, 0)
		if d.Seq != seq || d.Draw != draw || d.Injected != inj {
			t.Fatalf("decision %d: %+v; want draw %d of the seed's stream: %d %v %v", i, d, n, seq, draw, inj)
		}
		n++
	}
	if n < 20 {
		t.Errorf("%d decisions of ping-errors in the record; want one per PING in the fault window", n)
	}
}

// TestStagingK8sCatalog: the whole catalog runs on the Kubernetes staging description the docs
// show (scenarios/testdata/staging-k8s.yaml, pointed at this test's API server, a fault proxy
// of its own per scenario and a SUT that answers everything), none refused: each request fault
// (query, command, http) is a toxic on the fault proxy during its window, each other fault a
// Chaos Mesh object, and when the runs end neither the cluster nor any proxy holds anything of
// them. Nothing takes effect (no controller, no service behind the proxies), so verdicts may
// fail; a run may not.
func TestStagingK8sCatalog(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: no servers")
	}
	c, kubeconfig := kubetest.Server(t)
	ns := kubetest.Namespace(t, c, "staging-k8s")
	example, err := os.ReadFile("../../scenarios/testdata/staging-k8s.yaml")
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("PGPASSWORD", "secret")
	sut := okSUT(t)
	objectsSeen := watchNames(100*time.Millisecond, func() []string { return kubetest.Objects(t, c, ns, kube.Kinds) })
	type outcome struct {
		name   string
		specs  []faults.Spec
		err    error
		toxics []string // fault toxics seen on the scenario's proxy
		left   []string // toxics left after the run
		status string
	}
	outcomes := make(chan outcome, len(catalog.Names()))
	var wg sync.WaitGroup
	for _, name := range catalog.Names() {
		api, dir := serveFaultProxy(t), t.TempDir() // one per scenario: a proxy carries one run's faults at a time
		wg.Go(func() {
			o := outcome{name: name}
			defer func() { outcomes <- o }()
			sc, err := catalog.Load(name)
			if err != nil {
				o.err = err
				return
			}
			o.specs = sc.Faults
			tc := toxiclient.NewClient(api)
			var proxies []*toxiclient.Proxy
			for _, svc := range []string{service.Postgres, service.Redis, service.Ollama} {
				p, err := tc.CreateProxy(svc, "127.0.0.1:0", "127.0.0.1:1")
				if err != nil {
					o.err = err
					return
				}
				proxies = append(proxies, p)
			}
			staging := string(example)
			staging = strings.ReplaceAll(staging, "http://shakedown-proxy.shop-staging.svc:8474", api)
			staging = strings.ReplaceAll(staging, "shop-staging", ns)
			staging = strings.ReplaceAll(staging, "context: staging", "context: "+kubetest.Context)
			staging = strings.ReplaceAll(staging, "https://shop.staging.internal", sut.URL)
			staging = strings.ReplaceAll(staging, "allow_targets: [staging,", "allow_targets: ["+kubetest.Context+",")
			staging = regexp.MustCompile(`(?m)^metrics:.*\n(  .*\n)*`).ReplaceAllString(staging, "") // no Prometheus here
			file := filepath.Join(dir, "staging.yaml")
			if err := os.WriteFile(file, []byte(staging), 0o644); err != nil {
				o.err = err
				return
			}
			toxics := watchNames(50*time.Millisecond, func() []string { // the fault toxics, as the run sets them
				var names []string
				for _, p := range proxies {
					names = append(names, faultToxics(t, p)...)
				}
				return names
			})
			var stdout, stderr strings.Builder
			err = run(context.Background(), []string{"run", filepath.Join("../../scenarios/catalog", name+".yaml"), "--staging", file, "--short", "--quiet",
				"--out", dir, "--kubeconfig", kubeconfig}, &stdout, &stderr)
			o.toxics = toxics()
			if err != nil && exitCode(err) != exitVerdict {
				o.err = fmt.Errorf("%v\n%s%s", err, stdout.String(), stderr.String())
			}
			for _, p := range proxies {
				for _, name := range faultToxics(t, p) {
					o.left = append(o.left, p.Name+"/"+name)
				}
			}
			paths, _ := filepath.Glob(filepath.Join(dir, name+"-*", "journal.json"))
			if len(paths) == 1 {
				if j, err := reports.ReadJournalFile(paths[0]); err == nil {
					o.status = string(j.Record.Status)
				}
			}
		})
	}
	wg.Wait()
	objects := objectsSeen()
	close(outcomes)
	for o := range outcomes {
		if o.err != nil {
			t.Errorf("%s: %v", o.name, o.err)
			continue
		}
		if o.status != string(record.StatusCompleted) {
			t.Errorf("%s: the run's record is %q; want completed", o.name, o.status)
		}
		var want []string
		for _, sp := range o.specs {
			switch sp.(type) {
			case *faults.Query, *faults.Command, *faults.HTTP:
				want = append(want, "shakedown-"+sp.Base().Name)
			default:
				if !slices.ContainsFunc(objects, func(obj string) bool {
					return strings.Contains(obj, kube.ObjectName("", sp.Base().Name, 0)[len("sd--"):])
				}) {
					t.Errorf("%s: no Chaos Mesh object of fault %s seen (seen: %v)", o.name, sp.Base().Name, objects)
				}
			}
		}
		slices.Sort(want)
		slices.Sort(o.toxics)
		if !slices.Equal(o.toxics, want) {
			t.Errorf("%s: fault toxics seen on its proxy %v; want one per request fault %v", o.name, o.toxics, want)
		}
		if len(o.left) > 0 {
			t.Errorf("%s: left on its fault proxy: %v", o.name, o.left)
		}
	}
	if left := kubetest.Objects(t, c, ns, kube.Kinds); len(left) > 0 {
		t.Errorf("left in the cluster: %v", left)
	}
}
