package driverrun

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func nodeLine(t *testing.T, v map[string]any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseNodeLine(t *testing.T) {
	okLine := nodeLine(t, map[string]any{"driver": "node", "version": "7.9.1", "ok": true})
	failLine := nodeLine(t, map[string]any{"driver": "node", "version": "7.9.1", "ok": false,
		"name": "MongoServerSelectionError", "message": "connect ECONNREFUSED 127.0.0.1:1", "inspect": nodeInspect})
	o, err := ParseNodeLine(append([]byte("(node:12) Warning: something a library printed\n"), okLine...))
	if err != nil || !o.OK || o.Client != Node || o.Text != "" {
		t.Errorf("ok line: %+v, %v", o, err)
	}
	o, err = ParseNodeLine(append(failLine, '\n'))
	if err != nil {
		t.Fatal(err)
	}
	if o.OK || o.Name != "MongoServerSelectionError" || o.Text != nodeInspectStripped {
		t.Errorf("failure: %+v", o)
	}
	noInspect := nodeLine(t, map[string]any{"driver": "node", "ok": false, "name": "MongoParseError", "message": "Invalid scheme"})
	if o, err := ParseNodeLine(noInspect); err != nil || o.Text != "MongoParseError: Invalid scheme" {
		t.Errorf("without inspect: %+v, %v", o, err)
	}

	bad := []struct{ name, out string }{
		{"nothing", ""},
		{"not json", "Segmentation fault"},
		{"another driver", `{"driver": "pymongo", "ok": true}`},
		{"no ok", `{"driver": "node"}`},
		{"failure without message", `{"driver": "node", "ok": false, "name": "Error"}`},
		{"failure without name", `{"driver": "node", "ok": false, "message": "x"}`},
		{"ok of the wrong type", `{"driver": "node", "ok": "yes"}`},
	}
	for _, b := range bad {
		t.Run(b.name, func(t *testing.T) {
			_, err := ParseNodeLine([]byte(b.out))
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Errorf("err = %v, want a *ParseError", err)
			}
		})
	}
}

func TestParsePyMongoLine(t *testing.T) {
	o, err := ParsePyMongoLine([]byte(`{"driver": "pymongo", "version": "3.11.0", "ok": false, "name": "pymongo.errors.OperationFailure", "message": "Authentication failed."}` + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	if o.OK || o.Client != PyMongo || o.Text != "pymongo.errors.OperationFailure: Authentication failed." {
		t.Errorf("%+v", o)
	}
	o, err = ParsePyMongoLine([]byte(`{"driver": "pymongo", "ok": false, "name": "pymongo.errors.AutoReconnect", "message": ""}`))
	if err != nil || o.Text != "pymongo.errors.AutoReconnect" {
		t.Errorf("empty message: %+v, %v", o, err)
	}
	if _, err := ParsePyMongoLine([]byte(`{"driver": "node", "ok": true}`)); err == nil {
		t.Error("a Node.js line was read as PyMongo's")
	}
}

func TestParseMongoshOutput(t *testing.T) {
	tests := []struct {
		name           string
		stdout, stderr string
		exit           int
		wantOK         bool
		wantName       string
		wantText       string
		wantErr        bool
	}{
		{name: "ping answered", stdout: "{ ok: 1 }\n", wantOK: true},
		{name: "ping answered with more fields", stdout: "{ ok: 1, '$clusterTime': {} }\n", wantOK: true},
		{name: "refused", stderr: "MongoNetworkError: connect ECONNREFUSED 127.0.0.1:1\n", exit: 1,
			wantName: "MongoNetworkError", wantText: "MongoNetworkError: connect ECONNREFUSED 127.0.0.1:1"},
		{name: "error on stdout", stdout: "MongoServerError: bad auth\n", exit: 1,
			wantName: "MongoServerError", wantText: "MongoServerError: bad auth"},
		{name: "not an error class", stderr: "connection closed\n", exit: 1, wantText: "connection closed"},
		{name: "exit 0 without a reply", stdout: "", wantErr: true},
		{name: "exit 0 with ok: 0", stdout: "{ ok: 0 }", wantErr: true},
		{name: "exit 0 with ok: 10", stdout: "{ ok: 10 }", wantErr: true},
		{name: "failure printing nothing", exit: 1, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := ParseMongoshOutput([]byte(tt.stdout), []byte(tt.stderr), tt.exit)
			if tt.wantErr {
				var pe *ParseError
				if !errors.As(err, &pe) {
					t.Fatalf("err = %v, want a *ParseError (outcome %+v)", err, o)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if o.OK != tt.wantOK || o.Name != tt.wantName || o.Text != tt.wantText || o.Client != Mongosh {
				t.Errorf("outcome = %+v", o)
			}
		})
	}
}

func TestMongoshURI(t *testing.T) {
	s := &Setup{ServerSelection: 3 * time.Second, Connect: 2 * time.Second}
	const both = "serverSelectionTimeoutMS=3000&connectTimeoutMS=2000"
	tests := []struct{ in, want string }{
		{"mongodb://127.0.0.1:27017/", "mongodb://127.0.0.1:27017/?" + both},
		{"mongodb://127.0.0.1:27017", "mongodb://127.0.0.1:27017/?" + both},
		{"mongodb://h/db", "mongodb://h/db?" + both},
		{"mongodb://h/?replicaSet=rs0", "mongodb://h/?replicaSet=rs0&" + both},
		{"mongodb://h/?", "mongodb://h/?" + both},
		{"mongodb+srv://c0.example.test/?tls=false", "mongodb+srv://c0.example.test/?tls=false&" + both},
		{"mongodb://h/?serverselectiontimeoutms=500", "mongodb://h/?serverselectiontimeoutms=500&connectTimeoutMS=2000"},
		{"mongodb://h/?serverSelectionTimeoutMS=1&connectTimeoutMS=1", "mongodb://h/?serverSelectionTimeoutMS=1&connectTimeoutMS=1"},
		{"mongodb://u:p@ss@h:1/", "mongodb://u:p@ss@h:1/?" + both},
		{"http://h/", "http://h/"},
		{"mongodb://h/?a=%zz", "mongodb://h/?a=%zz"},
		// An option is matched as mongosh reads it: decoded, in any case.
		{"mongodb://h/?serverSelection%54imeoutMS=1&CONNECTTIMEOUTMS=1", "mongodb://h/?serverSelection%54imeoutMS=1&CONNECTTIMEOUTMS=1"},
		{"mongodb://u:p%40ss@h:1/app?tls=true", "mongodb://u:p%40ss@h:1/app?tls=true&" + both},
	}
	for _, tt := range tests {
		if got := s.MongoshURI(tt.in); got != tt.want {
			t.Errorf("MongoshURI(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseVersions(t *testing.T) {
	node, driver, sh, err := ParseNodeVersions([]byte(`{"node":"v20.20.2","driver":"7.9.1","mongosh":"2.12.0"}` + "\n"))
	if err != nil || node != "20.20.2" || driver != "7.9.1" || sh != "2.12.0" {
		t.Errorf("node versions = %q %q %q, %v", node, driver, sh, err)
	}
	py, pm, err := ParsePyVersions([]byte(`{"python": "3.11.2", "pymongo": "3.11.0"}`))
	if err != nil || py != "3.11.2" || pm != "3.11.0" {
		t.Errorf("python versions = %q %q, %v", py, pm, err)
	}
	for _, bad := range []string{"", "{}", `{"node":"v20","driver":"7.9.1","mongosh":"2.12.0"}`, `{"node":"v20.1.1","driver":"latest","mongosh":"2.12.0"}`} {
		if _, _, _, err := ParseNodeVersions([]byte(bad)); err == nil {
			t.Errorf("ParseNodeVersions(%q) accepted", bad)
		}
	}
	v := Versions{NodeDriver: "7.9.1", Mongosh: "2.12.0", PyMongo: "3.11.0", NodeJS: "20.20.2", Python: "3.11.2"}
	if s := v.String(); !strings.Contains(s, "Node.js driver 7.9.1") || !strings.Contains(s, "PyMongo 3.11.0") {
		t.Errorf("String() = %q", s)
	}
}

func FuzzParseNodeLine(f *testing.F) {
	f.Add([]byte(`{"driver":"node","ok":true}`))
	f.Add([]byte(`{"driver":"node","ok":false,"name":"E","message":"m","inspect":"E: m\n    at x (y:1:1) {\n  a: 1\n}"}`))
	f.Add([]byte("noise\n{\"driver\":\"node\",\"ok\":false}"))
	f.Fuzz(func(t *testing.T, b []byte) {
		o, err := ParseNodeLine(b)
		if err != nil {
			return
		}
		if !o.OK && o.Text == "" && o.Name == "" {
			t.Fatalf("a failure without name or text: %+v", o)
		}
		if o.OK && (o.Text != "" || o.Name != "") {
			t.Fatalf("a success with an error: %+v", o)
		}
	})
}

func FuzzParsePyMongoLine(f *testing.F) {
	f.Add([]byte(`{"driver":"pymongo","ok":true}`))
	f.Add([]byte(`{"driver":"pymongo","ok":false,"name":"pymongo.errors.AutoReconnect","message":"connection closed"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		o, err := ParsePyMongoLine(b)
		if err == nil && !o.OK && !strings.HasPrefix(o.Text, o.Name) {
			t.Fatalf("text %q does not start with the class %q", o.Text, o.Name)
		}
	})
}

func FuzzParseMongoshOutput(f *testing.F) {
	f.Add([]byte("{ ok: 1 }\n"), []byte(""), 0)
	f.Add([]byte(""), []byte("MongoNetworkError: connect ECONNREFUSED 127.0.0.1:1\n"), 1)
	f.Add([]byte(""), []byte("\xff\xfe"), 1)
	f.Fuzz(func(t *testing.T, stdout, stderr []byte, exit int) {
		o, err := ParseMongoshOutput(stdout, stderr, exit)
		if err != nil {
			return
		}
		if o.OK != (exit == 0) {
			t.Fatalf("ok = %v with exit %d", o.OK, exit)
		}
		if !o.OK && (o.Text == "" || len(o.Text) > maxMongoshText) {
			t.Fatalf("failure text of %d bytes", len(o.Text))
		}
	})
}
