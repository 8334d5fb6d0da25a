// Package fallback serves a substitute answer when a call fails, and marks it degraded so that
// callers, responses (X-Degraded: true) and metrics can tell a fallback from a real answer.
package fallback
