package clientcert

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"
)

func newKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// selfSigned issues a certificate for tmpl signed by key.
func selfSigned(t testing.TB, tmpl *x509.Certificate, key *ecdsa.PrivateKey) *x509.Certificate {
	t.Helper()
	tmpl.SerialNumber = big.NewInt(1)
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestProblems(t *testing.T) {
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	key := newKey(t)
	base := func(from, until time.Time, eku ...x509.ExtKeyUsage) *x509.Certificate {
		return selfSigned(t, &x509.Certificate{Subject: pkix.Name{CommonName: "app"}, NotBefore: from, NotAfter: until, ExtKeyUsage: eku}, key)
	}
	day := 24 * time.Hour
	tests := []struct {
		name string
		c    *x509.Certificate
		want []ProblemKind
		text string
	}{
		{"valid, clientAuth", base(now.Add(-day), now.Add(day), x509.ExtKeyUsageClientAuth), nil, ""},
		{"valid, no extended key usage", base(now.Add(-day), now.Add(day)), nil, ""},
		{"valid, any usage", base(now.Add(-day), now.Add(day), x509.ExtKeyUsageAny), nil, ""},
		{"expired", base(now.Add(-2*day), now.Add(-day), x509.ExtKeyUsageClientAuth), []ProblemKind{Expired}, "expired on 2030-01-01 03:04:05 UTC"},
		{"not yet valid", base(now.Add(day), now.Add(2*day), x509.ExtKeyUsageClientAuth), []ProblemKind{NotYetValid}, "not valid before 2030-01-03"},
		{"server only", base(now.Add(-day), now.Add(day), x509.ExtKeyUsageServerAuth), []ProblemKind{NoClientAuth}, "allows serverAuth, not client authentication"},
		{"expired and server only", base(now.Add(-2*day), now.Add(-day), x509.ExtKeyUsageServerAuth), []ProblemKind{Expired, NoClientAuth}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps := Problems(tt.c, now)
			var kinds []ProblemKind
			var text []string
			for _, p := range ps {
				kinds = append(kinds, p.Kind)
				text = append(text, p.String())
			}
			if len(kinds) != len(tt.want) {
				t.Fatalf("problems %v, want %v", text, tt.want)
			}
			for i := range kinds {
				if kinds[i] != tt.want[i] {
					t.Errorf("problem %d is %v, want %v", i, kinds[i], tt.want[i])
				}
			}
			if !strings.Contains(strings.Join(text, "; "), tt.text) {
				t.Errorf("%q lacks %q", text, tt.text)
			}
		})
	}
}

func TestMatchKey(t *testing.T) {
	key, other := newKey(t), newKey(t)
	c := selfSigned(t, &x509.Certificate{Subject: pkix.Name{CommonName: "app", Organization: []string{"shop"}}, NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}, key)
	if err := MatchKey(c, key); err != nil {
		t.Fatalf("own key: %v", err)
	}
	err := MatchKey(c, other)
	var km *KeyMismatchError
	if !errors.As(err, &km) || km.Subject != "CN=app,O=shop" || km.Key != "ECDSA P-256" {
		t.Fatalf("other key: %#v", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(other)
	if err != nil {
		t.Fatal(err)
	}
	k, err := ParseKey(der)
	if err != nil || MatchKey(c, k) == nil {
		t.Errorf("PKCS#8 key: %v", err)
	}
	sec1, _ := x509.MarshalECPrivateKey(key)
	if k, err := ParseKey(sec1); err != nil || MatchKey(c, k) != nil {
		t.Errorf("SEC 1 key: %v", err)
	}
	if _, err := ParseKey([]byte("not a key")); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("garbage: %v", err)
	}
}

func TestSubjectRFC2253(t *testing.T) {
	key := newKey(t)
	mk := func(n pkix.Name) []byte {
		return selfSigned(t, &x509.Certificate{Subject: n, NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}, key).RawSubject
	}
	email := asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 1}
	dc := asn1.ObjectIdentifier{0, 9, 2342, 19200300, 100, 1, 25}
	odd := asn1.ObjectIdentifier{1, 2, 3, 4}
	tests := []struct {
		name pkix.Name
		want string
	}{
		{pkix.Name{CommonName: "myName", OrganizationalUnit: []string{"myOrgUnit"}, Organization: []string{"myOrg"}, Locality: []string{"myLocality"}, Province: []string{"myState"}, Country: []string{"US"}},
			"CN=myName,OU=myOrgUnit,O=myOrg,L=myLocality,ST=myState,C=US"},
		{pkix.Name{CommonName: "a,b+c", Organization: []string{" lead", "trail "}}, `CN=a\,b\+c,O=\ lead+O=trail\ `},
		{pkix.Name{CommonName: "#x", ExtraNames: []pkix.AttributeTypeAndValue{{Type: email, Value: "ops@example.com"}, {Type: dc, Value: "example"}}},
			"DC=example,emailAddress=ops@example.com,CN=\\#x"},
		{pkix.Name{CommonName: "x", ExtraNames: []pkix.AttributeTypeAndValue{{Type: odd, Value: "v"}}}, "1.2.3.4=#130176,CN=x"},
	}
	for _, tt := range tests {
		got, err := SubjectRFC2253(mk(tt.name))
		if err != nil || got != tt.want {
			t.Errorf("SubjectRFC2253 = %q, %v; want %q", got, err, tt.want)
		}
	}
	// A multi-valued RDN, which pkix.Name cannot build.
	multi := pkix.RDNSequence{
		{{Type: asn1.ObjectIdentifier{2, 5, 4, 10}, Value: "org"}},
		{{Type: asn1.ObjectIdentifier{2, 5, 4, 3}, Value: "a"}, {Type: asn1.ObjectIdentifier{2, 5, 4, 11}, Value: "u"}},
	}
	raw, err := asn1.Marshal(multi)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := SubjectRFC2253(raw); err != nil || got != "CN=a+OU=u,O=org" {
		t.Errorf("multi-valued RDN: %q, %v", got, err)
	}
	if _, err := SubjectRFC2253([]byte{0x30, 0x05, 0x01}); err == nil {
		t.Error("truncated DER read without error")
	}
}

// FuzzSubjectRFC2253: any bytes give a subject or an error, never a
// panic, and a subject holds no raw control character.
func FuzzSubjectRFC2253(f *testing.F) {
	key := newKey(f)
	c := selfSigned(f, &x509.Certificate{Subject: pkix.Name{CommonName: "app", Organization: []string{"a,b"}}, NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}, key)
	f.Add(c.RawSubject)
	f.Add([]byte{0x30, 0x00})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, raw []byte) {
		s, err := SubjectRFC2253(raw)
		if err != nil {
			return
		}
		for _, r := range s {
			if r < 0x20 {
				t.Fatalf("control character in %q", s)
			}
		}
	})
}

// FuzzParseKey: any bytes give a key or an error, never a panic.
func FuzzParseKey(f *testing.F) {
	key := newKey(f)
	der, _ := x509.MarshalPKCS8PrivateKey(key)
	sec1, _ := x509.MarshalECPrivateKey(key)
	f.Add(der)
	f.Add(sec1)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, der []byte) {
		k, err := ParseKey(der)
		if err == nil && k == nil {
			t.Fatal("no key and no error")
		}
	})
}
