// Package units holds the value types that scenario files and fault specs share: durations written
// as "250ms", probabilities written as 0.3 or "30%", and rates written as "200/s".
//
// Each type is a thin wrapper over the Go type it stands for and implements
// encoding.TextUnmarshaler and encoding.TextMarshaler, so YAML and JSON decoders accept the file
// forms and the errors say what was wrong and what would be accepted. Negative durations,
// probabilities outside 0..1 and zero or negative rates are errors, never silently replaced.
package units
