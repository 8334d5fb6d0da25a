package faultproxy

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Probe tells a Shakedown fault proxy from a plain Toxiproxy server at api (its HTTP API's base
// URL): ok is true for the former; a server that answers GET /shakedown with 404 is the latter.
func Probe(ctx context.Context, api string) (info Info, ok bool, err error) {
	body, status, err := get(ctx, strings.TrimRight(api, "/")+"/shakedown")
	switch {
	case err != nil:
		return Info{}, false, err
	case status == http.StatusNotFound:
		return Info{}, false, nil
	case status != http.StatusOK:
		return Info{}, false, fmt.Errorf("GET %s/shakedown: %d: %s", api, status, strings.TrimSpace(string(body)))
	}
	if err := json.Unmarshal(body, &info); err != nil || info.Server != "shakedown-proxy" {
		return Info{}, false, nil // something else answers there: not ours
	}
	return info, true, nil
}

// FetchDecisions reads a run's decision log from the fault proxy at api.
func FetchDecisions(ctx context.Context, api, run string) (Log, error) {
	u := strings.TrimRight(api, "/") + "/shakedown/decisions?run=" + url.QueryEscape(run)
	body, status, err := get(ctx, u)
	if err != nil {
		return Log{}, err
	}
	if status != http.StatusOK {
		return Log{}, fmt.Errorf("GET %s: %d: %s", u, status, strings.TrimSpace(string(body)))
	}
	var l Log
	if err := json.Unmarshal(body, &l); err != nil {
		return Log{}, fmt.Errorf("GET %s: %w", u, err)
	}
	return l, nil
}

// Renew renews the leases of the run's faults on the fault proxy at api.
func Renew(ctx context.Context, api, run string) error {
	u := strings.TrimRight(api, "/") + "/shakedown/leases?run=" + url.QueryEscape(run)
	body, status, err := do(ctx, http.MethodPost, u)
	if err != nil {
		return err
	}
	if status != http.StatusOK {
		return fmt.Errorf("POST %s: %d: %s", u, status, strings.TrimSpace(string(body)))
	}
	return nil
}

func get(ctx context.Context, u string) ([]byte, int, error) { return do(ctx, http.MethodGet, u) }

func do(ctx context.Context, method, u string) ([]byte, int, error) {
	req, err := http.NewRequestWithContext(ctx, method, u, nil)
	if err != nil {
		return nil, 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	return body, resp.StatusCode, err
}
