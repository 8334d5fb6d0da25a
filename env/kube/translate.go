package kube

import (
	"fmt"
	"math"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/shakedown-dev/shakedown/faults"
	"github.com/shakedown-dev/shakedown/faults/httpfault"
	"github.com/shakedown-dev/shakedown/service"
	"github.com/shakedown-dev/shakedown/units"
)

// Chaos is one fault as Chaos Mesh expresses it: what New makes for each window, and what the
// translation had to approximate (empty: nothing).
type Chaos struct {
	// Kind is the Chaos Mesh kind (NetworkChaos, PodChaos, StressChaos, HTTPChaos).
	Kind string
	// Approximated says how the object differs from the fault, when Chaos Mesh cannot express it
	// exactly and the description allows approximations.
	Approximated string
	// Namespace holds the object: the target's.
	Namespace string
	// New makes the object of one window of length d (0: until deleted), with no name or labels.
	New func(d time.Duration) client.Object
}

// RefusedError is a fault Chaos Mesh cannot express (or can only approximate, in a description
// that does not allow it), with the reason.
type RefusedError struct {
	Fault, Kind, Reason string
	// Approximable is true when approximate: true would run it, as Approximation says.
	Approximable  bool
	Approximation string
}

func (e *RefusedError) Error() string {
	msg := fmt.Sprintf("fault %q (%s): Chaos Mesh cannot express it: %s", e.Fault, e.Kind, e.Reason)
	if e.Approximable {
		msg += fmt.Sprintf("; set kubernetes.approximate: true to run it as %s", e.Approximation)
	}
	return msg
}

// OnFaultProxy reports whether the fault runs on the description's fault proxy instead of as a
// Chaos Mesh object: a query, command or http fault when the description has one
// (kubernetes.fault_proxy), where it runs exactly, decided per request from the run's seed.
func OnFaultProxy(sp faults.Spec, kube *service.Kubernetes) bool {
	if kube.FaultProxy == nil {
		return false
	}
	switch sp.(type) {
	case *faults.Query, *faults.Command, *faults.HTTP:
		return true
	}
	return false
}

// targetOf returns the description's entry for the fault's target, or an error naming those it has.
func targetOf(sp faults.Spec, kube *service.Kubernetes) (service.KubeService, error) {
	c := sp.Base()
	ks, ok := kube.Services[c.Target]
	if !ok {
		return ks, fmt.Errorf("fault %q: target %q has no entry in kubernetes.services (it has %s)", c.Name, c.Target, keys(kube.Services))
	}
	return ks, nil
}

// Translate returns the fault as Chaos Mesh expresses it on the cluster kube describes, or a
// *RefusedError saying why it cannot. Per-window and per-tick probabilities stay the harness's
// draws; a per-connection or per-request one has no Chaos Mesh form.
func Translate(sp faults.Spec, kube *service.Kubernetes) (*Chaos, error) {
	c := sp.Base()
	target, err := targetOf(sp, kube)
	if err != nil {
		return nil, err
	}
	t := &translation{spec: sp, c: c, kube: kube, target: target}
	var ch *Chaos
	switch s := sp.(type) {
	case *faults.Latency:
		ch = t.network(s.Stream, v1alpha1.DelayAction, v1alpha1.TcParameter{Delay: &v1alpha1.DelaySpec{Latency: dur(s.Latency), Jitter: dur(s.Jitter)}})
	case *faults.Bandwidth:
		// Toxiproxy's rate is KB/s; tc's kbps is kilobytes per second too. limit and buffer are
		// Chaos Mesh's documented defaults (bytes queued, bytes of a burst).
		ch = t.network(s.Stream, v1alpha1.BandwidthAction, v1alpha1.TcParameter{Bandwidth: &v1alpha1.BandwidthSpec{Rate: fmt.Sprintf("%dkbps", s.Rate), Limit: 20971520, Buffer: 10000}})
	case *faults.ResetPeer:
		t.approximate("connections reset (TCP RST)", "all packets dropped (NetworkChaos loss 100%): the client times out instead of seeing a reset")
		ch = t.network(s.Stream, v1alpha1.LossAction, v1alpha1.TcParameter{Loss: &v1alpha1.LossSpec{Loss: "100"}})
	case *faults.Timeout:
		if s.Timeout > 0 {
			t.approximate(fmt.Sprintf("data stopped and the connection closed after %s", s.Timeout), "all packets dropped (NetworkChaos loss 100%) for the window, with no close")
		}
		ch = t.network(s.Stream, v1alpha1.LossAction, v1alpha1.TcParameter{Loss: &v1alpha1.LossSpec{Loss: "100"}})
	case *faults.ProxyDown:
		ch = t.down()
	case *faults.Pause:
		t.approximate("the server frozen with its connections open (SIGSTOP)", "a PodChaos pod-failure: the pod's containers are replaced by a pause image, so connections are refused rather than left hanging")
		ch = t.pod(v1alpha1.PodFailureAction, 0)
	case *faults.Kill:
		ch = t.kill(s)
	case *faults.CPUSpike:
		ch = t.cpu(s)
	case *faults.HTTP:
		ch = t.http(s)
	case *faults.SlowClose, *faults.Slicer, *faults.LimitData:
		t.refuse(fmt.Sprintf("Chaos Mesh's NetworkChaos acts on packets (delay, loss, duplicate, corrupt, bandwidth, partition); it has no %s", map[string]string{
			"slow_close": "delayed close", "slicer": "slicing of data into small writes", "limit_data": "close after a number of bytes"}[c.Type]))
	case *faults.Query, *faults.Command:
		t.refuse("Chaos Mesh has no Postgres or Redis protocol faults; query and command faults need a request stage: deploy Shakedown's fault proxy beside the services (shakedown export proxy) and name it in kubernetes.fault_proxy")
	default:
		t.refuse("the kubernetes backend does not know this kind")
	}
	if t.err != nil {
		return nil, t.err
	}
	ch.Namespace = target.Namespace
	ch.Approximated = strings.Join(t.notes, "; ")
	return ch, nil
}

// translation is one fault's translation under way: what it acts on, and what it had to
// approximate or refuse.
type translation struct {
	spec   faults.Spec
	c      *faults.Common
	kube   *service.Kubernetes
	target service.KubeService
	notes  []string
	err    error
}

// approximate notes that the fault runs as something close to it, or refuses it when the
// description does not allow approximations.
func (t *translation) approximate(fault, as string) {
	if t.err != nil {
		return
	}
	if !t.kube.Approximate {
		t.err = &RefusedError{Fault: t.c.Name, Kind: t.c.Type, Reason: "it has no exact form for " + fault, Approximable: true, Approximation: as}
		return
	}
	t.notes = append(t.notes, fault+" → "+as)
}

func (t *translation) refuse(reason string) {
	if t.err == nil {
		t.err = &RefusedError{Fault: t.c.Name, Kind: t.c.Type, Reason: reason}
	}
}

// selector selects the target's pods: all of them, or, for a probability per connection or
// request (which Chaos Mesh has no form for), approximately that share of them.
func (t *translation) selector(name string, ks service.KubeService) v1alpha1.PodSelector {
	sel := v1alpha1.PodSelector{Mode: v1alpha1.AllMode, Selector: v1alpha1.PodSelectorSpec{GenericSelectorSpec: v1alpha1.GenericSelectorSpec{
		Namespaces: []string{ks.Namespace}, LabelSelectors: ks.Selector}}}
	if u := t.spec.Unit(); name == t.c.Target && (u == faults.PerConnection || u == faults.PerRequest) && t.c.P() < 1 {
		pct := int(math.Ceil(t.c.P() * 100))
		t.approximate(fmt.Sprintf("probability %s per %s", units.Probability(t.c.P()), u),
			fmt.Sprintf("%d%% of the selected pods, every %s of theirs (mode fixed-percent): Chaos Mesh has no per-%s probability", pct, u, u))
		sel.Mode, sel.Value = v1alpha1.FixedPercentMode, strconv.Itoa(pct)
	}
	return sel
}

// network is a NetworkChaos on the target's pods. With a sut entry it acts on the traffic
// between them and the system under test alone, as the harness's proxy does: downstream (the
// server's answers) is to the SUT, upstream (its requests) from it. Without one it acts on all
// of the pods' outgoing traffic, and cannot act on upstream alone.
func (t *translation) network(s faults.Stream, action v1alpha1.NetworkChaosAction, tc v1alpha1.TcParameter) *Chaos {
	spec := v1alpha1.NetworkChaosSpec{PodSelector: t.selector(t.c.Target, t.target), Action: action, TcParameter: tc, Direction: v1alpha1.To}
	sut, hasSUT := t.kube.Services[service.SUT]
	switch {
	case hasSUT && t.c.Target != service.SUT:
		target := t.selector(service.SUT, sut)
		spec.Target = &target
		if s.Stream == "upstream" {
			spec.Direction = v1alpha1.From
		}
	case s.Stream == "upstream":
		t.refuse("an upstream (client to server) network fault needs the system under test's pods as its other end: give kubernetes.services.sut a namespace and selector")
	}
	return t.chaos("NetworkChaos", func(d *string) client.Object {
		sp := spec
		sp.Duration = d
		return &v1alpha1.NetworkChaos{Spec: sp}
	})
}

// down cuts the target off: a partition (from the SUT's pods, or from everything), or the pods
// made unavailable (pod-failure), as the description chooses.
func (t *translation) down() *Chaos {
	if t.kube.ProxyDown == service.ProxyDownPodFailure {
		return t.pod(v1alpha1.PodFailureAction, 0)
	}
	spec := v1alpha1.NetworkChaosSpec{PodSelector: t.selector(t.c.Target, t.target), Action: v1alpha1.PartitionAction, Direction: v1alpha1.Both}
	if sut, ok := t.kube.Services[service.SUT]; ok && t.c.Target != service.SUT {
		target := t.selector(service.SUT, sut)
		spec.Target = &target
	} else {
		spec.Direction = v1alpha1.To
	}
	return t.chaos("NetworkChaos", func(d *string) client.Object {
		sp := spec
		sp.Duration = d
		return &v1alpha1.NetworkChaos{Spec: sp}
	})
}

// pod is a PodChaos on the target's pods (its container, when the entry names one, for
// container-kill).
func (t *translation) pod(action v1alpha1.PodChaosAction, grace int64) *Chaos {
	cs := v1alpha1.ContainerSelector{PodSelector: t.selector(t.c.Target, t.target)}
	if action == v1alpha1.ContainerKillAction {
		cs.ContainerNames = []string{t.target.Container}
	}
	return t.chaos("PodChaos", func(d *string) client.Object {
		spec := v1alpha1.PodChaosSpec{ContainerSelector: cs, Action: action, GracePeriod: grace}
		if action == v1alpha1.PodFailureAction {
			spec.Duration = d // a kill is over at once; its window has no length in Chaos Mesh
		}
		return &v1alpha1.PodChaos{Spec: spec}
	})
}

// kill kills the target's pods (pod-kill), or its container when the entry names one
// (container-kill). The pods' controller restarts them at once, not at the window's end.
func (t *translation) kill(s *faults.Kill) *Chaos {
	if t.target.Container != "" {
		if s.Graceful {
			t.approximate("a graceful kill (SIGTERM) of one container", "a container-kill, which has no grace period")
		}
		return t.pod(v1alpha1.ContainerKillAction, 0)
	}
	var grace int64
	if s.Graceful {
		grace = 10 // the harness's own grace before SIGKILL
	}
	return t.pod(v1alpha1.PodKillAction, grace)
}

// cpu stresses the target's pods (its container, when the entry names one): workers at load.
func (t *translation) cpu(s *faults.CPUSpike) *Chaos {
	workers := s.Cores
	if workers == 0 {
		t.approximate("load on every core (cores: 0)", "one worker: the pod's core count is not known here; set cores")
		workers = 1
	}
	load := int(math.Round(s.Load.F() * 100))
	cs := v1alpha1.ContainerSelector{PodSelector: t.selector(t.c.Target, t.target)}
	if t.target.Container != "" {
		cs.ContainerNames = []string{t.target.Container}
	}
	return t.chaos("StressChaos", func(d *string) client.Object {
		return &v1alpha1.StressChaos{Spec: v1alpha1.StressChaosSpec{ContainerSelector: cs, Duration: d,
			Stressors: &v1alpha1.Stressors{CPUStressor: &v1alpha1.CPUStressor{Stressor: v1alpha1.Stressor{Workers: workers}, Load: &load}}}}
	})
}

// http is an HTTPChaos on the target's HTTP port: an error status replaces the response's code,
// latency delays the request, a drop aborts it. Chaos Mesh has no form for the faults inside a
// body (stalls, malformed chunks, a stream cut after some chunks).
func (t *translation) http(s *faults.HTTP) *Chaos {
	port := t.target.Port
	if port == 0 {
		if _, p, err := net.SplitHostPort(t.target.Address); err == nil {
			port, _ = strconv.Atoi(p)
		}
	}
	if port == 0 {
		t.refuse(fmt.Sprintf("an HTTP fault needs the pod's HTTP port: give kubernetes.services.%s a port", t.c.Target))
	}
	spec := v1alpha1.HTTPChaosSpec{PodSelector: t.selector(t.c.Target, t.target), Port: int32(port)}
	if s.Method != "" {
		spec.Method = &s.Method
	}
	if s.PathPrefix != "" {
		p := strings.TrimSuffix(s.PathPrefix, "*") + "*"
		spec.Path = &p
	}
	switch s.Action.Kind {
	case httpfault.KindError:
		code := int32(s.Status)
		if code == 0 {
			code = 503
		}
		spec.Target = v1alpha1.PodHttpResponse
		spec.Replace = &v1alpha1.PodHttpChaosReplaceActions{Code: &code}
		if s.RetryAfter > 0 {
			spec.ResponseHeaders = map[string]string{"Retry-After": strconv.Itoa(int(math.Ceil(s.RetryAfter.D().Seconds())))}
		}
	case httpfault.KindLatency:
		spec.Target = v1alpha1.PodHttpRequest
		d := dur(s.Delay)
		spec.Delay = &d
	case httpfault.KindDrop:
		spec.Target = v1alpha1.PodHttpRequest
		abort := true
		spec.Abort = &abort
		if s.AfterChunks > 0 {
			t.approximate(fmt.Sprintf("a connection dropped after %d chunks", s.AfterChunks), "the request aborted before any answer")
		}
	default:
		t.refuse(fmt.Sprintf("HTTPChaos aborts, delays or rewrites whole requests and responses; it has no %s fault (a body that stalls, is malformed or ends early)", s.Action.Kind))
	}
	if s.Max > 0 {
		t.approximate(fmt.Sprintf("only the first %d injections", s.Max), "every matching request of the window")
	}
	return t.chaos("HTTPChaos", func(d *string) client.Object {
		sp := spec
		sp.Duration = d
		return &v1alpha1.HTTPChaos{Spec: sp}
	})
}

// chaos wraps a kind's constructor: a window of length d becomes the object's duration, so that
// Chaos Mesh ends it even if the harness dies before deleting it.
func (t *translation) chaos(kind string, mk func(d *string) client.Object) *Chaos {
	return &Chaos{Kind: kind, New: func(d time.Duration) client.Object {
		var dp *string
		if d > 0 {
			s := d.Round(time.Second).String()
			if d < time.Second {
				s = d.String()
			}
			dp = &s
		}
		obj := mk(dp)
		obj.GetObjectKind().SetGroupVersionKind(v1alpha1.SchemeGroupVersion.WithKind(kind))
		return obj
	}}
}

// dur formats a duration as Chaos Mesh's fields take it (Go's form: 250ms, 1m30s).
func dur(d units.Duration) string {
	if d == 0 {
		return "0ms"
	}
	return d.D().String()
}

func keys(m map[string]service.KubeService) string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, ", ")
}
