// Package kube is the kubernetes backend's fault engine: each fault of a scenario becomes the
// Chaos Mesh object that expresses it (Translate), created through the cluster's API when its
// window opens and deleted when it closes, at the end of the run, on a halt, an error or Ctrl-C.
// Every object carries the run's labels; what a harness killed outright leaves, the next Open
// (and shakedown sweep --kubernetes) removes: objects of a dead process of this machine, and any
// whose window is long over.
//
// The harness decides whether each window opens (its seeded draws); Chaos Mesh's controller
// injects the fault. Export writes the same objects as manifests, for teams that apply them
// themselves.
package kube

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/shakedown-dev/shakedown/faults"
	"github.com/shakedown-dev/shakedown/service"
)

// The labels and annotations on every object the engine makes.
const (
	LabelManagedBy = "app.kubernetes.io/managed-by"
	ManagedBy      = "shakedown"
	LabelRun       = "shakedown.dev/run"
	LabelFault     = "shakedown.dev/fault"
	LabelHost      = "shakedown.dev/host"
	LabelPid       = "shakedown.dev/pid"
	// AnnotationExpires is when the object's window is over (RFC 3339), with a minute's grace:
	// past it, any harness's sweep deletes the object.
	AnnotationExpires = "shakedown.dev/expires"
	// AnnotationApproximated says what the object approximates, when it does.
	AnnotationApproximated = "shakedown.dev/approximated"
	AnnotationFault        = "shakedown.dev/fault"
	AnnotationScenario     = "shakedown.dev/scenario"
)

// expiryGrace is how long past its window's end an object is left to its own harness.
const expiryGrace = time.Minute

// Kinds are the Chaos Mesh kinds the engine makes, and the sweep looks for.
var Kinds = []string{"NetworkChaos", "PodChaos", "StressChaos", "HTTPChaos"}

// Options open an Engine.
type Options struct {
	// Context overrides the description's kubeconfig context (--kube-context).
	Context string
	// Kubeconfig is the kubeconfig file (--kubeconfig). Empty: KUBECONFIG, else
	// ~/.kube/config, else the in-cluster configuration.
	Kubeconfig string
	// Config, when set, reaches the API server instead of the kubeconfig (a test's API server);
	// Context then only names it for the allow-list.
	Config *rest.Config
	// Allow are the names the run may touch (--allow-target): the cluster context must be one.
	Allow []string
	// Scenario names the run's scenario, in an annotation.
	Scenario string
}

// Engine makes a run's faults as Chaos Mesh objects. It is a faults.Engine; Close deletes what
// is left.
type Engine struct {
	c    client.Client
	kube *service.Kubernetes
	run  string
	host string
	pid  int
	opt  Options
}

var (
	_ faults.Engine    = (*Engine)(nil)
	_ faults.Closer    = (*Engine)(nil)
	_ faults.Delegator = (*Engine)(nil)
)

// Delegates reports whether the fault runs on the description's fault proxy (OnFaultProxy), set
// there through the environment's targets rather than as a Chaos Mesh object.
func (e *Engine) Delegates(sp faults.Spec) bool { return OnFaultProxy(sp, e.kube) }

// ErrContextNotAllowed is returned when the cluster context is not allowed by name.
var ErrContextNotAllowed = errors.New("cluster context not allowed")

// Scheme knows Chaos Mesh's kinds.
func Scheme() *runtime.Scheme {
	sc := runtime.NewScheme()
	if err := v1alpha1.AddToScheme(sc); err != nil {
		panic(err)
	}
	return sc
}

// Open connects to the cluster kube describes, refuses a context that is not allowed by name
// before it touches anything, and sweeps what dead runs left in the description's namespaces.
func Open(ctx context.Context, kube *service.Kubernetes, opt Options) (*Engine, error) {
	c, err := connect(kube, opt, "create Chaos Mesh objects")
	if err != nil {
		return nil, err
	}
	host, _ := os.Hostname()
	e := &Engine{c: c, kube: kube, run: newRunID(), host: labelValue(host), pid: os.Getpid(), opt: opt}
	if _, err := Sweep(ctx, c, Namespaces(kube), SweepOptions{}); err != nil {
		return nil, fmt.Errorf("kubernetes backend: sweeping what earlier runs left: %w", err)
	}
	return e, nil
}

// connect finds the cluster and returns a client of it, or refuses a context not allowed by name
// before anything is asked of it (what says what the caller would do there).
func connect(kube *service.Kubernetes, opt Options, what string) (client.Client, error) {
	cfg, name, err := restConfig(kube, opt)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(opt.Allow, name) {
		return nil, fmt.Errorf("%w: the kubernetes backend would %s in cluster context %q; allow it by name with --allow-target %s (allowed now: %v)",
			ErrContextNotAllowed, what, name, name, opt.Allow)
	}
	c, err := client.New(cfg, client.Options{Scheme: Scheme()})
	if err != nil {
		return nil, fmt.Errorf("kubernetes backend: context %q: %w", name, err)
	}
	return c, nil
}

// restConfig finds the cluster: the test's config, else the kubeconfig (KUBECONFIG, else
// ~/.kube/config) at the chosen context, else the in-cluster configuration. It returns the
// context's name ("in-cluster" for the last).
func restConfig(kube *service.Kubernetes, opt Options) (*rest.Config, string, error) {
	want := opt.Context
	if want == "" {
		want = kube.Context
	}
	if opt.Config != nil {
		return opt.Config, want, nil
	}
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = opt.Kubeconfig
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: want})
	raw, err := cc.RawConfig()
	if err != nil {
		return nil, "", fmt.Errorf("kubernetes backend: reading the kubeconfig: %w", err)
	}
	if len(raw.Contexts) == 0 && want == "" {
		cfg, err := rest.InClusterConfig()
		if err != nil {
			return nil, "", fmt.Errorf("kubernetes backend: no kubeconfig (KUBECONFIG, %s) and not in a pod: %w", clientcmd.RecommendedHomeFile, err)
		}
		return cfg, "in-cluster", nil
	}
	name := want
	if name == "" {
		name = raw.CurrentContext
	}
	if _, ok := raw.Contexts[name]; !ok {
		var have []string
		for n := range raw.Contexts {
			have = append(have, n)
		}
		slices.Sort(have)
		return nil, "", fmt.Errorf("kubernetes backend: the kubeconfig has no context %q; it has %v", name, have)
	}
	cfg, err := cc.ClientConfig()
	if err != nil {
		return nil, "", fmt.Errorf("kubernetes backend: context %q: %w", name, err)
	}
	return cfg, name, nil
}

// Run is the run's label value.
func (e *Engine) Run() string { return e.run }

// preflightTimeout bounds the dry run of a fault's object.
const preflightTimeout = 10 * time.Second

// Build translates the fault and returns what creates its object for each window. Before it
// returns, the API server is asked to create the first window's object as a dry run: a fault
// the CRD's schema, an admission webhook or the harness's RBAC refuses is refused now, before
// the run starts, not when its window opens.
func (e *Engine) Build(sp faults.Spec) (faults.Fault, error) {
	if OnFaultProxy(sp, e.kube) {
		return nil, fmt.Errorf("fault %q (%s): it runs on the fault proxy, not as a Chaos Mesh object: build it on the environment's targets (faults.WithEngine)", sp.Base().Name, sp.Base().Type)
	}
	ch, err := Translate(sp, e.kube)
	if err != nil {
		return nil, err
	}
	f := &chaosFault{e: e, name: sp.Base().Name, ch: ch}
	obj := ch.New(time.Minute)
	e.stamp(obj, f, 0, time.Minute)
	ctx, cancel := context.WithTimeout(context.Background(), preflightTimeout)
	defer cancel()
	if err := e.c.Create(ctx, obj, client.DryRunAll); err != nil {
		return nil, fmt.Errorf("fault %q: the cluster refuses its %s in %s (a dry run of the first window's): %w", f.name, ch.Kind, ch.Namespace, err)
	}
	return f, nil
}

// Close deletes every object of the run that is left: whoever opened the engine (the harness)
// calls it when the run ends (faults.Closer).
func (e *Engine) Close(ctx context.Context) error {
	var errs []error
	for _, ns := range Namespaces(e.kube) {
		for _, kind := range Kinds {
			obj, err := e.c.Scheme().New(v1alpha1.SchemeGroupVersion.WithKind(kind))
			if err != nil {
				return err
			}
			if err := e.c.DeleteAllOf(ctx, obj.(client.Object), client.InNamespace(ns), client.MatchingLabels{LabelRun: e.run}); err != nil && !apierrors.IsNotFound(err) {
				errs = append(errs, fmt.Errorf("kubernetes backend: deleting the run's %s in %s: %w", kind, ns, err))
			}
		}
	}
	return errors.Join(errs...)
}

// stamp names and labels an object of fault f's window seq.
func (e *Engine) stamp(obj client.Object, f *chaosFault, seq int, d time.Duration) {
	obj.SetNamespace(f.ch.Namespace)
	obj.SetName(ObjectName(e.run, f.name, seq))
	obj.SetLabels(map[string]string{LabelManagedBy: ManagedBy, LabelRun: e.run, LabelFault: labelValue(f.name),
		LabelHost: e.host, LabelPid: strconv.Itoa(e.pid)})
	ann := map[string]string{AnnotationFault: f.name}
	if e.opt.Scenario != "" {
		ann[AnnotationScenario] = e.opt.Scenario
	}
	if d > 0 {
		ann[AnnotationExpires] = time.Now().Add(d + expiryGrace).UTC().Format(time.RFC3339)
	}
	if f.ch.Approximated != "" {
		ann[AnnotationApproximated] = f.ch.Approximated
	}
	obj.SetAnnotations(ann)
}

// chaosFault is one fault's object, made anew for each window it is applied for.
type chaosFault struct {
	e    *Engine
	name string
	ch   *Chaos

	mu   sync.Mutex
	seq  int
	cur  client.Object // the object of the open window; nil: none
	last string        // the last object's kind/namespace/name, for the report
}

var _ faults.Windowed = (*chaosFault)(nil)

func (f *chaosFault) Apply(ctx context.Context) error { return f.ApplyFor(ctx, 0) }

// ApplyFor creates the window's object, with the window as its duration.
func (f *chaosFault) ApplyFor(ctx context.Context, d time.Duration) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.cur != nil {
		return nil
	}
	obj := f.ch.New(d)
	f.e.stamp(obj, f, f.seq, d)
	f.seq++
	f.last = fmt.Sprintf("%s %s/%s", f.ch.Kind, obj.GetNamespace(), obj.GetName())
	if err := f.e.c.Create(ctx, obj); err != nil {
		return fmt.Errorf("create %s: %w", f.last, err)
	}
	f.cur = obj
	return nil
}

// Undo deletes the window's object and waits until it is gone: Chaos Mesh's controller removes
// its finalizer once the fault is recovered.
func (f *chaosFault) Undo(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.cur == nil {
		return nil
	}
	if err := deleteAndWait(ctx, f.e.c, f.cur); err != nil {
		return fmt.Errorf("delete %s: %w", f.last, err)
	}
	f.cur = nil
	return nil
}

// Report names the last object, and what it approximated.
func (f *chaosFault) Report() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ch.Approximated != "" {
		return f.last + "; approximated: " + f.ch.Approximated
	}
	return f.last
}

// deleteAndWait deletes obj and polls until the API server no longer has it, until ctx ends.
func deleteAndWait(ctx context.Context, c client.Client, obj client.Object) error {
	if err := c.Delete(ctx, obj, client.PropagationPolicy("Background")); err != nil && !apierrors.IsNotFound(err) {
		return err
	}
	probe := obj.DeepCopyObject().(client.Object)
	for wait := 20 * time.Millisecond; ; wait = min(2*wait, time.Second) {
		err := c.Get(ctx, client.ObjectKeyFromObject(obj), probe)
		if apierrors.IsNotFound(err) {
			return nil
		}
		if err != nil && ctx.Err() == nil {
			return err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("still there (a finalizer Chaos Mesh has not removed?): %w", ctx.Err())
		case <-t.C:
		}
	}
}

// Namespaces lists the namespaces of the description's services, sorted, each once.
func Namespaces(kube *service.Kubernetes) []string {
	var out []string
	for _, ks := range kube.Services {
		out = append(out, ks.Namespace)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// ObjectName is the name of fault's object for window seq of a run: a DNS subdomain of at most
// 63 characters (Chaos Mesh's controller uses it as a label value).
func ObjectName(run, fault string, seq int) string {
	suffix := "-w" + strconv.Itoa(seq)
	base := "sd-" + run + "-" + strings.Trim(nonName.ReplaceAllString(strings.ToLower(fault), "-"), "-")
	if len(base)+len(suffix) > 63 {
		base = strings.TrimRight(base[:63-len(suffix)], "-")
	}
	return base + suffix
}

var (
	nonName  = regexp.MustCompile(`[^a-z0-9-]+`)
	nonLabel = regexp.MustCompile(`[^A-Za-z0-9._-]+`)
)

// labelValue makes s a label value: at most 63 characters of letters, digits, '.', '_', '-',
// starting and ending with a letter or digit.
func labelValue(s string) string {
	s = nonLabel.ReplaceAllString(s, "-")
	if len(s) > 63 {
		s = s[:63]
	}
	return strings.Trim(s, "-_.")
}

func newRunID() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
