// Package bench measures the resilience core against sony/gobreaker v2, failsafe-go and
// eapache/go-resiliency in the same run. It is its own module so that `go get` of Shakedown pulls
// none of them. Run it with `make bench`, which summarises the results with benchstat.
package bench
