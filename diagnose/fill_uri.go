package diagnose

import "github.com/mongoconn/mongoconn/catalogue"

// fillURI puts the target's connection string, masked and quoted for a
// shell, in the fixes that name a mongoconn command to run on it. The
// caller holds x.mu.
func (x *run) fillURI() {
	word := catalogue.QuoteURI(x.t.Redacted)
	for i, f := range x.r.Findings {
		x.r.Findings[i] = catalogue.FillURI(f, word)
	}
}
