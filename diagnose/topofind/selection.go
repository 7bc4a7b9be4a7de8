package topofind

import (
	"github.com/mongoconn/mongoconn/connstr"
	"github.com/mongoconn/mongoconn/sdam"
)

// TagFallbackURI is the connection string with the same tag sets followed
// by an empty one, which matches any member.
func TagFallbackURI(t *connstr.Target, rp sdam.ReadPref) string {
	if t == nil || !t.Rewritable() {
		return ""
	}
	var tags []connstr.Setting
	for _, ts := range rp.TagSets {
		if len(ts) == 0 {
			return "" // it already ends with a catch-all
		}
		tags = append(tags, connstr.Setting{Key: "readPreferenceTags", Value: sdam.TagSetURI(ts)})
	}
	tags = append(tags, connstr.Setting{Key: "readPreferenceTags", Value: ""})
	return t.RewriteRedacted(connstr.Edit{Drop: []string{"readPreferenceTags"}, Set: tags})
}
