package driverrun

import (
	"fmt"
	"strconv"
	"strings"
)

// CorpusEntry is one file of testdata/explain: a driver's error text and
// the ids explain finds in it. The file is "# key: value" header lines
// (ids, then secret lines), a line "---", then the text.
type CorpusEntry struct {
	// IDs are the ids explain gives for Text, in its order.
	IDs []string
	// Secrets must never appear in what explain prints about Text.
	Secrets []string
	// Text is the error text, without trailing blank space.
	Text string
}

// corpusSeparator ends the header.
const corpusSeparator = "\n---\n"

// maxCorpusFile bounds a corpus file: explain reads at most 256 KiB.
const maxCorpusFile = 512 << 10

// Format renders e as a corpus file. It refuses what the corpus reader
// could not read back: an id or secret with a line break, an empty text.
func (e CorpusEntry) Format() ([]byte, error) {
	text := strings.TrimRight(e.Text, " \t\r\n")
	if strings.TrimSpace(text) == "" {
		return nil, &ParseError{What: "corpus entry", Reason: "empty text"}
	}
	var b strings.Builder
	for _, id := range e.IDs {
		if id == "" || strings.ContainsAny(id, " \t\r\n") {
			return nil, &ParseError{What: "corpus entry", Reason: fmt.Sprintf("id %q is not one word", id)}
		}
	}
	b.WriteString("# ids:")
	if len(e.IDs) > 0 {
		b.WriteString(" " + strings.Join(e.IDs, " "))
	}
	b.WriteString("\n")
	for _, s := range e.Secrets {
		if strings.TrimSpace(s) != s || s == "" || strings.ContainsAny(s, "\r\n") {
			return nil, &ParseError{What: "corpus entry", Reason: "a secret with surrounding space or a line break"}
		}
		b.WriteString("# secret: " + s + "\n")
	}
	b.WriteString("---\n")
	b.WriteString(text)
	b.WriteString("\n")
	if b.Len() > maxCorpusFile {
		return nil, &ParseError{What: "corpus entry", Reason: fmt.Sprintf("longer than %d bytes", maxCorpusFile)}
	}
	return []byte(b.String()), nil
}

// ParseCorpus reads a corpus file as the explain corpus test does: header
// lines "# key: value" up to the first "---" line, then the text. Keys
// other than ids and secret are kept out of the entry but accepted when
// the corpus reader knows them (driver, next, evidence).
func ParseCorpus(b []byte) (CorpusEntry, error) {
	var e CorpusEntry
	if len(b) > maxCorpusFile {
		return e, &ParseError{What: "corpus file", Reason: fmt.Sprintf("longer than %d bytes", maxCorpusFile)}
	}
	head, text, ok := strings.Cut(string(b), corpusSeparator)
	if !ok {
		return e, &ParseError{What: "corpus file", Reason: "no --- line"}
	}
	sawIDs := false
	for _, l := range strings.Split(head, "\n") {
		k, v, ok := strings.Cut(strings.TrimPrefix(l, "# "), ":")
		if !ok || !strings.HasPrefix(l, "# ") {
			return e, &ParseError{What: "corpus file", Reason: fmt.Sprintf("bad header line %q", l)}
		}
		v = strings.TrimSpace(v)
		switch k {
		case "ids":
			e.IDs, sawIDs = strings.Fields(v), true
		case "secret":
			e.Secrets = append(e.Secrets, v)
		case "driver", "next", "evidence":
		default:
			return e, &ParseError{What: "corpus file", Reason: fmt.Sprintf("unknown header %q", k)}
		}
	}
	if !sawIDs {
		return e, &ParseError{What: "corpus file", Reason: "no ids line"}
	}
	e.Text = strings.TrimSuffix(text, "\n")
	return e, nil
}

// Rewrite maps the addresses of one scenario's fixtures to stable ones,
// so that a committed text does not change with the ports a run happened
// to get, and its temporary directory to a fixed path.
type Rewrite struct {
	// Ports maps a fixture's port to the port the committed text shows.
	Ports map[int]int
	// Dirs maps a temporary directory to the path the text shows.
	Dirs map[string]string
}

// Apply rewrites text: every port of Ports standing alone as a number
// ("127.0.0.1:41235", "('127.0.0.1', 41235)", "port: 41235"), never a part
// of a longer number, a decimal, an identifier or a hexadecimal id; and
// every directory of Dirs.
func (rw Rewrite) Apply(text string) string {
	for from, to := range rw.Dirs {
		if from != "" {
			text = strings.ReplaceAll(text, from, to)
		}
	}
	if len(rw.Ports) == 0 {
		return text
	}
	var b strings.Builder
	last := 0
	for i := 0; i < len(text); {
		if !isDigit(text[i]) {
			i++
			continue
		}
		j := i
		for j < len(text) && isDigit(text[j]) {
			j++
		}
		// A port is written without leading zeros: "00" or "0080" is not one.
		canonical := text[i] != '0' || j-i == 1
		standalone := canonical && j-i <= 5 && (i == 0 || !isWordOrDot(text[i-1])) && (j == len(text) || !isWord(text[j]))
		if standalone {
			n, _ := strconv.Atoi(text[i:j])
			if to, ok := rw.Ports[n]; ok {
				b.WriteString(text[last:i])
				b.WriteString(strconv.Itoa(to))
				last = j
			}
		}
		i = j
	}
	b.WriteString(text[last:])
	return b.String()
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isWord(c byte) bool {
	return isDigit(c) || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_'
}

func isWordOrDot(c byte) bool { return isWord(c) || c == '.' }
