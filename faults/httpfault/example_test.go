package httpfault_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"time"

	"github.com/shakedown-dev/shakedown/faults/httpfault"
	"github.com/shakedown-dev/shakedown/units"
)

func ExampleInjector_Middleware() {
	in, err := httpfault.New(httpfault.Config{Seed: 7, Faults: []httpfault.Fault{{
		Name:        "busy",
		Probability: 1, Action: httpfault.Action{Kind: httpfault.KindError, Status: 429, RetryAfter: units.Duration(2 * time.Second),
			Method: "POST", PathPrefix: "/api/chat"},
	}}})
	if err != nil {
		panic(err)
	}
	h := in.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok\n") }))
	for _, path := range []string{"/api/chat", "/api/tags"} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("POST", path, nil))
		fmt.Printf("%s: %d Retry-After=%q %s", path, w.Code, w.Header().Get("Retry-After"), w.Body)
	}
	// Output:
	// /api/chat: 429 Retry-After="2" {"error":"injected fault busy: 429 Too Many Requests"}
	// /api/tags: 200 Retry-After="" ok
}

func ExampleNewReverseProxy() {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n")
	}))
	defer backend.Close()
	target, _ := url.Parse(backend.URL)
	in, _ := httpfault.New(httpfault.Config{Faults: []httpfault.Fault{{Name: "garbled", Probability: 1, Action: httpfault.Action{Kind: httpfault.KindMalformed, AfterChunks: 1}}}})
	proxy := httptest.NewServer(httpfault.NewReverseProxy(target, in))
	defer proxy.Close()

	resp, err := http.Get(proxy.URL)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Print(string(body))
	// Output:
	// {"n":1}
	// {"injected": "malformed chunk", "trunc
	// {"n":3}
}

func ExampleValidate() {
	f := httpfault.Fault{Name: "slow", Probability: 0.2, Action: httpfault.Action{Kind: httpfault.KindStall, AfterChunks: 3}}
	fmt.Println(httpfault.Validate(f))
	// Output:
	// http fault "slow": delay = 0s; want more than 0 for a stall fault
}

func ExampleParseFaults() {
	fs, err := httpfault.ParseFaults([]byte(`[{"name": "ttft", "kind": "first-chunk", "delay": "2s", "probability": "30%", "path_prefix": "/api/chat"}]`))
	if err != nil {
		panic(err)
	}
	fmt.Printf("%s %s %v p=%v %s\n", fs[0].Name, fs[0].Action.Kind, fs[0].Action.Delay, fs[0].Probability, fs[0].Action.PathPrefix)
	// Output:
	// ttft first-chunk 2s p=30% /api/chat
}

func ExampleInjector_AdminHandler() {
	in, _ := httpfault.New(httpfault.Config{Seed: 1})
	admin := http.StripPrefix("/__shakedown/faults", in.AdminHandler())
	put := httptest.NewRequest("PUT", "/__shakedown/faults", strings.NewReader(`{"name": "down", "kind": "error", "status": 503, "probability": 0.5}`))
	w := httptest.NewRecorder()
	admin.ServeHTTP(w, put)
	fmt.Print(w.Code, " ", w.Body)
	// Output:
	// 200 {"seed":1,"faults":[{"fault":{"name":"down","probability":"0.5","kind":"error","status":503},"decisions":0,"injected":0}]}
}
