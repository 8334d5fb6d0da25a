package scenarios

import (
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/shakedown-dev/shakedown/assertions"
	"github.com/shakedown-dev/shakedown/faults"
	"github.com/shakedown-dev/shakedown/service"
)

// TestDocsNameEveryField keeps docs/scenarios.md in step with the Go types: every yaml field of
// the scenario and of every fault kind is named there, in backquotes.
func TestDocsNameEveryField(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("../docs/scenarios.md")
	if err != nil {
		t.Fatal(err)
	}
	types := []reflect.Type{reflect.TypeFor[Scenario]()}
	for _, k := range faults.Kinds() {
		s, _ := faults.Lookup(k.Name)
		types = append(types, reflect.TypeOf(s).Elem())
		if !strings.Contains(string(doc), "`"+k.Name+"`") {
			t.Errorf("docs/scenarios.md does not name the fault kind %q", k.Name)
		}
	}
	for _, k := range assertions.Kinds() {
		s, _ := assertions.Lookup(k.Name)
		types = append(types, reflect.TypeOf(s).Elem())
		if !strings.Contains(string(doc), "`"+k.Name+"`") {
			t.Errorf("docs/scenarios.md does not name the assertion kind %q", k.Name)
		}
	}
	seen := map[reflect.Type]bool{}
	var walk func(reflect.Type)
	walk = func(ty reflect.Type) {
		for ty.Kind() == reflect.Pointer || ty.Kind() == reflect.Slice || ty.Kind() == reflect.Map {
			ty = ty.Elem()
		}
		if ty.Kind() != reflect.Struct || seen[ty] || reflect.PointerTo(ty).Implements(textUnmarshaler) {
			return
		}
		seen[ty] = true
		for name := range fields(ty) {
			if !strings.Contains(string(doc), "`"+name+"`") {
				t.Errorf("docs/scenarios.md does not name the field %q of %s", name, ty)
			}
		}
		for i := range ty.NumField() {
			walk(ty.Field(i).Type)
		}
	}
	for _, ty := range types {
		walk(ty)
	}
}

// TestDocsNameEveryPlaceholder keeps docs/scenarios.md's table of placeholders in step with
// ParseTemplate: every service's every part, and every other placeholder, is named there.
func TestDocsNameEveryPlaceholder(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("../docs/scenarios.md")
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"{{seq}}", "{{uuid}}", "{{random N}}", "{{name}}", "{{" + PortName + "}}", "{{" + ReplicaName + "}}"}
	for _, svc := range service.Names() {
		names = append(names, partPlaceholders(svc)...)
	}
	for _, n := range names {
		if !strings.Contains(string(doc), "`"+n+"`") {
			t.Errorf("docs/scenarios.md does not name the placeholder %s", n)
		}
	}
}
