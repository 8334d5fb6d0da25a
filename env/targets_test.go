package env

import (
	"io"
	"net/http"
	"testing"

	"github.com/shakedown-dev/shakedown/faults/httpfault"
	"github.com/shakedown-dev/shakedown/service"
)

// TestFaultTargetsHTTP: HTTP faults reach the mock Ollama in-process (local) and over its admin
// endpoint (in its container), and the proxies are the targets of network faults.
func TestFaultTargetsHTTP(t *testing.T) {
	t.Parallel()
	for _, b := range backends {
		t.Run(b, func(t *testing.T) {
			t.Parallel()
			e := startOn(t, Spec{Backend: b, Services: []string{service.Ollama}})
			ol := mustService(t, e, service.Ollama)
			in, err := e.FaultTargets().HTTP(service.Ollama)
			if err != nil {
				t.Fatal(err)
			}
			status := func() int {
				resp, err := http.Get(ol.URL + "/api/version")
				if err != nil {
					t.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				return resp.StatusCode
			}
			if err := in.Set(t.Context(), httpfault.Fault{Name: "down", Probability: 1, Action: httpfault.Action{Kind: httpfault.KindError, Status: 503}}); err != nil {
				t.Fatal(err)
			}
			if got := status(); got != 503 {
				t.Errorf("under the fault: %d; want 503", got)
			}
			if decided, injected, ok := in.Counts(t.Context(), "down"); !ok || decided != 1 || injected != 1 {
				t.Errorf("Counts(down) = %d, %d, %v; want 1, 1, true", decided, injected, ok)
			}
			if err := in.Remove(t.Context(), "down"); err != nil {
				t.Errorf("Remove(down) = %v", err)
			}
			if got := status(); got != 200 {
				t.Errorf("after Remove: %d; want 200", got)
			}
			if err := in.Set(t.Context(), httpfault.Fault{Name: "bad", Action: httpfault.Action{Kind: "explode"}}); err == nil {
				t.Error("Set of an invalid fault succeeded")
			}
			if _, err := e.FaultTargets().Proxy("mysql"); err == nil {
				t.Error(`Proxy("mysql") found a service`)
			}
		})
	}
}
