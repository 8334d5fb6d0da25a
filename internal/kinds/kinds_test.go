package kinds

import (
	"slices"
	"testing"
)

type spec struct{ kind string }

func TestTable(t *testing.T) {
	t.Parallel()
	tab := Table[*spec]{
		{"a", "the first", func() *spec { return &spec{"a"} }},
		{"b", "the second", func() *spec { return &spec{"b"} }},
		{"c", "the third", func() *spec { return &spec{"c"} }},
	}
	s, ok := tab.Lookup("b")
	if !ok || s.kind != "b" {
		t.Fatalf("Lookup(b) = %v, %v; want a fresh b", s, ok)
	}
	if s2, _ := tab.Lookup("b"); s2 == s {
		t.Error("Lookup(b) twice gave the same spec; want a fresh one each time")
	}
	if s, ok := tab.Lookup("z"); ok || s != nil {
		t.Errorf("Lookup(z) = %v, %v; want nil, false", s, ok)
	}
	if got := tab.Names(); !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Errorf("Names() = %v", got)
	}
	if got := tab.String(); got != "a, b or c" {
		t.Errorf("String() = %q; want \"a, b or c\"", got)
	}
}
