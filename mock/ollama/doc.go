// Package ollama is a mock Ollama server: Ollama's HTTP API as clients use it, answering
// deterministically from a seed and the request, with a configurable time to first token and token
// rate so that latency under load looks like a real model's, and with request-level faults
// (faults/httpfault) that can be switched on and off while it runs, from Go (Server.Faults) or over
// JSON at FaultsPath.
//
// It runs in-process on 127.0.0.1:0 in the manner of httptest.NewServer (NewServer), as the binary
// cmd/mock-ollama, and as the image shakedown/mock-ollama:dev (built FROM scratch by
// images/mock-ollama/build.sh, listening on :11434).
//
// The same seed, model and prompt give the same text and the same embedding. The only field taken
// from the clock is created_at (Config.Now fixes it); durations in responses are computed from the
// configured timing and the tokens sent, so they agree with what the client received. Errors
// have Ollama's shape ({"error": "..."}) and, endpoint by endpoint, the codes and texts of Ollama
// 0.17.4 (an unknown model is a 404, a bad body a 400).
package ollama
