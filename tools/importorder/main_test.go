package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	t.Parallel()
	const local = "example.com/m"
	for _, tt := range []struct {
		name, imports string
		want          []string // a part of each problem, in order
	}{
		{"in order", "\"context\"\n\t\"time\"\n\n\t\"github.com/x/y\"\n\n\t\"example.com/m/a\"\n", nil},
		{"one group of each", "\"context\"\n", nil},
		{"this module above the standard library", "\"example.com/m/a\"\n\n\t\"context\"\n", []string{`:6: "context" (the standard library) is in a group after this module`}},
		{"mixed in one group", "\"context\"\n\t\"example.com/m/a\"\n", []string{`:5: "example.com/m/a" (this module) is in a group of the standard library`}},
		{"other modules after this module", "\"example.com/m/a\"\n\n\t\"github.com/x/y\"\n", []string{`:6: "github.com/x/y" (other modules) is in a group after this module`}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			file := filepath.Join(t.TempDir(), "f.go")
			os.WriteFile(file, []byte("package p\n\nimport (\n\t"+tt.imports+")\n"), 0o644)
			got, err := check(file, local)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("check = %q; want %d problems like %q", got, len(tt.want), tt.want)
			}
			for i, w := range tt.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("problem %d = %q; want it to contain %q", i, got[i], w)
				}
			}
		})
	}
}
