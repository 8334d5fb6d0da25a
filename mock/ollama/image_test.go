package ollama_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/ollama/ollama/api"
)

// docker runs the docker CLI and returns its trimmed output.
func docker(t *testing.T, args ...string) (string, error) {
	t.Helper()
	out, err := exec.Command("docker", args...).CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

// TestImage runs the FROM-scratch image built by images/mock-ollama/build.sh (make images), talks
// to it with the official client, sets a fault over its admin endpoint, and stops it: SIGTERM
// shuts it down gracefully with exit code 0. Skipped with -short and where no Docker engine
// answers; with an engine the image must exist (make test builds it first).
func TestImage(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: no containers")
	}
	if exec.Command("docker", "info").Run() != nil {
		t.Skip("no Docker engine answers `docker info`")
	}
	t.Parallel()
	image := os.Getenv("SHAKEDOWN_OLLAMA_IMAGE")
	if image == "" {
		image = "shakedown/mock-ollama:dev"
	}
	if out, err := docker(t, "image", "inspect", image); err != nil {
		t.Fatalf("image %s is missing (run make images): %s", image, out)
	}
	id, err := docker(t, "run", "-d", "-p", "127.0.0.1::11434", "--label", "dev.shakedown.test=mock-ollama", image, "--seed", "5", "--tokens", "4")
	if err != nil {
		t.Fatalf("docker run %s: %v: %s", image, err, id)
	}
	t.Cleanup(func() { exec.Command("docker", "rm", "-f", id).Run() })
	port, err := docker(t, "port", id, "11434/tcp")
	if err != nil {
		t.Fatalf("docker port: %v: %s", err, port)
	}
	base := "http://" + strings.Split(port, "\n")[0]
	u, _ := url.Parse(base)
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	c := api.NewClient(u, &http.Client{Transport: tr})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// The published port accepts before the server inside listens: poll, bounded by ctx.
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for c.Heartbeat(ctx) != nil {
		select {
		case <-ctx.Done():
			t.Fatalf("the container never answered: %v", ctx.Err())
		case <-tick.C:
		}
	}
	if v, err := c.Version(ctx); err != nil || v != "0.17.4" {
		t.Errorf("Version = %q, %v; want 0.17.4", v, err)
	}
	var text strings.Builder
	if err := c.Generate(ctx, &api.GenerateRequest{Model: "llama3.2", Prompt: "hi"}, func(r api.GenerateResponse) error {
		text.WriteString(r.Response)
		return nil
	}); err != nil || len(strings.Fields(text.String())) != 4 {
		t.Errorf("Generate through the container = %q, %v; want 4 words", text.String(), err)
	}

	req, _ := http.NewRequest("PUT", base+"/__shakedown/faults", strings.NewReader(`{"name":"down","kind":"error","status":503,"probability":1}`))
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("PUT a fault into the container = %v, %v", resp, err)
	}
	resp.Body.Close()
	var se api.StatusError
	if _, err := c.List(ctx); !errors.As(err, &se) || se.StatusCode != 503 {
		t.Errorf("List under the fault = %v; want a 503 StatusError", err)
	}

	if out, err := docker(t, "stop", "-t", "10", id); err != nil {
		t.Fatalf("docker stop: %v: %s", err, out)
	}
	code, _ := docker(t, "inspect", "-f", "{{.State.ExitCode}}", id)
	logs, _ := docker(t, "logs", id)
	if code != "0" || !strings.Contains(logs, "mock-ollama stopped") {
		t.Errorf("after docker stop (SIGTERM): exit code %s, logs %q; want 0 and a graceful stop", code, logs)
	}
}
