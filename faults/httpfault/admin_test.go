package httpfault

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/shakedown-dev/shakedown/units"
)

func TestParseFaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    []Fault
		wantErr string
	}{
		{`{"name":"a","kind":"error","probability":0.3,"status":429,"retry_after":"2s"}`,
			[]Fault{{Name: "a", Probability: 0.3, Action: Action{Kind: KindError, Status: 429, RetryAfter: units.Duration(2 * time.Second)}}}, ""},
		{`{"name":"a","kind":"error","probability":"30%"}`, []Fault{{Name: "a", Probability: 0.3, Action: Action{Kind: KindError}}}, ""},
		{`{"name":"a","kind":"error","probability":"0.25"}`, []Fault{{Name: "a", Probability: 0.25, Action: Action{Kind: KindError}}}, ""},
		{`{"name":"a","kind":"error"}`, []Fault{{Name: "a", Action: Action{Kind: KindError}}}, ""},
		{` [{"name":"a","kind":"drop","probability":1,"after_chunks":2},{"name":"b","kind":"stall","delay":"1m","probability":null}]`,
			[]Fault{{Name: "a", Probability: 1, Action: Action{Kind: KindDrop, AfterChunks: 2}}, {Name: "b", Action: Action{Kind: KindStall, Delay: units.Duration(time.Minute)}}}, ""},
		{`[]`, []Fault{}, ""},
		{`{"name":"a","kind":"error","probabilty":0.3}`, nil, `unknown field "probabilty"`},
		{`{"name":"a","probability":1.5}`, nil, `probability "1.5" is outside 0..1`},
		{`{"name":"a","probability":true}`, nil, `"true" is not a probability`},
		{`{"name":"a","delay":250}`, nil, "cannot unmarshal number"},
		{`{"name":"a","delay":"soon"}`, nil, `"soon" is not a duration; want a number with a unit like 250ms`},
		{`{"name":"a"} {"name":"b"}`, nil, "data after the JSON value"},
		{`[{"name":"a"},{"x":1}]`, nil, `want a JSON array of fault objects`},
		{``, nil, "EOF"},
	}
	for _, tt := range tests {
		got, err := ParseFaults([]byte(tt.in))
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseFaults(%s) = %+v, %v; want an error containing %q", tt.in, got, err, tt.wantErr)
			}
			continue
		}
		gj, _ := json.Marshal(got)
		wj, _ := json.Marshal(tt.want)
		if err != nil || string(gj) != string(wj) {
			t.Errorf("ParseFaults(%s) = %s, %v; want %s", tt.in, gj, err, wj)
		}
	}
}

// TestFaultJSONRoundTrip: what the injector serves (and a remote client marshals) decodes back.
func TestFaultJSONRoundTrip(t *testing.T) {
	t.Parallel()
	f := Fault{Name: "x", Probability: 0.125, Action: Action{Kind: KindStall, Method: "POST", PathPrefix: "/api/chat", Delay: units.Duration(1500 * time.Millisecond), AfterChunks: 3}}
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseFaults(b)
	if err != nil || len(got) != 1 || got[0] != f {
		t.Errorf("ParseFaults(json.Marshal(%+v) = %s) = %+v, %v; want the same fault", f, b, got, err)
	}
}

func TestAdminHandler(t *testing.T) {
	t.Parallel()
	in, _ := New(Config{Seed: 11})
	h := http.StripPrefix("/__shakedown/faults", in.AdminHandler())
	do := func(method, path, body string) (int, string) {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(method, "/__shakedown/faults"+path, strings.NewReader(body)))
		return w.Code, strings.TrimSpace(w.Body.String())
	}
	steps := []struct {
		method, path, body string
		wantCode           int
		wantBody           string // a substring
	}{
		{"GET", "", "", 200, `{"seed":11,"faults":[]}`},
		{"PUT", "", `{"name":"busy","kind":"error","status":429,"probability":0.5}`, 200, `"fault":{"name":"busy","probability":"0.5","kind":"error","status":429},"decisions":0`},
		{"PUT", "/", `[{"name":"slow","kind":"latency","delay":"1s","probability":"10%"},{"name":"busy","kind":"error","probability":1}]`, 200, `{"name":"busy","probability":"1","kind":"error"}`},
		{"GET", "/", "", 200, `"slow"`},
		{"PUT", "", `{"name":"bad","kind":"latency","probability":1}`, 400, `delay = 0s; want more than 0 for a latency fault`},
		{"PUT", "", `{"name":"x","kind":"error","colour":"red"}`, 400, `unknown field \"colour\"`},
		{"PUT", "", `[{"name":"ok","kind":"drop"},{"name":"bad!","kind":"drop"}]`, 400, `name = \"bad!\"`},
		{"DELETE", "/busy", "", 204, ""},
		{"DELETE", "/busy", "", 404, `no fault named \"busy\"`},
		{"POST", "", "{}", 405, "use GET, PUT or DELETE"},
		{"GET", "/slow", "", 405, "use DELETE to remove a fault"},
		{"DELETE", "", "", 204, ""},
		{"GET", "", "", 200, `{"seed":11,"faults":[]}`},
	}
	for i, s := range steps {
		code, body := do(s.method, s.path, s.body)
		if code != s.wantCode || !strings.Contains(body, s.wantBody) {
			t.Errorf("step %d: %s %s %s = %d %s; want %d containing %s", i, s.method, s.path, s.body, code, body, s.wantCode, s.wantBody)
		}
	}
	if n := len(in.Faults()); n != 0 {
		t.Errorf("faults after DELETE: %d; want 0", n)
	}
	// The invalid array set nothing: "ok" never appeared.
	in.Set(Fault{Name: "z", Action: Action{Kind: KindDrop}})
	var snap Snapshot
	_, body := do("GET", "", "")
	if err := json.Unmarshal([]byte(body), &snap); err != nil || len(snap.Faults) != 1 || snap.Faults[0].Fault.Name != "z" {
		t.Errorf("GET after Set(z) = %s (%v); want one fault z that decodes into a Snapshot", body, err)
	}
}

// FuzzParseFaults: no input panics the decoder, and whatever it accepts survives a round trip.
func FuzzParseFaults(f *testing.F) {
	for _, s := range []string{
		`{"name":"a","kind":"error","probability":0.3,"status":429,"retry_after":"2s"}`,
		`[{"name":"a","kind":"stall","delay":"1m","after_chunks":3,"probability":"30%"}]`,
		`{"probability":"1e400"}`, `{"probability":-0}`, `[null]`, `null`, `{"delay":"-1s"}`, `[`, `"x"`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fs, err := ParseFaults([]byte(s))
		if err != nil {
			return
		}
		for _, x := range fs {
			if !(x.Probability >= 0 && x.Probability <= 1) || x.Action.Delay < 0 || x.Action.RetryAfter < 0 {
				t.Fatalf("ParseFaults(%q) accepted %+v", s, x)
			}
			b, err := json.Marshal(x)
			if err != nil {
				t.Fatalf("json.Marshal(%+v): %v", x, err)
			}
			back, err := ParseFaults(b)
			if err != nil || len(back) != 1 || back[0] != x {
				t.Fatalf("round trip of %+v through %s = %+v, %v", x, b, back, err)
			}
			_ = Validate(x)
		}
	})
}
