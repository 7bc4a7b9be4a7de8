package diagnose

import "github.com/mongoconn/mongoconn/connstr"

// suggestURI is the connection string raw with e applied, redacted: the
// corrected string a finding suggests, or "" when raw cannot be
// rewritten (it is not a mongodb:// or mongodb+srv:// string).
func suggestURI(raw string, e connstr.Edit) string {
	u, err := connstr.RewriteRedacted(raw, e)
	if err != nil {
		return ""
	}
	return u
}
