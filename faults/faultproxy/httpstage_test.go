package faultproxy_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	toxiclient "github.com/Shopify/toxiproxy/v2/client"
	"github.com/ollama/ollama/api"

	"github.com/shakedown-dev/shakedown/faults/faultproxy"
	"github.com/shakedown-dev/shakedown/mock/ollama"
)

// proxyFor puts a proxy named name on a new fault proxy in front of the HTTP server at rawURL.
func proxyFor(t *testing.T, name, rawURL string) (*faultproxy.Server, *toxiclient.Proxy) {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	s, c := serve(t)
	p, err := c.CreateProxy(name, "127.0.0.1:0", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	return s, p
}

// toxic returns the proxy's toxic named name.
func toxic(t *testing.T, p *toxiclient.Proxy, name string) toxiclient.Toxic {
	t.Helper()
	ts, err := p.Toxics()
	if err != nil {
		t.Fatal(err)
	}
	for _, tx := range ts {
		if tx.Name == name {
			return tx
		}
	}
	t.Fatalf("no toxic %q on proxy %s: %+v", name, p.Name, ts)
	return toxiclient.Toxic{}
}

// TestHTTPFaultThroughTheProxy: HTTP faults added through Toxiproxy's Go client act on single
// requests of the official Ollama client, on connections it keeps alive across them: an error
// fault's decisions are the seed's stream, its injections the 503s the client saw, and a request
// it does not match (another path) is never touched; a drop cuts a streamed answer after its
// first chunks (the client gets no final chunk) and max lets the next one through; a
// stream-error fault ends the stream with an error line the client reports.
func TestHTTPFaultThroughTheProxy(t *testing.T) {
	mock := ollama.NewServer(ollama.Config{Seed: 1})
	defer mock.Close()
	s, proxy := proxyFor(t, "ollama", mock.URL)
	var names []string
	ts, err := proxy.Toxics()
	for _, tx := range ts {
		names = append(names, tx.Name)
	}
	if err != nil || !slices.Equal(names, faultproxy.Stages) {
		t.Fatalf("a new proxy's toxics: %v, %v; want its stages", names, err)
	}
	tr := &http.Transport{MaxConnsPerHost: 2}
	defer tr.CloseIdleConnections()
	c := api.NewClient(&url.URL{Scheme: "http", Host: proxy.Listen}, &http.Client{Transport: tr})
	ctx := t.Context()
	model := ollama.DefaultModels[0].Name
	no := false
	chat := func() error {
		return c.Chat(ctx, &api.ChatRequest{Model: model, Stream: &no, Messages: []api.Message{{Role: "user", Content: "hi"}}},
			func(api.ChatResponse) error { return nil })
	}
	// streamed chats once: how many chunks came, and whether the last said done.
	streamed := func() (chunks int, done bool, err error) {
		err = c.Chat(ctx, &api.ChatRequest{Model: model, Messages: []api.Message{{Role: "user", Content: "tell me a story"}}},
			func(r api.ChatResponse) error {
				chunks++
				done = r.Done
				return nil
			})
		return chunks, done, err
	}
	full, done, err := streamed()
	if err != nil || !done || full < 4 {
		t.Fatalf("a streamed chat through the stage, before any fault: %d chunks, done %v, %v; want 4 or more, done", full, done, err)
	}

	const seed, p, n = 7, 0.3, 40
	if _, err := proxy.AddToxic("llm-503", faultproxy.HTTPToxic, "upstream", 1, toxiclient.Attributes{
		"run": "r1", "seed": seed, "probability": p, "kind": "error", "status": 503, "path_prefix": "/api/chat", "lease": "30s",
	}); err != nil {
		t.Fatal(err)
	}
	failed := 0
	for i := range n {
		err := chat()
		var se api.StatusError
		switch {
		case errors.As(err, &se) && se.StatusCode == http.StatusServiceUnavailable:
			failed++
		case err != nil:
			t.Fatalf("chat %d: %v; want nil or 503", i, err)
		}
		if _, err := c.List(ctx); err != nil { // /api/tags: not matched, never faulted
			t.Fatalf("list %d: %v", i, err)
		}
	}
	got, want := decisions(s, "r1", "llm-503"), stream(seed, "llm-503", p, 0, n)
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("decisions read back:\n%v\nwant the seed's stream:\n%v", got, want)
	}
	injected := strings.Count(strings.Join(want, " "), ":true")
	if failed != injected || injected == 0 {
		t.Fatalf("%d chats failed with 503; the stream injected %d", failed, injected)
	}
	if a := toxic(t, proxy, "llm-503").Attributes; a["decided"] != float64(n) || a["injected"] != float64(injected) {
		t.Fatalf("the toxic's counts: decided %v, injected %v; want %d, %d", a["decided"], a["injected"], n, injected)
	}
	if err := proxy.RemoveToxic("llm-503"); err != nil {
		t.Fatal(err)
	}

	if _, err := proxy.AddToxic("llm-cut", faultproxy.HTTPToxic, "upstream", 1, toxiclient.Attributes{
		"run": "r1", "seed": seed, "probability": 1, "kind": "drop", "after_chunks": 2, "max": 1, "path_prefix": "/api/chat",
	}); err != nil {
		t.Fatal(err)
	}
	if chunks, done, _ := streamed(); chunks != 2 || done {
		t.Fatalf("a streamed chat under a drop after 2 chunks: %d chunks, done %v; want 2, not done", chunks, done)
	}
	if chunks, done, err := streamed(); chunks != full || !done || err != nil {
		t.Fatalf("the next streamed chat (max 1 reached): %d chunks, done %v, %v; want %d, done", chunks, done, err, full)
	}
	if err := proxy.RemoveToxic("llm-cut"); err != nil {
		t.Fatal(err)
	}

	if _, err := proxy.AddToxic("llm-dies", faultproxy.HTTPToxic, "upstream", 1, toxiclient.Attributes{
		"run": "r1", "seed": seed, "probability": 1, "kind": "stream-error", "after_chunks": 1,
	}); err != nil {
		t.Fatal(err)
	}
	if chunks, done, err := streamed(); chunks != 1 || done || err == nil || !strings.Contains(err.Error(), "injected fault llm-dies") {
		t.Fatalf("a streamed chat under a stream error after 1 chunk: %d chunks, done %v, %v; want 1, not done, the fault's error", chunks, done, err)
	}
}

// TestHTTPStageKeepsEachConnectionsAnswers: many clients at once, on kept-alive and on new
// connections, each get the answers to their own requests through the stage (its halves pair
// each connection's requests with that connection's answers), bodies of every size and
// framing pass unchanged, and a fault matches only the path it names.
func TestHTTPStageKeepsEachConnectionsAnswers(t *testing.T) {
	svc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			b, _ := io.ReadAll(r.Body)
			w.Write(b) // over 2 KiB without a Content-Length: chunked
			return
		}
		io.WriteString(w, r.URL.Path)
	}))
	defer svc.Close()
	_, proxy := proxyFor(t, "api", svc.URL)
	if _, err := proxy.AddToxic("fail", faultproxy.HTTPToxic, "upstream", 1, toxiclient.Attributes{
		"run": "r1", "seed": 1, "probability": 1, "kind": "error", "status": 502, "path_prefix": "/fail",
	}); err != nil {
		t.Fatal(err)
	}
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<14) // 256 KiB
	base := "http://" + proxy.Listen
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for g := range 8 {
		wg.Go(func() {
			tr := &http.Transport{DisableKeepAlives: g%2 == 1}
			defer tr.CloseIdleConnections()
			hc := &http.Client{Transport: tr}
			for i := range 15 {
				path := fmt.Sprintf("/ok/%d/%d", g, i)
				want, wantStatus := path, http.StatusOK
				var resp *http.Response
				var err error
				switch i % 3 {
				case 0:
					resp, err = hc.Get(base + path)
				case 1:
					path = fmt.Sprintf("/fail/%d/%d", g, i)
					want, wantStatus = "", http.StatusBadGateway
					resp, err = hc.Get(base + path)
				default:
					want = string(big[:len(big)-g*1000-i])
					var body io.Reader = strings.NewReader(want) // a Content-Length
					if g%4 >= 2 {
						body = io.MultiReader(body) // no length: chunked
					}
					resp, err = hc.Post(base+path, "application/octet-stream", body)
				}
				if err != nil {
					errs <- fmt.Errorf("%s: %w", path, err)
					return
				}
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil || resp.StatusCode != wantStatus || (want != "" && string(body) != want) {
					errs <- fmt.Errorf("%s: %d, %d bytes (%.40q), %v; want %d, %d bytes", path, resp.StatusCode, len(body), body, err, wantStatus, len(want))
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestHTTPStagePassesWhatIsNotHTTP: a connection whose service speaks first, and one whose
// client's first line is not an HTTP request line (an inline Redis command looks like one),
// pass through the stage as they come.
func TestHTTPStagePassesWhatIsNotHTTP(t *testing.T) {
	for _, tt := range []struct {
		banner bool
		first  string
	}{{true, "after the banner"}, {false, "GET key"}, {false, "hello"}} {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				go func() { // a banner, then an echo of each line
					defer c.Close()
					if tt.banner {
						io.WriteString(c, "220 hello\r\n")
					}
					sc := bufio.NewScanner(c)
					for sc.Scan() {
						fmt.Fprintf(c, "echo %s\r\n", sc.Text())
					}
				}()
			}
		}()
		_, proxy := proxyFor(t, "tcp", "http://"+ln.Addr().String())
		c, err := net.Dial("tcp", proxy.Listen)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		r := bufio.NewReader(c)
		var got []string
		if tt.banner { // the service speaks before the client does
			line, err := r.ReadString('\n')
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, line)
		}
		for _, send := range []string{tt.first, "second"} {
			io.WriteString(c, send+"\r\n")
			line, err := r.ReadString('\n')
			if err != nil {
				t.Fatalf("%q: after %q: %v", tt.first, got, err)
			}
			got = append(got, line)
		}
		want := []string{"echo " + tt.first + "\r\n", "echo second\r\n"}
		if tt.banner {
			want = append([]string{"220 hello\r\n"}, want...)
		}
		if strings.Join(got, "") != strings.Join(want, "") {
			t.Fatalf("%q: %q; want %q", tt.first, got, want)
		}
	}
}
