package connfind

import (
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync/atomic"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/connstr"
	"github.com/mongoconn/mongoconn/report"
)

// IsMetadataHost reports whether host is an instance metadata service:
// EC2's (IPv4, and IPv6 on Nitro), whose address Azure's shares, or
// Google Cloud's name.
func IsMetadataHost(host string) bool {
	switch strings.ToLower(strings.Trim(host, "[]")) {
	case "169.254.169.254", "fd00:ec2::254", "metadata.google.internal":
		return true
	}
	if ip := net.ParseIP(strings.Trim(host, "[]")); ip != nil {
		return ip.Equal(net.ParseIP("169.254.169.254")) || ip.Equal(net.ParseIP("fd00:ec2::254"))
	}
	return false
}

// MetadataRefusedError is what the driver gets when it asks a metadata
// service that mongoconn was not allowed to contact.
type MetadataRefusedError struct {
	// URL is the address asked.
	URL string
}

func (e *MetadataRefusedError) Error() string {
	return "mongoconn contacts no instance metadata service without --aws-imds: refused " + e.URL
}

// AWSNoCredentialsError stops the driver before it starts: MONGODB-AWS
// with no credential source, and --aws-imds not given.
type AWSNoCredentialsError struct {
	// Checked are the sources looked at.
	Checked []string
}

func (e *AWSNoCredentialsError) Error() string {
	return "MONGODB-AWS: no AWS credentials in " + strings.Join(e.Checked, ", ") + "; the driver is not started, as it would ask the EC2 instance metadata service (allow it with --aws-imds)"
}

// AWSSourceNames are the names of the credential sources ss.
func AWSSourceNames(ss []connstr.AWSSource) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = s.Name
	}
	return out
}

// AWSNoCredentialsFinding is auth.aws-no-credentials listing every
// source checked, then last.
func AWSNoCredentialsFinding(sources []connstr.AWSSource, last string) report.Finding {
	ev := []string{"authMechanism=MONGODB-AWS: no AWS credentials in any local source, checked without contacting any service:"}
	for _, s := range sources {
		ev = append(ev, fmt.Sprintf("  %s: none", s.Name))
	}
	ev = append(ev, last)
	return catalogue.NewFinding(catalogue.IDAuthAWSNoCredentials, ev...)
}

// MetadataGuard is the http.RoundTripper of the driver's HTTP client.
type MetadataGuard struct {
	// Allow lets requests to a metadata service through (--aws-imds).
	Allow bool
	// Next carries every request the guard lets through.
	Next http.RoundTripper
	// Asked and Refused count the requests to a metadata service.
	Asked, Refused atomic.Int32
}

// RoundTrip refuses a request to a metadata service unless Allow is set,
// and hands every other request to Next.
func (g *MetadataGuard) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL != nil && IsMetadataHost(req.URL.Hostname()) {
		g.Asked.Add(1)
		if !g.Allow {
			g.Refused.Add(1)
			if req.Body != nil {
				_ = req.Body.Close()
			}
			return nil, &MetadataRefusedError{URL: req.URL.Redacted()}
		}
	}
	return g.Next.RoundTrip(req)
}
