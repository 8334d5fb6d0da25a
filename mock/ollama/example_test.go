package ollama_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/ollama/ollama/api"

	"github.com/shakedown-dev/shakedown/faults/httpfault"
	"github.com/shakedown-dev/shakedown/mock/ollama"
	"github.com/shakedown-dev/shakedown/units"
)

func ExampleNewServer() {
	s := ollama.NewServer(ollama.Config{Seed: 7, Tokens: 6})
	defer s.Close()
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	u, _ := url.Parse(s.URL)
	c := api.NewClient(u, &http.Client{Transport: tr})

	stream := false
	err := c.Generate(context.Background(), &api.GenerateRequest{Model: "llama3.2", Prompt: "Why is the sky blue?", Stream: &stream},
		func(r api.GenerateResponse) error {
			fmt.Printf("%q\n%d tokens, done: %v\n", r.Response, r.EvalCount, r.DoneReason)
			return nil
		})
	fmt.Println(err)
	// Output:
	// "Under retries open service the breakers."
	// 6 tokens, done: stop
	// <nil>
}

func ExampleServer_Faults() {
	s := ollama.NewServer(ollama.Config{})
	defer s.Close()
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	u, _ := url.Parse(s.URL)
	c := api.NewClient(u, &http.Client{Transport: tr})
	chat := func() error {
		return c.Chat(context.Background(), &api.ChatRequest{Model: "llama3.2", Messages: []api.Message{{Role: "user", Content: "hi"}}},
			func(api.ChatResponse) error { return nil })
	}

	// Every chat is refused with a 429 until the fault is removed; other routes are untouched.
	s.Faults().Set(httpfault.Fault{Name: "busy",
		Probability: 1, Action: httpfault.Action{Kind: httpfault.KindError, Status: 429, RetryAfter: units.Duration(2 * time.Second),
			PathPrefix: "/api/chat"}})
	var se api.StatusError
	err := chat()
	fmt.Println(errors.As(err, &se), se.StatusCode, se.ErrorMessage)
	v, _ := c.Version(context.Background())
	fmt.Println("version", v)

	s.Faults().Remove("busy")
	fmt.Println(chat())
	// Output:
	// true 429 injected fault busy: 429 Too Many Requests
	// version 0.17.4
	// <nil>
}
