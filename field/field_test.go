package field_test

import (
	"errors"
	"fmt"

	"github.com/shakedown-dev/shakedown/field"
)

// A validation joins its field errors; a caller finds each with errors.As.
func ExampleError() {
	err := errors.Join(fmt.Errorf("scenario: %w", &field.Error{Family: "fault", Spec: "slow-db", Field: "latency", Value: "0s", Want: "more than 0"}))
	var fe *field.Error
	if errors.As(err, &fe) {
		fmt.Println(fe.Field, "-", fe.Problem())
	}
	fmt.Println(err)
	// Output:
	// latency - 0s; want more than 0
	// scenario: fault "slow-db": latency = 0s; want more than 0
}
