package scenarios

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// varRE matches ${NAME}, and $${ (a literal "${").
var varRE = regexp.MustCompile(`\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// expand replaces each ${NAME} in a file by the variable's value (a secret kept out of the file,
// say), and $${ by a literal "${", and returns the values it put in. Only the braced form is
// expanded: "$1" in a SQL query stays as it is. A variable that is not set is an error naming it
// at its line and column, every one at once; a value with a line break is refused (it would move
// the lines errors point at).
func expand(file string, data []byte, lookup func(string) (string, bool)) ([]byte, []string, error) {
	var errs []error
	var values []string
	lines := strings.SplitAfter(string(data), "\n")
	for i, line := range lines {
		lines[i] = varRE.ReplaceAllStringFunc(line, func(m string) string {
			if m == "$${" {
				return "${"
			}
			name := m[2 : len(m)-1]
			col := strings.Index(line, m) + 1
			v, ok := lookup(name)
			switch {
			case !ok:
				errs = append(errs, fmt.Errorf("%s:%d:%d: ${%s} is not set in the environment; set it, or write $${ for a literal ${", file, i+1, col, name))
			case strings.ContainsAny(v, "\r\n"):
				errs = append(errs, fmt.Errorf("%s:%d:%d: ${%s} holds a line break; a value must be one line", file, i+1, col, name))
			case !slices.Contains(values, v):
				values = append(values, v)
			}
			return v
		})
	}
	if err := errors.Join(errs...); err != nil {
		return nil, nil, err
	}
	return []byte(strings.Join(lines, "")), values, nil
}
