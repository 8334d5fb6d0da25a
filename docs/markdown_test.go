package docs

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	extast "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/text"
)

// root is the repository's root, seen from this package's folder (where go test runs).
const root = ".."

// md renders as GitHub does: CommonMark with GitHub's tables, strikethrough and autolinks.
var md = goldmark.New(goldmark.WithExtensions(extension.GFM))

// A page is one markdown file, read and parsed.
type page struct {
	path   string // from the repository's root, with slashes: README.md, docs/ci.md
	src    []byte
	lines  []string // the source's lines, lines[0] is line 1
	starts []int    // the byte offset of each line's start
	fences []fence
	doc    ast.Node
	html   string
}

// A fence is a fenced code block as the source writes it.
type fence struct {
	lang   string
	line   int      // the line of the opening fence
	body   []string // the lines between the fences
	closed bool
}

// pages reads README.md and every docs/*.md.
func pages(t *testing.T) []*page {
	t.Helper()
	paths := []string{"README.md"}
	more, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range more {
		rel, _ := filepath.Rel(root, m)
		paths = append(paths, filepath.ToSlash(rel))
	}
	var out []*page
	for _, p := range paths {
		pg, err := readPage(p)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, pg)
	}
	return out
}

func readPage(path string) (*page, error) {
	src, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(path)))
	if err != nil {
		return nil, err
	}
	p := &page{path: path, src: src, lines: strings.Split(strings.TrimSuffix(string(src), "\n"), "\n")}
	off := 0
	for _, l := range p.lines {
		p.starts = append(p.starts, off)
		off += len(l) + 1
	}
	p.fences = scanFences(p.lines)
	p.doc = md.Parser().Parse(text.NewReader(src))
	var b bytes.Buffer
	if err := md.Renderer().Render(&b, src, p.doc); err != nil {
		return nil, err
	}
	p.html = b.String()
	return p, nil
}

// lineOf is the 1-based line of a byte offset into the source.
func (p *page) lineOf(off int) int {
	return sort.Search(len(p.starts), func(i int) bool { return p.starts[i] > off })
}

// prose reports whether a line (1-based) is outside every code fence.
func (p *page) prose(line int) bool {
	for _, f := range p.fences {
		if line >= f.line && (line <= f.line+len(f.body)+1 || !f.closed) {
			return false
		}
	}
	return true
}

var fenceRE = regexp.MustCompile("^ {0,3}(`{3,}|~{3,})\\s*([^`\\s]*)")

// scanFences finds the fenced code blocks, as CommonMark closes them: a fence of the same
// character, at least as long, with nothing after it. An unclosed fence runs to the end.
func scanFences(lines []string) []fence {
	var out []fence
	for i := 0; i < len(lines); i++ {
		m := fenceRE.FindStringSubmatch(strings.TrimLeft(lines[i], " "))
		if m == nil {
			continue
		}
		f := fence{lang: m[2], line: i + 1}
		for i++; i < len(lines); i++ {
			c := strings.TrimSpace(lines[i])
			if strings.HasPrefix(c, m[1]) && strings.Trim(c, m[1][:1]) == "" {
				f.closed = true
				break
			}
			f.body = append(f.body, lines[i])
		}
		out = append(out, f)
	}
	return out
}

// headingLines are the lines the rendered page has headings on.
func (p *page) headingLines() map[int]bool {
	out := map[int]bool{}
	ast.Walk(p.doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if h, ok := n.(*ast.Heading); ok && entering && h.Lines().Len() > 0 {
			out[p.lineOf(h.Lines().At(0).Start)] = true
		}
		return ast.WalkContinue, nil
	})
	return out
}

// anchors are the ids GitHub gives the page's headings: lower case, letters, digits, '-' and
// '_' kept, spaces made '-', everything else dropped; a repeated id gets -1, -2, ...
func (p *page) anchors() map[string]bool {
	out := map[string]bool{}
	seen := map[string]int{}
	ast.Walk(p.doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if _, ok := n.(*ast.Heading); !ok || !entering {
			return ast.WalkContinue, nil
		}
		var b strings.Builder
		for _, r := range strings.ToLower(plainText(n, p.src)) {
			switch {
			case unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_':
				b.WriteRune(r)
			case r == ' ':
				b.WriteRune('-')
			}
		}
		id := b.String()
		if k := seen[id]; k > 0 {
			seen[id]++
			id += "-" + strconv.Itoa(k)
		} else {
			seen[id] = 1
		}
		out[id] = true
		return ast.WalkSkipChildren, nil
	})
	return out
}

// plainText is a node's text as the reader sees it (code spans' text included, markup dropped).
func plainText(n ast.Node, src []byte) string {
	var b strings.Builder
	ast.Walk(n, func(c ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch c := c.(type) {
		case *ast.Text:
			b.Write(c.Segment.Value(src))
			if c.SoftLineBreak() {
				b.WriteByte(' ')
			}
		case *ast.String:
			b.Write(c.Value)
		}
		return ast.WalkContinue, nil
	})
	return b.String()
}

// A sourceTable is a run of lines that begin with '|', outside code fences.
type sourceTable struct {
	line int      // its first line
	rows []string // its lines
}

var delimiterRow = regexp.MustCompile(`^\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$`)

func (p *page) sourceTables() []sourceTable {
	var out []sourceTable
	for i, l := range p.lines {
		if !p.prose(i+1) || !strings.HasPrefix(strings.TrimSpace(l), "|") {
			continue
		}
		if n := len(out); n > 0 && out[n-1].line+len(out[n-1].rows) == i+1 {
			out[n-1].rows = append(out[n-1].rows, l)
			continue
		}
		out = append(out, sourceTable{line: i + 1, rows: []string{l}})
	}
	return out
}

// renderedTables maps the line each rendered table starts on to its number of rows.
func (p *page) renderedTables() map[int]int {
	out := map[int]int{}
	ast.Walk(p.doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if tb, ok := n.(*extast.Table); ok && entering {
			rows := 0
			for c := tb.FirstChild(); c != nil; c = c.NextSibling() {
				rows++
			}
			out[p.lineOf(tb.Pos())] = rows
			return ast.WalkSkipChildren, nil
		}
		return ast.WalkContinue, nil
	})
	return out
}

// A link is a link's or an image's destination and the line it is on.
type link struct {
	dest string
	line int
}

func (p *page) links() []link {
	var out []link
	ast.Walk(p.doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		var dest []byte
		switch n := n.(type) {
		case *ast.Link:
			dest = n.Destination
		case *ast.Image:
			dest = n.Destination
		default:
			return ast.WalkContinue, nil
		}
		line := 0
		if pos := n.Pos(); pos >= 0 {
			line = p.lineOf(pos)
		}
		for b := n.Parent(); line == 0 && b != nil; b = b.Parent() {
			if b.Type() == ast.TypeBlock && b.Lines().Len() > 0 {
				line = p.lineOf(b.Lines().At(0).Start)
			}
		}
		out = append(out, link{dest: string(dest), line: line})
		return ast.WalkContinue, nil
	})
	return out
}

// external reports whether a destination leaves the repository (a URL, mail).
func external(dest string) bool {
	return strings.Contains(dest, "://") || strings.HasPrefix(dest, "mailto:")
}

// resolve turns a relative destination into a path from the repository's root, and its anchor.
// ok is false when the path leaves the repository.
func (p *page) resolve(dest string) (path, anchor string, ok bool) {
	path, anchor, _ = strings.Cut(dest, "#")
	if path == "" {
		return p.path, anchor, true
	}
	path = filepath.ToSlash(filepath.Clean(filepath.Join(filepath.Dir(p.path), path)))
	return path, anchor, path != ".." && !strings.HasPrefix(path, "../")
}

// sortedKeys lists a set's members in order, for messages.
func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
