package harness

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/shakedown-dev/shakedown/internal/redact"
	"github.com/shakedown-dev/shakedown/scenarios"
)

// TestSetupRequestChecks: a set-up request's answer is checked as a load target's is: an admin
// API that answers 200 {"success": false} stops the run before its load, the check named and
// the body quoted. Once only a capture of a field that exists on success could catch it.
func TestSetupRequestChecks(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"success": false, "message": "channel name taken"}`))
	}))
	defer srv.Close()
	sc, err := scenarios.Parse("s.yaml", []byte(`name: admin
sut: {url: http://127.0.0.1:1}
setup:
  - request: {method: POST, url: /api/channel, checks: [{name: created, json: /success, equals: "true"}]}
load: {rate: 1/s, targets: [{url: /}]}
phases: {fault: 1s}
`))
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPlan(sc, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	set := &setup{p: p, vals: &values{}, client: &http.Client{}, red: redact.New()}
	err = set.run(context.Background(), 0, len(sc.Setup), srv.URL)
	want := `setup[0]: request POST /api/channel answered 200 but failed its check "created": /success is false, not true; its body: "{\"success\": false, \"message\": \"channel name taken\"}"`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("the set-up = %v;\nwant %s", err, want)
	}
}
