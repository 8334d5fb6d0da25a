package harness

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/shakedown-dev/shakedown/internal/redact"
	"github.com/shakedown-dev/shakedown/scenarios"
)

// TestSetupErrorsHideSecrets: a set-up request's error keeps the status and the start of the
// body, without the secrets the run knows or finds in it. The login captures a session (named
// like no secret, but sent in an Authorization header, so a secret from then on); the next
// request is answered 401 with a body that echoes the session and a variable's value (the
// scenario's Secrets) and carries a JWT. A capture named order, sent nowhere secret, is no
// secret.
func TestSetupErrorsHideSecrets(t *testing.T) {
	t.Parallel()
	const (
		session = "sess-8c1d2e3f4a5b"
		fromEnv = "env-value-77aa"
		jwt     = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZGEifQ.c2lnbmF0dXJlLW9mLWFkYQ"
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/login":
			fmt.Fprintf(w, `{"session": %q, "order": "order-123456"}`, session)
		case "/me":
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprintf(w, `{"error": "expired", "seen": %q, "key": %q, "renew": %q}`, session, fromEnv, jwt)
		}
	}))
	defer srv.Close()
	sc, err := scenarios.Parse("s.yaml", []byte(`name: secrets
sut: {url: http://127.0.0.1:1}
setup:
  - request: {method: POST, url: /login, capture: {session: /session, order: /order}}
  - request: {url: /me, headers: {Authorization: "Bearer {{session}}", X-Order: "{{order}}"}}
load: {rate: 1/s, targets: [{url: /}]}
phases: {fault: 1s}
`))
	if err != nil {
		t.Fatal(err)
	}
	sc.Secrets = []string{fromEnv}
	p, err := NewPlan(sc, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	red := redact.New(p.secrets.values...)
	set := &setup{p: p, vals: &values{}, client: &http.Client{}, red: red}
	err = set.run(context.Background(), 0, len(sc.Setup), srv.URL)
	want := `setup[1]: request GET /me answered 401, not a status it expects (2xx, 3xx); its body: "{\"error\": \"expired\", \"seen\": \"***\", \"key\": \"***\", \"renew\": \"***\"}"`
	if err == nil || err.Error() != want {
		t.Errorf("the set-up = %v;\nwant %s", err, want)
	}
	if got := red.String("order-123456 " + session); got != "order-123456 ***" {
		t.Errorf("after the set-up, the run redacts %q; want the session alone", got)
	}
}
