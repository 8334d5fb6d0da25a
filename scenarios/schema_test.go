package scenarios

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// TestSchemaGolden: the schema is valid JSON, has every fault kind as a choice, and matches
// testdata/scenario.schema.json (go test -run Schema -update ./scenarios rewrites it).
func TestSchemaGolden(t *testing.T) {
	got, err := Schema()
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(got, &doc); err != nil {
		t.Fatalf("Schema() is not JSON: %v", err)
	}
	for _, want := range []string{`"const": "latency"`, `"const": "http"`, `"additionalProperties": false`, `"pattern"`} {
		if !bytes.Contains(got, []byte(want)) {
			t.Errorf("schema lacks %s", want)
		}
	}
	const golden = "testdata/scenario.schema.json"
	if *update {
		os.WriteFile(golden, append(got, '\n'), 0o644)
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to write it)", err)
	}
	if !bytes.Equal(append(got, '\n'), want) {
		t.Errorf("Schema() differs from %s; run go test -run Schema -update ./scenarios and review the diff", golden)
	}
}
