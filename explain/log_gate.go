package explain

import "sync"

// exGate finds, in one pass over a text, whether it holds any literal that
// gates a rule (ignoring ASCII case): a log entry without one cannot match
// any rule, so Explain is not run on it. It is an Aho-Corasick automaton
// compiled to a table over the bytes that occur in the literals; every
// other byte takes the automaton back to its root.
type exGate struct {
	class  [256]uint8 // byte (any case) -> column, 0 for bytes in no literal
	cols   int
	next   []int32 // state*cols + column -> state
	accept []bool  // a literal ends in this state
}

// exLogGate is built once from the rules' literals and only read.
var exLogGate = sync.OnceValue(func() *exGate {
	var lits []string
	for _, g := range exGates() {
		lits = append(lits, g.lits...)
	}
	return newExGate(lits)
})

// exGateComplete reports whether every rule has literals: only then can a
// text the gate rejects be skipped without running the rules.
var exGateComplete = sync.OnceValue(func() bool {
	for _, g := range exGates() {
		if g.lits == nil {
			return false
		}
	}
	return true
})

// exLower folds ASCII upper case, as the gates' literals are lower case.
func exLower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func newExGate(lits []string) *exGate {
	g := &exGate{cols: 1}
	for _, l := range lits {
		for i := 0; i < len(l); i++ {
			c := exLower(l[i])
			if g.class[c] == 0 {
				if g.cols == 256 {
					panic("explain: gate literals use every byte")
				}
				g.class[c] = uint8(g.cols)
				g.cols++
			}
		}
	}
	for c := 'A'; c <= 'Z'; c++ {
		g.class[c] = g.class[c+'a'-'A']
	}
	// The trie, then the failure links turned into a full table.
	trie := [][]int32{make([]int32, g.cols)}
	accept := []bool{false}
	for _, l := range lits {
		s := int32(0)
		for i := 0; i < len(l); i++ {
			c := g.class[exLower(l[i])]
			if trie[s][c] == 0 {
				trie = append(trie, make([]int32, g.cols))
				accept = append(accept, false)
				trie[s][c] = int32(len(trie) - 1)
			}
			s = trie[s][c]
		}
		accept[s] = true
	}
	fail := make([]int32, len(trie))
	g.next = make([]int32, len(trie)*g.cols)
	queue := []int32{0}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		accept[s] = accept[s] || accept[fail[s]]
		for c := 1; c < g.cols; c++ {
			t := trie[s][c]
			switch {
			case t != 0:
				if s != 0 {
					fail[t] = g.next[int(fail[s])*g.cols+c]
				}
				g.next[int(s)*g.cols+c] = t
				queue = append(queue, t)
			case s != 0:
				g.next[int(s)*g.cols+c] = g.next[int(fail[s])*g.cols+c]
			}
		}
	}
	g.accept = accept
	return g
}

// match reports whether text holds one of the literals.
func (g *exGate) match(text []byte) bool {
	s := int32(0)
	cols := int32(g.cols)
	for _, c := range text {
		s = g.next[s*cols+int32(g.class[c])]
		if g.accept[s] {
			return true
		}
	}
	return false
}
