package scenarios

import (
	"encoding"

	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/shakedown-dev/shakedown/assertions"
	"github.com/shakedown-dev/shakedown/faults"
)

// Error is one problem of a scenario file, with its position.
type Error struct {
	File         string
	Line, Column int
	Field        string // e.g. "load.targets[0].method"
	Msg          string
}

func (e *Error) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Column, e.Msg)
	}
	return fmt.Sprintf("%s:%d:%d: %s: %s", e.File, e.Line, e.Column, e.Field, e.Msg)
}

// maxNodes bounds the nodes one file may expand to (aliases included): no alias bomb passes.
const maxNodes = 100_000

// decoder walks a YAML node tree into Go values, strictly, collecting every problem.
type decoder struct {
	file  string
	errs  []error
	nodes int
	pos   map[string]*yaml.Node // where each field path was read, for later checks
}

func (d *decoder) fail(n *yaml.Node, field, format string, a ...any) {
	d.errs = append(d.errs, &Error{File: d.file, Line: n.Line, Column: n.Column, Field: field, Msg: fmt.Sprintf(format, a...)})
}

var (
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
	faultSpec       = reflect.TypeFor[faults.Spec]()
	assertionSpec   = reflect.TypeFor[assertions.Spec]()
)

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// shorthand is a mapping that a file may also give as one word (metrics: none).
type shorthand interface{ fromScalar(string) error }

// decode fills v (addressable) from n.
func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string) {
	if d.nodes++; d.nodes > maxNodes {
		if d.nodes == maxNodes+1 {
			d.fail(n, path, "the file expands to more than %d values (aliases included); refusing it", maxNodes)
		}
		return
	}
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	d.pos[path] = n
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return // an empty value leaves the zero value
	}
	if v.CanAddr() && v.Addr().Type().Implements(textUnmarshaler) {
		if n.Kind != yaml.ScalarNode {
			d.fail(n, path, "want a single value, got %s", kindName(n))
			return
		}
		if err := v.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(n.Value)); err != nil {
			d.fail(n, path, "%v", err)
		}
		return
	}
	switch v.Kind() {
	case reflect.Interface:
		switch v.Type() {
		case faultSpec:
			d.twoStep(n, v, path, "fault", faults.KindNames(), func(k string) (any, bool) { return faults.Lookup(k) })
		case assertionSpec:
			d.twoStep(n, v, path, "assertion", assertions.KindNames(), func(k string) (any, bool) { return assertions.Lookup(k) })
		default:
			d.fail(n, path, "cannot decode into %s", v.Type())
		}
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		d.decode(n, v.Elem(), path)
	case reflect.Struct:
		if sh, ok := v.Addr().Interface().(shorthand); ok && n.Kind == yaml.ScalarNode {
			if err := sh.fromScalar(n.Value); err != nil {
				d.fail(n, path, "%v", err)
			}
			return
		}
		d.structure(n, v, path)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			d.fail(n, path, "want a list, got %s", kindName(n))
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, item := range n.Content {
			d.decode(item, s.Index(i), fmt.Sprintf("%s[%d]", path, i))
		}
		v.Set(s)
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			d.fail(n, path, "want a mapping of names to values, got %s", kindName(n))
			return
		}
		m := reflect.MakeMap(v.Type())
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			e := reflect.New(v.Type().Elem()).Elem()
			d.decode(val, e, join(path, k.Value))
			m.SetMapIndex(reflect.ValueOf(k.Value), e)
		}
		v.Set(m)
	default:
		d.scalar(n, v, path)
	}
}

// scalar decodes strings, whole numbers, floats and booleans.
func (d *decoder) scalar(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.ScalarNode {
		d.fail(n, path, "want a single value, got %s", kindName(n))
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(n.Value)
	case reflect.Int, reflect.Int64, reflect.Int32:
		i, err := strconv.ParseInt(n.Value, 10, 64)
		if err != nil || v.OverflowInt(i) {
			d.fail(n, path, "%q is not a whole number", n.Value)
			return
		}
		v.SetInt(i)
	case reflect.Uint, reflect.Uint64, reflect.Uint32:
		u, err := strconv.ParseUint(n.Value, 10, 64)
		if err != nil || v.OverflowUint(u) {
			d.fail(n, path, "%q is not a whole number of 0 or more", n.Value)
			return
		}
		v.SetUint(u)
	case reflect.Float64, reflect.Float32:
		f, err := strconv.ParseFloat(n.Value, 64)
		if err != nil {
			d.fail(n, path, "%q is not a number", n.Value)
			return
		}
		v.SetFloat(f)
	case reflect.Bool:
		b, err := strconv.ParseBool(n.Value)
		if err != nil {
			d.fail(n, path, "%q is not true or false", n.Value)
			return
		}
		v.SetBool(b)
	default:
		d.fail(n, path, "cannot decode into %s", v.Type())
	}
}

// fields maps a struct's yaml names to field indexes, following inline embedded structs.
func fields(t reflect.Type) map[string][]int {
	out := map[string][]int{}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("yaml")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if strings.Contains(opts, "inline") && f.Type.Kind() == reflect.Struct {
			for k, idx := range fields(f.Type) {
				out[k] = append([]int{i}, idx...)
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out[name] = []int{i}
	}
	return out
}

func (d *decoder) structure(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.fail(n, path, "want a mapping of fields, got %s", kindName(n))
		return
	}
	fs := fields(v.Type())
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		name := k.Value
		field := join(path, name)
		if seen[name] {
			d.fail(k, field, "appears twice")
			continue
		}
		seen[name] = true
		idx, ok := fs[name]
		if !ok {
			names := make([]string, 0, len(fs))
			for k := range fs {
				names = append(names, k)
			}
			slices.Sort(names)
			d.fail(k, field, "unknown field; want one of %s", strings.Join(names, ", "))
			continue
		}
		d.decode(val, v.FieldByIndex(idx), field)
	}
}

// twoStep decodes a fault or an assertion in two steps: its type, then that kind's spec, made by
// lookup.
func (d *decoder) twoStep(n *yaml.Node, v reflect.Value, path, what string, names []string, lookup func(string) (any, bool)) {
	if n.Kind != yaml.MappingNode {
		d.fail(n, path, "want %s %s: a mapping with a type, got %s", map[bool]string{true: "an", false: "a"}[what == "assertion"], what, kindName(n))
		return
	}
	var typ *yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == "type" {
			typ = n.Content[i+1]
		}
	}
	if typ == nil || typ.Kind != yaml.ScalarNode || typ.Value == "" {
		d.fail(n, join(path, "type"), "missing; want one of %s", strings.Join(names, ", "))
		return
	}
	spec, ok := lookup(typ.Value)
	if !ok {
		d.fail(typ, join(path, "type"), "unknown %s type %q; want one of %s", what, typ.Value, strings.Join(names, ", "))
		return
	}
	d.decode(n, reflect.ValueOf(spec).Elem(), path)
	v.Set(reflect.ValueOf(spec))
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return fmt.Sprintf("%q", n.Value)
	}
	return "nothing"
}
