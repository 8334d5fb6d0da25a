package harness

import (
	"net/http"
	"testing"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/shakedown-dev/shakedown/units"
)

func TestAckRule(t *testing.T) {
	t.Parallel()
	created := &vegeta.Result{Code: 201, Headers: http.Header{"Location": {"/v1/runs/abc123"}, "X-Id": {"h-7"}}}
	ok := &vegeta.Result{Code: 200, Body: []byte(`{"data": {"id": 42, "items": [{"ref": "a~/b"}]}, "name": "x"}`)}
	status200 := []units.StatusRange{{From: 200, To: 200}}
	for _, tt := range []struct {
		name    string
		rule    ackRule
		r       *vegeta.Result
		target  string
		id      string
		matched bool
	}{
		{"a 201's Location by default", ackRule{}, created, "", "abc123", true},
		{"a header", ackRule{ID: "header:X-Id"}, created, "", "h-7", true},
		{"a 200 is no 201", ackRule{}, ok, "", "", false},
		{"a number at a JSON pointer", ackRule{Status: status200, ID: "/data/id"}, ok, "", "42", true},
		{"an escaped pointer into an array", ackRule{Status: status200, ID: "/data/items/0/ref"}, ok, "", "a~/b", true},
		{"no id where the pointer says", ackRule{Status: status200, ID: "/data/missing"}, ok, "", "", true},
		{"another target's answer", ackRule{Status: status200, ID: "/data/id", Target: "orders"}, ok, "agents", "", false},
		{"the rule's target", ackRule{Status: status200, ID: "/data/id", Target: "orders"}, ok, "orders", "42", true},
	} {
		id, matched := tt.rule.find(tt.r, tt.target)
		if id != tt.id || matched != tt.matched {
			t.Errorf("%s: find = %q, %v; want %q, %v", tt.name, id, matched, tt.id, tt.matched)
		}
	}
	if got, want := (&ackRule{Status: status200, ID: "/data/id", Target: "orders"}).String(), "status 200, the id from the body's /data/id, of target orders"; got != want {
		t.Errorf("String() = %q; want %q", got, want)
	}
}
