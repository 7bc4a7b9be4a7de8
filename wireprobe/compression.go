package wireprobe

import (
	"slices"
	"strings"
)

// NegotiateCompressors applies the handshake's rule to asked (the
// connection string's compressors, in its order of preference) and
// accepted (the compression field of the server's hello answer to the
// probe's offer): negotiated are the asked compressors the server
// accepts, in asked's order, the driver using the first; refused are the
// asked ones it does not accept. A name the probe never offers (not a
// compressor drivers know, or "noop") is in neither list: the server's
// answer says nothing of it.
func NegotiateCompressors(asked, accepted []string) (negotiated, refused []string) {
	for _, a := range asked {
		name := strings.ToLower(strings.TrimSpace(a))
		if !slices.Contains(helloCompressors, name) || slices.Contains(negotiated, name) || slices.Contains(refused, name) {
			continue
		}
		if slices.ContainsFunc(accepted, func(s string) bool { return strings.EqualFold(s, name) }) {
			negotiated = append(negotiated, name)
		} else {
			refused = append(refused, name)
		}
	}
	return negotiated, refused
}
