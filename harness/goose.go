package harness

import (
	"fmt"
	"strings"
)

// gooseAnnotation returns the annotation a line of a goose file holds ("Up", "StatementBegin"),
// if it holds one.
func gooseAnnotation(line string) (string, bool) {
	rest, ok := strings.CutPrefix(line, "--")
	if !ok {
		return "", false
	}
	return strings.CutPrefix(strings.TrimSpace(rest), "+goose ")
}

// isGoose reports whether a file's text has goose's -- +goose Up.
func isGoose(text string) bool {
	for line := range strings.Lines(text) {
		if a, ok := gooseAnnotation(line); ok && strings.TrimSpace(a) == "Up" {
			return true
		}
	}
	return false
}

// gooseUp returns the statements of a goose file's Up section, split as goose splits them, and
// whether they run in one transaction. The Down section is not read past its annotation. What
// goose refuses is refused: SQL before -- +goose Up, two Up annotations, a StatementBegin without
// its StatementEnd, a statement without its final ";". -- +goose ENVSUBST ON is refused too: the
// set-up substitutes no variables in SQL (run goose itself as a command step for that).
func gooseUp(text string) (stmts []string, tx bool, err error) {
	var (
		buf       strings.Builder
		up, block bool // in the Up section; between StatementBegin and StatementEnd
		lineNo    int
	)
	tx = true
	flush := func() {
		if s := strings.TrimSpace(buf.String()); s != "" {
			stmts = append(stmts, s)
		}
		buf.Reset()
	}
	for line := range strings.Lines(text) {
		lineNo++
		line = strings.TrimRight(line, "\r\n")
		if a, ok := gooseAnnotation(line); ok {
			switch strings.TrimSpace(a) {
			case "Up":
				if up {
					return nil, false, fmt.Errorf("line %d: a second -- +goose Up", lineNo)
				}
				up = true
				continue
			case "Down":
				if block {
					return nil, false, fmt.Errorf("line %d: -- +goose Down before the -- +goose StatementEnd of the statement above", lineNo)
				}
				if !up {
					return nil, false, fmt.Errorf("line %d: -- +goose Down before -- +goose Up", lineNo)
				}
				if err := unfinished(buf.String()); err != nil {
					return nil, false, err
				}
				return stmts, tx, nil
			case "StatementBegin":
				if !up || block {
					return nil, false, fmt.Errorf("line %d: -- +goose StatementBegin outside the Up section or inside another statement", lineNo)
				}
				block = true
				continue
			case "StatementEnd":
				if !block {
					return nil, false, fmt.Errorf("line %d: -- +goose StatementEnd without its StatementBegin", lineNo)
				}
				block = false
				flush()
				continue
			case "NO TRANSACTION":
				tx = false
				continue
			case "ENVSUBST ON":
				return nil, false, fmt.Errorf("line %d: -- +goose ENVSUBST ON: the set-up substitutes no variables in SQL; run goose as a command step for that", lineNo)
			case "ENVSUBST OFF":
				continue
			}
		}
		trimmed := strings.TrimSpace(line)
		if buf.Len() == 0 && (trimmed == "" || strings.HasPrefix(trimmed, "--")) {
			continue // blank lines and comments between statements
		}
		if !up {
			return nil, false, fmt.Errorf("line %d: SQL before -- +goose Up", lineNo)
		}
		buf.WriteString(line + "\n")
		if !block && endsStatement(line) {
			flush()
		}
	}
	if block {
		return nil, false, fmt.Errorf("a -- +goose StatementBegin without its StatementEnd")
	}
	if err := unfinished(buf.String()); err != nil {
		return nil, false, err
	}
	return stmts, tx, nil
}

// unfinished is the error of a statement left without its final ";", if rest holds one.
func unfinished(rest string) error {
	if s := strings.TrimSpace(rest); s != "" {
		return fmt.Errorf("a statement without its final \";\": %q", s)
	}
	return nil
}

// endsStatement reports whether a line ends a statement, as goose reads it: its last word before
// a -- comment ends with ";".
func endsStatement(line string) bool {
	last := ""
	for _, w := range strings.Fields(line) {
		if strings.HasPrefix(w, "--") {
			break
		}
		last = w
	}
	return strings.HasSuffix(last, ";")
}
