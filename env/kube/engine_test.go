package kube

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/shakedown-dev/shakedown/env/kube/kubetest"
	"github.com/shakedown-dev/shakedown/faults"
	"github.com/shakedown-dev/shakedown/record"
	"github.com/shakedown-dev/shakedown/service"
)

func objects(t *testing.T, c client.Client, ns string, labels ...string) []string {
	t.Helper()
	return kubetest.Objects(t, c, ns, Kinds, labels...)
}

// watcher is a scheduler's sink that lists each fault's objects as its events are recorded:
// right after a window's object was made, and right after it was deleted. Each fault's events
// are in its own log: faults run side by side.
type watcher struct {
	t  *testing.T
	c  client.Client
	ns string

	mu  sync.Mutex
	log map[string][]string
}

func (w *watcher) AddFaultEvent(e record.FaultEvent) {
	objs := objects(w.t, w.c, w.ns, LabelFault, e.Fault)
	w.mu.Lock()
	defer w.mu.Unlock()
	w.log[e.Fault] = append(w.log[e.Fault], fmt.Sprintf("%s: %d", e.Action, len(objs)))
	if e.Error != "" {
		w.t.Errorf("%s %s: %s", e.Action, e.Fault, e.Error)
	}
}
func (w *watcher) AddDecision(record.Decision) {}

func (w *watcher) events(fault string) []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.log[fault])
}

func open(t *testing.T, kube *service.Kubernetes, kubeconfig string) *Engine {
	t.Helper()
	e, err := Open(context.Background(), kube, Options{Kubeconfig: kubeconfig, Allow: []string{kubetest.Context}, Scenario: t.Name()})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// TestWindowsMakeAndDeleteObjects (no Chaos Mesh controller runs here: the objects take no
// effect): each window's object is in the cluster once the fault is applied, gone once it is
// removed, and accepted by the CRD's schema; the run's end leaves nothing.
func TestWindowsMakeAndDeleteObjects(t *testing.T) {
	c, kubeconfig := kubetest.Server(t)
	ns := kubetest.Namespace(t, c, "windows")
	kube := staging(ns, true)
	e := open(t, kube, kubeconfig)
	w := &watcher{t: t, c: c, ns: ns, log: map[string][]string{}}
	specs := []faults.Spec{
		&faults.Latency{Common: faults.Common{Name: "db-slow", Type: "latency", Target: service.Postgres, Every: d(400 * time.Millisecond), Duration: d(200 * time.Millisecond), Times: 2}, Latency: d(time.Second)},
		&faults.ProxyDown{Common: faults.Common{Name: "cache-down", Type: "proxy_down", Target: service.Redis, Start: d(900 * time.Millisecond), Duration: d(200 * time.Millisecond)}},
	}
	s, err := faults.NewScheduler(1, specs, e, w)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Run(context.Background(), 1200*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	for fault, want := range map[string][]string{
		"db-slow":    {"applied: 1", "removed: 0", "applied: 1", "removed: 0"},
		"cache-down": {"applied: 1", "removed: 0"},
	} {
		if got := w.events(fault); !slices.Equal(got, want) {
			t.Errorf("%s: objects at its events %q; want %q", fault, got, want)
		}
	}
	if err := e.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if left := objects(t, c, ns); len(left) > 0 {
		t.Errorf("left behind: %v", left)
	}
}

// TestHaltAndCancelDeleteAtOnce: a halt (Stop) or the run's context ending mid-window deletes
// the open window's object before Run returns.
func TestHaltAndCancelDeleteAtOnce(t *testing.T) {
	c, kubeconfig := kubetest.Server(t)
	ns := kubetest.Namespace(t, c, "halt")
	e := open(t, staging(ns, true), kubeconfig)
	for _, how := range []string{"halt", "cancel"} {
		applied := make(chan struct{}, 1)
		sink := &onApply{applied: applied}
		spec := &faults.Pause{Common: faults.Common{Name: "db-frozen-" + how, Type: "pause", Target: service.Postgres}}
		s, err := faults.NewScheduler(1, []faults.Spec{spec}, e, sink)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- s.Run(ctx, time.Hour) }()
		<-applied
		if got := objects(t, c, ns); len(got) != 1 {
			t.Fatalf("%s: %v in the cluster mid-window; want the window's object", how, got)
		}
		if how == "halt" {
			s.Stop()
		} else {
			cancel()
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		cancel()
		if got := objects(t, c, ns); len(got) > 0 {
			t.Errorf("%s: %v left once Run returned", how, got)
		}
	}
}

type onApply struct{ applied chan struct{} }

func (o *onApply) AddFaultEvent(e record.FaultEvent) {
	if e.Action == record.FaultApplied {
		o.applied <- struct{}{}
	}
}
func (o *onApply) AddDecision(record.Decision) {}

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		runChild()
		return
	}
	os.Exit(kubetest.Main(m))
}

// The child harness of the signal tests: it opens an engine on the kubeconfig it is given, runs
// a fault for an hour, prints "applied" once its object is made, and waits for a signal.
const childEnv = "SHAKEDOWN_KUBE_TEST_CHILD"

func runChild() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	kube := staging(os.Getenv(childEnv), true)
	e, err := Open(ctx, kube, Options{Kubeconfig: os.Getenv("KUBECONFIG"), Allow: []string{kubetest.Context}})
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	spec := &faults.Kill{Common: faults.Common{Name: "db-killed", Type: "kill", Target: service.Postgres}}
	s, err := faults.NewScheduler(1, []faults.Spec{spec}, e, &printer{})
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	err = errors.Join(s.Run(ctx, time.Hour), e.Close(context.Background()))
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println("clean")
}

type printer struct{}

func (printer) AddFaultEvent(e record.FaultEvent) {
	if e.Action == record.FaultApplied {
		fmt.Println("applied")
	}
}
func (printer) AddDecision(record.Decision) {}

// startChild starts the child harness on ns and waits for its object.
func startChild(t *testing.T, kubeconfig, ns string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+ns, "KUBECONFIG="+kubeconfig)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if strings.TrimSpace(line) != "applied" {
		t.Fatalf("child harness said %q (%v); want applied", line, err)
	}
	return cmd
}

// TestCtrlCDeletes: a harness interrupted (SIGINT, as Ctrl-C) deletes its objects before it
// exits.
func TestCtrlCDeletes(t *testing.T) {
	c, kubeconfig := kubetest.Server(t)
	ns := kubetest.Namespace(t, c, "ctrl-c")
	cmd := startChild(t, kubeconfig, ns)
	if got := objects(t, c, ns); len(got) != 1 {
		t.Fatalf("%v in the cluster; want the child's object", got)
	}
	cmd.Process.Signal(os.Interrupt)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("the interrupted harness: %v", err)
	}
	if got := objects(t, c, ns); len(got) > 0 {
		t.Errorf("%v left after Ctrl-C", got)
	}
}

// TestKilledHarnessIsSwept: a harness killed outright (SIGKILL) leaves its object; the next
// start sweeps it, and touches neither a live run's objects nor objects that are not the
// harness's.
func TestKilledHarnessIsSwept(t *testing.T) {
	c, kubeconfig := kubetest.Server(t)
	ns := kubetest.Namespace(t, c, "sigkill")
	ctx := context.Background()
	// a Chaos Mesh object a team made by hand, and one of a live run of this machine's
	foreign := &v1alpha1.PodChaos{ObjectMeta: metav1.ObjectMeta{Name: "teams-own", Namespace: ns},
		Spec: v1alpha1.PodChaosSpec{Action: v1alpha1.PodKillAction, ContainerSelector: v1alpha1.ContainerSelector{PodSelector: v1alpha1.PodSelector{Mode: v1alpha1.OneMode,
			Selector: v1alpha1.PodSelectorSpec{GenericSelectorSpec: v1alpha1.GenericSelectorSpec{Namespaces: []string{ns}}}}}}}
	if err := c.Create(ctx, foreign); err != nil {
		t.Fatal(err)
	}
	live := open(t, staging(ns, true), kubeconfig)
	lf, err := live.Build(&faults.ProxyDown{Common: faults.Common{Name: "live", Type: "proxy_down", Target: service.Redis}})
	if err != nil {
		t.Fatal(err)
	}
	if err := lf.(faults.Windowed).ApplyFor(ctx, time.Hour); err != nil {
		t.Fatal(err)
	}
	defer lf.Undo(ctx)

	cmd := startChild(t, kubeconfig, ns)
	cmd.Process.Kill()
	cmd.Wait()
	before := objects(t, c, ns)
	if len(before) != 3 {
		t.Fatalf("%v; want the killed harness's object beside the two others", before)
	}
	next := open(t, staging(ns, true), kubeconfig) // its Open sweeps
	defer next.Close(ctx)
	after := objects(t, c, ns)
	want := []string{"NetworkChaos/" + ObjectName(live.Run(), "live", 0), "PodChaos/teams-own"}
	if !slices.Equal(after, want) {
		t.Errorf("after the next start: %v; want %v (the killed run's object swept, the others kept)", after, want)
	}
	if err := live.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if after := objects(t, c, ns); !slices.Equal(after, []string{"PodChaos/teams-own"}) {
		t.Errorf("a run's Close left %v; want only the team's own object", after)
	}
}

// TestExpiredObjectsAreSwept: an object whose window ended long ago is swept by any harness,
// from any machine (its pid means nothing here); --all sweeps every one of the harness's.
func TestExpiredObjectsAreSwept(t *testing.T) {
	c, kubeconfig := kubetest.Server(t)
	ns := kubetest.Namespace(t, c, "expired")
	ctx := context.Background()
	e := open(t, staging(ns, true), kubeconfig)
	e.host = "another-machine"
	short, err := e.Build(&faults.Latency{Common: faults.Common{Name: "short", Type: "latency", Target: service.Redis}, Latency: d(time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	long, err := e.Build(&faults.Latency{Common: faults.Common{Name: "long", Type: "latency", Target: service.Redis}, Latency: d(time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	short.(faults.Windowed).ApplyFor(ctx, time.Second)
	long.(faults.Windowed).ApplyFor(ctx, time.Hour)
	later := func() time.Time { return time.Now().Add(5 * time.Minute) }
	swept, err := Sweep(ctx, e.c, []string{ns}, SweepOptions{Now: later})
	if err != nil {
		t.Fatal(err)
	}
	if len(swept) != 1 || !strings.Contains(swept[0].Name, "short") || !strings.Contains(swept[0].Why, "window ended") {
		t.Errorf("swept %+v; want the short window's object alone", swept)
	}
	if swept, err = Sweep(ctx, e.c, []string{ns}, SweepOptions{All: true}); err != nil || len(swept) != 1 {
		t.Errorf("--all swept %+v (%v); want the long window's object", swept, err)
	}
	if got := objects(t, c, ns); len(got) > 0 {
		t.Errorf("%v left", got)
	}
}

// TestContextAllowList: a context not allowed by name is refused before anything is made; the
// kubeconfig's context is chosen by name, and an unknown one lists those there are.
func TestContextAllowList(t *testing.T) {
	c, kubeconfig := kubetest.Server(t)
	ns := kubetest.Namespace(t, c, "allow")
	kube := staging(ns, true)
	_, err := Open(context.Background(), kube, Options{Kubeconfig: kubeconfig, Allow: []string{"prod"}})
	if !errors.Is(err, ErrContextNotAllowed) || !strings.Contains(err.Error(), "--allow-target envtest") {
		t.Errorf("Open with envtest not allowed: %v; want ErrContextNotAllowed naming the flag", err)
	}
	_, err = Open(context.Background(), kube, Options{Kubeconfig: kubeconfig, Context: "staging", Allow: []string{"staging"}})
	if err == nil || !strings.Contains(err.Error(), `no context "staging"; it has [envtest]`) {
		t.Errorf("Open on an unknown context: %v", err)
	}
	if got := objects(t, c, ns); len(got) > 0 {
		t.Errorf("%v made by refused runs", got)
	}
}

// TestBuildAsksTheCluster: a fault the cluster refuses (here its namespace does not exist) is
// refused when it is built, before the run starts, by a dry run of its first object.
func TestBuildAsksTheCluster(t *testing.T) {
	c, kubeconfig := kubetest.Server(t)
	ns := kubetest.Namespace(t, c, "build")
	e := open(t, staging(ns, true), kubeconfig)
	e.kube = staging("no-such-namespace", true)
	_, err := e.Build(&faults.ProxyDown{Common: faults.Common{Name: "down", Type: "proxy_down", Target: service.Redis}})
	if err == nil || !strings.Contains(err.Error(), `the cluster refuses its NetworkChaos in no-such-namespace`) || !strings.Contains(err.Error(), "not found") {
		t.Errorf("Build in a namespace that does not exist: %v", err)
	}
}
