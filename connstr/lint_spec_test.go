package connstr

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mongoconn/mongoconn/catalogue"
	"github.com/mongoconn/mongoconn/redact"
	"github.com/mongoconn/mongoconn/report"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// specCase is one case of the MongoDB specifications' connection-string,
// URI options and authentication test suites, restated as a Go table:
// invalid strings must fail ParseTarget, warning cases must yield a
// uri.unknown-option warning, valid ones must parse to these values.
type specCase struct {
	name    string
	uri     string
	invalid bool
	warn    bool
	hosts   []string
	user    string
	pass    *string
	noPass  bool
	db      string // the path database, or the auth source it names
	source  string // the effective authSource
	opts    map[string]string
}

func specStr(s string) *string { return &s }

var specCases = []specCase{
	// connection-string: invalid-uris
	{name: "Empty string", uri: "", invalid: true},
	{name: "Invalid scheme", uri: "mongo://localhost:27017", invalid: true},
	{name: "Missing host", uri: "mongodb://", invalid: true},
	{name: "Double colon in host identifier", uri: "mongodb://localhost::27017", invalid: true},
	{name: "Double colon in host identifier and trailing slash", uri: "mongodb://localhost::27017/", invalid: true},
	{name: "Double colon in host identifier with missing host and port", uri: "mongodb://::", invalid: true},
	{name: "Double colon in host identifier with missing port", uri: "mongodb://localhost,localhost::", invalid: true},
	{name: "Double colon in host identifier and second host", uri: "mongodb://localhost::27017,abc", invalid: true},
	{name: "Invalid port (negative number) with hostname", uri: "mongodb://localhost:-1", invalid: true},
	{name: "Invalid port (zero) with hostname", uri: "mongodb://localhost:0/", invalid: true},
	{name: "Invalid port (positive number) with hostname", uri: "mongodb://localhost:65536", invalid: true},
	{name: "Invalid port (positive number) with hostname and trailing slash", uri: "mongodb://localhost:65536/", invalid: true},
	{name: "Invalid port (non-numeric string) with hostname", uri: "mongodb://localhost:foo", invalid: true},
	{name: "Invalid port (negative number) with IP literal", uri: "mongodb://[::1]:-1", invalid: true},
	{name: "Invalid port (zero) with IP literal", uri: "mongodb://[::1]:0/", invalid: true},
	{name: "Invalid port (positive number) with IP literal", uri: "mongodb://[::1]:65536", invalid: true},
	{name: "Invalid port (positive number) with IP literal and trailing slash", uri: "mongodb://[::1]:65536/", invalid: true},
	{name: "Invalid port (non-numeric string) with IP literal", uri: "mongodb://[::1]:foo", invalid: true},
	{name: "Incomplete key value pair for option", uri: "mongodb://example.com/?w", invalid: true},
	{name: "Username with password containing an unescaped colon", uri: "mongodb://alice:foo:bar@127.0.0.1", invalid: true},
	{name: "Username containing an unescaped at-sign", uri: "mongodb://alice@@127.0.0.1", invalid: true},
	{name: "Username with password containing an unescaped at-sign", uri: "mongodb://alice@foo:bar@127.0.0.1", invalid: true},
	{name: "Username containing an unescaped slash", uri: "mongodb://alice/@localhost/db", invalid: true},
	{name: "Username containing unescaped slash with password", uri: "mongodb://alice/bob:foo@localhost/db", invalid: true},
	{name: "Username with password containing an unescaped slash", uri: "mongodb://alice:foo/bar@localhost/db", invalid: true},
	{name: "Host with unescaped slash", uri: "mongodb:///tmp/mongodb-27017.sock/", invalid: true},
	{name: "mongodb+srv with multiple service names", uri: "mongodb+srv://test5.test.mongodb.com,test6.test.mongodb.com", invalid: true},
	{name: "mongodb+srv with port number", uri: "mongodb+srv://test7.test.mongodb.com:27018", invalid: true},
	{name: "Username with password containing an unescaped percent sign", uri: "mongodb://alice%foo:bar@127.0.0.1", invalid: true},
	{name: "Username with password containing an unescaped percent sign and an escaped one", uri: "mongodb://user%20%:password@localhost", invalid: true},
	{name: "Username with password containing an unescaped percent sign (non hex digit)", uri: "mongodb://user%w:password@localhost", invalid: true},
	// connection-string: valid-auth
	{name: "User info for single IPv4 host without database", uri: "mongodb://alice:foo@127.0.0.1", hosts: []string{"127.0.0.1:27017"}, user: "alice", pass: specStr("foo")},
	{name: "User info for single IPv4 host with database", uri: "mongodb://alice:foo@127.0.0.1/test", hosts: []string{"127.0.0.1:27017"}, user: "alice", pass: specStr("foo"), db: "test"},
	{name: "User info for single IP literal host without database", uri: "mongodb://bob:bar@[::1]:27018", hosts: []string{"[::1]:27018"}, user: "bob", pass: specStr("bar")},
	{name: "User info for single IP literal host with database", uri: "mongodb://bob:bar@[::1]:27018/admin", hosts: []string{"[::1]:27018"}, user: "bob", pass: specStr("bar"), db: "admin"},
	{name: "User info for single hostname without database", uri: "mongodb://eve:baz@example.com", hosts: []string{"example.com:27017"}, user: "eve", pass: specStr("baz")},
	{name: "User info for single hostname with database", uri: "mongodb://eve:baz@example.com/db2", hosts: []string{"example.com:27017"}, user: "eve", pass: specStr("baz"), db: "db2"},
	{name: "User info for multiple hosts without database", uri: "mongodb://alice:secret@127.0.0.1,example.com:27018", hosts: []string{"127.0.0.1:27017", "example.com:27018"}, user: "alice", pass: specStr("secret")},
	{name: "User info for multiple hosts with database", uri: "mongodb://alice:secret@example.com,[::1]:27019/admin", hosts: []string{"example.com:27017", "[::1]:27019"}, user: "alice", pass: specStr("secret"), db: "admin"},
	{name: "Username without password", uri: "mongodb://alice@127.0.0.1", hosts: []string{"127.0.0.1:27017"}, user: "alice", noPass: true},
	{name: "Username with empty password", uri: "mongodb://alice:@127.0.0.1", hosts: []string{"127.0.0.1:27017"}, user: "alice", pass: specStr("")},
	{name: "Escaped username and database without password", uri: "mongodb://%40l%3Ace%2F%3D@example.com/my%3Ddb", hosts: []string{"example.com:27017"}, user: "@l:ce/=", noPass: true, db: "my=db"},
	{name: "Subdelimiters in user/pass don't need escaping (PLAIN)", uri: "mongodb://!$&'()*+,;=:!$&'()*+,;=@127.0.0.1/admin?authMechanism=PLAIN", hosts: []string{"127.0.0.1:27017"}, user: "!$&'()*+,;=", pass: specStr("!$&'()*+,;="), db: "admin", opts: map[string]string{"authmechanism": "PLAIN"}},
	{name: "Escaped username (MONGODB-X509)", uri: "mongodb://CN%3DmyName%2COU%3DmyOrgUnit%2CO%3DmyOrg%2CL%3DmyLocality%2CST%3DmyState%2CC%3DmyCountry@localhost/?authMechanism=MONGODB-X509", hosts: []string{"localhost:27017"}, user: "CN=myName,OU=myOrgUnit,O=myOrg,L=myLocality,ST=myState,C=myCountry", noPass: true, opts: map[string]string{"authmechanism": "MONGODB-X509"}},
	{name: "Escaped username (GSSAPI)", uri: "mongodb://user%40EXAMPLE.COM:secret@localhost/?authMechanismProperties=SERVICE_NAME:other,CANONICALIZE_HOST_NAME:forward,SERVICE_HOST:example.com&authMechanism=GSSAPI", hosts: []string{"localhost:27017"}, user: "user@EXAMPLE.COM", pass: specStr("secret"), opts: map[string]string{"authmechanism": "GSSAPI", "authmechanismproperties": "CANONICALIZE_HOST_NAME:forward,SERVICE_HOST:example.com,SERVICE_NAME:other"}},
	{name: "At-signs in options aren't part of the userinfo", uri: "mongodb://alice:secret@example.com/admin?replicaset=my@replicaset", hosts: []string{"example.com:27017"}, user: "alice", pass: specStr("secret"), db: "admin", opts: map[string]string{"replicaset": "my@replicaset"}},
	// connection-string: valid-db-with-dotted-name
	{name: "Multiple Unix domain sockets and auth DB resembling a socket (relative path)", uri: "mongodb://rel%2Fmongodb-27017.sock,rel%2Fmongodb-27018.sock/admin.sock", hosts: []string{"rel/mongodb-27017.sock", "rel/mongodb-27018.sock"}, user: "", noPass: true, db: "admin.sock"},
	{name: "Multiple Unix domain sockets with auth DB resembling a path (relative path)", uri: "mongodb://rel%2Fmongodb-27017.sock,rel%2Fmongodb-27018.sock/admin.shoe", hosts: []string{"rel/mongodb-27017.sock", "rel/mongodb-27018.sock"}, user: "", noPass: true, db: "admin.shoe"},
	{name: "Multiple Unix domain sockets and auth DB resembling a socket (absolute path)", uri: "mongodb://%2Ftmp%2Fmongodb-27017.sock,%2Ftmp%2Fmongodb-27018.sock/admin.sock", hosts: []string{"/tmp/mongodb-27017.sock", "/tmp/mongodb-27018.sock"}, user: "", noPass: true, db: "admin.sock"},
	{name: "Multiple Unix domain sockets with auth DB resembling a path (absolute path)", uri: "mongodb://%2Ftmp%2Fmongodb-27017.sock,%2Ftmp%2Fmongodb-27018.sock/admin.shoe", hosts: []string{"/tmp/mongodb-27017.sock", "/tmp/mongodb-27018.sock"}, user: "", noPass: true, db: "admin.shoe"},
	// connection-string: valid-host_identifiers
	{name: "Single IPv4 host without port", uri: "mongodb://127.0.0.1", hosts: []string{"127.0.0.1:27017"}},
	{name: "Single IPv4 host with port", uri: "mongodb://127.0.0.1:27018", hosts: []string{"127.0.0.1:27018"}},
	{name: "Single IP literal host without port", uri: "mongodb://[::1]", hosts: []string{"[::1]:27017"}},
	{name: "Single IP literal host with port", uri: "mongodb://[::1]:27019", hosts: []string{"[::1]:27019"}},
	{name: "Single hostname without port", uri: "mongodb://example.com", hosts: []string{"example.com:27017"}},
	{name: "Single hostname with port", uri: "mongodb://example.com:27020", hosts: []string{"example.com:27020"}},
	{name: "Single hostname (resembling IPv4) without port", uri: "mongodb://256.0.0.1", hosts: []string{"256.0.0.1:27017"}},
	{name: "Multiple hosts (mixed formats)", uri: "mongodb://127.0.0.1,[::1]:27018,example.com:27019", hosts: []string{"127.0.0.1:27017", "[::1]:27018", "example.com:27019"}},
	{name: "UTF-8 hosts", uri: "mongodb://bücher.example.com,umläut.example.com/", hosts: []string{"bücher.example.com:27017", "umläut.example.com:27017"}},
	// connection-string: valid-options
	{name: "Option names are normalized to lowercase", uri: "mongodb://alice:secret@example.com/admin?AUTHMechanism=PLAIN", hosts: []string{"example.com:27017"}, user: "alice", pass: specStr("secret"), db: "admin", opts: map[string]string{"authmechanism": "PLAIN"}},
	{name: "Missing delimiting slash between hosts and options", uri: "mongodb://example.com?tls=true", hosts: []string{"example.com:27017"}, opts: map[string]string{"tls": "true"}},
	{name: "Colon in a key value pair", uri: "mongodb://example.com/?authMechanism=MONGODB-OIDC&authMechanismProperties=TOKEN_RESOURCE:mongodb://test-cluster,ENVIRONMENT:azure", hosts: []string{"example.com:27017"}, opts: map[string]string{"authmechanismProperties": "ENVIRONMENT:azure,TOKEN_RESOURCE:mongodb://test-cluster"}},
	// connection-string: valid-unix_socket-absolute
	{name: "Unix domain socket (absolute path with trailing slash)", uri: "mongodb://%2Ftmp%2Fmongodb-27017.sock/", hosts: []string{"/tmp/mongodb-27017.sock"}},
	{name: "Unix domain socket (absolute path without trailing slash)", uri: "mongodb://%2Ftmp%2Fmongodb-27017.sock", hosts: []string{"/tmp/mongodb-27017.sock"}},
	{name: "Unix domain socket (mixed case)", uri: "mongodb://%2Ftmp%2FMongoDB-27017.sock", hosts: []string{"/tmp/MongoDB-27017.sock"}},
	{name: "Unix domain socket (absolute path with spaces in path)", uri: "mongodb://%2Ftmp%2F %2Fmongodb-27017.sock", hosts: []string{"/tmp/ /mongodb-27017.sock"}},
	{name: "Multiple Unix domain sockets (absolute paths)", uri: "mongodb://%2Ftmp%2Fmongodb-27017.sock,%2Ftmp%2Fmongodb-27018.sock", hosts: []string{"/tmp/mongodb-27017.sock", "/tmp/mongodb-27018.sock"}},
	{name: "Multiple hosts (absolute path and ipv4)", uri: "mongodb://127.0.0.1:27017,%2Ftmp%2Fmongodb-27017.sock", hosts: []string{"127.0.0.1:27017", "/tmp/mongodb-27017.sock"}},
	{name: "Multiple hosts (absolute path and hostname resembling relative path)", uri: "mongodb://mongodb-27017.sock,%2Ftmp%2Fmongodb-27018.sock", hosts: []string{"mongodb-27017.sock:27017", "/tmp/mongodb-27018.sock"}},
	{name: "Unix domain socket with auth database (absolute path)", uri: "mongodb://alice:foo@%2Ftmp%2Fmongodb-27017.sock/admin", hosts: []string{"/tmp/mongodb-27017.sock"}, user: "alice", pass: specStr("foo"), db: "admin"},
	{name: "Unix domain socket with path resembling socket file (absolute path with trailing slash)", uri: "mongodb://%2Ftmp%2Fpath.to.sock%2Fmongodb-27017.sock/", hosts: []string{"/tmp/path.to.sock/mongodb-27017.sock"}},
	{name: "Unix domain socket with path resembling socket file (absolute path without trailing slash)", uri: "mongodb://%2Ftmp%2Fpath.to.sock%2Fmongodb-27017.sock", hosts: []string{"/tmp/path.to.sock/mongodb-27017.sock"}},
	{name: "Unix domain socket with path resembling socket file and auth (absolute path)", uri: "mongodb://bob:bar@%2Ftmp%2Fpath.to.sock%2Fmongodb-27017.sock/admin", hosts: []string{"/tmp/path.to.sock/mongodb-27017.sock"}, user: "bob", pass: specStr("bar"), db: "admin"},
	{name: "Multiple Unix domain sockets and auth DB (absolute path)", uri: "mongodb://%2Ftmp%2Fmongodb-27017.sock,%2Ftmp%2Fmongodb-27018.sock/admin", hosts: []string{"/tmp/mongodb-27017.sock", "/tmp/mongodb-27018.sock"}, user: "", noPass: true, db: "admin"},
	{name: "Multiple Unix domain sockets with auth DB (absolute path)", uri: "mongodb://%2Ftmp%2Fmongodb-27017.sock,%2Ftmp%2Fmongodb-27018.sock/admin", hosts: []string{"/tmp/mongodb-27017.sock", "/tmp/mongodb-27018.sock"}, user: "", noPass: true, db: "admin"},
	{name: "Multiple Unix domain sockets with auth and query string (absolute path)", uri: "mongodb://bob:bar@%2Ftmp%2Fmongodb-27017.sock,%2Ftmp%2Fmongodb-27018.sock/admin?w=1", hosts: []string{"/tmp/mongodb-27017.sock", "/tmp/mongodb-27018.sock"}, user: "bob", pass: specStr("bar"), db: "admin", opts: map[string]string{"w": "1"}},
	// connection-string: valid-unix_socket-relative
	{name: "Unix domain socket (relative path with trailing slash)", uri: "mongodb://rel%2Fmongodb-27017.sock/", hosts: []string{"rel/mongodb-27017.sock"}},
	{name: "Unix domain socket (relative path without trailing slash)", uri: "mongodb://rel%2Fmongodb-27017.sock", hosts: []string{"rel/mongodb-27017.sock"}},
	{name: "Unix domain socket (mixed case)", uri: "mongodb://rel%2FMongoDB-27017.sock", hosts: []string{"rel/MongoDB-27017.sock"}},
	{name: "Unix domain socket (relative path with spaces)", uri: "mongodb://rel%2F %2Fmongodb-27017.sock", hosts: []string{"rel/ /mongodb-27017.sock"}},
	{name: "Multiple Unix domain sockets (relative paths)", uri: "mongodb://rel%2Fmongodb-27017.sock,rel%2Fmongodb-27018.sock", hosts: []string{"rel/mongodb-27017.sock", "rel/mongodb-27018.sock"}},
	{name: "Multiple Unix domain sockets (relative and absolute paths)", uri: "mongodb://rel%2Fmongodb-27017.sock,%2Ftmp%2Fmongodb-27018.sock", hosts: []string{"rel/mongodb-27017.sock", "/tmp/mongodb-27018.sock"}},
	{name: "Multiple hosts (relative path and ipv4)", uri: "mongodb://127.0.0.1:27017,rel%2Fmongodb-27017.sock", hosts: []string{"127.0.0.1:27017", "rel/mongodb-27017.sock"}},
	{name: "Multiple hosts (relative path and hostname resembling relative path)", uri: "mongodb://mongodb-27017.sock,rel%2Fmongodb-27018.sock", hosts: []string{"mongodb-27017.sock:27017", "rel/mongodb-27018.sock"}},
	{name: "Unix domain socket with auth database (relative path)", uri: "mongodb://alice:foo@rel%2Fmongodb-27017.sock/admin", hosts: []string{"rel/mongodb-27017.sock"}, user: "alice", pass: specStr("foo"), db: "admin"},
	{name: "Unix domain socket with path resembling socket file (relative path with trailing slash)", uri: "mongodb://rel%2Fpath.to.sock%2Fmongodb-27017.sock/", hosts: []string{"rel/path.to.sock/mongodb-27017.sock"}},
	{name: "Unix domain socket with path resembling socket file (relative path without trailing slash)", uri: "mongodb://rel%2Fpath.to.sock%2Fmongodb-27017.sock", hosts: []string{"rel/path.to.sock/mongodb-27017.sock"}},
	{name: "Unix domain socket with path resembling socket file and auth (relative path)", uri: "mongodb://bob:bar@rel%2Fpath.to.sock%2Fmongodb-27017.sock/admin", hosts: []string{"rel/path.to.sock/mongodb-27017.sock"}, user: "bob", pass: specStr("bar"), db: "admin"},
	{name: "Multiple Unix domain sockets and auth DB resembling a socket (relative path)", uri: "mongodb://rel%2Fmongodb-27017.sock,rel%2Fmongodb-27018.sock/admin", hosts: []string{"rel/mongodb-27017.sock", "rel/mongodb-27018.sock"}, user: "", noPass: true, db: "admin"},
	{name: "Multiple Unix domain sockets with auth DB resembling a path (relative path)", uri: "mongodb://rel%2Fmongodb-27017.sock,rel%2Fmongodb-27018.sock/admin", hosts: []string{"rel/mongodb-27017.sock", "rel/mongodb-27018.sock"}, user: "", noPass: true, db: "admin"},
	{name: "Multiple Unix domain sockets with auth and query string (relative path)", uri: "mongodb://bob:bar@rel%2Fmongodb-27017.sock,rel%2Fmongodb-27018.sock/admin?w=1", hosts: []string{"rel/mongodb-27017.sock", "rel/mongodb-27018.sock"}, user: "bob", pass: specStr("bar"), db: "admin", opts: map[string]string{"w": "1"}},
	// connection-string: valid-warnings
	{name: "Unrecognized option keys are ignored", uri: "mongodb://example.com/?foo=bar", warn: true, hosts: []string{"example.com:27017"}},
	{name: "Unsupported option values are ignored", uri: "mongodb://example.com/?fsync=ifPossible", warn: true, hosts: []string{"example.com:27017"}},
	{name: "Repeated option keys", uri: "mongodb://example.com/?replicaSet=test&replicaSet=test", warn: true, hosts: []string{"example.com:27017"}, opts: map[string]string{"replicaset": "test"}},
	{name: "Deprecated (or unknown) options are ignored if replacement exists", uri: "mongodb://example.com/?wtimeout=5&wtimeoutMS=10", warn: true, hosts: []string{"example.com:27017"}, opts: map[string]string{"wtimeoutms": "10"}},
	{name: "Empty integer option values are ignored", uri: "mongodb://localhost/?maxIdleTimeMS=", warn: true, hosts: []string{"localhost:27017"}},
	{name: "Empty boolean option value are ignored", uri: "mongodb://localhost/?journal=", warn: true, hosts: []string{"localhost:27017"}},
	{name: "Comma in a key value pair causes a warning", uri: "mongodb://localhost?authMechanism=MONGODB-OIDC&authMechanismProperties=TOKEN_RESOURCE:mongodb://host1%2Chost2,ENVIRONMENT:azure", warn: true, hosts: []string{"localhost:27017"}, opts: map[string]string{"authMechanism": "MONGODB-OIDC"}},
	// uri-options: auth-options
	{name: "Valid auth options are parsed correctly (GSSAPI)", uri: "mongodb://foo:bar@example.com/?authMechanism=GSSAPI&authMechanismProperties=SERVICE_NAME:other,CANONICALIZE_HOST_NAME:forward,SERVICE_HOST:example.com&authSource=$external", opts: map[string]string{"authMechanism": "GSSAPI", "authMechanismProperties": "CANONICALIZE_HOST_NAME:forward,SERVICE_HOST:example.com,SERVICE_NAME:other", "authSource": "$external"}},
	{name: "Valid auth options are parsed correctly (SCRAM-SHA-1)", uri: "mongodb://foo:bar@example.com/?authMechanism=SCRAM-SHA-1&authSource=authSourceDB", opts: map[string]string{"authMechanism": "SCRAM-SHA-1", "authSource": "authSourceDB"}},
	// uri-options: client-backpressure-options
	{name: "maxAdaptiveRetries is parsed correctly", uri: "mongodb://example.com/?maxAdaptiveRetries=3", opts: map[string]string{"maxAdaptiveRetries": "3"}},
	{name: "maxAdaptiveRetries=0 is parsed correctly", uri: "mongodb://example.com/?maxAdaptiveRetries=0", opts: map[string]string{"maxAdaptiveRetries": "0"}},
	{name: "maxAdaptiveRetries with invalid value causes a warning", uri: "mongodb://example.com/?maxAdaptiveRetries=-5", warn: true},
	{name: "enableOverloadRetargeting is parsed correctly", uri: "mongodb://example.com/?enableOverloadRetargeting=true", opts: map[string]string{"enableOverloadRetargeting": "true"}},
	{name: "enableOverloadRetargeting=false is parsed correctly", uri: "mongodb://example.com/?enableOverloadRetargeting=false", opts: map[string]string{"enableOverloadRetargeting": "false"}},
	{name: "enableOverloadRetargeting with invalid value causes a warning", uri: "mongodb://example.com/?enableOverloadRetargeting=invalid", warn: true},
	// uri-options: compression-options
	{name: "Valid compression options are parsed correctly", uri: "mongodb://example.com/?compressors=zlib&zlibCompressionLevel=9", opts: map[string]string{"compressors": "zlib", "zlibCompressionLevel": "9"}},
	{name: "Multiple compressors are parsed correctly", uri: "mongodb://example.com/?compressors=snappy,zlib", opts: map[string]string{"compressors": "snappy,zlib"}},
	{name: "Non-numeric zlibCompressionLevel causes a warning", uri: "mongodb://example.com/?compressors=zlib&zlibCompressionLevel=invalid", warn: true},
	{name: "Too low zlibCompressionLevel causes a warning", uri: "mongodb://example.com/?compressors=zlib&zlibCompressionLevel=-2", warn: true},
	{name: "Too high zlibCompressionLevel causes a warning", uri: "mongodb://example.com/?compressors=zlib&zlibCompressionLevel=10", warn: true},
	// uri-options: concern-options
	{name: "Valid read and write concern are parsed correctly", uri: "mongodb://example.com/?readConcernLevel=majority&w=5&wTimeoutMS=30000&journal=false", opts: map[string]string{"readConcernLevel": "majority", "w": "5", "wTimeoutMS": "30000", "journal": "false"}},
	{name: "Arbitrary string readConcernLevel does not cause a warning", uri: "mongodb://example.com/?readConcernLevel=arbitraryButStillValid", opts: map[string]string{"readConcernLevel": "arbitraryButStillValid"}},
	{name: "Arbitrary string w doesn't cause a warning", uri: "mongodb://example.com/?w=arbitraryButStillValid", opts: map[string]string{"w": "arbitraryButStillValid"}},
	{name: "Non-numeric wTimeoutMS causes a warning", uri: "mongodb://example.com/?wTimeoutMS=invalid", warn: true},
	{name: "Too low wTimeoutMS causes a warning", uri: "mongodb://example.com/?wTimeoutMS=-2", warn: true},
	{name: "Invalid journal causes a warning", uri: "mongodb://example.com/?journal=invalid", warn: true},
	// uri-options: connection-options
	{name: "Valid connection and timeout options are parsed correctly", uri: "mongodb://example.com/?appname=URI-OPTIONS-SPEC-TEST&connectTimeoutMS=20000&heartbeatFrequencyMS=5000&localThresholdMS=3000&maxIdleTimeMS=50000&replicaSet=uri-options-spec&retryWrites=true&serverSelectionTimeoutMS=15000&socketTimeoutMS=7500&timeoutMS=100", opts: map[string]string{"appname": "URI-OPTIONS-SPEC-TEST", "connectTimeoutMS": "20000", "heartbeatFrequencyMS": "5000", "localThresholdMS": "3000", "maxIdleTimeMS": "50000", "replicaSet": "uri-options-spec", "retryWrites": "true", "serverSelectionTimeoutMS": "15000", "socketTimeoutMS": "7500", "timeoutMS": "100"}},
	{name: "Non-numeric connectTimeoutMS causes a warning", uri: "mongodb://example.com/?connectTimeoutMS=invalid", warn: true},
	{name: "Too low connectTimeoutMS causes a warning", uri: "mongodb://example.com/?connectTimeoutMS=-2", warn: true},
	{name: "Non-numeric heartbeatFrequencyMS causes a warning", uri: "mongodb://example.com/?heartbeatFrequencyMS=invalid", warn: true},
	{name: "Too low heartbeatFrequencyMS causes a warning", uri: "mongodb://example.com/?heartbeatFrequencyMS=-2", warn: true},
	{name: "Non-numeric localThresholdMS causes a warning", uri: "mongodb://example.com/?localThresholdMS=invalid", warn: true},
	{name: "Too low localThresholdMS causes a warning", uri: "mongodb://example.com/?localThresholdMS=-2", warn: true},
	{name: "Invalid retryWrites causes a warning", uri: "mongodb://example.com/?retryWrites=invalid", warn: true},
	{name: "Non-numeric serverSelectionTimeoutMS causes a warning", uri: "mongodb://example.com/?serverSelectionTimeoutMS=invalid", warn: true},
	{name: "Too low serverSelectionTimeoutMS causes a warning", uri: "mongodb://example.com/?serverSelectionTimeoutMS=-2", warn: true},
	{name: "Non-numeric socketTimeoutMS causes a warning", uri: "mongodb://example.com/?socketTimeoutMS=invalid", warn: true},
	{name: "Too low socketTimeoutMS causes a warning", uri: "mongodb://example.com/?socketTimeoutMS=-2", warn: true},
	{name: "directConnection=true", uri: "mongodb://example.com/?directConnection=true", opts: map[string]string{"directConnection": "true"}},
	{name: "directConnection=true with multiple seeds", uri: "mongodb://example1.com,example2.com/?directConnection=true", invalid: true},
	{name: "directConnection=false", uri: "mongodb://example.com/?directConnection=false", opts: map[string]string{"directConnection": "false"}},
	{name: "directConnection=false with multiple seeds", uri: "mongodb://example1.com,example2.com/?directConnection=false", opts: map[string]string{"directConnection": "false"}},
	{name: "Invalid directConnection value", uri: "mongodb://example.com/?directConnection=invalid", warn: true},
	{name: "loadBalanced=true", uri: "mongodb://example.com/?loadBalanced=true", opts: map[string]string{"loadBalanced": "true"}},
	{name: "loadBalanced=true with directConnection=false", uri: "mongodb://example.com/?loadBalanced=true&directConnection=false", opts: map[string]string{"loadBalanced": "true", "directConnection": "false"}},
	{name: "loadBalanced=false", uri: "mongodb://example.com/?loadBalanced=false", opts: map[string]string{"loadBalanced": "false"}},
	{name: "Invalid loadBalanced value", uri: "mongodb://example.com/?loadBalanced=1", warn: true},
	{name: "loadBalanced=true with multiple hosts causes an error", uri: "mongodb://example1,example2/?loadBalanced=true", invalid: true},
	{name: "loadBalanced=true with directConnection=true causes an error", uri: "mongodb://example.com/?loadBalanced=true&directConnection=true", invalid: true},
	{name: "loadBalanced=true with replicaSet causes an error", uri: "mongodb://example.com/?loadBalanced=true&replicaSet=replset", invalid: true},
	{name: "timeoutMS=0", uri: "mongodb://example.com/?timeoutMS=0", opts: map[string]string{"timeoutMS": "0"}},
	{name: "Non-numeric timeoutMS causes a warning", uri: "mongodb://example.com/?timeoutMS=invalid", warn: true},
	{name: "Too low timeoutMS causes a warning", uri: "mongodb://example.com/?timeoutMS=-2", warn: true},
	// uri-options: connection-pool-options
	{name: "Valid connection pool options are parsed correctly", uri: "mongodb://example.com/?maxIdleTimeMS=50000&maxPoolSize=5&minPoolSize=3&maxConnecting=1", opts: map[string]string{"maxIdleTimeMS": "50000", "maxPoolSize": "5", "minPoolSize": "3", "maxConnecting": "1"}},
	{name: "Non-numeric maxIdleTimeMS causes a warning", uri: "mongodb://example.com/?maxIdleTimeMS=invalid", warn: true},
	{name: "Too low maxIdleTimeMS causes a warning", uri: "mongodb://example.com/?maxIdleTimeMS=-2", warn: true},
	{name: "maxPoolSize=0 does not error", uri: "mongodb://example.com/?maxPoolSize=0", opts: map[string]string{"maxPoolSize": "0"}},
	{name: "minPoolSize=0 does not error", uri: "mongodb://example.com/?minPoolSize=0", opts: map[string]string{"minPoolSize": "0"}},
	{name: "maxConnecting=0 causes a warning", uri: "mongodb://example.com/?maxConnecting=0", warn: true},
	{name: "maxConnecting<0 causes a warning", uri: "mongodb://example.com/?maxConnecting=-1", warn: true},
	// uri-options: proxy-options
	{name: "proxyPort without proxyHost", uri: "mongodb://localhost/?proxyPort=1080", invalid: true},
	{name: "proxyUsername without proxyHost", uri: "mongodb://localhost/?proxyUsername=abc", invalid: true},
	{name: "proxyPassword without proxyHost", uri: "mongodb://localhost/?proxyPassword=def", invalid: true},
	{name: "all other proxy options without proxyHost", uri: "mongodb://localhost/?proxyPort=1080&proxyUsername=abc&proxyPassword=def", invalid: true},
	{name: "proxyUsername without proxyPassword", uri: "mongodb://localhost/?proxyHost=localhost&proxyUsername=abc", invalid: true},
	{name: "proxyPassword without proxyUsername", uri: "mongodb://localhost/?proxyHost=localhost&proxyPassword=def", invalid: true},
	{name: "multiple proxyHost parameters", uri: "mongodb://localhost/?proxyHost=localhost&proxyHost=localhost2", invalid: true},
	{name: "multiple proxyPort parameters", uri: "mongodb://localhost/?proxyHost=localhost&proxyPort=1234&proxyPort=12345", invalid: true},
	{name: "multiple proxyUsername parameters", uri: "mongodb://localhost/?proxyHost=localhost&proxyUsername=abc&proxyUsername=def&proxyPassword=123", invalid: true},
	{name: "multiple proxyPassword parameters", uri: "mongodb://localhost/?proxyHost=localhost&proxyUsername=abc&proxyPassword=123&proxyPassword=456", invalid: true},
	{name: "only host present", uri: "mongodb://localhost/?proxyHost=localhost"},
	{name: "host and default port present", uri: "mongodb://localhost/?proxyHost=localhost&proxyPort=1080"},
	{name: "host and non-default port present", uri: "mongodb://localhost/?proxyHost=localhost&proxyPort=12345"},
	{name: "replicaset, host and non-default port present", uri: "mongodb://rs1,rs2,rs3/?proxyHost=localhost&proxyPort=12345"},
	{name: "all options present", uri: "mongodb://rs1,rs2,rs3/?proxyHost=localhost&proxyPort=12345&proxyUsername=asdf&proxyPassword=qwerty"},
	// uri-options: read-preference-options
	{name: "Valid read preference options are parsed correctly", uri: "mongodb://example.com/?readPreference=primaryPreferred&readPreferenceTags=dc:ny,rack:1&maxStalenessSeconds=120&readPreferenceTags=dc:ny", opts: map[string]string{"readPreference": "primaryPreferred", "readPreferenceTags": "dc:ny,rack:1;dc:ny", "maxStalenessSeconds": "120"}},
	{name: "Single readPreferenceTags is parsed as array of size one", uri: "mongodb://example.com/?readPreference=secondary&readPreferenceTags=dc:ny", opts: map[string]string{"readPreferenceTags": "dc:ny"}},
	{name: "Read preference tags are case sensitive", uri: "mongodb://example.com/?readPreference=secondary&readPreferenceTags=dc:NY", opts: map[string]string{"readPreferenceTags": "dc:NY"}},
	{name: "Invalid readPreferenceTags causes a warning", uri: "mongodb://example.com/?readPreferenceTags=invalid", warn: true},
	{name: "Non-numeric maxStalenessSeconds causes a warning", uri: "mongodb://example.com/?maxStalenessSeconds=invalid", warn: true},
	{name: "Too low maxStalenessSeconds causes a warning", uri: "mongodb://example.com/?maxStalenessSeconds=-2", warn: true},
	// uri-options: sdam-options
	{name: "serverMonitoringMode=auto", uri: "mongodb://example.com/?serverMonitoringMode=auto", opts: map[string]string{"serverMonitoringMode": "auto"}},
	{name: "serverMonitoringMode=stream", uri: "mongodb://example.com/?serverMonitoringMode=stream", opts: map[string]string{"serverMonitoringMode": "stream"}},
	{name: "serverMonitoringMode=poll", uri: "mongodb://example.com/?serverMonitoringMode=poll", opts: map[string]string{"serverMonitoringMode": "poll"}},
	{name: "invalid serverMonitoringMode", uri: "mongodb://example.com/?serverMonitoringMode=invalid", warn: true},
	// uri-options: single-threaded-options
	{name: "Valid options specific to single-threaded drivers are parsed correctly", uri: "mongodb://example.com/?serverSelectionTryOnce=false", opts: map[string]string{"serverSelectionTryOnce": "false"}},
	{name: "Invalid serverSelectionTryOnce causes a warning", uri: "mongodb://example.com/?serverSelectionTryOnce=invalid", warn: true},
	// uri-options: srv-options
	{name: "SRV URI with custom srvServiceName", uri: "mongodb+srv://test22.test.build.10gen.cc/?srvServiceName=customname", opts: map[string]string{"srvServiceName": "customname"}},
	{name: "Non-SRV URI with custom srvServiceName", uri: "mongodb://example.com/?srvServiceName=customname", invalid: true},
	{name: "SRV URI with srvMaxHosts", uri: "mongodb+srv://test1.test.build.10gen.cc/?srvMaxHosts=2", opts: map[string]string{"srvMaxHosts": "2"}},
	{name: "SRV URI with negative integer for srvMaxHosts", uri: "mongodb+srv://test1.test.build.10gen.cc/?srvMaxHosts=-1", warn: true},
	{name: "SRV URI with invalid type for srvMaxHosts", uri: "mongodb+srv://test1.test.build.10gen.cc/?srvMaxHosts=foo", warn: true},
	{name: "Non-SRV URI with srvMaxHosts", uri: "mongodb://example.com/?srvMaxHosts=2", invalid: true},
	{name: "SRV URI with positive srvMaxHosts and replicaSet", uri: "mongodb+srv://test1.test.build.10gen.cc/?srvMaxHosts=2&replicaSet=foo", invalid: true},
	{name: "SRV URI with positive srvMaxHosts and loadBalanced=true", uri: "mongodb+srv://test1.test.build.10gen.cc/?srvMaxHosts=2&loadBalanced=true", invalid: true},
	{name: "SRV URI with positive srvMaxHosts and loadBalanced=false", uri: "mongodb+srv://test1.test.build.10gen.cc/?srvMaxHosts=2&loadBalanced=false", opts: map[string]string{"loadBalanced": "false", "srvMaxHosts": "2"}},
	{name: "SRV URI with srvMaxHosts=0 and replicaSet", uri: "mongodb+srv://test1.test.build.10gen.cc/?srvMaxHosts=0&replicaSet=foo", opts: map[string]string{"replicaSet": "foo", "srvMaxHosts": "0"}},
	{name: "SRV URI with srvMaxHosts=0 and loadBalanced=true", uri: "mongodb+srv://test3.test.build.10gen.cc/?srvMaxHosts=0&loadBalanced=true", opts: map[string]string{"loadBalanced": "true", "srvMaxHosts": "0"}},
	// uri-options: tls-options
	{name: "Valid required tls options are parsed correctly", uri: "mongodb://example.com/?tls=true&tlsCAFile=ca.pem&tlsCertificateKeyFile=cert.pem", opts: map[string]string{"tls": "true", "tlsCAFile": "ca.pem", "tlsCertificateKeyFile": "cert.pem"}},
	{name: "Valid tlsCertificateKeyFilePassword is parsed correctly", uri: "mongodb://example.com/?tlsCertificateKeyFilePassword=hunter2", opts: map[string]string{"tlsCertificateKeyFilePassword": "hunter2"}},
	{name: "Invalid tlsAllowInvalidCertificates causes a warning", uri: "mongodb://example.com/?tlsAllowInvalidCertificates=invalid", warn: true},
	{name: "tlsAllowInvalidCertificates is parsed correctly", uri: "mongodb://example.com/?tlsAllowInvalidCertificates=true", opts: map[string]string{"tlsAllowInvalidCertificates": "true"}},
	{name: "tlsAllowInvalidHostnames is parsed correctly", uri: "mongodb://example.com/?tlsAllowInvalidHostnames=true", opts: map[string]string{"tlsAllowInvalidHostnames": "true"}},
	{name: "Invalid tlsAllowInvalidHostnames causes a warning", uri: "mongodb://example.com/?tlsAllowInvalidHostnames=invalid", warn: true},
	{name: "tlsInsecure is parsed correctly", uri: "mongodb://example.com/?tlsInsecure=true", opts: map[string]string{"tlsInsecure": "true"}},
	{name: "Invalid tlsInsecure causes a warning", uri: "mongodb://example.com/?tlsInsecure=invalid", warn: true},
	{name: "tlsInsecure and tlsAllowInvalidCertificates both present (and true) raises an error", uri: "mongodb://example.com/?tlsInsecure=true&tlsAllowInvalidCertificates=true", invalid: true},
	{name: "tlsInsecure and tlsAllowInvalidCertificates both present (and false) raises an error", uri: "mongodb://example.com/?tlsInsecure=false&tlsAllowInvalidCertificates=false", invalid: true},
	{name: "tlsAllowInvalidCertificates and tlsInsecure both present (and true) raises an error", uri: "mongodb://example.com/?tlsAllowInvalidCertificates=true&tlsInsecure=true", invalid: true},
	{name: "tlsAllowInvalidCertificates and tlsInsecure both present (and false) raises an error", uri: "mongodb://example.com/?tlsAllowInvalidCertificates=false&tlsInsecure=false", invalid: true},
	{name: "tlsInsecure and tlsAllowInvalidHostnames both present (and true) raises an error", uri: "mongodb://example.com/?tlsInsecure=true&tlsAllowInvalidHostnames=true", invalid: true},
	{name: "tlsInsecure and tlsAllowInvalidHostnames both present (and false) raises an error", uri: "mongodb://example.com/?tlsInsecure=false&tlsAllowInvalidHostnames=false", invalid: true},
	{name: "tlsAllowInvalidHostnames and tlsInsecure both present (and true) raises an error", uri: "mongodb://example.com/?tlsAllowInvalidHostnames=true&tlsInsecure=true", invalid: true},
	{name: "tlsAllowInvalidHostnames and tlsInsecure both present (and false) raises an error", uri: "mongodb://example.com/?tlsAllowInvalidHostnames=false&tlsInsecure=false", invalid: true},
	{name: "tls=true and ssl=true doesn't warn", uri: "mongodb://example.com/?tls=true&ssl=true"},
	{name: "tls=false and ssl=false doesn't warn", uri: "mongodb://example.com/?tls=false&ssl=false"},
	{name: "ssl=true and tls=true doesn't warn", uri: "mongodb://example.com/?ssl=true&tls=true"},
	{name: "ssl=false and tls=false doesn't warn", uri: "mongodb://example.com/?ssl=false&tls=false"},
	{name: "tls=false and ssl=true raises error", uri: "mongodb://example.com/?tls=false&ssl=true", invalid: true},
	{name: "tls=true and ssl=false raises error", uri: "mongodb://example.com/?tls=true&ssl=false", invalid: true},
	{name: "ssl=false and tls=true raises error", uri: "mongodb://example.com/?ssl=false&tls=true", invalid: true},
	{name: "ssl=true and tls=false raises error", uri: "mongodb://example.com/?ssl=true&tls=false", invalid: true},
	{name: "tlsDisableCertificateRevocationCheck can be set to true", uri: "mongodb://example.com/?tls=true&tlsDisableCertificateRevocationCheck=true", opts: map[string]string{"tls": "true", "tlsDisableCertificateRevocationCheck": "true"}},
	{name: "tlsDisableCertificateRevocationCheck can be set to false", uri: "mongodb://example.com/?tls=true&tlsDisableCertificateRevocationCheck=false", opts: map[string]string{"tls": "true", "tlsDisableCertificateRevocationCheck": "false"}},
	{name: "tlsAllowInvalidCertificates and tlsDisableCertificateRevocationCheck both present (and true) raises an error", uri: "mongodb://example.com/?tlsAllowInvalidCertificates=true&tlsDisableCertificateRevocationCheck=true", invalid: true},
	{name: "tlsAllowInvalidCertificates=true and tlsDisableCertificateRevocationCheck=false raises an error", uri: "mongodb://example.com/?tlsAllowInvalidCertificates=true&tlsDisableCertificateRevocationCheck=false", invalid: true},
	{name: "tlsAllowInvalidCertificates=false and tlsDisableCertificateRevocationCheck=true raises an error", uri: "mongodb://example.com/?tlsAllowInvalidCertificates=false&tlsDisableCertificateRevocationCheck=true", invalid: true},
	{name: "tlsAllowInvalidCertificates and tlsDisableCertificateRevocationCheck both present (and false) raises an error", uri: "mongodb://example.com/?tlsAllowInvalidCertificates=false&tlsDisableCertificateRevocationCheck=false", invalid: true},
	{name: "tlsDisableCertificateRevocationCheck and tlsAllowInvalidCertificates both present (and true) raises an error", uri: "mongodb://example.com/?tlsDisableCertificateRevocationCheck=true&tlsAllowInvalidCertificates=true", invalid: true},
	{name: "tlsDisableCertificateRevocationCheck=true and tlsAllowInvalidCertificates=false raises an error", uri: "mongodb://example.com/?tlsDisableCertificateRevocationCheck=true&tlsAllowInvalidCertificates=false", invalid: true},
	{name: "tlsDisableCertificateRevocationCheck=false and tlsAllowInvalidCertificates=true raises an error", uri: "mongodb://example.com/?tlsDisableCertificateRevocationCheck=false&tlsAllowInvalidCertificates=true", invalid: true},
	{name: "tlsDisableCertificateRevocationCheck and tlsAllowInvalidCertificates both present (and false) raises an error", uri: "mongodb://example.com/?tlsDisableCertificateRevocationCheck=false&tlsAllowInvalidCertificates=false", invalid: true},
	{name: "tlsInsecure and tlsDisableCertificateRevocationCheck both present (and true) raises an error", uri: "mongodb://example.com/?tlsInsecure=true&tlsDisableCertificateRevocationCheck=true", invalid: true},
	{name: "tlsInsecure=true and tlsDisableCertificateRevocationCheck=false raises an error", uri: "mongodb://example.com/?tlsInsecure=true&tlsDisableCertificateRevocationCheck=false", invalid: true},
	{name: "tlsInsecure=false and tlsDisableCertificateRevocationCheck=true raises an error", uri: "mongodb://example.com/?tlsInsecure=false&tlsDisableCertificateRevocationCheck=true", invalid: true},
	{name: "tlsInsecure and tlsDisableCertificateRevocationCheck both present (and false) raises an error", uri: "mongodb://example.com/?tlsInsecure=false&tlsDisableCertificateRevocationCheck=false", invalid: true},
	{name: "tlsDisableCertificateRevocationCheck and tlsInsecure both present (and true) raises an error", uri: "mongodb://example.com/?tlsDisableCertificateRevocationCheck=true&tlsInsecure=true", invalid: true},
	{name: "tlsDisableCertificateRevocationCheck=true and tlsInsecure=false raises an error", uri: "mongodb://example.com/?tlsDisableCertificateRevocationCheck=true&tlsInsecure=false", invalid: true},
	{name: "tlsDisableCertificateRevocationCheck=false and tlsInsecure=true raises an error", uri: "mongodb://example.com/?tlsDisableCertificateRevocationCheck=false&tlsInsecure=true", invalid: true},
	{name: "tlsDisableCertificateRevocationCheck and tlsInsecure both present (and false) raises an error", uri: "mongodb://example.com/?tlsDisableCertificateRevocationCheck=false&tlsInsecure=false", invalid: true},
	{name: "tlsDisableCertificateRevocationCheck and tlsDisableOCSPEndpointCheck both present (and true) raises an error", uri: "mongodb://example.com/?tlsDisableCertificateRevocationCheck=true&tlsDisableOCSPEndpointCheck=true", invalid: true},
	{name: "tlsDisableCertificateRevocationCheck=true and tlsDisableOCSPEndpointCheck=false raises an error", uri: "mongodb://example.com/?tlsDisableCertificateRevocationCheck=true&tlsDisableOCSPEndpointCheck=false", invalid: true},
	{name: "tlsDisableCertificateRevocationCheck=false and tlsDisableOCSPEndpointCheck=true raises an error", uri: "mongodb://example.com/?tlsDisableCertificateRevocationCheck=false&tlsDisableOCSPEndpointCheck=true", invalid: true},
	{name: "tlsDisableCertificateRevocationCheck and tlsDisableOCSPEndpointCheck both present (and false) raises an error", uri: "mongodb://example.com/?tlsDisableCertificateRevocationCheck=false&tlsDisableOCSPEndpointCheck=false", invalid: true},
	{name: "tlsDisableOCSPEndpointCheck and tlsDisableCertificateRevocationCheck both present (and true) raises an error", uri: "mongodb://example.com/?tlsDisableOCSPEndpointCheck=true&tlsDisableCertificateRevocationCheck=true", invalid: true},
	{name: "tlsDisableOCSPEndpointCheck=true and tlsDisableCertificateRevocationCheck=false raises an error", uri: "mongodb://example.com/?tlsDisableOCSPEndpointCheck=true&tlsDisableCertificateRevocationCheck=false", invalid: true},
	{name: "tlsDisableOCSPEndpointCheck=false and tlsDisableCertificateRevocationCheck=true raises an error", uri: "mongodb://example.com/?tlsDisableOCSPEndpointCheck=false&tlsDisableCertificateRevocationCheck=true", invalid: true},
	{name: "tlsDisableOCSPEndpointCheck and tlsDisableCertificateRevocationCheck both present (and false) raises an error", uri: "mongodb://example.com/?tlsDisableOCSPEndpointCheck=false&tlsDisableCertificateRevocationCheck=false", invalid: true},
	{name: "tlsDisableOCSPEndpointCheck can be set to true", uri: "mongodb://example.com/?tls=true&tlsDisableOCSPEndpointCheck=true", opts: map[string]string{"tls": "true", "tlsDisableOCSPEndpointCheck": "true"}},
	{name: "tlsDisableOCSPEndpointCheck can be set to false", uri: "mongodb://example.com/?tls=true&tlsDisableOCSPEndpointCheck=false", opts: map[string]string{"tls": "true", "tlsDisableOCSPEndpointCheck": "false"}},
	{name: "tlsInsecure and tlsDisableOCSPEndpointCheck both present (and true) raises an error", uri: "mongodb://example.com/?tlsInsecure=true&tlsDisableOCSPEndpointCheck=true", invalid: true},
	{name: "tlsInsecure=true and tlsDisableOCSPEndpointCheck=false raises an error", uri: "mongodb://example.com/?tlsInsecure=true&tlsDisableOCSPEndpointCheck=false", invalid: true},
	{name: "tlsInsecure=false and tlsDisableOCSPEndpointCheck=true raises an error", uri: "mongodb://example.com/?tlsInsecure=false&tlsDisableOCSPEndpointCheck=true", invalid: true},
	{name: "tlsInsecure and tlsDisableOCSPEndpointCheck both present (and false) raises an error", uri: "mongodb://example.com/?tlsInsecure=false&tlsDisableOCSPEndpointCheck=false", invalid: true},
	{name: "tlsDisableOCSPEndpointCheck and tlsInsecure both present (and true) raises an error", uri: "mongodb://example.com/?tlsDisableOCSPEndpointCheck=true&tlsInsecure=true", invalid: true},
	{name: "tlsDisableOCSPEndpointCheck=true and tlsInsecure=false raises an error", uri: "mongodb://example.com/?tlsDisableOCSPEndpointCheck=true&tlsInsecure=false", invalid: true},
	{name: "tlsDisableOCSPEndpointCheck=false and tlsInsecure=true raises an error", uri: "mongodb://example.com/?tlsDisableOCSPEndpointCheck=false&tlsInsecure=true", invalid: true},
	{name: "tlsDisableOCSPEndpointCheck and tlsInsecure both present (and false) raises an error", uri: "mongodb://example.com/?tlsDisableOCSPEndpointCheck=false&tlsInsecure=false", invalid: true},
	{name: "tlsAllowInvalidCertificates and tlsDisableOCSPEndpointCheck both present (and true) raises an error", uri: "mongodb://example.com/?tlsAllowInvalidCertificates=true&tlsDisableOCSPEndpointCheck=true", invalid: true},
	{name: "tlsAllowInvalidCertificates=true and tlsDisableOCSPEndpointCheck=false raises an error", uri: "mongodb://example.com/?tlsAllowInvalidCertificates=true&tlsDisableOCSPEndpointCheck=false", invalid: true},
	{name: "tlsAllowInvalidCertificates=false and tlsDisableOCSPEndpointCheck=true raises an error", uri: "mongodb://example.com/?tlsAllowInvalidCertificates=false&tlsDisableOCSPEndpointCheck=true", invalid: true},
	{name: "tlsAllowInvalidCertificates and tlsDisableOCSPEndpointCheck both present (and false) raises an error", uri: "mongodb://example.com/?tlsAllowInvalidCertificates=false&tlsDisableOCSPEndpointCheck=false", invalid: true},
	{name: "tlsDisableOCSPEndpointCheck and tlsAllowInvalidCertificates both present (and true) raises an error", uri: "mongodb://example.com/?tlsDisableOCSPEndpointCheck=true&tlsAllowInvalidCertificates=true", invalid: true},
	{name: "tlsDisableOCSPEndpointCheck=true and tlsAllowInvalidCertificates=false raises an error", uri: "mongodb://example.com/?tlsDisableOCSPEndpointCheck=true&tlsAllowInvalidCertificates=false", invalid: true},
	{name: "tlsDisableOCSPEndpointCheck=false and tlsAllowInvalidCertificates=true raises an error", uri: "mongodb://example.com/?tlsDisableOCSPEndpointCheck=false&tlsAllowInvalidCertificates=true", invalid: true},
	{name: "tlsDisableOCSPEndpointCheck and tlsAllowInvalidCertificates both present (and false) raises an error", uri: "mongodb://example.com/?tlsDisableOCSPEndpointCheck=false&tlsAllowInvalidCertificates=false", invalid: true},
	// auth: legacy/connection-string
	{name: "should use the default source and mechanism", uri: "mongodb://user:password@localhost", user: "user", source: "admin"},
	{name: "should use the database when no authSource is specified", uri: "mongodb://user:password@localhost/foo", user: "user", source: "foo"},
	{name: "should use the authSource when specified", uri: "mongodb://user:password@localhost/foo?authSource=bar", user: "user", source: "bar"},
	{name: "should recognise the mechanism (GSSAPI)", uri: "mongodb://user%40DOMAIN.COM@localhost/?authMechanism=GSSAPI", user: "user@DOMAIN.COM", source: "$external"},
	{name: "should ignore the database (GSSAPI)", uri: "mongodb://user%40DOMAIN.COM@localhost/foo?authMechanism=GSSAPI", user: "user@DOMAIN.COM", source: "$external"},
	{name: "should accept valid authSource (GSSAPI)", uri: "mongodb://user%40DOMAIN.COM@localhost/?authMechanism=GSSAPI&authSource=$external", user: "user@DOMAIN.COM", source: "$external"},
	{name: "should accept generic mechanism property (GSSAPI)", uri: "mongodb://user%40DOMAIN.COM@localhost/?authMechanism=GSSAPI&authMechanismProperties=SERVICE_NAME:other,CANONICALIZE_HOST_NAME:forward,SERVICE_HOST:example.com", user: "user@DOMAIN.COM", source: "$external"},
	{name: "should accept forwardAndReverse hostname canonicalization (GSSAPI)", uri: "mongodb://user%40DOMAIN.COM@localhost/?authMechanism=GSSAPI&authMechanismProperties=SERVICE_NAME:other,CANONICALIZE_HOST_NAME:forwardAndReverse", user: "user@DOMAIN.COM", source: "$external"},
	{name: "should accept no hostname canonicalization (GSSAPI)", uri: "mongodb://user%40DOMAIN.COM@localhost/?authMechanism=GSSAPI&authMechanismProperties=SERVICE_NAME:other,CANONICALIZE_HOST_NAME:none", user: "user@DOMAIN.COM", source: "$external"},
	{name: "must raise an error when the hostname canonicalization is invalid", uri: "mongodb://user%40DOMAIN.COM@localhost/?authMechanism=GSSAPI&authMechanismProperties=SERVICE_NAME:other,CANONICALIZE_HOST_NAME:invalid", invalid: true},
	{name: "should accept the password (GSSAPI)", uri: "mongodb://user%40DOMAIN.COM:password@localhost/?authMechanism=GSSAPI&authSource=$external", user: "user@DOMAIN.COM", source: "$external"},
	{name: "must raise an error when the authSource is empty", uri: "mongodb://user:password@localhost/foo?authSource=", invalid: true},
	{name: "must raise an error when the authSource is empty without credentials", uri: "mongodb://localhost/admin?authSource=", invalid: true},
	{name: "should throw an exception if authSource is invalid (GSSAPI)", uri: "mongodb://user%40DOMAIN.COM@localhost/?authMechanism=GSSAPI&authSource=foo", invalid: true},
	{name: "should throw an exception if no username (GSSAPI)", uri: "mongodb://localhost/?authMechanism=GSSAPI", invalid: true},
	{name: "should recognize the mechanism (MONGODB-X509)", uri: "mongodb://CN%3DmyName%2COU%3DmyOrgUnit%2CO%3DmyOrg%2CL%3DmyLocality%2CST%3DmyState%2CC%3DmyCountry@localhost/?authMechanism=MONGODB-X509", user: "CN=myName,OU=myOrgUnit,O=myOrg,L=myLocality,ST=myState,C=myCountry", source: "$external"},
	{name: "should ignore the database (MONGODB-X509)", uri: "mongodb://CN%3DmyName%2COU%3DmyOrgUnit%2CO%3DmyOrg%2CL%3DmyLocality%2CST%3DmyState%2CC%3DmyCountry@localhost/foo?authMechanism=MONGODB-X509", user: "CN=myName,OU=myOrgUnit,O=myOrg,L=myLocality,ST=myState,C=myCountry", source: "$external"},
	{name: "should accept valid authSource (MONGODB-X509)", uri: "mongodb://CN%3DmyName%2COU%3DmyOrgUnit%2CO%3DmyOrg%2CL%3DmyLocality%2CST%3DmyState%2CC%3DmyCountry@localhost/?authMechanism=MONGODB-X509&authSource=$external", user: "CN=myName,OU=myOrgUnit,O=myOrg,L=myLocality,ST=myState,C=myCountry", source: "$external"},
	{name: "should recognize the mechanism with no username (MONGODB-X509)", uri: "mongodb://localhost/?authMechanism=MONGODB-X509", source: "$external"},
	{name: "should recognize the mechanism with no username when auth source is explicitly specified (MONGODB-X509)", uri: "mongodb://localhost/?authMechanism=MONGODB-X509&authSource=$external", source: "$external"},
	{name: "should throw an exception if supplied a password (MONGODB-X509)", uri: "mongodb://user:password@localhost/?authMechanism=MONGODB-X509", invalid: true},
	{name: "should throw an exception if authSource is invalid (MONGODB-X509)", uri: "mongodb://CN%3DmyName%2COU%3DmyOrgUnit%2CO%3DmyOrg%2CL%3DmyLocality%2CST%3DmyState%2CC%3DmyCountry@localhost/foo?authMechanism=MONGODB-X509&authSource=bar", invalid: true},
	{name: "should recognize the mechanism (PLAIN)", uri: "mongodb://user:password@localhost/?authMechanism=PLAIN", user: "user", source: "$external"},
	{name: "should use the database when no authSource is specified (PLAIN)", uri: "mongodb://user:password@localhost/foo?authMechanism=PLAIN", user: "user", source: "foo"},
	{name: "should use the authSource when specified (PLAIN)", uri: "mongodb://user:password@localhost/foo?authMechanism=PLAIN&authSource=bar", user: "user", source: "bar"},
	{name: "should throw an exception if no username (PLAIN)", uri: "mongodb://localhost/?authMechanism=PLAIN", invalid: true},
	{name: "should recognize the mechanism (SCRAM-SHA-1)", uri: "mongodb://user:password@localhost/?authMechanism=SCRAM-SHA-1", user: "user", source: "admin"},
	{name: "should use the database when no authSource is specified (SCRAM-SHA-1)", uri: "mongodb://user:password@localhost/foo?authMechanism=SCRAM-SHA-1", user: "user", source: "foo"},
	{name: "should accept valid authSource (SCRAM-SHA-1)", uri: "mongodb://user:password@localhost/foo?authMechanism=SCRAM-SHA-1&authSource=bar", user: "user", source: "bar"},
	{name: "should throw an exception if no username (SCRAM-SHA-1)", uri: "mongodb://localhost/?authMechanism=SCRAM-SHA-1", invalid: true},
	{name: "should recognize the mechanism (SCRAM-SHA-256)", uri: "mongodb://user:password@localhost/?authMechanism=SCRAM-SHA-256", user: "user", source: "admin"},
	{name: "should use the database when no authSource is specified (SCRAM-SHA-256)", uri: "mongodb://user:password@localhost/foo?authMechanism=SCRAM-SHA-256", user: "user", source: "foo"},
	{name: "should accept valid authSource (SCRAM-SHA-256)", uri: "mongodb://user:password@localhost/foo?authMechanism=SCRAM-SHA-256&authSource=bar", user: "user", source: "bar"},
	{name: "should throw an exception if no username (SCRAM-SHA-256)", uri: "mongodb://localhost/?authMechanism=SCRAM-SHA-256", invalid: true},
	{name: "URI with no auth-related info doesn't create credential", uri: "mongodb://localhost/"},
	{name: "database in URI path doesn't create credentials", uri: "mongodb://localhost/foo"},
	{name: "authSource without username doesn't create credential (default mechanism)", uri: "mongodb://localhost/?authSource=foo"},
	{name: "should throw an exception if no username provided (userinfo implies default mechanism)", uri: "mongodb://@localhost.com/", invalid: true},
	{name: "should throw an exception if no username/password provided (userinfo implies default mechanism)", uri: "mongodb://:@localhost.com/", invalid: true},
	{name: "should recognise the mechanism (MONGODB-AWS)", uri: "mongodb://localhost/?authMechanism=MONGODB-AWS", source: "$external"},
	{name: "should recognise the mechanism when auth source is explicitly specified (MONGODB-AWS)", uri: "mongodb://localhost/?authMechanism=MONGODB-AWS&authSource=$external", source: "$external"},
	{name: "should throw an exception if username and no password (MONGODB-AWS)", uri: "mongodb://user@localhost/?authMechanism=MONGODB-AWS", invalid: true},
	{name: "should use username and password if specified (MONGODB-AWS)", uri: "mongodb://user%21%40%23%24%25%5E%26%2A%28%29_%2B:pass%21%40%23%24%25%5E%26%2A%28%29_%2B@localhost/?authMechanism=MONGODB-AWS", user: "user!@#$%^&*()_+", source: "$external"},
	{name: "should use username, password and session token if specified (MONGODB-AWS)", uri: "mongodb://user:password@localhost/?authMechanism=MONGODB-AWS&authMechanismProperties=AWS_SESSION_TOKEN:token%21%40%23%24%25%5E%26%2A%28%29_%2B", user: "user", source: "$external"},
	{name: "should throw an exception if username provided (MONGODB-AWS)", uri: "mongodb://user@localhost.com/?authMechanism=MONGODB-AWS", invalid: true},
	// Left out: "should throw an exception if username and password provided
	// (MONGODB-AWS)" contradicts "should use username and password if
	// specified (MONGODB-AWS)" in the same file, and the Go driver accepts
	// explicit AWS credentials.
	{name: "should throw an exception if AWS_SESSION_TOKEN provided (MONGODB-AWS)", uri: "mongodb://localhost/?authMechanism=MONGODB-AWS&authMechanismProperties=AWS_SESSION_TOKEN:token", invalid: true},
	{name: "should recognise the mechanism with test environment (MONGODB-OIDC)", uri: "mongodb://localhost/?authMechanism=MONGODB-OIDC&authMechanismProperties=ENVIRONMENT:test", source: "$external"},
	{name: "should recognise the mechanism when auth source is explicitly specified and with environment (MONGODB-OIDC)", uri: "mongodb://localhost/?authMechanism=MONGODB-OIDC&authSource=$external&authMechanismProperties=ENVIRONMENT:test", source: "$external"},
	{name: "should throw an exception if supplied a password (MONGODB-OIDC)", uri: "mongodb://user:pass@localhost/?authMechanism=MONGODB-OIDC&authMechanismProperties=ENVIRONMENT:test", invalid: true},
	{name: "should throw an exception if username is specified for test (MONGODB-OIDC)", uri: "mongodb://principalName@localhost/?authMechanism=MONGODB-OIDC&authMechanismProperties=ENVIRONMENT:test", invalid: true},
	{name: "should throw an exception if specified environment is not supported (MONGODB-OIDC)", uri: "mongodb://localhost/?authMechanism=MONGODB-OIDC&authMechanismProperties=ENVIRONMENT:invalid", invalid: true},
	// Left out: "should throw an exception if neither environment nor callbacks
	// specified (MONGODB-OIDC)": callbacks are set in code, so the string
	// alone cannot be judged.
	{name: "should throw an exception when unsupported auth property is specified (MONGODB-OIDC)", uri: "mongodb://localhost/?authMechanism=MONGODB-OIDC&authMechanismProperties=UnsupportedProperty:unexisted", invalid: true},
	{name: "should recognise the mechanism with azure provider (MONGODB-OIDC)", uri: "mongodb://localhost/?authMechanism=MONGODB-OIDC&authMechanismProperties=ENVIRONMENT:azure,TOKEN_RESOURCE:foo", source: "$external"},
	{name: "should accept a username with azure provider (MONGODB-OIDC)", uri: "mongodb://user@localhost/?authMechanism=MONGODB-OIDC&authMechanismProperties=ENVIRONMENT:azure,TOKEN_RESOURCE:foo", user: "user", source: "$external"},
	{name: "should accept a url-encoded TOKEN_RESOURCE (MONGODB-OIDC)", uri: "mongodb://user@localhost/?authMechanism=MONGODB-OIDC&authMechanismProperties=ENVIRONMENT:azure,TOKEN_RESOURCE:mongodb%3A%2F%2Ftest-cluster", user: "user", source: "$external"},
	{name: "should accept an un-encoded TOKEN_RESOURCE (MONGODB-OIDC)", uri: "mongodb://user@localhost/?authMechanism=MONGODB-OIDC&authMechanismProperties=ENVIRONMENT:azure,TOKEN_RESOURCE:mongodb://test-cluster", user: "user", source: "$external"},
	{name: "should handle a complicated url-encoded TOKEN_RESOURCE (MONGODB-OIDC)", uri: "mongodb://user@localhost/?authMechanism=MONGODB-OIDC&authMechanismProperties=ENVIRONMENT:azure,TOKEN_RESOURCE:abcd%25ef%3Ag%26hi", user: "user", source: "$external"},
	{name: "should url-encode a TOKEN_RESOURCE (MONGODB-OIDC)", uri: "mongodb://user@localhost/?authMechanism=MONGODB-OIDC&authMechanismProperties=ENVIRONMENT:azure,TOKEN_RESOURCE:a$b", user: "user", source: "$external"},
	{name: "should accept a username and throw an error for a password with azure provider (MONGODB-OIDC)", uri: "mongodb://user:pass@localhost/?authMechanism=MONGODB-OIDC&authMechanismProperties=ENVIRONMENT:azure,TOKEN_RESOURCE:foo", invalid: true},
	{name: "should throw an exception if no token audience is given for azure provider (MONGODB-OIDC)", uri: "mongodb://username@localhost/?authMechanism=MONGODB-OIDC&authMechanismProperties=ENVIRONMENT:azure", invalid: true},
	{name: "should recognise the mechanism with gcp provider (MONGODB-OIDC)", uri: "mongodb://localhost/?authMechanism=MONGODB-OIDC&authMechanismProperties=ENVIRONMENT:gcp,TOKEN_RESOURCE:foo", source: "$external"},
	{name: "should throw an error for a username and password with gcp provider (MONGODB-OIDC)", uri: "mongodb://user:pass@localhost/?authMechanism=MONGODB-OIDC&authMechanismProperties=ENVIRONMENT:gcp,TOKEN_RESOURCE:foo", invalid: true},
	{name: "should throw an error if not TOKEN_RESOURCE with gcp provider (MONGODB-OIDC)", uri: "mongodb://user:pass@localhost/?authMechanism=MONGODB-OIDC&authMechanismProperties=ENVIRONMENT:gcp", invalid: true},
	{name: "should recognise the mechanism with k8s provider (MONGODB-OIDC)", uri: "mongodb://localhost/?authMechanism=MONGODB-OIDC&authMechanismProperties=ENVIRONMENT:k8s", source: "$external"},
	{name: "should throw an error for a username and password with k8s provider (MONGODB-OIDC)", uri: "mongodb://user:pass@localhost/?authMechanism=MONGODB-OIDC&authMechanismProperties=ENVIRONMENT:k8s", invalid: true},
}

func TestSpecCases(t *testing.T) {
	for _, tc := range specCases {
		t.Run(tc.name, func(t *testing.T) {
			target, err := ParseTarget(tc.uri)
			if tc.invalid {
				var ue *URIError
				if !errors.As(err, &ue) {
					t.Fatalf("ParseTarget(%q) = %v, want a *URIError", tc.uri, err)
				}
				if ue.Msg == "" || ue.Hint == "" {
					t.Errorf("URIError for %q lacks a message or a hint: %+v", tc.uri, ue)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseTarget(%q): %v", tc.uri, err)
			}
			warned := false
			for _, f := range target.Findings {
				if f.ID == catalogue.IDURIUnknownOption && f.Severity == report.SeverityWarning {
					warned = true
				}
			}
			if warned != tc.warn {
				t.Errorf("warning = %v, want %v (findings %+v)", warned, tc.warn, target.Findings)
			}
			if tc.hosts != nil && strings.Join(target.Hosts, " ") != strings.Join(tc.hosts, " ") {
				t.Errorf("hosts = %q, want %q", target.Hosts, tc.hosts)
			}
			if (tc.user != "" || tc.pass != nil || tc.noPass) && target.Username != tc.user {
				t.Errorf("user = %q, want %q", target.Username, tc.user)
			}
			if tc.pass != nil && (!target.HasPassword || target.Conn.Password != *tc.pass) {
				t.Errorf("password set %v, want %q", target.HasPassword, *tc.pass)
			}
			if tc.noPass && target.HasPassword {
				t.Errorf("password set, want none")
			}
			if tc.db != "" && target.Database != tc.db && target.AuthSource != tc.db {
				t.Errorf("database %q / authSource %q, want %q", target.Database, target.AuthSource, tc.db)
			}
			if tc.source != "" && target.AuthSource != tc.source {
				t.Errorf("authSource = %q, want %q", target.AuthSource, tc.source)
			}
			// The string handed to the Go driver must build a client
			// (files named by tls options do not exist here, and
			// MONGODB-OIDC may need callbacks set in code).
			if !target.SRV && !strings.Contains(strings.ToLower(tc.uri), "file=") && !strings.Contains(tc.uri, "MONGODB-OIDC") {
				if err := options.Client().ApplyURI(target.DriverURI()).Validate(); err != nil {
					t.Errorf("the Go driver refuses DriverURI() %q: %v", redact.Redact(target.DriverURI()), err)
				}
			}
			for key, want := range tc.opts {
				got, ok := specOptionValue(target, key)
				if !ok || got != want {
					t.Errorf("option %s = %q (found %v), want %q", key, got, ok, want)
				}
			}
		})
	}
}

// specOptionValue reads an option back from what ParseTarget produced:
// the driver's ConnString for the options it reads, the Target for the
// others, in the spec tests' value notation.
func specOptionValue(t *Target, key string) (string, bool) {
	cs := t.Conn
	ms := func(d time.Duration) string { return strconv.FormatInt(d.Milliseconds(), 10) }
	b := strconv.FormatBool
	switch strings.ToLower(key) {
	case "appname":
		return cs.AppName, true
	case "authmechanism":
		return cs.AuthMechanism, true
	case "authmechanismproperties":
		return joinMap(cs.AuthMechanismProperties), true
	case "authsource":
		return cs.AuthSource, true
	case "compressors":
		return strings.Join(cs.Compressors, ","), true
	case "connecttimeoutms":
		return ms(cs.ConnectTimeout), cs.ConnectTimeoutSet
	case "directconnection":
		if t.DirectConnection == nil {
			return "", false
		}
		return b(*t.DirectConnection), true
	case "heartbeatfrequencyms":
		return ms(cs.HeartbeatInterval), cs.HeartbeatIntervalSet
	case "journal":
		return b(cs.J), cs.JSet
	case "loadbalanced":
		return b(cs.LoadBalanced), cs.LoadBalancedSet
	case "localthresholdms":
		return ms(t.LocalThreshold), cs.LocalThresholdSet
	case "maxidletimems":
		return ms(cs.MaxConnIdleTime), cs.MaxConnIdleTimeSet
	case "maxpoolsize":
		return strconv.FormatUint(cs.MaxPoolSize, 10), cs.MaxPoolSizeSet
	case "minpoolsize":
		return strconv.FormatUint(cs.MinPoolSize, 10), cs.MinPoolSizeSet
	case "maxconnecting":
		return strconv.FormatUint(cs.MaxConnecting, 10), cs.MaxConnectingSet
	case "maxstalenessseconds":
		return strconv.Itoa(t.MaxStalenessSeconds), t.MaxStalenessSeconds != -1
	case "readpreference":
		return t.ReadPreference, true
	case "readpreferencetags":
		var sets []string
		for _, m := range t.ReadPreferenceTags {
			sets = append(sets, joinMap(m))
		}
		return strings.Join(sets, ";"), true
	case "readconcernlevel":
		return cs.ReadConcernLevel, true
	case "replicaset":
		return t.ReplicaSet, true
	case "retrywrites":
		return b(cs.RetryWrites), cs.RetryWritesSet
	case "serverselectiontimeoutms":
		return ms(cs.ServerSelectionTimeout), cs.ServerSelectionTimeoutSet
	case "sockettimeoutms":
		return ms(cs.SocketTimeout), cs.SocketTimeoutSet
	case "srvmaxhosts":
		return strconv.Itoa(t.SRVMaxHosts), true
	case "srvservicename":
		return t.SRVServiceName, true
	case "tls", "ssl":
		return b(t.TLS), true
	case "tlscafile":
		return t.TLSOptions.CAFile, cs.SSLCaFileSet
	case "tlscertificatekeyfile":
		return t.TLSOptions.CertificateKeyFile, cs.SSLClientCertificateKeyFileSet
	case "tlscertificatekeyfilepassword":
		if !cs.SSLClientCertificateKeyPasswordSet {
			return "", false
		}
		return cs.SSLClientCertificateKeyPassword(), true
	case "tlsallowinvalidcertificates":
		return b(t.TLSOptions.AllowInvalidCertificates), true
	case "tlsallowinvalidhostnames":
		return b(t.TLSOptions.AllowInvalidHostnames), true
	case "tlsinsecure":
		return b(t.TLSOptions.Insecure), cs.SSLInsecureSet
	case "tlsdisablecertificaterevocationcheck":
		return b(t.TLSOptions.DisableCertificateRevocationCheck), cs.SSLDisableCertificateRevocationCheckSet
	case "tlsdisableocspendpointcheck":
		return b(t.TLSOptions.DisableOCSPEndpointCheck), cs.SSLDisableOCSPEndpointCheckSet
	case "w":
		if cs.WNumberSet {
			return strconv.Itoa(cs.WNumber), true
		}
		return cs.WString, cs.WString != ""
	case "zlibcompressionlevel":
		return strconv.Itoa(cs.ZlibLevel), cs.ZlibLevelSet
	case "servermonitoringmode":
		return cs.ServerMonitoringMode, true
	case "timeoutms":
		return ms(cs.Timeout), cs.TimeoutSet
	case "maxadaptiveretries":
		return strconv.FormatUint(uint64(cs.MaxAdaptiveRetries), 10), cs.MaxAdaptiveRetriesSet
	case "enableoverloadretargeting":
		return b(cs.EnableOverloadRetargeting), cs.EnableOverloadRetargetingSet
	}
	// Options the Go driver does not read (wTimeoutMS,
	// serverSelectionTryOnce): the last value drivers use.
	for i := len(t.Options) - 1; i >= 0; i-- {
		o := t.Options[i]
		if strings.EqualFold(o.Name, key) && !o.Ignored {
			return o.Value, true
		}
	}
	return "", false
}

func joinMap(m map[string]string) string {
	var kv []string
	for k, v := range m {
		kv = append(kv, fmt.Sprintf("%s:%s", k, v))
	}
	sort.Strings(kv)
	return strings.Join(kv, ",")
}
