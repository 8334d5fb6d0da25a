// Package scenarios is the scenario file: its Go types, the strict YAML loader and the checks
// across fields.
//
// Loading is strict: an unknown field, a wrong type, a negative duration or a probability above 1
// is an error naming the file, line, column and field, and saying what would be accepted; every
// problem of a file is reported at once. Fault entries decode in two steps: the type first, then
// that kind's own spec (package faults owns each kind's fields).
package scenarios
