package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestRunServesAndStops(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"--addr", "127.0.0.1:0", "--seed", "3"}, pw, io.Discard) }()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	url := strings.Fields(line)[3]
	resp, err := http.Get(url + "/api/version")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("GET /api/version = %d", resp.StatusCode)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run after cancel = %v; want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not stop after its context ended")
	}
}

func TestRunFlagErrors(t *testing.T) {
	t.Parallel()
	var stderr strings.Builder
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--ttft", "soon"}, `invalid value "soon" for flag -ttft`},
		{[]string{"--models", "a,,b"}, `--models: models "a,,b": an empty name`},
		{[]string{"extra"}, `unexpected argument "extra"`},
		{[]string{"--addr", "nowhere"}, `--addr "nowhere"`},
	} {
		err := run(context.Background(), tt.args, io.Discard, &stderr)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("run(%q) = %v; want an error containing %q", tt.args, err, tt.want)
		}
	}
}
