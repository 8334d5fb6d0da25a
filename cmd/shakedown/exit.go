package main

import (
	"errors"
	"fmt"
)

// Exit codes, as the usage text and each command's help say them.
const (
	exitOK      = 0
	exitVerdict = 1 // a verdict failed (or had too little data)
	exitInvalid = 2 // invalid input: a bad flag, argument or file
	exitEnv     = 3 // the environment could not start or stop cleanly
	exitAborted = 4 // interrupted: the record was written, marked aborted
)

// usageError is bad input from the user.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return usageError{fmt.Sprintf(format, a...)} }

func exitCode(err error) int {
	var u usageError
	var v verdictError
	var a abortedError
	switch {
	case errors.As(err, &u):
		return exitInvalid
	case errors.As(err, &v):
		return exitVerdict
	case errors.As(err, &a):
		return exitAborted
	}
	return exitEnv
}

// verdictError is a run whose verdicts did not all pass.
type verdictError struct{ failed int }

func (e verdictError) Error() string { return fmt.Sprintf("%d verdicts did not pass", e.failed) }

// abortedError is a run that was interrupted.
type abortedError struct{ err error }

func (e abortedError) Error() string { return e.err.Error() }
func (e abortedError) Unwrap() error { return e.err }
