// Package kinds is the table of a family of kinds (fault kinds, assertion kinds): each kind's
// name, a line that says what it does, and how to make a fresh spec of it to decode a file into.
// The table is an explicit value, not filled by init().
package kinds

import (
	"slices"
	"strings"
)

// Kind is one kind of a family whose specs are S.
type Kind[S any] struct {
	Name        string
	Description string
	New         func() S
}

// Table lists a family's kinds in the order they are documented.
type Table[S any] []Kind[S]

// Lookup returns a fresh spec of the named kind.
func (t Table[S]) Lookup(name string) (S, bool) {
	for _, k := range t {
		if k.Name == name {
			return k.New(), true
		}
	}
	var zero S
	return zero, false
}

// Names lists the kinds' names, in order.
func (t Table[S]) Names() []string {
	out := make([]string, len(t))
	for i, k := range t {
		out[i] = k.Name
	}
	return out
}

// Kinds returns the table's kinds (a copy).
func (t Table[S]) Kinds() []Kind[S] { return slices.Clone(t) }

// String is the names as "a, b or c", for messages.
func (t Table[S]) String() string {
	names := t.Names()
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}
