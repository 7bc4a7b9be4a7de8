package diagnose

import (
	"crypto/tls"

	"github.com/mongoconn/mongoconn/connstr"
	"github.com/mongoconn/mongoconn/diagnose/tlsconf"
)

// tlsSettings are the TLS options of a target and whether TLS is on.
type tlsSettings struct {
	tlsconf.Settings
	enabled bool
}

// tlsSettingsOf reads the TLS options of t.
func tlsSettingsOf(t *connstr.Target) tlsSettings {
	return tlsSettings{Settings: tlsconf.SettingsOf(t), enabled: tlsconf.Enabled(t)}
}

// tlsConfig builds the client TLS configuration for host from the target's
// options, as a driver would: tlsCAFile (else the system roots),
// tlsCertificateKeyFile with tlsCertificateKeyFilePassword (or
// tlsCertificateFile + tlsPrivateKeyFile), tlsInsecure and
// tlsAllowInvalidCertificates (no verification), tlsAllowInvalidHostnames
// (chain verified, name not). ServerName is host. It returns nil, nil when
// TLS is off, and a *FileError when a named file cannot be used.
func (x *run) tlsConfig(host string) (*tls.Config, error) {
	s := tlsSettingsOf(x.t)
	if !s.enabled {
		return nil, nil
	}
	return s.Config(host)
}
