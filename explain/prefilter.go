package explain

import (
	"regexp"
	"regexp/syntax"
	"strings"
)

// exLiterals returns lower-case strings one of which every match of expr
// contains, or nil when no such set is known. Explain uses it to skip a
// rule's regular expression on lines that cannot match: most lines of a
// log match no rule, and a substring test is far cheaper than running a
// large alternation at every position.
func exLiterals(expr string) []string {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return nil
	}
	lits := exRequired(re.Simplify())
	for _, l := range lits {
		if l == "" {
			return nil
		}
	}
	return lits
}

func exRequired(re *syntax.Regexp) []string {
	switch re.Op {
	case syntax.OpLiteral:
		return []string{strings.ToLower(string(re.Rune))}
	case syntax.OpCapture:
		return exRequired(re.Sub[0])
	case syntax.OpPlus:
		return exRequired(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return exRequired(re.Sub[0])
		}
		return nil
	case syntax.OpConcat:
		var best []string
		bestLen := 0
		for _, sub := range re.Sub {
			lits := exRequired(sub)
			if lits == nil {
				continue
			}
			if n := exShortest(lits); n > bestLen {
				best, bestLen = lits, n
			}
		}
		return best
	case syntax.OpAlternate:
		var out []string
		for _, sub := range re.Sub {
			lits := exRequired(sub)
			if lits == nil {
				return nil
			}
			out = append(out, lits...)
		}
		return out
	}
	return nil
}

func exShortest(lits []string) int {
	n := -1
	for _, l := range lits {
		if n < 0 || len(l) < n {
			n = len(l)
		}
	}
	return n
}

// exPrefiltered is a rule's expression with the literals that gate it.
type exPrefiltered struct {
	re   *regexp.Regexp
	lits []string
}

// mayMatch reports whether the lower-cased line holds one of the literals.
func (p exPrefiltered) mayMatch(lower string) bool {
	if p.lits == nil {
		return true
	}
	for _, l := range p.lits {
		if strings.Contains(lower, l) {
			return true
		}
	}
	return false
}
