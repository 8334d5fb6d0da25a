package kube

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// The API server the tests share: a real etcd and kube-apiserver (make deps builds the latter,
// KUBEBUILDER_ASSETS names their folder) with Chaos Mesh's CRDs installed from its module.
// Chaos Mesh's controller does not run, so no fault takes effect: the tests check what the
// harness asks of the cluster (objects accepted by the CRDs' schemas, made and deleted on time),
// not the faults themselves.
var api struct {
	once       sync.Once
	env        *envtest.Environment
	kubeconfig string // a kubeconfig file whose context "envtest" reaches it
	client     client.Client
	err        error
}

// apiServer starts the shared API server the first time and returns a client of it (Chaos
// Mesh's kinds and the core ones) and its kubeconfig. Without the binaries it skips, but in CI
// (CI set) it fails: there, make deps has built them.
func apiServer(t *testing.T) (client.Client, string) {
	t.Helper()
	assets := os.Getenv("KUBEBUILDER_ASSETS")
	crds := filepath.Join(assets, "chaos-mesh-crds")
	if _, err := os.Stat(filepath.Join(assets, "kube-apiserver")); assets == "" || err != nil {
		msg := fmt.Sprintf("no Kubernetes API server: KUBEBUILDER_ASSETS=%q has no kube-apiserver; run make deps (or make test, which sets it)", assets)
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	api.once.Do(func() {
		api.env = &envtest.Environment{CRDDirectoryPaths: []string{crds}, ErrorIfCRDPathMissing: true}
		cfg, err := api.env.Start()
		if err != nil {
			api.err = fmt.Errorf("starting etcd and kube-apiserver from %s: %w", assets, err)
			return
		}
		dir, err := os.MkdirTemp("", "shakedown-kube-")
		if err != nil {
			api.err = err
			return
		}
		api.kubeconfig = filepath.Join(dir, "kubeconfig")
		if api.err = os.WriteFile(api.kubeconfig, api.env.KubeConfig, 0o600); api.err != nil {
			return
		}
		sc := Scheme()
		if api.err = scheme.AddToScheme(sc); api.err != nil {
			return
		}
		api.client, api.err = client.New(cfg, client.Options{Scheme: sc})
	})
	if api.err != nil {
		t.Fatal(api.err)
	}
	return api.client, api.kubeconfig
}

// stopAPIServer stops the shared API server, if it started.
func stopAPIServer() {
	if api.env != nil {
		api.env.Stop()
		os.RemoveAll(filepath.Dir(api.kubeconfig))
	}
}

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		runChild()
		return
	}
	code := m.Run()
	stopAPIServer()
	os.Exit(code)
}

// namespace makes a namespace of the test's own, so that tests running side by side do not see
// each other's objects.
func namespace(t *testing.T, c client.Client, name string) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if err := c.Create(context.Background(), ns); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	return name
}
