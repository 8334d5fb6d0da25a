package ollama_test

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/ollama/ollama/api"
)

// TestImage runs the FROM-scratch image built by `make images` and talks to it with the official
// client. It is skipped with -short and where no Docker engine answers; with an engine it needs
// the image (make test builds it first).
func TestImage(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: no containers")
	}
	if exec.Command("docker", "info").Run() != nil {
		t.Skip("no Docker engine answers `docker info`")
	}
	image := os.Getenv("SHAKEDOWN_OLLAMA_IMAGE")
	if image == "" {
		image = "shakedown/mock-ollama:dev"
	}
	if out, err := exec.Command("docker", "image", "inspect", image).CombinedOutput(); err != nil {
		t.Fatalf("image %s is missing (run `make images`): %s", image, out)
	}
	out, err := exec.Command("docker", "run", "-d", "--rm", "-p", "127.0.0.1::11434", "--label", "dev.shakedown.test=mock-ollama", image, "--seed", "5").Output()
	if err != nil {
		t.Fatalf("docker run %s: %v", image, err)
	}
	id := strings.TrimSpace(string(out))
	t.Cleanup(func() { exec.Command("docker", "rm", "-f", id).Run() })
	port, err := exec.Command("docker", "port", id, "11434/tcp").Output()
	if err != nil {
		t.Fatalf("docker port: %v", err)
	}
	u, _ := url.Parse("http://" + strings.TrimSpace(strings.Split(string(port), "\n")[0]))
	hc := &http.Client{Transport: &http.Transport{}}
	defer hc.CloseIdleConnections()
	c := api.NewClient(u, hc)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for ctx.Err() == nil {
		if v, err := c.Version(ctx); err == nil {
			if v != "0.17.4" {
				t.Errorf("Version = %q", v)
			}
			break
		}
		time.Sleep(50 * time.Millisecond) // the container's listener comes up; nothing to wait on but the port
	}
	var text strings.Builder
	if err := c.Generate(ctx, &api.GenerateRequest{Model: "llama3.2", Prompt: "hi"}, func(r api.GenerateResponse) error {
		text.WriteString(r.Response)
		return nil
	}); err != nil || text.Len() == 0 {
		t.Errorf("Generate through the container = %q, %v", text.String(), err)
	}
}
