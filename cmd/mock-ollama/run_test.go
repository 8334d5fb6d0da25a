package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// TestMain runs the command itself when the test binary is started as a child by TestSignals.
func TestMain(m *testing.M) {
	if os.Getenv("MOCK_OLLAMA_AS_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	goleak.VerifyTestMain(m)
}

// startRun runs run in a goroutine and returns its base URL, a cancel and the result channel.
func startRun(t *testing.T, args ...string) (string, context.CancelFunc, <-chan error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := run(ctx, append([]string{"--addr", "127.0.0.1:0"}, args...), pw, io.Discard)
		pw.CloseWithError(err)
		done <- err
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		cancel()
		t.Fatalf("run(%q): %v", args, err)
	}
	go io.Copy(io.Discard, pr)
	return strings.Fields(line)[3], cancel, done
}

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestRunServesAndStops(t *testing.T) {
	t.Parallel()
	faults := filepath.Join(t.TempDir(), "faults.json")
	os.WriteFile(faults, []byte(`[{"name":"busy","kind":"error","status":429,"probability":1,"path_prefix":"/api/tags"}]`), 0o600)
	url, cancel, done := startRun(t, "--seed", "3", "--models", "tinyllama", "--faults", faults)
	if code, body := httpGet(t, url+"/api/version"); code != 200 || body != "{\"version\":\"0.17.4\"}\n" {
		t.Errorf("GET /api/version = %d %q", code, body)
	}
	if code, body := httpGet(t, url+"/api/tags"); code != 429 || !strings.Contains(body, "injected fault busy") {
		t.Errorf("GET /api/tags under the --faults file = %d %q; want the 429", code, body)
	}
	if code, body := httpGet(t, url+"/__shakedown/faults"); code != 200 || !strings.Contains(body, `"seed":3`) || !strings.Contains(body, `"decisions":1`) {
		t.Errorf("GET /__shakedown/faults = %d %q; want seed 3 and the fault with one decision", code, body)
	}
	if code, body := httpGet(t, url+"/metrics"); code != 200 || !strings.Contains(body, `httpfault_decisions_total{fault="busy",injected="true",kind="error"} 1`) {
		t.Errorf("GET /metrics = %d, without the decision counted:\n%s", code, body)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run after cancel = %v; want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not stop within 10s of its context ending")
	}
}

func TestRunFlagErrors(t *testing.T) {
	t.Parallel()
	bad := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(bad, []byte(`{"name":"x","kind":"error","probability":2}`), 0o600)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--ttft", "soon"}, `invalid value "soon" for flag -ttft: want a duration of 0 or more with a unit, like 200ms or 1.5s`},
		{[]string{"--token-interval", "-5ms"}, `invalid value "-5ms" for flag -token-interval: want a duration of 0 or more`},
		{[]string{"--seed", "-1"}, `invalid value "-1" for flag -seed: want a whole number from 0 to 18446744073709551615`},
		{[]string{"--tokens", "many"}, `invalid value "many" for flag -tokens: want 0 (drawn per request) or a positive whole number`},
		{[]string{"--models", "a,,b"}, `invalid value for flag -models: models "a,,b": an empty name`},
		{[]string{"--addr", "nowhere"}, `invalid value "nowhere" for flag -addr: want host:port, like 127.0.0.1:11434 or :11434`},
		{[]string{"--num-parallel", "0"}, `invalid value "0" for flag -num-parallel: want a positive whole number, or -1 for no limit`},
		{[]string{"--max-queue", "none"}, `invalid value "none" for flag -max-queue: want a positive whole number`},
		{[]string{"--keep-alive", "forever"}, `invalid value "forever" for flag -keep-alive: want a duration`},
		{[]string{"--models", "x+telepathy"}, `unknown capability "telepathy"; want tools, thinking, vision or insert`},
		{[]string{"--colour", "red"}, `flag provided but not defined: -colour`},
		{[]string{"extra"}, `unexpected argument "extra"; mock-ollama takes flags only`},
		{[]string{"--faults", "/nonexistent.json"}, `flag -faults: open /nonexistent.json: no such file or directory`},
		{[]string{"--faults", bad}, `probability "2" is outside 0..1`},
	} {
		err := run(context.Background(), tt.args, io.Discard, io.Discard)
		if !errors.Is(err, errUsage) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("run(%q) = %v; want a usage error containing %q", tt.args, err, tt.want)
		}
	}
}

func TestHelp(t *testing.T) {
	t.Parallel()
	var stderr strings.Builder
	err := run(context.Background(), []string{"-h"}, io.Discard, &stderr)
	if !errors.Is(err, flag.ErrHelp) || !strings.Contains(stderr.String(), "-token-interval") || !strings.Contains(stderr.String(), "/__shakedown/faults") {
		t.Errorf("run(-h) = %v, printed %q; want flag.ErrHelp and the flags", err, stderr.String())
	}
}

// TestSignals starts the command as a child process and stops it with SIGTERM and SIGINT while a
// stream is open: the stream is cut (the client reads an unexpected EOF after the first chunk, as
// Ollama's srvr.Close() cuts it) and the command exits 0.
func TestSignals(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: no child processes")
	}
	t.Parallel()
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		cmd := exec.Command(os.Args[0], "--addr", "127.0.0.1:0", "--token-interval", "1h")
		cmd.Env = append(os.Environ(), "MOCK_OLLAMA_AS_MAIN=1")
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		r := bufio.NewReader(out)
		line, err := r.ReadString('\n')
		if err != nil || !strings.HasPrefix(line, "mock-ollama listening on http://127.0.0.1:") {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("first line %q, %v; want the address", line, err)
		}
		if code, _ := httpGet(t, strings.Fields(line)[3]+"/"); code != 200 {
			t.Errorf("GET / = %d", code)
		}
		resp, err := http.Post(strings.Fields(line)[3]+"/api/chat", "application/json", strings.NewReader(`{"model":"llama3.2","messages":[{"role":"user","content":"hi"}]}`))
		if err != nil {
			t.Fatal(err)
		}
		body := bufio.NewReader(resp.Body)
		if first, err := body.ReadString('\n'); err != nil || !strings.Contains(first, `"done":false`) {
			t.Errorf("first chunk %q, %v; want a token", first, err)
		}
		cmd.Process.Signal(sig)
		if _, err := io.ReadAll(body); !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("after %v the stream's rest: %v; want it cut (unexpected EOF)", sig, err)
		}
		resp.Body.Close()
		rest, _ := io.ReadAll(r)
		if err := cmd.Wait(); err != nil || !strings.Contains(string(rest), "mock-ollama stopped") {
			t.Errorf("after %v: exit %v, output %q; want exit 0 after \"mock-ollama stopped\"", sig, err, rest)
		}
	}
}
