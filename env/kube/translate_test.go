package kube

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/shakedown-dev/shakedown/faults"
	"github.com/shakedown-dev/shakedown/faults/httpfault"
	"github.com/shakedown-dev/shakedown/service"
	"github.com/shakedown-dev/shakedown/units"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// staging is a description of a cluster's staging namespace, with the SUT's pods.
func staging(ns string, approximate bool) *service.Kubernetes {
	return &service.Kubernetes{Context: "envtest", Approximate: approximate, Services: map[string]service.KubeService{
		service.Postgres: {Address: "postgres." + ns + ".svc:5432", Namespace: ns, Selector: map[string]string{"app.kubernetes.io/name": "postgres"}},
		service.Redis:    {Address: "redis." + ns + ".svc:6379", Namespace: ns, Selector: map[string]string{"app.kubernetes.io/name": "redis"}},
		service.Ollama:   {Address: "ollama." + ns + ".svc:11434", Namespace: ns, Selector: map[string]string{"app.kubernetes.io/name": "ollama"}},
		service.SUT:      {Namespace: ns, Selector: map[string]string{"app.kubernetes.io/name": "shop"}, Container: "shop"},
	}}
}

func common(name, kind, target string) faults.Common {
	return faults.Common{Name: name, Type: kind, Target: target}
}

func p(v float64) *units.Probability   { x := units.Probability(v); return &x }
func d(v time.Duration) units.Duration { return units.Duration(v) }

// everyKind is a fault of each kind the backend can run (with approximations allowed).
func everyKind() []faults.Spec {
	withP := func(c faults.Common, v float64) faults.Common { c.Probability = p(v); return c }
	return []faults.Spec{
		&faults.Latency{Common: common("db-slow", "latency", service.Postgres), Latency: d(250 * time.Millisecond), Jitter: d(50 * time.Millisecond)},
		&faults.Latency{Common: withP(common("db-slow-some", "latency", service.Postgres), 0.3), Stream: faults.Stream{Stream: "upstream"}, Latency: d(time.Second)},
		&faults.Bandwidth{Common: common("cache-narrow", "bandwidth", service.Redis), Rate: 64},
		&faults.ResetPeer{Common: common("cache-resets", "reset_peer", service.Redis), Timeout: d(100 * time.Millisecond)},
		&faults.Timeout{Common: common("cache-silent", "timeout", service.Redis)},
		&faults.ProxyDown{Common: common("db-down", "proxy_down", service.Postgres)},
		&faults.Pause{Common: common("db-frozen", "pause", service.Postgres)},
		&faults.Kill{Common: common("db-killed", "kill", service.Postgres), Graceful: true},
		&faults.Kill{Common: common("sut-killed", "kill", service.SUT)},
		&faults.CPUSpike{Common: withP(common("sut-cpu", "cpu", service.SUT), 0.5), Load: 0.8, Cores: 2},
		&faults.HTTP{Common: withP(common("llm-503", "http", service.Ollama), 0.2), Action: httpfault.Action{Kind: httpfault.KindError, Status: 503, RetryAfter: d(2 * time.Second), PathPrefix: "/api/chat"}},
		&faults.HTTP{Common: common("llm-slow", "http", service.Ollama), Action: httpfault.Action{Kind: httpfault.KindLatency, Delay: d(3 * time.Second), Method: "POST"}},
		&faults.HTTP{Common: common("llm-drops", "http", service.Ollama), Action: httpfault.Action{Kind: httpfault.KindDrop}},
	}
}

// TestTranslate pins each kind's Chaos Mesh object (testdata/translate.golden, -update to
// rewrite) and the points that matter in it.
func TestTranslate(t *testing.T) {
	t.Parallel()
	kube := staging("staging", true)
	var golden strings.Builder
	objs := map[string]map[string]any{}
	for _, sp := range everyKind() {
		ch, err := Translate(sp, kube)
		if err != nil {
			t.Fatalf("%s: %v", sp.Base().Name, err)
		}
		obj := ch.New(30 * time.Second)
		b, err := manifestYAML(obj)
		if err != nil {
			t.Fatal(err)
		}
		golden.WriteString("# " + sp.Base().Name + " (" + sp.Kind() + ")")
		if ch.Approximated != "" {
			golden.WriteString(", approximated: " + ch.Approximated)
		}
		golden.WriteString("\n" + string(b) + "---\n")
		var m map[string]any
		raw, _ := json.Marshal(obj)
		json.Unmarshal(raw, &m)
		objs[sp.Base().Name] = m["spec"].(map[string]any)
	}
	compareGolden(t, "testdata/translate.golden", golden.String())

	get := func(name string, path ...string) any {
		var v any = objs[name]
		for _, k := range path {
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		}
		return v
	}
	for _, c := range []struct {
		fault string
		path  []string
		want  any
	}{
		{"db-slow", []string{"action"}, "delay"},
		{"db-slow", []string{"delay", "latency"}, "250ms"},
		{"db-slow", []string{"delay", "jitter"}, "50ms"},
		{"db-slow", []string{"direction"}, "to"}, // the server's answers, to the SUT's pods
		{"db-slow", []string{"target", "selector", "labelSelectors", "app.kubernetes.io/name"}, "shop"},
		{"db-slow", []string{"mode"}, "all"},
		{"db-slow", []string{"duration"}, "30s"},
		{"db-slow-some", []string{"direction"}, "from"}, // the SUT's requests
		{"db-slow-some", []string{"mode"}, "fixed-percent"},
		{"db-slow-some", []string{"value"}, "30"},
		{"cache-narrow", []string{"bandwidth", "rate"}, "64kbps"},
		{"cache-resets", []string{"loss", "loss"}, "100"},
		{"db-down", []string{"action"}, "partition"},
		{"db-down", []string{"direction"}, "both"},
		{"db-frozen", []string{"action"}, "pod-failure"},
		{"db-killed", []string{"action"}, "pod-kill"},
		{"db-killed", []string{"gracePeriod"}, float64(10)},
		{"db-killed", []string{"duration"}, nil}, // a kill is over at once
		{"sut-killed", []string{"action"}, "container-kill"},
		{"sut-killed", []string{"containerNames"}, []any{"shop"}},
		{"sut-cpu", []string{"stressors", "cpu", "workers"}, float64(2)},
		{"sut-cpu", []string{"stressors", "cpu", "load"}, float64(80)},
		{"sut-cpu", []string{"mode"}, "all"}, // drawn per tick by the harness: no approximation
		{"llm-503", []string{"target"}, "Response"},
		{"llm-503", []string{"replace", "code"}, float64(503)},
		{"llm-503", []string{"response_headers", "Retry-After"}, "2"},
		{"llm-503", []string{"port"}, float64(11434)},
		{"llm-503", []string{"path"}, "/api/chat*"},
		{"llm-503", []string{"value"}, "20"},
		{"llm-slow", []string{"delay"}, "3s"},
		{"llm-slow", []string{"method"}, "POST"},
		{"llm-drops", []string{"abort"}, true},
	} {
		if got := get(c.fault, c.path...); !equalJSON(got, c.want) {
			t.Errorf("%s: spec.%s = %v; want %v", c.fault, strings.Join(c.path, "."), got, c.want)
		}
	}
}

func equalJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// TestRefusals: what Chaos Mesh cannot express is refused with the reason; what it can only
// approximate is refused unless the description allows it, and then says how.
func TestRefusals(t *testing.T) {
	t.Parallel()
	exact, approx := staging("staging", false), staging("staging", true)
	noSUT := staging("staging", false)
	delete(noSUT.Services, service.SUT)
	for _, c := range []struct {
		spec     faults.Spec
		kube     *service.Kubernetes
		want     string // in the error; "" for none
		approxed string // in Approximated, when it runs
	}{
		{&faults.SlowClose{Common: common("a", "slow_close", service.Redis)}, approx, "it has no delayed close", ""},
		{&faults.Slicer{Common: common("a", "slicer", service.Redis)}, approx, "no slicing of data", ""},
		{&faults.LimitData{Common: common("a", "limit_data", service.Redis)}, approx, "close after a number of bytes", ""},
		{&faults.Query{Common: common("a", "query", service.Postgres)}, approx, "no Postgres or Redis protocol faults", ""},
		{&faults.HTTP{Common: common("a", "http", service.Ollama), Action: httpfault.Action{Kind: httpfault.KindStall}}, approx, "it has no stall fault", ""},
		{&faults.HTTP{Common: common("a", "http", service.Ollama), Action: httpfault.Action{Kind: httpfault.KindStreamError, AfterChunks: 3}}, approx, "it has no stream-error fault", ""},
		{&faults.ResetPeer{Common: common("a", "reset_peer", service.Redis)}, exact, "set kubernetes.approximate: true to run it as all packets dropped", ""},
		{&faults.ResetPeer{Common: common("a", "reset_peer", service.Redis)}, approx, "", "connections reset (TCP RST) → all packets dropped"},
		{&faults.HTTP{Common: faults.Common{Name: "a", Type: "http", Target: service.Ollama, Probability: p(0.1)}, Action: httpfault.Action{Kind: httpfault.KindError}}, exact,
			"no exact form for probability 10% per request", ""},
		{&faults.Latency{Common: common("a", "latency", service.Redis), Stream: faults.Stream{Stream: "upstream"}, Latency: d(time.Second)}, noSUT, "give kubernetes.services.sut a namespace and selector", ""},
		{&faults.CPUSpike{Common: common("a", "cpu", service.SUT), Load: 0.5}, exact, "load on every core (cores: 0)", ""},
		{&faults.Pause{Common: common("a", "pause", service.Postgres)}, exact, "frozen with its connections open", ""},
		{&faults.Latency{Common: common("a", "latency", "mysql"), Latency: d(time.Second)}, exact, `target "mysql" has no entry in kubernetes.services`, ""},
		{&faults.Kill{Common: common("a", "kill", service.Postgres)}, exact, "", ""},
	} {
		ch, err := Translate(c.spec, c.kube)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v; want it to run", c.spec.Kind(), err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: error %v; want one saying %q", c.spec.Kind(), err, c.want)
		case c.want == "" && !strings.Contains(ch.Approximated, c.approxed):
			t.Errorf("%s: approximated %q; want %q in it", c.spec.Kind(), ch.Approximated, c.approxed)
		case c.want == "" && c.approxed == "" && ch.Approximated != "":
			t.Errorf("%s: approximated %q; want it exact", c.spec.Kind(), ch.Approximated)
		}
		var re *RefusedError
		if err != nil && strings.Contains(c.want, "Chaos Mesh") && !errors.As(err, &re) {
			t.Errorf("%s: %T; want a *RefusedError", c.spec.Kind(), err)
		}
	}
}

// webhooked is a Chaos Mesh kind with its admission webhook's defaulting and validation, which
// the tests run in-process (the webhook server is Chaos Mesh's controller's).
type webhooked interface {
	client.Object
	Default(ctx context.Context, obj runtime.Object) error
	ValidateCreate(ctx context.Context, obj runtime.Object) (admission.Warnings, error)
}

// admit runs Chaos Mesh's webhook on a copy of obj, as the cluster would on create.
func admit(obj client.Object) error {
	w, ok := obj.DeepCopyObject().(webhooked)
	if !ok {
		return errors.New("not a Chaos Mesh kind with a webhook")
	}
	if err := w.Default(context.Background(), w); err != nil {
		return err
	}
	_, err := w.ValidateCreate(context.Background(), w)
	return err
}

// TestWebhookAcceptsEveryKind: Chaos Mesh's own admission checks (its Go code, run here)
// accept every object the backend makes.
func TestWebhookAcceptsEveryKind(t *testing.T) {
	t.Parallel()
	kube := staging("staging", true)
	for _, sp := range everyKind() {
		ch, err := Translate(sp, kube)
		if err != nil {
			t.Fatal(err)
		}
		for _, win := range []time.Duration{0, 1500 * time.Millisecond, 90 * time.Second} {
			if err := admit(ch.New(win)); err != nil {
				t.Errorf("%s (window %s): Chaos Mesh's webhook refuses it: %v", sp.Base().Name, win, err)
			}
		}
	}
	// and it can refuse: a delay with a latency that is not a duration
	bad := everyKind()[0].(*faults.Latency)
	ch, _ := Translate(bad, kube)
	obj := ch.New(0)
	raw, _ := json.Marshal(obj)
	broken := strings.Replace(string(raw), `"latency":"250ms"`, `"latency":"soon"`, 1)
	fresh := ch.New(0)
	if err := json.Unmarshal([]byte(broken), fresh); err != nil {
		t.Fatal(err)
	}
	if err := admit(fresh); err == nil {
		t.Error("the webhook accepts a latency of \"soon\": this check could not fail")
	}
}

func compareGolden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to write it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs (run with -update to rewrite it, and read the diff):\n%s", path, firstDiff(string(want), got))
	}
}

// firstDiff shows the first line where two texts differ.
func firstDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := range max(len(w), len(g)) {
		var a, b string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			b = g[i]
		}
		if a != b {
			return "line " + itoa(i+1) + ":\n  want " + a + "\n  got  " + b
		}
	}
	return ""
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }
