package explain

import "testing"

func TestLazyCompilesOnFirstUse(t *testing.T) {
	bad := exLazy(`(`) // not compiled yet: no panic here
	func() {
		defer func() {
			if recover() == nil {
				t.Error("a bad expression did not panic on first use")
			}
		}()
		bad.MatchString("x")
	}()

	l := exLazy(`(?i)b(\d+)`)
	if l.re() != l.re() {
		t.Error("the expression was compiled twice")
	}
	if !l.MatchString("aB12") || l.FindString("aB12") != "B12" || l.FindStringSubmatch("b7")[1] != "7" {
		t.Error("the lazy expression does not match as its regexp does")
	}
	if got := l.ReplaceAllString("b1 b2", "x"); got != "x x" {
		t.Errorf("ReplaceAllString = %q", got)
	}
	if got := l.FindAllString("b1 b2 c3", -1); len(got) != 2 {
		t.Errorf("FindAllString = %q", got)
	}
	if loc := l.FindStringSubmatchIndex("ab9"); len(loc) != 4 || loc[2] != 2 {
		t.Errorf("FindStringSubmatchIndex = %v", loc)
	}
}
