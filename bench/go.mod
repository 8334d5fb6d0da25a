module github.com/shakedown-dev/shakedown/bench

go 1.26.0

replace github.com/shakedown-dev/shakedown => ../

require (
	github.com/eapache/go-resiliency v1.7.0
	github.com/failsafe-go/failsafe-go v0.9.8
	github.com/shakedown-dev/shakedown v0.0.0
	github.com/sony/gobreaker/v2 v2.4.0
)

require github.com/bits-and-blooms/bitset v1.24.4 // indirect
