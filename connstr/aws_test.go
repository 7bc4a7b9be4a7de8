package connstr

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
)

const awsTestSecret = "wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY"

func TestParseAWSSharedCredentials(t *testing.T) {
	file := "# comment\n[default]\naws_access_key_id = AKIADEFAULT\r\naws_secret_access_key=" + awsTestSecret + "\n\n[prod]\n; another\naws_access_key_id=AKIAPROD\naws_secret_access_key = s2\naws_session_token = tok\n[empty]\naws_access_key_id=AKIAONLY\n"
	tests := []struct {
		profile string
		ok      bool
		id, tok string
	}{
		{"default", true, "AKIADEFAULT", ""},
		{"prod", true, "AKIAPROD", "tok"},
		{"empty", false, "AKIAONLY", ""},
		{"missing", false, "", ""},
	}
	for _, tt := range tests {
		k, ok := ParseAWSSharedCredentials([]byte(file), tt.profile)
		if ok != tt.ok || k.AccessKeyID != tt.id || k.SessionToken != tt.tok {
			t.Errorf("profile %s: %v %v %q", tt.profile, k, ok, k.SessionToken)
		}
	}
	k, _ := ParseAWSSharedCredentials([]byte(file), "default")
	for _, s := range []string{fmt.Sprint(k), fmt.Sprintf("%v %+v %#v %s", k, k, k, k)} {
		if strings.Contains(s, awsTestSecret) || strings.Contains(s, "AKIADEFAULT") {
			t.Errorf("keys printed: %s", s)
		}
	}
}

func TestAWSCredentialSources(t *testing.T) {
	files := map[string]string{
		"/home/u/.aws/credentials": "[default]\naws_access_key_id=AKIAFILE\naws_secret_access_key=" + awsTestSecret + "\n",
		"/var/run/token":           "eyJ...",
	}
	env := func(vars map[string]string) AWSEnv {
		return AWSEnv{
			Getenv: func(k string) string { return vars[k] },
			ReadFile: func(p string) ([]byte, error) {
				if s, ok := files[p]; ok {
					return []byte(s), nil
				}
				return nil, os.ErrNotExist
			},
		}
	}
	target := func(uri string) *Target {
		tg, err := ParseTarget(uri)
		if err != nil {
			t.Fatal(err)
		}
		return tg
	}
	plain := target("mongodb://db.example.net/?authMechanism=MONGODB-AWS&authSource=$external")
	tests := []struct {
		name  string
		t     *Target
		vars  map[string]string
		found string // the names of the found sources, joined by |
		goAny bool   // one the Go driver reads
	}{
		{"nothing", plain, map[string]string{"HOME": "/nowhere"}, "", false},
		{"keys in the string", target("mongodb://AKIAURI:" + awsTestSecret + "@db.example.net/?authMechanism=MONGODB-AWS"), map[string]string{}, "keys in the connection string", true},
		{"environment keys", plain, map[string]string{"AWS_ACCESS_KEY_ID": "AKIAENV", "AWS_SECRET_ACCESS_KEY": "x"}, "AWS_ACCESS_KEY_ID", true},
		{"one environment key", plain, map[string]string{"AWS_ACCESS_KEY_ID": "AKIAENV"}, "", false},
		{"shared file", plain, map[string]string{"HOME": "/home/u"}, "the shared credentials file /home/u/.aws/credentials (profile default)", false},
		{"shared file, other profile", plain, map[string]string{"HOME": "/home/u", "AWS_PROFILE": "prod"}, "", false},
		{"web identity", plain, map[string]string{"AWS_WEB_IDENTITY_TOKEN_FILE": "/var/run/token", "AWS_ROLE_ARN": "arn:aws:iam::1:role/r"}, "a web-identity token", true},
		{"web identity, token missing", plain, map[string]string{"AWS_WEB_IDENTITY_TOKEN_FILE": "/gone", "AWS_ROLE_ARN": "arn"}, "", false},
		{"container, relative", plain, map[string]string{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/credentials/x"}, "container credentials", true},
		{"container, full", plain, map[string]string{"AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1:1/creds"}, "container credentials", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srcs := AWSCredentialSources(tt.t, env(tt.vars))
			if len(srcs) != 5 {
				t.Fatalf("%d sources", len(srcs))
			}
			var found []string
			goAny := false
			for _, s := range srcs {
				if s.Found {
					found = append(found, s.Name)
					goAny = goAny || s.GoDriver
				}
			}
			if j := strings.Join(found, "|"); (tt.found == "") != (j == "") || !strings.Contains(j, tt.found) {
				t.Errorf("found %q, want %q", j, tt.found)
			}
			if goAny != tt.goAny {
				t.Errorf("a source the Go driver reads: %v, want %v", goAny, tt.goAny)
			}
		})
	}
	k := AWSCredentialSources(plain, env(map[string]string{"HOME": "/home/u"}))[2].Keys
	if k.AccessKeyID != "AKIAFILE" || k.SecretAccessKey != awsTestSecret {
		t.Errorf("shared file keys %v", k)
	}
	if _, err := (AWSEnv{}).readFile("/definitely/not/here"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("read of a missing file: %v", err)
	}
}

// FuzzParseAWSSharedCredentials: any file gives keys or false, never a
// panic, and found keys have both parts.
func FuzzParseAWSSharedCredentials(f *testing.F) {
	f.Add([]byte("[default]\naws_access_key_id=A\naws_secret_access_key=B\n"), "default")
	f.Add([]byte("[x\n=\n[default]]\n"), "default")
	f.Add([]byte{}, "")
	f.Fuzz(func(t *testing.T, data []byte, profile string) {
		k, ok := ParseAWSSharedCredentials(data, profile)
		if ok && (k.AccessKeyID == "" || k.SecretAccessKey == "") {
			t.Fatalf("found incomplete keys")
		}
	})
}
