package diagnose

import (
	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/redact"
)

// fillURI puts the target's connection string, masked and quoted for a
// shell, in the fixes that name a mongoconn command to run on it; those
// of driver.refused check the corrected string, its suggested one. The
// caller holds x.mu.
func (x *run) fillURI() {
	word := catalogue.QuoteURI(x.t.Redacted)
	for i, f := range x.r.Findings {
		w := word
		if f.ID == catalogue.IDDriverRefused && f.SuggestedURI != "" {
			w = catalogue.QuoteURI(redact.RedactText(f.SuggestedURI))
		}
		x.r.Findings[i] = catalogue.FillURI(f, w)
	}
}
