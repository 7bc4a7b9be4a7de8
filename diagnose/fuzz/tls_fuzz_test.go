package fuzz

import (
	"os"
	"testing"

	"github.com/mongoconn/mongoconn/diagnose/tlsconf"
	"github.com/mongoconn/mongoconn/internal/mongotest"
)

// FuzzParseClientPEM feeds arbitrary bytes to the tlsCertificateKeyFile
// parser: it must return a certificate or an error, never panic. Seeds are
// real files of each layout. No password is given, so encrypted keys stop
// before key derivation (whose cost the file chooses).
func FuzzParseClientPEM(f *testing.F) {
	certs := mongotest.NewCerts(f)
	for _, p := range []string{certs.Client.PEMFile, certs.Client.KeyFile, certs.Client.CertFile, certs.ClientEncryptedFile, certs.CAFile} {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		cert, err := tlsconf.ClientCertificate(data, "")
		if err == nil && len(cert.Certificate) == 0 {
			t.Fatalf("no error and no certificate")
		}
		_ = tlsconf.Certificates(data)
	})
}
