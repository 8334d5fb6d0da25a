package harness

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// prometheusBinary finds Debian's prometheus (scripts/install-deps.sh installs it). Without it a
// test is skipped, except in CI (CI set), where it fails: CI must run the real server.
func prometheusBinary(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat("/usr/bin/prometheus"); err == nil {
		return "/usr/bin/prometheus"
	}
	if p, err := exec.LookPath("prometheus"); err == nil {
		return p
	}
	if os.Getenv("CI") != "" {
		t.Fatal("prometheus is not installed (/usr/bin/prometheus, PATH) and CI is set: the tests of the Prometheus source need the real server; scripts/install-deps.sh installs it")
	}
	t.Skip("prometheus is not installed (/usr/bin/prometheus, PATH); apt-get install prometheus, or run scripts/install-deps.sh")
	return ""
}

// freePorts returns the first of n consecutive ports of 127.0.0.1 that are free now, above
// Linux's ephemeral range (its default ends at 60999), where no connection dialled meanwhile and
// no listener on port 0 can take one before the server that is to listen on it does.
func freePorts(t *testing.T, n int) int {
	t.Helper()
	for range 200 {
		base := 61000 + rand.IntN(65535-61000-n)
		ok := true
		var lns []net.Listener
		for i := range n {
			ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(base+i))
			if err != nil {
				ok = false
				break
			}
			lns = append(lns, ln)
		}
		for _, ln := range lns {
			ln.Close()
		}
		if ok {
			return base
		}
	}
	t.Fatalf("no %d consecutive free ports above 61000 on 127.0.0.1", n)
	return 0
}

// syncBuffer is a bytes.Buffer safe for a process's output and a test's read.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
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

// startPrometheus starts a real Prometheus as a child process on a free port of 127.0.0.1 that
// scrapes targets (host:port) every second as job "shop", with its storage in a temporary folder;
// it returns the server's base URL once /-/ready answers 200 and /api/v1/targets lists the
// targets. The server is killed when the test ends (its output is logged if the test failed).
func startPrometheus(t *testing.T, targets []string) string {
	t.Helper()
	bin := prometheusBinary(t)
	dir := t.TempDir()
	quoted := make([]string, len(targets))
	for i, tg := range targets {
		quoted[i] = strconv.Quote(tg)
	}
	config := fmt.Sprintf(`global: {scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s}
scrape_configs:
  - job_name: shop
    static_configs: [{targets: [%s]}]
`, strings.Join(quoted, ", "))
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", freePorts(t, 1))
	out := &syncBuffer{}
	cmd := exec.Command(bin, "--config.file="+filepath.Join(dir, "prometheus.yml"), "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr, "--log.level=warn")
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		timer := time.NewTimer(10 * time.Second)
		defer timer.Stop()
		select {
		case <-exited:
		case <-timer.C:
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
		if t.Failed() {
			t.Logf("prometheus's output:\n%s", out.String())
		}
	})
	base := "http://" + addr
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	client := &http.Client{Timeout: time.Second}
	defer client.CloseIdleConnections()
	// Ready, and its targets loaded: the scrape manager takes them up some seconds after start.
	for path := "/-/ready"; ; {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+path, nil)
		if resp, err := client.Do(req); err == nil {
			var answer struct {
				Data struct {
					Active []json.RawMessage `json:"activeTargets"`
				} `json:"data"`
			}
			ok := resp.StatusCode == http.StatusOK && (path == "/-/ready" || json.NewDecoder(resp.Body).Decode(&answer) == nil && len(answer.Data.Active) == len(targets))
			resp.Body.Close()
			switch {
			case ok && path == "/-/ready":
				path = "/api/v1/targets"
				continue
			case ok:
				return base
			}
		}
		select {
		case <-exited:
			t.Fatalf("prometheus exited before it was ready:\n%s", out.String())
		case <-ctx.Done():
			t.Fatalf("prometheus not ready at %s%s within 30s (its %d targets loaded):\n%s", base, path, len(targets), out.String())
		case <-tick.C:
		}
	}
}
