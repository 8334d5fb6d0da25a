// Package kubetest runs a real Kubernetes API server for tests: etcd and kube-apiserver from
// KUBEBUILDER_ASSETS (make deps builds the API server; make test sets the variable), with Chaos
// Mesh's CRDs installed from the folder chaos-mesh-crds beside them. Chaos Mesh's controller does
// not run, so no fault takes effect: tests see what the harness asks of the cluster (objects the
// CRDs' schemas accept, made and deleted on time), not the faults themselves.
package kubetest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// Context is the kubeconfig context that reaches the server.
const Context = "envtest"

var api struct {
	once       sync.Once
	env        *envtest.Environment
	kubeconfig string
	client     client.Client
	err        error
}

// Server starts the package's API server the first time and returns a client of it (Chaos
// Mesh's kinds and the core ones) and a kubeconfig file whose context Context reaches it. Under
// -short (no servers) it skips the test; without the binaries too, but in CI (CI set) it fails:
// there, make deps has built them.
func Server(t testing.TB) (client.Client, string) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: no API server")
	}
	assets := os.Getenv("KUBEBUILDER_ASSETS")
	if _, err := os.Stat(filepath.Join(assets, "kube-apiserver")); assets == "" || err != nil {
		msg := fmt.Sprintf("no Kubernetes API server: KUBEBUILDER_ASSETS=%q has no kube-apiserver; run make deps (make test sets the variable)", assets)
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	api.once.Do(func() { api.err = start(assets) })
	if api.err != nil {
		t.Fatal(api.err)
	}
	return api.client, api.kubeconfig
}

func start(assets string) error {
	api.env = &envtest.Environment{CRDDirectoryPaths: []string{filepath.Join(assets, "chaos-mesh-crds")}, ErrorIfCRDPathMissing: true}
	cfg, err := api.env.Start()
	if err != nil {
		return fmt.Errorf("starting etcd and kube-apiserver from %s: %w", assets, err)
	}
	dir, err := os.MkdirTemp("", "shakedown-kube-")
	if err != nil {
		return err
	}
	api.kubeconfig = filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(api.kubeconfig, api.env.KubeConfig, 0o600); err != nil {
		return err
	}
	sc := runtime.NewScheme()
	if err := errors.Join(v1alpha1.AddToScheme(sc), scheme.AddToScheme(sc)); err != nil {
		return err
	}
	api.client, err = client.New(cfg, client.Options{Scheme: sc})
	return err
}

// Main runs a package's tests and stops the API server, if one started.
func Main(m *testing.M) int {
	code := m.Run()
	if api.env != nil {
		api.env.Stop()
		os.RemoveAll(filepath.Dir(api.kubeconfig))
	}
	return code
}

// Namespace makes a namespace, so that tests side by side do not see each other's objects.
func Namespace(t testing.TB, c client.Client, name string) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if err := c.Create(context.Background(), ns); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	return name
}

// Objects lists the Chaos Mesh objects of these kinds in ns (with these label pairs), as
// "Kind/name", sorted.
func Objects(t testing.TB, c client.Client, ns string, kinds []string, labels ...string) []string {
	t.Helper()
	sel := client.MatchingLabels{}
	for i := 0; i+1 < len(labels); i += 2 {
		sel[labels[i]] = labels[i+1]
	}
	var out []string
	for _, kind := range kinds {
		list := &metav1.PartialObjectMetadataList{}
		list.SetGroupVersionKind(v1alpha1.SchemeGroupVersion.WithKind(kind + "List"))
		if err := c.List(context.Background(), list, client.InNamespace(ns), sel); err != nil {
			t.Fatal(err)
		}
		for _, o := range list.Items {
			out = append(out, kind+"/"+o.Name)
		}
	}
	slices.Sort(out)
	return out
}
