package harness

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestReadMigrations: a folder is read by its layout: golang-migrate's up files only, goose's Up
// sections only, plain files whole; versions in the order of their numbers (2_ before 10_). A
// folder that mixes layouts, or two migrations of one version, is refused naming the files
// (issue 24, item 13: the down files ran, each before its up file).
func TestReadMigrations(t *testing.T) {
	t.Parallel()
	goose := func(up, down string) string { return "-- +goose Up\n" + up + "\n-- +goose Down\n" + down + "\n" }
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  []string // each migration: its file's name and its statements, joined by " | "
		err   string
	}{{
		name: "golang-migrate",
		files: map[string]string{"10_c.up.sql": "C;", "10_c.down.sql": "-C;", "2_b.up.sql": "B;", "2_b.down.sql": "-B;",
			"1_a.up.sql": "A;", "1_a.down.sql": "-A;", "README.md": "not SQL"},
		want: []string{"1_a.up.sql: A;", "2_b.up.sql: B;", "10_c.up.sql: C;"},
	}, {
		name:  "goose",
		files: map[string]string{"20240110120000_c.sql": goose("C;", "-C;"), "2_b.sql": goose("B1;\nB2;", "-B;"), "1_a.sql": goose("A;", "-A;")},
		want:  []string{"1_a.sql: A;", "2_b.sql: B1; | B2;", "20240110120000_c.sql: C;"},
	}, {
		name:  "plain, numbered then named",
		files: map[string]string{"10_c.sql": "C;", "seed.sql": "S;", "2_b.sql": "B;", "001_a.sql": "A;", "base.sql": "Z;"},
		want:  []string{"001_a.sql: A;", "2_b.sql: B;", "10_c.sql: C;", "base.sql: Z;", "seed.sql: S;"},
	}, {
		name:  "mixed",
		files: map[string]string{"1_a.up.sql": "A;", "1_a.down.sql": "-A;", "2_b.sql": goose("B;", "-B;"), "seed.sql": "S;"},
		err:   "the folder mixes layouts (golang-migrate files (NNN_name.up.sql, NNN_name.down.sql): 1_a.down.sql, 1_a.up.sql; goose files (-- +goose Up): 2_b.sql; plain .sql files: seed.sql)",
	}, {
		name:  "one version twice",
		files: map[string]string{"1_a.up.sql": "A;", "01_b.up.sql": "B;"},
		err:   "01_b.up.sql and 1_a.up.sql have the same version",
	}, {
		name:  "goose without a version",
		files: map[string]string{"a.sql": goose("A;", "-A;")},
		err:   "a.sql has no version; want NNN_name.sql for goose",
	}, {
		name:  "no .sql",
		files: map[string]string{"README.md": "x"},
		err:   "a folder with no .sql file in it",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			for name, text := range tc.files {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			ms, err := readMigrations(dir)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("readMigrations = %v; want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, m := range ms {
				got = append(got, filepath.Base(m.file)+": "+strings.Join(m.stmts, " | "))
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("readMigrations = %q; want %q", got, tc.want)
			}
		})
	}
}

// TestReadMigrationsFile: a file runs whole, whatever its name, unless it is a goose file: then
// its Up section.
func TestReadMigrationsFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for name, text := range map[string]string{"1_a.down.sql": "DROP TABLE a;", "seed.sql": "-- +goose Up\nINSERT;\n-- +goose Down\nDELETE;\n"} {
		os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644)
	}
	for name, want := range map[string][]string{"1_a.down.sql": {"DROP TABLE a;"}, "seed.sql": {"INSERT;"}} {
		ms, err := readMigrations(filepath.Join(dir, name))
		if err != nil || len(ms) != 1 || !slices.Equal(ms[0].stmts, want) {
			t.Errorf("readMigrations(%s) = %+v, %v; want one migration of %q", name, ms, err, want)
		}
	}
}

// TestGooseUp: the Up section is split as goose splits it: a statement ends at a line ending
// with ";" (before a comment), or spans StatementBegin to StatementEnd (a function whose body has
// semicolons); comments between statements are left out; NO TRANSACTION runs them one by one.
// What goose refuses is refused.
func TestGooseUp(t *testing.T) {
	t.Parallel()
	text := `-- a comment before Up
-- +goose Up
-- +goose NO TRANSACTION
CREATE TABLE a (
  id int -- the key
);  -- a comment after

-- +goose StatementBegin
CREATE FUNCTION f() RETURNS int AS $$
BEGIN
  RETURN 1;
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd
CREATE INDEX CONCURRENTLY a_id ON a (id);
-- +goose Down
DROP TABLE a;
`
	stmts, tx, err := gooseUp(text)
	want := []string{"CREATE TABLE a (\n  id int -- the key\n);  -- a comment after",
		"CREATE FUNCTION f() RETURNS int AS $$\nBEGIN\n  RETURN 1;\nEND;\n$$ LANGUAGE plpgsql;",
		"CREATE INDEX CONCURRENTLY a_id ON a (id);"}
	if err != nil || tx || !slices.Equal(stmts, want) {
		t.Errorf("gooseUp = %q, tx %v, %v; want %q, no transaction", stmts, tx, err, want)
	}
	if _, tx, _ := gooseUp("-- +goose Up\nA;\n"); !tx {
		t.Error("gooseUp without NO TRANSACTION: tx false; want true")
	}
	for text, want := range map[string]string{
		"A;\n-- +goose Up\nB;\n":                                 "line 1: SQL before -- +goose Up",
		"-- +goose Up\nA;\n-- +goose Up\n":                       "line 3: a second -- +goose Up",
		"-- +goose Up\n-- +goose StatementBegin\nA;\n":           "a -- +goose StatementBegin without its StatementEnd",
		"-- +goose Up\nSELECT 1\n-- +goose Down\n":               `a statement without its final ";": "SELECT 1"`,
		"-- +goose Up\n-- +goose ENVSUBST ON\nSELECT '${X}';\n":  "line 2: -- +goose ENVSUBST ON",
		"-- +goose Up\n-- +goose StatementEnd\n":                 "line 2: -- +goose StatementEnd without its StatementBegin",
		"-- +goose Up\n-- +goose StatementBegin\n-- +goose Down": "line 3: -- +goose Down before the -- +goose StatementEnd",
	} {
		if _, _, err := gooseUp(text); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("gooseUp(%q) = %v; want %q", text, err, want)
		}
	}
}

func FuzzGooseUp(f *testing.F) {
	f.Add("-- +goose Up\nCREATE TABLE a (id int);\n-- +goose StatementBegin\nSELECT 1;\nSELECT 2;\n-- +goose StatementEnd\n-- +goose Down\nDROP TABLE a;\n")
	f.Add("-- +goose Up\n-- +goose NO TRANSACTION\nA; -- x\n")
	f.Fuzz(func(t *testing.T, text string) {
		stmts, _, err := gooseUp(text)
		if err != nil {
			return
		}
		for _, s := range stmts {
			if s == "" || s != strings.TrimSpace(s) {
				t.Errorf("gooseUp(%q): statement %q is empty or not trimmed", text, s)
			}
			if a, ok := gooseAnnotation(s); ok && a != "" {
				t.Errorf("gooseUp(%q): statement %q starts with an annotation", text, s)
			}
		}
	})
}
