package kube

import (
	"context"
	"errors"

	"k8s.io/client-go/rest"

	"github.com/shakedown-dev/shakedown/faults"
	"github.com/shakedown-dev/shakedown/service"
)

// Backend is the kubernetes backend as the harness takes it (harness.KubernetesBackend).
type Backend struct {
	// Context overrides each description's kubeconfig context (--kube-context).
	Context string
	// Kubeconfig is the kubeconfig file (--kubeconfig). Empty: the usual places.
	Kubeconfig string
	// Config, when set, reaches this API server instead of the kubeconfig (a test's); Context
	// then names it for the allow-list.
	Config *rest.Config
}

// Check refuses every fault Chaos Mesh cannot express on desc, each with its reason; the faults
// that run on the description's fault proxy are the harness's (OnFaultProxy).
func (b Backend) Check(desc *service.Kubernetes, specs []faults.Spec) error {
	var errs []error
	for _, sp := range specs {
		if OnFaultProxy(sp, desc) {
			if _, err := targetOf(sp, desc); err != nil {
				errs = append(errs, err)
			}
			continue
		}
		if _, err := Translate(sp, desc); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Open opens the engine of a run of the named scenario (Open).
func (b Backend) Open(ctx context.Context, desc *service.Kubernetes, allow []string, scenario string) (faults.Engine, error) {
	e, err := Open(ctx, desc, Options{Context: b.Context, Kubeconfig: b.Kubeconfig, Config: b.Config, Allow: allow, Scenario: scenario})
	if err != nil {
		return nil, err
	}
	return e, nil
}
