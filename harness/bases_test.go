package harness

import (
	"fmt"
	"testing"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// TestTargeterSpreadsOverReplicas: with three replicas' bases, each round of the targets goes to
// the next replica, so that every target reaches every replica alike (two targets and a
// request-by-request rotation would send each target to the same replicas); an absolute URL is
// sent as it is; and each result is matched to its target whichever replica it went to.
func TestTargeterSpreadsOverReplicas(t *testing.T) {
	t.Parallel()
	bases := []string{"http://127.0.0.1:1", "http://127.0.0.1:2", "http://127.0.0.1:3"}
	rs := compiled(t, target{URL: "/a"}, target{URL: "/b/{{seq}}"}, target{URL: "http://elsewhere/c"})
	next := targeter(rs, 1, nil, bases)
	sent := map[string]int{}
	for range 90 {
		var tg vegeta.Target
		if err := next(&tg); err != nil {
			t.Fatal(err)
		}
		r := matcher(rs, bases)(tg.Method, tg.URL)
		if r == nil {
			t.Fatalf("%s %s matched no target", tg.Method, tg.URL)
		}
		base := "elsewhere"
		for _, b := range bases {
			if len(tg.URL) > len(b) && tg.URL[:len(b)+1] == b+"/" {
				base = b
			}
		}
		sent[fmt.Sprintf("%s -> %s", r.t.URL, base)]++
	}
	want := map[string]int{"http://elsewhere/c -> elsewhere": 30}
	for _, b := range bases {
		want["/a -> "+b], want["/b/{{seq}} -> "+b] = 10, 10
	}
	if fmt.Sprint(sent) != fmt.Sprint(want) {
		t.Errorf("90 requests went\n  %v\nwant\n  %v", sent, want)
	}
	if r := matcher(rs, bases)("GET", "http://127.0.0.1:4/a"); r != nil {
		t.Errorf("a URL under no replica's base matched %s", r.t.URL)
	}
}
