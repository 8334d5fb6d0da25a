package env

import (
	"strings"
	"testing"

	"github.com/shakedown-dev/shakedown/faults/wirefault"
	"github.com/shakedown-dev/shakedown/service"
)

// TestWireSpecChecks: a request stage is refused on a service it cannot speak for and with an
// injector of the other protocol; external services with embedded proxies (listen addresses)
// take it, and so does a Toxiproxy server, which may be a fault proxy: what it is is asked when
// the environment starts (harness.TestExternalBackendThroughFaultProxy has both answers).
func TestWireSpecChecks(t *testing.T) {
	t.Parallel()
	pg, _ := wirefault.New(wirefault.Config{Protocol: wirefault.Postgres})
	defer pg.Close()
	ext := func(toxiproxy string) *service.External {
		return &service.External{Toxiproxy: toxiproxy, Services: map[string]service.ExternalService{
			service.Postgres: {Address: "127.0.0.1:5432", Listen: "127.0.0.1:15432"}}}
	}
	for _, tt := range []struct {
		name string
		spec Spec
		want string // "" : valid
	}{
		{"ollama", Spec{Wire: map[string]*wirefault.Injector{service.Ollama: pg}}, `request faults on "ollama": want postgres or redis`},
		{"wrong protocol", Spec{Wire: map[string]*wirefault.Injector{service.Redis: pg}}, "request faults on redis: the injector speaks postgres"},
		{"toxiproxy server", Spec{Backend: service.BackendExternal, Services: []string{service.Postgres}, External: ext("http://toxiproxy.staging.internal:8474"),
			Wire: map[string]*wirefault.Injector{service.Postgres: pg}}, ""},
		{"embedded proxies", Spec{Backend: service.BackendExternal, Services: []string{service.Postgres}, External: ext(""),
			Wire: map[string]*wirefault.Injector{service.Postgres: pg}}, ""},
	} {
		err := tt.spec.Validate()
		if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("%s: Validate = %v; want %q", tt.name, err, tt.want)
		}
	}
}
