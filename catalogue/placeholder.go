package catalogue

import (
	"strings"

	"github.com/mongoconn/mongoconn/report"
)

// URIPlaceholder stands in the catalogue's fixes for the connection string
// being checked, as a quoted shell word: "mongoconn wire-check '<URI>'".
// Whoever knows the string puts it in with FillURI.
const URIPlaceholder = "'<URI>'"

// QuoteURI quotes a connection string (already masked) for a POSIX shell,
// so that '&' and '?' reach the command intact.
func QuoteURI(uri string) string {
	return "'" + strings.ReplaceAll(uri, "'", `'\''`) + "'"
}

// FillURI returns f with URIPlaceholder replaced in its fixes by word: a
// connection string quoted with QuoteURI (masked: a fix is printed), or a
// shell expression such as "$MONGODB_URI". f itself is not changed.
func FillURI(f report.Finding, word string) report.Finding {
	for i, fix := range f.Fixes {
		if !strings.Contains(fix, URIPlaceholder) {
			continue
		}
		fixes := make([]string, len(f.Fixes))
		copy(fixes, f.Fixes)
		for j := i; j < len(fixes); j++ {
			fixes[j] = strings.ReplaceAll(fixes[j], URIPlaceholder, word)
		}
		f.Fixes = fixes
		break
	}
	return f
}
