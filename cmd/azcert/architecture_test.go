package main

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// The limits of docs/architecture.md, measured on every run so they hold.
const (
	maxFuncLines    = 80 // no function in cmd/ longer
	maxPackageFiles = 12 // no package in cmd/ with more non-test files
)

// archReport measures cmd/azcert (this directory and everything under it):
// functions longer than maxFuncLines, packages with more than
// maxPackageFiles non-test files, and non-test imports of a package whose
// name ends in "test".
func archReport(t *testing.T) (long, big, testImports []string, funcs int, longest string) {
	t.Helper()
	files := map[string]int{}
	max := 0
	fset := token.NewFileSet()
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") || strings.Contains(path, "testdata") {
			return err
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		f, err := parser.ParseFile(fset, path, src, parser.ImportsOnly|parser.ParseComments)
		if err != nil {
			return err
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if strings.HasSuffix(p, "test") {
				testImports = append(testImports, path+" imports "+p)
			}
		}
		files[filepath.Dir(path)]++
		full, err := parser.ParseFile(fset, path, src, 0)
		if err != nil {
			return err
		}
		ast.Inspect(full, func(n ast.Node) bool {
			var name string
			var body *ast.BlockStmt
			switch fn := n.(type) {
			case *ast.FuncDecl:
				name, body = fn.Name.Name, fn.Body
			case *ast.FuncLit:
				name, body = "func literal", fn.Body
			default:
				return true
			}
			if body == nil {
				return true
			}
			funcs++
			lines := fset.Position(n.End()).Line - fset.Position(n.Pos()).Line + 1
			where := fmt.Sprintf("%s:%d %s (%d lines)", path, fset.Position(n.Pos()).Line, name, lines)
			if lines > max {
				max, longest = lines, where
			}
			if lines > maxFuncLines {
				long = append(long, where)
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for dir, n := range files {
		if n > maxPackageFiles {
			big = append(big, fmt.Sprintf("%s: %d non-test files", dir, n))
		}
	}
	sort.Strings(long)
	sort.Strings(big)
	return long, big, testImports, funcs, longest
}

// TestArchitecture holds cmd/ to the limits docs/architecture.md states.
func TestArchitecture(t *testing.T) {
	long, big, testImports, funcs, longest := archReport(t)
	t.Logf("%d functions; the longest: %s", funcs, longest)
	for _, l := range long {
		t.Errorf("function over %d lines: %s", maxFuncLines, l)
	}
	for _, b := range big {
		t.Errorf("package over %d files: %s", maxPackageFiles, b)
	}
	for _, i := range testImports {
		t.Errorf("a command imports a test helper: %s", i)
	}
}
