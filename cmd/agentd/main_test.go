package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestExitCodes(t *testing.T) {
	t.Parallel()
	none := func(string) string { return "" }
	for _, tt := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"-h"}, 0, "-admin-token"},
		{[]string{"--bogus"}, 2, "flag provided but not defined: -bogus"},
		{nil, 2, "the Postgres DSN (--postgres, SHAKEDOWN_POSTGRES_DSN) is required"},
	} {
		var out bytes.Buffer
		if code := run(context.Background(), tt.args, none, &out); code != tt.code || !strings.Contains(out.String(), tt.want) {
			t.Errorf("run(%q) = %d, %q; want %d and %q", tt.args, code, out.String(), tt.code, tt.want)
		}
	}
	// Unreachable dependencies: New fails creating the schema: exit 1.
	deps := map[string]string{"SHAKEDOWN_POSTGRES_DSN": "postgres://u:p@127.0.0.1:1/db?connect_timeout=1", "SHAKEDOWN_REDIS_URL": "redis://127.0.0.1:1", "SHAKEDOWN_OLLAMA_URL": "http://127.0.0.1:1"}
	var out bytes.Buffer
	if code := run(context.Background(), nil, func(k string) string { return deps[k] }, &out); code != 1 || !strings.Contains(out.String(), "agentd: postgres") {
		t.Errorf("run with no Postgres = %d, %q; want 1 and the reason", code, out.String())
	}
}
