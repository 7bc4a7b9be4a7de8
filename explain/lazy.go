package explain

import (
	"regexp"
	"sync"
)

// exLazyRE is a regular expression compiled on first use. Every command
// links explain (the engine explains driver errors with it), but most
// never reach one of its expressions: compiled at start-up, they would
// cost `mongoconn version` as much CPU as the Go runtime's own start.
type exLazyRE struct {
	expr     string
	once     sync.Once
	compiled *regexp.Regexp
}

// exLazy returns expr, to be compiled when first used; it panics then if
// expr does not compile, as regexp.MustCompile would have at start-up. A
// package-level exLazy costs nothing at start-up: the compiler lays the
// value out statically.
func exLazy(expr string) *exLazyRE { return &exLazyRE{expr: expr} }

// re compiles the expression once and returns it.
func (l *exLazyRE) re() *regexp.Regexp {
	l.once.Do(func() { l.compiled = regexp.MustCompile(l.expr) })
	return l.compiled
}

func (l *exLazyRE) MatchString(s string) bool            { return l.re().MatchString(s) }
func (l *exLazyRE) FindString(s string) string           { return l.re().FindString(s) }
func (l *exLazyRE) FindStringSubmatch(s string) []string { return l.re().FindStringSubmatch(s) }
func (l *exLazyRE) FindStringSubmatchIndex(s string) []int {
	return l.re().FindStringSubmatchIndex(s)
}
func (l *exLazyRE) FindAllString(s string, n int) []string { return l.re().FindAllString(s, n) }
func (l *exLazyRE) ReplaceAllString(src, repl string) string {
	return l.re().ReplaceAllString(src, repl)
}
