// Command importorder checks that every Go file's imports are in goimports order with the
// module's own last: the standard library, then other modules, then this module, each group
// apart and each import in the group of its kind. goimports -local sorts within a group but
// leaves a group in the wrong place (an internal import above the standard library) as it is.
//
//	go run ./tools/importorder -local github.com/shakedown-dev/shakedown FILE...
package main

import (
	"flag"
	"fmt"
	"go/parser"
	"go/token"
	"os"
	"strconv"
	"strings"
)

func main() {
	local := flag.String("local", "", "the import path prefix of this module's own packages")
	flag.Parse()
	bad := 0
	for _, f := range flag.Args() {
		problems, err := check(f, *local)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		for _, p := range problems {
			fmt.Println(p)
		}
		bad += len(problems)
	}
	if bad > 0 {
		os.Exit(1)
	}
}

// kind orders the groups: the standard library, other modules, this module's.
func kind(path, local string) int {
	switch {
	case local != "" && (path == local || strings.HasPrefix(path, local+"/")):
		return 2
	case !strings.Contains(strings.SplitN(path, "/", 2)[0], "."):
		return 0
	}
	return 1
}

var kindName = []string{"the standard library", "other modules", "this module"}

// check returns file:line problems: an import in a group of another kind, or a group after one
// of a later kind.
func check(file, local string) ([]string, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, file, nil, parser.ImportsOnly)
	if err != nil {
		return nil, err
	}
	var out []string
	prevLine, groupKind, lastKind := -1, -1, -1
	for _, im := range f.Imports {
		path, _ := strconv.Unquote(im.Path.Value)
		line := fset.Position(im.Pos()).Line
		if im.Doc != nil {
			line = fset.Position(im.Doc.Pos()).Line
		}
		k := kind(path, local)
		if prevLine < 0 || line > prevLine+1 { // a new group
			if k < lastKind {
				out = append(out, fmt.Sprintf("%s:%d: %q (%s) is in a group after %s; want the standard library, other modules, then this module", file, line, path, kindName[k], kindName[lastKind]))
			}
			groupKind = k
		} else if k != groupKind {
			out = append(out, fmt.Sprintf("%s:%d: %q (%s) is in a group of %s; want each kind in a group of its own", file, line, path, kindName[k], kindName[groupKind]))
		}
		lastKind = max(lastKind, k)
		prevLine = fset.Position(im.End()).Line
	}
	return out, nil
}
