package connstr

import (
	"io"
	"os"
	"path/filepath"
	"strings"
)

// MechanismAWS is the authentication mechanism that signs with AWS IAM
// credentials.
const MechanismAWS = "MONGODB-AWS"

// maxAWSFileSize bounds the shared credentials file read: real ones hold
// a few profiles in a few KB.
const maxAWSFileSize = 1 << 20

// AWSEnv is what the search for AWS credentials reads: the environment
// and files. Nil functions read the process's own (os.Getenv,
// os.ReadFile bounded to 1 MiB).
type AWSEnv struct {
	Getenv   func(string) string
	ReadFile func(string) ([]byte, error)
}

func (e AWSEnv) getenv(k string) string {
	if e.Getenv != nil {
		return e.Getenv(k)
	}
	return os.Getenv(k)
}

func (e AWSEnv) readFile(p string) ([]byte, error) {
	if e.ReadFile != nil {
		return e.ReadFile(p)
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, maxAWSFileSize))
}

// AWSKeys are static AWS credentials. They are secrets: String never
// shows them.
type AWSKeys struct {
	AccessKeyID, SecretAccessKey, SessionToken string
}

// String names the key id's first characters only.
func (k AWSKeys) String() string {
	id := k.AccessKeyID
	if len(id) > 4 {
		id = id[:4]
	}
	return "AWS keys " + id + "****"
}

// GoString is String, so that %#v shows no secret either.
func (k AWSKeys) GoString() string { return k.String() }

// AWSSource is one place the AWS SDKs look for credentials, and what
// was found there.
type AWSSource struct {
	// Name says where: "keys in the connection string", "the shared
	// credentials file ~/.aws/credentials (profile default)", ...
	Name string
	// Found is true when the source holds credentials (or, for the
	// sources the SDKs fetch at run time, is configured).
	Found bool
	// GoDriver is true when the Go driver reads this source itself; it
	// reads no shared credentials file.
	GoDriver bool
	// Keys are the static keys of the connection string, the
	// environment or the shared credentials file, when found.
	Keys AWSKeys
}

// AWSCredentialSources checks, in the order the AWS SDKs use them, the
// local sources of MONGODB-AWS credentials for t: keys in the connection
// string, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, the shared
// credentials file (AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials, the
// profile AWS_PROFILE or default), a web-identity token
// (AWS_WEB_IDENTITY_TOKEN_FILE with AWS_ROLE_ARN), and container
// credentials (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or _FULL_URI). The
// instance metadata service, last of all, is not a local source: it is
// never asked here.
func AWSCredentialSources(t *Target, env AWSEnv) []AWSSource {
	var out []AWSSource
	uri := AWSSource{Name: "keys in the connection string (user name and password)", GoDriver: true}
	if t != nil && t.Conn != nil && t.Conn.Username != "" && t.Conn.PasswordSet {
		uri.Found = true
		uri.Keys = AWSKeys{AccessKeyID: t.Conn.Username, SecretAccessKey: t.Conn.Password, SessionToken: t.Conn.AuthMechanismProperties["AWS_SESSION_TOKEN"]}
	}
	out = append(out, uri)

	envKeys := AWSSource{Name: "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment", GoDriver: true}
	if id, secret := env.getenv("AWS_ACCESS_KEY_ID"), env.getenv("AWS_SECRET_ACCESS_KEY"); id != "" && secret != "" {
		envKeys.Found = true
		envKeys.Keys = AWSKeys{AccessKeyID: id, SecretAccessKey: secret, SessionToken: env.getenv("AWS_SESSION_TOKEN")}
	}
	out = append(out, envKeys)

	path := env.getenv("AWS_SHARED_CREDENTIALS_FILE")
	if path == "" {
		if home := env.getenv("HOME"); home != "" {
			path = filepath.Join(home, ".aws", "credentials")
		}
	}
	profile := env.getenv("AWS_PROFILE")
	if profile == "" {
		profile = "default"
	}
	shared := AWSSource{Name: "the shared credentials file " + path + " (profile " + profile + ")"}
	if path == "" {
		shared.Name = "the shared credentials file (no HOME to find it in)"
	} else if data, err := env.readFile(path); err == nil {
		if k, ok := ParseAWSSharedCredentials(data, profile); ok {
			shared.Found, shared.Keys = true, k
		}
	}
	out = append(out, shared)

	web := AWSSource{Name: "a web-identity token (AWS_WEB_IDENTITY_TOKEN_FILE with AWS_ROLE_ARN)", GoDriver: true}
	if tok, role := env.getenv("AWS_WEB_IDENTITY_TOKEN_FILE"), env.getenv("AWS_ROLE_ARN"); tok != "" && role != "" {
		if _, err := env.readFile(tok); err == nil {
			web.Found = true
		}
	}
	out = append(out, web)

	container := AWSSource{Name: "container credentials (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or AWS_CONTAINER_CREDENTIALS_FULL_URI)"}
	if env.getenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") != "" {
		container.Found, container.GoDriver = true, true
	} else if env.getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI") != "" {
		container.Found = true
	}
	out = append(out, container)
	return out
}

// ParseAWSSharedCredentials reads the keys of profile from a shared
// credentials file (INI: [profile] sections of key = value lines, # and
// ; comments). It reports false when the profile has no access key id
// and secret.
func ParseAWSSharedCredentials(data []byte, profile string) (AWSKeys, bool) {
	var k AWSKeys
	in := false
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(strings.TrimSuffix(line, "\r"))
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		if strings.HasPrefix(line, "[") {
			if end := strings.IndexByte(line, ']'); end > 0 {
				in = strings.TrimSpace(line[1:end]) == profile
			} else {
				in = false
			}
			continue
		}
		if !in {
			continue
		}
		key, val, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		val = strings.TrimSpace(val)
		switch strings.ToLower(strings.TrimSpace(key)) {
		case "aws_access_key_id":
			k.AccessKeyID = val
		case "aws_secret_access_key":
			k.SecretAccessKey = val
		case "aws_session_token":
			k.SessionToken = val
		}
	}
	return k, k.AccessKeyID != "" && k.SecretAccessKey != ""
}
