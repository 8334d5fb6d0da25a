package service

import (
	"slices"
	"testing"
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
	for _, tt := range []struct {
		name     string
		services []string
		backend  string
		ext      *External
		want     []Problem
	}{
		{"defaults", nil, "", nil, nil},
		{"every backend", []string{Redis}, BackendDocker, nil, nil},
		{"unknown and twice", []string{"mysql", Redis, Redis}, BackendLocal, nil, []Problem{
			{"services[0]", `"mysql" is not a service; want postgres, redis or ollama`},
			{"services[2]", `"redis" appears twice`},
		}},
		{"unknown backend", nil, "k8s", nil, []Problem{{"backend", `"k8s"; want auto, local, docker or external`}}},
		{"external without description", nil, BackendExternal, nil, []Problem{{"external", "missing; the external backend needs the services' addresses"}}},
		{"description without external", nil, BackendLocal, ext, []Problem{{"external", "is for the external backend; set backend: external"}}},
		{"external entries", []string{Postgres, Redis, Ollama}, BackendExternal, ext, []Problem{
			{"external.services.redis.address", "missing; want the service's host:port"},
			{"external.services", "ollama is a service of the environment and has no entry"},
		}},
	} {
		if got := Check(tt.services, tt.backend, tt.ext); !slices.Equal(got, tt.want) {
			t.Errorf("%s: Check(%q, %q, ...) =\n  %v\nwant\n  %v", tt.name, tt.services, tt.backend, got, tt.want)
		}
	}
}
