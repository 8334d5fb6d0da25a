// Package bulkhead caps how many calls to a dependency run at once, so that one slow dependency
// cannot take every goroutine, connection or thread of a service. Calls past the cap wait in a
// bounded queue for a bounded time; a waiter that gives up (its context ended or the wait ran out)
// leaves the queue and holds nothing.
package bulkhead
