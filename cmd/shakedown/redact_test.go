package main

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestRunHidesSecretsOfAFailedCapture: a set-up request, its Authorization header a token from the
// environment (${SHAKEDOWN_TEST_TOKEN}), is answered 200 with a body that echoes the token and
// carries a JWT across the cut of the error's excerpt, but not the value it captures. The run
// fails (exit 3) with the status and the start of the body, and neither the token nor any part
// of the JWT is in what shakedown run prints (stdout, stderr with its log lines) or writes
// (journal.json, report.html, junit.xml).
func TestRunHidesSecretsOfAFailedCapture(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: no servers")
	}
	const token = "tk-live-5f0c9a7e31b2"
	b64 := base64.RawURLEncoding.EncodeToString
	jwtParts := []string{b64([]byte(`{"alg":"HS256","typ":"JWT"}`)), b64([]byte(`{"sub":"user-42","name":"Ada Lovelace","admin":true,"iat":1700000000}`)),
		b64([]byte("a signature of thirty-two bytes!"))}
	jwt := strings.Join(jwtParts, ".")
	sut := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/login" { // the token bare, and a JWT from byte 100, its payload cut at byte 200
			fmt.Fprintf(w, `{"echo": %q, "session": {"id": "s-1", "note": "the checkout's session", "jwt": %q}}`, strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "), jwt)
		}
	}))
	defer sut.Close()
	dir := t.TempDir()
	file := filepath.Join(dir, "login.yaml")
	os.WriteFile(file, []byte(fmt.Sprintf(`name: login
environment: {services: [ollama], backend: local}
sut: {url: %s, ready: /}
setup:
  - request:
      method: POST
      url: /login
      headers: {Authorization: "Bearer ${SHAKEDOWN_TEST_TOKEN}"}
      capture: {session: /data/accessToken}
load: {rate: 10/s, targets: [{url: /}]}
phases: {warmup: 1s, fault: 1s, recovery: 1s}
`, sut.URL)), 0o644)

	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "SHAKEDOWN_TEST_TOKEN="+token, "SHAKEDOWN_STATE_DIR="+t.TempDir(),
		"SHAKEDOWN_TEST_CLI="+strings.Join([]string{"run", file, "--out", dir, "--quiet", "--log-level", "info"}, "\x1f"))
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != exitEnv {
		t.Fatalf("shakedown run: %v; want exit %d (the set-up failed)\nstdout:\n%s\nstderr:\n%s", err, exitEnv, &stdout, &stderr)
	}
	outputs := map[string]string{"stdout": stdout.String(), "stderr": stderr.String()}
	folders, _ := filepath.Glob(filepath.Join(dir, "login-*"))
	if len(folders) != 1 {
		t.Fatalf("run folders: %v; want one", folders)
	}
	for _, f := range []string{"journal.json", "report.html", "junit.xml"} {
		b, err := os.ReadFile(filepath.Join(folders[0], f))
		if err != nil {
			t.Fatal(err)
		}
		outputs[f] = string(b)
	}
	for name, out := range outputs {
		for _, secret := range append([]string{token}, jwtParts...) {
			if strings.Contains(out, secret) {
				t.Errorf("%s shows the secret %q:\n%s", name, secret, out)
			}
		}
	}
	if want := "answered 200 without the body's /data/accessToken to capture as session; its body: "; !strings.Contains(stderr.String(), want) ||
		!strings.Contains(stderr.String(), `{\"echo\": \"***\", \"session\": {\"id\": \"s-1\", \"note\": \"the checkout's session\", \"jwt\": \"***\"}}`) {
		t.Errorf("stderr lacks %q with the start of the body, the token redacted:\n%s", want, &stderr)
	}
}
