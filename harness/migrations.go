package harness

import (
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// migration is one file of a sql step, as it runs.
type migration struct {
	file string
	// stmts run in order: the whole file at once (Postgres splits it into its statements, in one
	// implicit transaction), or a goose file's Up statements one by one.
	stmts []string
	// tx runs stmts in one transaction (a goose file without -- +goose NO TRANSACTION).
	tx bool
}

// The layouts of a folder of migrations.
const (
	layoutPlain   = "plain .sql files"
	layoutMigrate = "golang-migrate files (NNN_name.up.sql, NNN_name.down.sql)"
	layoutGoose   = "goose files (-- +goose Up)"
)

var (
	// migrateRE is golang-migrate's file name: a version, a name, a direction.
	migrateRE = regexp.MustCompile(`^([0-9]+)_.*\.(up|down)\.sql$`)
	// versionRE is a version at the start of a file name: goose's, a numbered plain file's.
	versionRE = regexp.MustCompile(`^([0-9]+)`)
)

// readMigrations reads what a sql step runs. A file runs whole, or, if it is a goose file, its
// Up section (whatever its name). A folder's .sql files are read by their layout, one per folder:
//
//   - golang-migrate (NNN_name.up.sql, NNN_name.down.sql): the up files, in the order of their
//     versions; the down files never run.
//   - goose (NNN_name.sql with -- +goose Up and -- +goose Down): each file's Up section, in the
//     order of the versions, split into statements as goose splits them (a statement ends at a
//     line that ends with ";", or spans -- +goose StatementBegin to StatementEnd), in one
//     transaction per file unless -- +goose NO TRANSACTION.
//   - plain .sql files: every file whole, the numbered ones first in the order of their numbers,
//     then the others in the order of their names.
//
// Versions compare as numbers (2_ before 10_). A folder that mixes layouts, two migrations of one
// version, or a goose file that goose would refuse, is an error naming the files.
func readMigrations(path string) ([]migration, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		m, _, err := readMigration(path)
		return []migration{m}, err
	}
	files, err := filepath.Glob(filepath.Join(path, "*.sql"))
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("sql %s: a folder with no .sql file in it", path)
	}
	byLayout := map[string][]string{}
	var ms []migration
	for _, f := range files {
		m, layout, err := readMigration(f)
		if err != nil {
			return nil, err
		}
		byLayout[layout] = append(byLayout[layout], filepath.Base(f))
		if layout != layoutMigrate || strings.HasSuffix(f, ".up.sql") {
			ms = append(ms, m)
		}
	}
	if len(byLayout) > 1 {
		var kinds []string
		for _, l := range []string{layoutMigrate, layoutGoose, layoutPlain} {
			if fs := byLayout[l]; len(fs) > 0 {
				kinds = append(kinds, fmt.Sprintf("%s: %s", l, strings.Join(fs, ", ")))
			}
		}
		return nil, fmt.Errorf("sql %s: the folder mixes layouts (%s); keep one layout a folder, and give each folder its own sql step", path, strings.Join(kinds, "; "))
	}
	if _, plain := byLayout[layoutPlain]; plain {
		slices.SortFunc(ms, func(a, b migration) int { return cmpPlain(filepath.Base(a.file), filepath.Base(b.file)) })
		return ms, nil
	}
	for _, m := range ms {
		if versionOf(m.file) == "" {
			return nil, fmt.Errorf("sql %s: %s has no version; want NNN_name.sql for goose, NNN_name.up.sql for golang-migrate", path, filepath.Base(m.file))
		}
	}
	slices.SortFunc(ms, func(a, b migration) int { return cmpVersion(versionOf(a.file), versionOf(b.file)) })
	for i := 1; i < len(ms); i++ {
		if cmpVersion(versionOf(ms[i-1].file), versionOf(ms[i].file)) == 0 {
			return nil, fmt.Errorf("sql %s: %s and %s have the same version; give each migration its own", path, filepath.Base(ms[i-1].file), filepath.Base(ms[i].file))
		}
	}
	return ms, nil
}

// readMigration reads one file and says its layout.
func readMigration(file string) (migration, string, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return migration{}, "", err
	}
	name := filepath.Base(file)
	switch {
	case strings.HasSuffix(name, ".up.sql") || strings.HasSuffix(name, ".down.sql"):
		return migration{file: file, stmts: []string{string(b)}}, layoutMigrate, nil
	case isGoose(string(b)):
		stmts, tx, err := gooseUp(string(b))
		if err != nil {
			return migration{}, "", fmt.Errorf("sql %s: %w", file, err)
		}
		return migration{file: file, stmts: stmts, tx: tx}, layoutGoose, nil
	}
	return migration{file: file, stmts: []string{string(b)}}, layoutPlain, nil
}

// versionOf returns the version a migration's file name starts with, or "".
func versionOf(file string) string {
	if m := migrateRE.FindStringSubmatch(filepath.Base(file)); m != nil {
		return m[1]
	}
	return versionRE.FindString(filepath.Base(file))
}

// cmpVersion compares two versions as numbers, whatever their length (14-digit timestamps) and
// leading zeros.
func cmpVersion(a, b string) int {
	a, b = strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0")
	return cmp.Or(cmp.Compare(len(a), len(b)), strings.Compare(a, b))
}

// cmpPlain orders plain files: the numbered ones first, by number, then by name.
func cmpPlain(a, b string) int {
	va, vb := versionRE.FindString(a), versionRE.FindString(b)
	switch {
	case va != "" && vb != "":
		return cmp.Or(cmpVersion(va, vb), strings.Compare(a, b))
	case va != "":
		return -1
	case vb != "":
		return 1
	}
	return strings.Compare(a, b)
}
