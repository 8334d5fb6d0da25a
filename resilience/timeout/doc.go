// Package timeout bounds a call's time by cancelling the context it runs with. The call runs on
// the caller's goroutine: nothing is started that could outlive it, so no goroutine is left behind,
// and the work must honour its context (database drivers, HTTP clients and the Ollama client do).
//
// A call cut off by the policy returns an *Error that matches ErrTimeout and
// context.DeadlineExceeded; a call whose caller gave up first returns the caller's own error.
package timeout
