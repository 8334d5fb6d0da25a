package env

import (
	"fmt"

	"github.com/shakedown-dev/shakedown/service"
)

// startKubernetes sets one service of the kubernetes backend up: it runs in the cluster, the
// system under test reaches it at its own address, and no proxy stands in between: every fault
// is a Chaos Mesh object, which the harness's engine (env/kube) makes.
func (e *Env) startKubernetes(name string, spec Spec) (*Service, error) {
	ks, ok := spec.Kubernetes.Services[name]
	if !ok {
		return nil, fmt.Errorf("kubernetes backend: no entry for %s", name)
	}
	return &Service{Name: name, direct: ks.Address, directURL: ks.URL, Proxied: ks.Address, Backend: service.BackendKubernetes,
		Version:   fmt.Sprintf("kubernetes %s/%s", ks.Namespace, ks.Address),
		untouched: "it runs in the cluster (the kubernetes backend), where its faults are Chaos Mesh objects"}, nil
}
