package scenarios

import (
	"encoding/json"
	"reflect"

	"github.com/invopop/jsonschema"

	"github.com/shakedown-dev/shakedown/assertions"
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
	// oneOf returns references to each kind's definition, its type fixed to the kind's name.
	oneOf := func(specs []any, names, descriptions []string, required ...string) *jsonschema.Schema {
		var refs []*jsonschema.Schema
		for i, spec := range specs {
			t := reflect.TypeOf(spec).Elem()
			for n, def := range r.ReflectFromType(t).Definitions {
				s.Definitions[n] = def
			}
			def := s.Definitions[t.Name()]
			if ty, ok := def.Properties.Get("type"); ok {
				ty.Const, ty.Description = names[i], descriptions[i]
			}
			def.Required = append(def.Required, required...)
			if o, ok := spec.(interface{ SchemaOmits() []string }); ok { // fields of a shared part that do not apply
				for _, f := range o.SchemaOmits() {
					def.Properties.Delete(f)
				}
			}
			refs = append(refs, &jsonschema.Schema{Ref: "#/$defs/" + t.Name()})
		}
		return &jsonschema.Schema{OneOf: refs}
	}
	var fs []any
	var fnames, fdesc []string
	for _, k := range faults.Kinds() {
		spec, _ := faults.Lookup(k.Name)
		fs, fnames, fdesc = append(fs, spec), append(fnames, k.Name), append(fdesc, k.Description+" (probability per "+string(k.Unit)+")")
	}
	var as []any
	var anames, adesc []string
	for _, k := range assertions.Kinds() {
		spec, _ := assertions.Lookup(k.Name)
		as, anames, adesc = append(as, spec), append(anames, k.Name), append(adesc, k.Description)
	}
	if def := s.Definitions["Scenario"]; def != nil {
		if f, ok := def.Properties.Get("faults"); ok {
			f.Items = oneOf(fs, fnames, fdesc, "type", "name", "target")
		}
		if a, ok := def.Properties.Get("assertions"); ok {
			a.Items = oneOf(as, anames, adesc, "type", "name")
		}
		if m, ok := def.Properties.Get("metrics"); ok { // metrics: none, the short form
			long := *m
			*m = jsonschema.Schema{OneOf: []*jsonschema.Schema{&long, {Type: "string", Const: MetricsNone,
				Description: "the service exports no metrics: nothing is scraped"}}}
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
	case reflect.TypeFor[units.StatusRange]():
		return &jsonschema.Schema{OneOf: []*jsonschema.Schema{
			{Type: "integer", Minimum: json.Number("100"), Maximum: json.Number("599")},
			{Type: "string", Pattern: `^\s*([1-5][0-9]{2}|[1-5][xX][xX]|[1-5][0-9]{2}\s*-\s*[1-5][0-9]{2})\s*$`},
		}, Description: "an HTTP status (404), a class (2xx) or a range (200-299)"}
	}
	return nil
}
