package scenarios

import (
	"encoding/json"
	"reflect"

	"github.com/invopop/jsonschema"

	"github.com/shakedown-dev/shakedown/faults"
	"github.com/shakedown-dev/shakedown/units"
)

// Schema returns the JSON Schema of the scenario file, generated from the Go types, so that
// editors check a file as it is typed. Unknown fields are refused, as the loader refuses them;
// each fault entry must match one kind's fields, chosen by its type.
func Schema() ([]byte, error) {
	r := &jsonschema.Reflector{
		FieldNameTag:               "yaml",
		RequiredFromJSONSchemaTags: true, // required-ness is checked by the loader, with positions
		Mapper:                     unitSchema,
	}
	s := r.Reflect(&Scenario{})
	s.ID = "https://shakedown.dev/schemas/scenario.json"
	s.Title = "Shakedown scenario"
	var kinds []*jsonschema.Schema
	for _, k := range faults.Kinds() {
		spec, _ := faults.Lookup(k.Name)
		name := reflect.TypeOf(spec).Elem().Name()
		for n, def := range r.ReflectFromType(reflect.TypeOf(spec).Elem()).Definitions {
			s.Definitions[n] = def
		}
		ks := s.Definitions[name]
		if t, ok := ks.Properties.Get("type"); ok {
			t.Const = k.Name
			t.Description = k.Description + " (probability per " + string(k.Unit) + ")"
		}
		ks.Required = append(ks.Required, "type", "name", "target")
		kinds = append(kinds, &jsonschema.Schema{Ref: "#/$defs/" + name})
	}
	if def := s.Definitions["Scenario"]; def != nil {
		if f, ok := def.Properties.Get("faults"); ok {
			f.Items = &jsonschema.Schema{OneOf: kinds}
		}
		def.Required = []string{"name", "sut", "load", "phases"}
	}
	return json.MarshalIndent(s, "", "  ")
}

// unitSchema describes the file forms of the units types.
func unitSchema(t reflect.Type) *jsonschema.Schema {
	switch t {
	case reflect.TypeFor[units.Duration]():
		return &jsonschema.Schema{Type: "string", Pattern: `^(0|([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+)$`,
			Description: "a duration such as 250ms, 2s or 1m30s", Examples: []any{"250ms", "1m30s"}}
	case reflect.TypeFor[units.Probability]():
		return &jsonschema.Schema{OneOf: []*jsonschema.Schema{
			{Type: "number", Minimum: json.Number("0"), Maximum: json.Number("1")},
			{Type: "string", Pattern: `^(100(\.0+)?|[0-9]{1,2}(\.[0-9]+)?)\s*%$`},
		}, Description: "a fraction from 0 to 1 (0.3) or a percentage (30%)"}
	case reflect.TypeFor[units.Rate]():
		return &jsonschema.Schema{OneOf: []*jsonschema.Schema{
			{Type: "integer", Minimum: json.Number("1")},
			{Type: "string", Pattern: `^[0-9]+\s*(/\s*([0-9.]+(ns|us|µs|ms|s|m|h)|s|m|min|h))?$`},
		}, Description: "events per period such as 200/s, 50/100ms or 3000/1m"}
	}
	return nil
}
