package diagnose

import (
	"fmt"
	"strings"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/connstr"
	"github.com/mongoconn/mongoconn/diagnose/tlsconf"
	"github.com/mongoconn/mongoconn/report"
	"github.com/mongoconn/mongoconn/sdam"
	"github.com/mongoconn/mongoconn/wireprobe"
)

// compressionFindings adds compression.not-negotiated when the
// connection string asks for compressors that a member's hello does not
// accept (the hello probe offered every compressor drivers know, so its
// answer lists all the server accepts), with the list each member
// negotiates.
func (x *run) compressionFindings(v *sdam.View) {
	if x.t.Conn == nil || len(x.t.Conn.Compressors) == 0 {
		return
	}
	asked := x.t.Conn.Compressors
	var ev []string
	var accepted []string
	for _, m := range v.Members {
		if !m.Reachable || m.Kind == report.KindUnknown {
			continue
		}
		negotiated, refused := wireprobe.NegotiateCompressors(asked, m.Compression)
		if len(refused) == 0 {
			continue
		}
		got := "none: its replies and requests travel uncompressed"
		if len(negotiated) > 0 {
			got = strings.Join(negotiated, ", ") + fmt.Sprintf(" (the driver uses %s)", negotiated[0])
		}
		server := "it names no compressor (compression is off there, or not supported)"
		if len(m.Compression) > 0 {
			server = "it accepts " + strings.Join(m.Compression, ", ")
		}
		ev = append(ev, fmt.Sprintf("%s: compressors=%s asks for %s, which the server's hello does not accept (%s); negotiated: %s",
			sdam.DisplayAddr(v, m.Address), strings.Join(asked, ","), strings.Join(refused, ", "), server, got))
		if accepted == nil {
			accepted = m.Compression
		}
	}
	if len(ev) == 0 {
		return
	}
	f := catalogue.NewFinding(catalogue.IDCompressionNotNegotiated, ev...)
	if len(accepted) > 0 {
		f = report.WithSuggestedURI(f, tlsconf.SuggestURI(x.t.Raw, connstr.Edit{Set: []connstr.Setting{{Key: "compressors", Value: strings.Join(accepted, ",")}}}))
	}
	x.addFinding(f)
}
