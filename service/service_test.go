package service

import (
	"slices"
	"testing"
	"time"

	"github.com/shakedown-dev/shakedown/units"
)

func TestVariables(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ name, url, image string }{
		{Postgres, "SHAKEDOWN_POSTGRES_DSN", "SHAKEDOWN_POSTGRES_IMAGE"},
		{Redis, "SHAKEDOWN_REDIS_URL", "SHAKEDOWN_REDIS_IMAGE"},
		{Ollama, "SHAKEDOWN_OLLAMA_URL", "SHAKEDOWN_OLLAMA_IMAGE"},
	} {
		if got := URLVar(tt.name); got != tt.url {
			t.Errorf("URLVar(%q) = %q; want %q", tt.name, got, tt.url)
		}
		if got := ImageVar(tt.name); got != tt.image {
			t.Errorf("ImageVar(%q) = %q; want %q", tt.name, got, tt.image)
		}
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	ext := &External{Services: map[string]ExternalService{
		Postgres: {Address: "db:5432", Listen: "127.0.0.1:5432"},
		Redis:    {Listen: "127.0.0.1:6379"},
	}}
	kube := &Kubernetes{ProxyDown: "drop", Services: map[string]KubeService{
		Postgres: {Address: "pg:5432", Namespace: "Staging", Selector: map[string]string{"app": "pg"}},
		Redis:    {Namespace: "staging"},
		Ollama:   {Address: "ollama:11434", Namespace: "staging", Selector: map[string]string{"app": "ollama"}},
		SUT:      {Address: "shop:80", Namespace: "staging", Selector: map[string]string{"app": "shop"}},
	}}
	for _, tt := range []struct {
		name     string
		services []string
		backend  string
		ext      *External
		kube     *Kubernetes
		want     []Problem
	}{
		{"defaults", nil, "", nil, nil, nil},
		{"every backend", []string{Redis}, BackendDocker, nil, nil, nil},
		{"unknown and twice", []string{"mysql", Redis, Redis}, BackendLocal, nil, nil, []Problem{
			{"services[0]", `"mysql" is not a service; want postgres, redis or ollama`},
			{"services[2]", `"redis" appears twice`},
		}},
		{"unknown backend", nil, "k8s", nil, nil, []Problem{{"backend", `"k8s"; want auto, local, docker, external or kubernetes`}}},
		{"external without description", nil, BackendExternal, nil, nil, []Problem{{"external", "missing; the external backend needs the services' addresses"}}},
		{"description without external", nil, BackendLocal, ext, nil, []Problem{{"external", "is for the external backend; set backend: external"}}},
		{"external entries", []string{Postgres, Redis, Ollama}, BackendExternal, ext, nil, []Problem{
			{"external.services.redis.address", "missing; want the service's host:port"},
			{"external.services", "ollama is a service of the environment and has no entry"},
		}},
		{"fault lease too short", []string{Postgres}, BackendExternal, &External{Toxiproxy: "http://proxy:8474", FaultLease: units.Duration(500 * time.Millisecond),
			Services: map[string]ExternalService{Postgres: {Address: "db:5432"}}}, nil, []Problem{
			{"external.fault_lease", "500ms; want at least 1s (the harness renews it every third of it), or none for 30s"},
		}},
		{"kubernetes without description", nil, BackendKubernetes, nil, nil, []Problem{{"kubernetes", "missing; the kubernetes backend needs each service's address, namespace and pod selector"}}},
		{"kubernetes fault proxy", []string{Redis}, BackendKubernetes, nil, &Kubernetes{FaultProxy: &KubeFaultProxy{API: "shakedown-proxy:8474", Lease: units.Duration(time.Millisecond)},
			Services: map[string]KubeService{Redis: {Address: "redis:6379", Namespace: "staging", Selector: map[string]string{"app": "redis"}}}}, []Problem{
			{"kubernetes.fault_proxy.api", `"shakedown-proxy:8474"; want the fault proxy's API as the harness reaches it, e.g. http://shakedown-proxy.staging.svc:8474`},
			{"kubernetes.fault_proxy.lease", "1ms; want at least 1s (the harness renews it every third of it), or none for 30s"},
		}},
		{"description without kubernetes", nil, BackendDocker, nil, kube, []Problem{{"kubernetes", "is for the kubernetes backend; set backend: kubernetes"}}},
		{"kubernetes entries", []string{Postgres, Redis}, BackendKubernetes, nil, kube, []Problem{
			{"kubernetes.proxy_down", `"drop"; want partition or pod-failure`},
			{"kubernetes.services.ollama", "is not a service of the environment; want postgres or redis, or sut"},
			{"kubernetes.services.postgres.namespace", `"Staging"; want the namespace of its pods (a DNS label: lower-case letters, digits and '-')`},
			{"kubernetes.services.redis.address", "missing; want the service's host:port as the harness reaches it"},
			{"kubernetes.services.redis.selector", "missing; want the labels that select its pods, e.g. {app.kubernetes.io/name: redis}"},
			{"kubernetes.services.sut", "address and url are the other services'; the system under test is reached at sut.url"},
		}},
		{"kubernetes complete", []string{Postgres}, BackendKubernetes, nil, &Kubernetes{Services: map[string]KubeService{
			Postgres: {Address: "pg.staging.svc:5432", Namespace: "staging", Selector: map[string]string{"app": "pg"}}}}, nil},
	} {
		if got := Check(tt.services, tt.backend, tt.ext, tt.kube); !slices.Equal(got, tt.want) {
			t.Errorf("%s: Check(%q, %q, ...) =\n  %v\nwant\n  %v", tt.name, tt.services, tt.backend, got, tt.want)
		}
	}
}
