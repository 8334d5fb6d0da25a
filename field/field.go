// Package field is the error of one field of a spec read from a file (a fault, an assertion, an
// HTTP or request fault): which spec, which field as files spell it, the value and what is
// accepted. Validate methods join them (errors.Join); a caller finds each with errors.As, and the
// scenario loader places each at its field's line and column.
package field

import "fmt"

// Error is one problem with one field of a spec: the family ("fault", "assertion", "http
// fault"), the spec's name, the field as files spell it, the value and what is accepted.
type Error struct {
	Family, Spec, Field string
	Value               any
	Want                string
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s %q: %s = %v; want %s", e.Family, e.Spec, e.Field, e.Value, e.Want)
}

// Problem is the error without the spec it is of: "0s; want more than 0".
func (e *Error) Problem() string { return fmt.Sprintf("%v; want %s", e.Value, e.Want) }
