package env

import (
	"context"
	"fmt"

	toxiclient "github.com/Shopify/toxiproxy/v2/client"

	"github.com/shakedown-dev/shakedown/faults/httpfault"
	"github.com/shakedown-dev/shakedown/service"
)

// startKubernetes sets one service of the kubernetes backend up: it runs in the cluster, and no
// proxy of the harness stands in between: its network, pod and stress faults are Chaos Mesh
// objects, which the harness's engine (env/kube) makes. With a fault proxy in the cluster
// (kubernetes.fault_proxy), its query, command and http faults go to the service's proxy there.
func (e *Env) startKubernetes(name string, spec Spec) (*Service, error) {
	ks, ok := spec.Kubernetes.Services[name]
	if !ok {
		return nil, fmt.Errorf("kubernetes backend: no entry for %s", name)
	}
	s := &Service{Name: name, direct: ks.Address, directURL: ks.URL, Proxied: ks.Address, Backend: service.BackendKubernetes,
		Version:   fmt.Sprintf("kubernetes %s/%s", ks.Namespace, ks.Address),
		untouched: "it runs in the cluster (the kubernetes backend), where its faults are Chaos Mesh objects"}
	fp := spec.Kubernetes.FaultProxy
	if fp == nil || (spec.Wire[name] == nil && name != service.Ollama) {
		return s, nil
	}
	run := e.proxyRunOn(fp.API, fp.Lease.D())
	p, err := toxiclient.NewClient(fp.API).Proxy(name)
	if err != nil {
		err = fmt.Errorf("kubernetes backend: proxy %q on the fault proxy at %s: %w (shakedown export proxy writes its configuration: a proxy per service, named after it)", name, run.api, err)
		if spec.Wire[name] != nil {
			return nil, err
		}
		s.http = refusedHTTP{err} // the LLM's http faults, if the run has any, cannot be set
		return s, nil
	}
	if err := e.onFaultProxy(s, name, spec, p, nil); err != nil {
		return nil, fmt.Errorf("kubernetes backend: %w", err)
	}
	return s, nil
}

// refusedHTTP is an LLM whose http faults cannot be set, and why.
type refusedHTTP struct{ err error }

func (r refusedHTTP) Set(context.Context, httpfault.Fault) error { return r.err }
func (r refusedHTTP) Remove(context.Context, string) error       { return nil }
func (r refusedHTTP) Counts(context.Context, string) (uint64, uint64, bool) {
	return 0, 0, false
}
