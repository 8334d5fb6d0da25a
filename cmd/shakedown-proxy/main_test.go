package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	toxiclient "github.com/Shopify/toxiproxy/v2/client"

	"github.com/shakedown-dev/shakedown/faults/faultproxy"
)

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// TestServesAConfiguration starts the command with a Toxiproxy configuration: Toxiproxy's Go
// client lists its proxy, with the request stage on it; the command exits 0 once its context
// ends (SIGINT or SIGTERM).
func TestServesAConfiguration(t *testing.T) {
	config := filepath.Join(t.TempDir(), "proxies.json")
	if err := os.WriteFile(config, []byte(`[{"name": "postgres", "listen": "127.0.0.1:0", "upstream": "127.0.0.1:5432"}]`), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	var stderr syncBuffer
	code := make(chan int, 1)
	go func() { code <- run(ctx, []string{"--host", "127.0.0.1", "--port", "0", "--config", config}, &stderr) }()
	listening := regexp.MustCompile(`listening on (127\.0\.0\.1:\d+)`)
	var addr string
	for deadline := time.Now().Add(10 * time.Second); addr == "" && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if m := listening.FindStringSubmatch(stderr.String()); m != nil {
			addr = m[1]
		}
	}
	if addr == "" {
		cancel()
		t.Fatalf("no 'listening on' line in %q", stderr.String())
	}
	proxies, err := toxiclient.NewClient("http://" + addr).Proxies()
	if err != nil {
		t.Fatal(err)
	}
	var stages []string
	if p := proxies["postgres"]; p != nil {
		for _, tx := range p.ActiveToxics {
			stages = append(stages, tx.Name)
		}
	}
	if !slices.Equal(stages, faultproxy.Stages) {
		t.Errorf("proxies %+v: postgres's toxics %v; want postgres with its stages %v", proxies, stages, faultproxy.Stages)
	}
	cancel()
	if c := <-code; c != 0 {
		t.Errorf("exit %d after the context ended; want 0 (stderr %q)", c, stderr.String())
	}
}

func TestBadFlags(t *testing.T) {
	for _, args := range [][]string{{"--nope"}, {"extra"}, {"--lease-check", "0s"}} {
		var stderr syncBuffer
		if c := run(t.Context(), args, &stderr); c != 2 {
			t.Errorf("run(%q) = %d; want 2 (stderr %q)", args, c, stderr.String())
		}
	}
}
