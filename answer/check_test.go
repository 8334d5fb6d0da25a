package answer

import (
	"net/http"
	"strings"
	"testing"
)

func ptr(s string) *string { return &s }

const (
	ollamaDone = `{"model":"m","message":{"role":"assistant","content":"Hel"},"done":false}
{"model":"m","message":{"role":"assistant","content":"lo"},"done":false}
{"model":"m","message":{"role":"assistant","content":""},"done":true,"done_reason":"stop"}
`
	ollamaCut = `{"model":"m","message":{"role":"assistant","content":"Hel"},"done":false}
{"error":"an error was encountered while running the model: unexpected EOF"}
`
	openaiDone = "data: {\"choices\":[{\"delta\":{\"content\":\"Hel\"},\"finish_reason\":null}]}\n\n" +
		"data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n"
	// The LLM gateway of issue 24: 200, some chunks, no finish_reason, then [DONE].
	openaiCut = "data: {\"choices\":[{\"delta\":{\"content\":\"Hel\"},\"finish_reason\":null}]}\n\ndata: [DONE]\n\n"
)

func TestCheck(t *testing.T) {
	t.Parallel()
	sse := http.Header{"Content-Type": {"text/event-stream"}}
	ndjson := http.Header{"Content-Type": {"application/x-ndjson"}}
	body := []byte(`{"choices":[{"finish_reason":"stop","index":0}],"usage":{"total_tokens":12},"error":null}`)
	for _, tt := range []struct {
		check Check
		h     http.Header
		body  string
		want  string // "" passes; else a part of the error
	}{
		{Check{JSON: "/choices/0/finish_reason"}, nil, string(body), ""},
		{Check{JSON: "/choices/0/finish_reason", Equals: ptr("stop")}, nil, string(body), ""},
		{Check{JSON: "/usage/total_tokens", Equals: ptr("12")}, nil, string(body), ""},
		{Check{JSON: "/choices/0/finish_reason", Equals: ptr("length")}, nil, string(body), "/choices/0/finish_reason is stop, not length"},
		{Check{JSON: "/error"}, nil, string(body), "no /error in the body"}, // null is not there
		{Check{JSON: "/choices/1"}, nil, string(body), "no /choices/1"},
		{Check{JSON: "/a"}, nil, "not json", "no /a in the body"},
		{Check{Contains: "stop"}, nil, string(body), ""},
		{Check{Contains: "length"}, nil, string(body), `the body lacks "length"`},
		{Check{Matches: `"total_tokens":\d+`}, nil, string(body), ""},
		{Check{Matches: `^\[`}, nil, string(body), "does not match"},
		{Check{MaxBytes: 10}, nil, string(body), "over 10"},
		{Check{MaxBytes: 1000}, nil, string(body), ""},
		{Check{Stream: &Stream{Last: "/done"}}, ndjson, ollamaDone, ""},
		{Check{Stream: &Stream{Last: "/done"}}, ndjson, ollamaCut, `the last of its 2 events has no /done: {"error"`},
		{Check{Stream: &Stream{Last: "/done"}}, nil, strings.SplitAfter(ollamaDone, "\n")[0], "the last of its 1 events has no /done"}, // cut by the network
		{Check{Stream: &Stream{Last: "/choices/0/finish_reason"}}, sse, openaiDone, ""},
		{Check{Stream: &Stream{Last: "/choices/0/finish_reason"}}, sse, openaiCut, "the last of its 1 events has no /choices/0/finish_reason"},
		{Check{Stream: &Stream{Last: "/choices/0/finish_reason"}}, nil, openaiCut, "has no /choices/0/finish_reason"}, // sse by its first line
		{Check{Stream: &Stream{Format: SSE, Last: "/done"}}, nil, "", "the sse stream has no event"},
		{Check{Stream: &Stream{Format: NDJSON, Last: "/done"}}, nil, "{\"done\": tr", "is not JSON"},
	} {
		if err := tt.check.Validate(); err != nil {
			t.Fatalf("%s: Validate() = %v", tt.check.Label(), err)
		}
		err := tt.check.Test(tt.h, []byte(tt.body))
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: Test = %v; want it passed", tt.check.Label(), err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%s: Test = %v; want an error with %q", tt.check.Label(), err, tt.want)
		}
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		check Check
		want  string
	}{
		{Check{}, "want exactly one of json, contains, matches, max_bytes and stream; got 0"},
		{Check{JSON: "/a", Contains: "b"}, "got 2"},
		{Check{JSON: "a"}, `json: "a"; want a JSON pointer`},
		{Check{Contains: "a", Equals: ptr("b")}, "equals: only with json"},
		{Check{Matches: "("}, `matches: "("; want a regular expression`},
		{Check{MaxBytes: -1}, "max_bytes: -1"},
		{Check{Stream: &Stream{Format: "xml", Last: "/done"}}, `stream.format: "xml"`},
		{Check{Stream: &Stream{}}, `stream.last: ""; want the JSON pointer`},
	} {
		if err := tt.check.Validate(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Validate(%+v) = %v; want %q", tt.check, err, tt.want)
		}
	}
}

func TestLabel(t *testing.T) {
	t.Parallel()
	for c, want := range map[*Check]string{
		{Name: "finished"}:               "finished",
		{JSON: "/a"}:                     "json /a exists",
		{JSON: "/a", Equals: ptr("1")}:   "json /a = 1",
		{Stream: &Stream{Last: "/done"}}: "stream completed",
		{Contains: "ok"}:                 `body contains "ok"`,
		{MaxBytes: 1024}:                 "body at most 1024 bytes",
		{Matches: "^a"}:                  "body matches ^a",
	} {
		if got := c.Label(); got != want {
			t.Errorf("Label(%+v) = %q; want %q", *c, got, want)
		}
	}
}

// FuzzStream: any body is judged without a panic, and a stream whose last event has the field
// set passes.
func FuzzStream(f *testing.F) {
	for _, s := range []string{ollamaDone, ollamaCut, openaiDone, openaiCut, "", "data:\n\n", "\n\n\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		for _, format := range []string{"", SSE, NDJSON} {
			c := Check{Stream: &Stream{Format: format, Last: "/done"}}
			_ = c.Test(nil, []byte(body))
		}
		done := Check{Stream: &Stream{Format: NDJSON, Last: "/done"}}
		if err := done.Test(nil, []byte(body+"\n{\"done\": true}\n")); err != nil && !strings.ContainsAny(body, "\r") {
			t.Errorf("a stream ending with done: %v", err)
		}
	})
}
