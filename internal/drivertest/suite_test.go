//go:build drivers && linux

package drivertest

import (
	"context"
	"encoding/json"

	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/mongoconn/mongoconn/internal/driverrun"
	"github.com/mongoconn/mongoconn/internal/mongotest"
	"github.com/mongoconn/mongoconn/wireprobe"
)

var update = flag.Bool("update", false, "rewrite the suite's texts in testdata/explain and testdata/drivers/outcomes.json from this run")

// Timeouts of the suite.
const (
	// clientServerSelection and clientConnect are the
	// serverSelectionTimeoutMS and connectTimeoutMS every client gets:
	// short, so that a scenario whose clients all wait costs seconds, yet
	// far above what a loopback answer takes on a loaded machine.
	clientServerSelection = 3 * time.Second
	clientConnect         = 2 * time.Second

	// diagnoseTimeout is mongoconn diagnose's --timeout: more than the
	// clients' server selection, so that mongoconn has at least the time
	// a client had to observe the same failure.
	diagnoseTimeout = 5 * time.Second

	// probeTimeout bounds the check that a python3 imports pymongo: an
	// import takes a fraction of a second.
	probeTimeout = 30 * time.Second
)

// Where the suite's files are, from this package's directory.
var (
	nodeDir      = filepath.Join("..", "..", "testdata", "drivers", "node")
	pyScript     = filepath.Join("..", "..", "testdata", "drivers", "pymongo", "ping.py")
	corpusDir    = filepath.Join("..", "..", "testdata", "explain")
	outcomesFile = filepath.Join("..", "..", "testdata", "drivers", "outcomes.json")
)

// pythonCandidates are the interpreters that may hold Debian's
// python3-pymongo, the system's first.
var pythonCandidates = []string{"/usr/bin/python3", "python3"}

// row is what one client did in one scenario, and what mongoconn said.
type row struct {
	Scenario string           `json:"scenario"`
	Client   driverrun.Client `json:"client"`
	// ClientOK is whether the client's {ping: 1} succeeded; ErrorName is
	// the class of its error.
	ClientOK  bool   `json:"clientOk"`
	ErrorName string `json:"errorName,omitempty"`
	// CorpusFile is the file of testdata/explain holding the text.
	CorpusFile string `json:"corpusFile,omitempty"`
	// DiagnoseOK and DiagnoseID are diagnose's ok and first error id.
	DiagnoseOK bool   `json:"diagnoseOk"`
	DiagnoseID string `json:"diagnoseId,omitempty"`
	// WireOK, when diagnose's cause is a wire-version mismatch, is what
	// the release table of wireprobe says of the client's release: whether
	// it speaks the wire range of every server that answered. The client's
	// outcome is held to it rather than to diagnose's ok, which is the Go
	// driver's.
	WireOK *bool `json:"wireOk,omitempty"`
	// ExplainIDs are the ids explain gives for the client's exact text.
	ExplainIDs []string `json:"explainIds,omitempty"`
	// TextKind is what the text can tell: "cause", "causeless" or
	// "ambiguous" (see kindOf).
	TextKind string `json:"textKind,omitempty"`
	// ExplainAgrees says whether explain's answer meets rule (b) for the
	// text's kind; absent when there was nothing to compare.
	ExplainAgrees *bool `json:"explainAgrees,omitempty"`

	text           string // the client's exact text
	explainVerdict string
	tg             *target
	scIndex        int
}

// explainID is explain's first id, "" when it recognised nothing.
func (r row) explainID() string {
	if len(r.ExplainIDs) == 0 {
		return ""
	}
	return r.ExplainIDs[0]
}

func TestDrivers(t *testing.T) {
	if os.Getenv(envInside) != "1" {
		t.Skip(notIsolable())
	}
	setup := findClients(t)
	bin := os.Getenv(envBin)
	versions, err := setup.Versions(t.Context())
	if err != nil {
		t.Fatalf("asking the clients for their versions: %v", err)
	}
	t.Logf("clients: %s", versions)

	resolver, err := mongotest.NewDNSServerAt(resolverIP + ":53")
	if err != nil {
		t.Fatalf("starting the namespace's DNS server: %v", err)
	}
	t.Cleanup(resolver.Close)
	env := &suiteEnv{dns: resolver, certs: mongotest.NewCerts(t), versions: versions}

	var (
		mu   sync.Mutex
		rows []row
	)
	t.Run("scenario", func(t *testing.T) {
		for i, sc := range scenarios() {
			t.Run(sc.name, func(t *testing.T) {
				t.Parallel()
				got := runScenario(t, env, setup, bin, sc)
				for j := range got {
					got[j].scIndex = i
				}
				mu.Lock()
				rows = append(rows, got...)
				mu.Unlock()
			})
		}
	})
	sort.SliceStable(rows, func(i, j int) bool {
		if rows[i].scIndex != rows[j].scIndex {
			return rows[i].scIndex < rows[j].scIndex
		}
		return slices.Index(driverrun.AllClients(), rows[i].Client) < slices.Index(driverrun.AllClients(), rows[j].Client)
	})
	checkQueries(t, resolver)
	checkKinds(t, rows)
	t.Logf("outcomes (%s):\n%s", versions, summary(rows))
	if *update {
		writeCaptured(t, bin, versions, rows)
	}
}

// findClients returns the clients' setup, or skips the test when they are
// not installed.
func findClients(t *testing.T) *driverrun.Setup {
	t.Helper()
	var missing []string
	nodeBin, err := exec.LookPath("node")
	if err != nil {
		missing = append(missing, "node")
	}
	dir, err := filepath.Abs(nodeDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, pkg := range []string{"mongodb", "mongosh"} {
		if _, err := os.Stat(filepath.Join(dir, "node_modules", pkg, "package.json")); err != nil {
			missing = append(missing, "the npm package "+pkg)
		}
	}
	python := ""
	for _, p := range pythonCandidates {
		path, err := exec.LookPath(p)
		if err != nil {
			continue
		}
		ctx, cancel := context.WithTimeout(t.Context(), probeTimeout)
		c := exec.CommandContext(ctx, path, "-c", "import pymongo, dns")
		c.Env = []string{"PYTHONNOUSERSITE=1"}
		err = c.Run()
		cancel()
		if err == nil {
			python = path
			break
		}
	}
	if python == "" {
		missing = append(missing, "a python3 with pymongo and dnspython")
	}
	if len(missing) > 0 {
		t.Skipf("the clients are not installed (%s missing): run `make drivers-install` as root", strings.Join(missing, ", "))
	}
	script, err := filepath.Abs(pyScript)
	if err != nil {
		t.Fatal(err)
	}
	s := &driverrun.Setup{
		NodeDir: dir, NodeBin: nodeBin, PyScript: script, PythonBin: python,
		Home: t.TempDir(), ServerSelection: clientServerSelection, Connect: clientConnect,
	}
	if err := s.WriteMongoshConfig(); err != nil {
		t.Fatal(err)
	}
	return s
}

// runScenario starts sc, runs diagnose and every client against it, and
// explain on each client's text, and checks that they agree.
func runScenario(t *testing.T, env *suiteEnv, setup *driverrun.Setup, bin string, sc scenario) []row {
	ctx := t.Context()
	tg := sc.setup(t, env)
	diag, _, err := driverrun.Mongoconn(ctx, bin, "", "-o", "json", "--timeout", diagnoseTimeout.String(), "diagnose", tg.uri)
	if err != nil {
		t.Fatalf("diagnose: %v", err)
	}
	checkSecrets(t, "diagnose", diag, tg.secrets)
	t.Logf("diagnose: ok=%v ids=%v verdict=%q", diag.OK, diag.IDs(), diag.Verdict)

	var rows []row
	for _, c := range driverrun.AllClients() {
		out, err := setup.Run(ctx, c, tg.uri)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		r := row{Scenario: sc.name, Client: c, ClientOK: out.OK, ErrorName: out.Name,
			DiagnoseOK: diag.OK, DiagnoseID: diag.FirstError(), text: out.Text, tg: tg}
		if speaks, ok := wireExpectation(c, env.versions, diag); ok {
			r.WireOK = &speaks
		}
		if !out.OK {
			x, err := explain(ctx, bin, out.Text)
			if err != nil {
				t.Errorf("%s: explain: %v", c, err)
				continue
			}
			checkSecrets(t, "explain", x, tg.secrets)
			r.ExplainIDs, r.explainVerdict = x.IDs(), x.Verdict
			t.Logf("%s: %s\n    explain: %v", c, indent(out.Text), r.ExplainIDs)
		} else {
			t.Logf("%s: ping succeeded", c)
		}
		checkAgreement(t, &r)
		rows = append(rows, r)
	}
	return rows
}

// wireIDs are the findings of a wire-version mismatch.
var wireIDs = []string{"wire.server-too-old", "wire.server-too-new"}

// wireExpectation is what wireprobe's release table says of client c when
// diagnose's first error is a wire-version mismatch: whether the client's
// release speaks the wire range of every server that answered. mongosh
// runs the npm package mongodb of the Node.js driver. ok is false when
// diagnose names another cause, no server answered, or the table has no
// row for the release.
func wireExpectation(c driverrun.Client, v driverrun.Versions, diag driverrun.Report) (speaks, ok bool) {
	if !slices.Contains(wireIDs, diag.FirstError()) {
		return false, false
	}
	driver, version := wireprobe.DriverNode, v.NodeDriver
	if c == driverrun.PyMongo {
		driver, version = wireprobe.DriverPyMongo, v.PyMongo
	}
	rel, found := wireprobe.ReleaseOf(driver, version)
	if !found {
		return false, false
	}
	speaks, answered := true, 0
	for _, s := range diag.Servers {
		if !s.Answered() {
			continue
		}
		answered++
		server := wireprobe.WireRange{Min: s.MinWireVersion, Max: s.MaxWireVersion}
		speaks = speaks && wireprobe.CheckWire(server, rel.Wire) == wireprobe.WireCompatible
	}
	if answered == 0 {
		return false, false
	}
	return speaks, true
}

// explain runs mongoconn explain on text.
func explain(ctx context.Context, bin, text string) (driverrun.Report, error) {
	r, _, err := driverrun.Mongoconn(ctx, bin, text, "-o", "json", "explain", "-")
	return r, err
}

// checkSecrets fails the test when a report carries a secret.
func checkSecrets(t *testing.T, what string, r driverrun.Report, secrets []string) {
	t.Helper()
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range secrets {
		if strings.Contains(string(b), s) {
			t.Errorf("%s printed the secret %q", what, s)
		}
	}
}

// checkAgreement holds r against the two rules and the tables of known
// disagreements, which may only shrink.
func checkAgreement(t *testing.T, r *row) {
	t.Helper()
	// (a) diagnose's ok is the client's truth; on a wire mismatch, the
	// release table diagnose prints for each driver is.
	want, by := r.DiagnoseOK, "diagnose"
	if r.WireOK != nil {
		want, by = *r.WireOK, "the wire table for its release"
	}
	gap, known := knownOKGap(r.Client, r.Scenario)
	switch {
	case r.ClientOK != want && !known:
		t.Errorf("%s's ping ok=%v but %s says ok=%v (diagnose's first error %q); a new disagreement: fix diagnose or wireprobe's table, or add it to knownOKGaps with the reason",
			r.Client, r.ClientOK, by, want, r.DiagnoseID)
	case r.ClientOK == want && known:
		t.Errorf("%s and %s now agree (ok=%v): remove the knownOKGaps row %+v", r.Client, by, r.ClientOK, gap)
	}
	// (b) explain on the client's text names diagnose's cause first.
	if r.ClientOK || r.DiagnoseID == "" {
		return
	}
	var agree bool
	kind := kindOf(r.text)
	switch kind {
	case causeless:
		agree = namesNoCause(r.ExplainIDs, r.explainVerdict)
	case ambiguous:
		agree = slices.Contains(r.ExplainIDs, r.DiagnoseID)
	default:
		agree = r.explainID() == r.DiagnoseID
	}
	r.TextKind, r.ExplainAgrees = kind.String(), &agree
	xgap, known := knownExplainGap(r.Client, r.Scenario)
	switch {
	case !agree && !known:
		t.Errorf("explain on %s's text gives %q first, diagnose %q; a new disagreement: fix explain, or add {%q, %q, %q, %q} to knownExplainGaps",
			r.Client, r.explainID(), r.DiagnoseID, r.Client, r.Scenario, r.DiagnoseID, r.explainID())
	case !agree && (xgap.diagnose != r.DiagnoseID || xgap.explain != r.explainID()):
		t.Errorf("explain on %s's text gives %q first, diagnose %q; knownExplainGaps says %q and %q: update the row",
			r.Client, r.explainID(), r.DiagnoseID, xgap.diagnose, xgap.explain)
	case agree && known:
		t.Errorf("explain on %s's text now names %q first, as diagnose does: remove the knownExplainGaps row", r.Client, r.DiagnoseID)
	}
}

// textKind is what a client's text can tell of the cause.
type textKind int

const (
	// namesCause: explain must name diagnose's cause first.
	namesCause textKind = iota
	// causeless: the text says only that server selection gave up;
	// whatever failed, it reads the same. explain must name no cause and
	// point at diagnose.
	causeless
	// ambiguous: the same text comes from several causes; explain must
	// list them, diagnose's among them.
	ambiguous
)

func (k textKind) String() string {
	switch k {
	case causeless:
		return "causeless"
	case ambiguous:
		return "ambiguous"
	}
	return "cause"
}

// causelessTexts match, whole, the texts that carry no cause.
var causelessTexts = []*regexp.Regexp{
	// mongosh prints the class and the message alone.
	regexp.MustCompile(`^(?:MongoServerSelectionError: )?Server selection timed out after \d+ ms$`),
}

// ambiguousTexts match the first line of texts that several causes give.
var ambiguousTexts = []*regexp.Regexp{
	// Node.js and mongosh: the peer closed the connection without a
	// MongoDB reply: a TLS-only server (tls.server-requires-tls) or a
	// peer that is not MongoDB (server.not-mongodb).
	regexp.MustCompile(`^MongoServerSelectionError: connection <monitor> to \S+ closed(?: \{)?$`),
	// PyMongo, for the same two causes.
	regexp.MustCompile(`^pymongo\.errors\.ServerSelectionTimeoutError: connection closed, Timeout: `),
}

// kindOf classifies a client's text.
func kindOf(text string) textKind {
	text = strings.TrimSpace(text)
	for _, re := range causelessTexts {
		if re.MatchString(text) {
			return causeless
		}
	}
	first, _, _ := strings.Cut(text, "\n")
	for _, re := range ambiguousTexts {
		if re.MatchString(first) {
			return ambiguous
		}
	}
	return namesCause
}

// namesNoCause reports whether explain's answer for a causeless text says
// so: no finding but the symptom, select.timeout, and the diagnose command
// that can tell as the next step.
func namesNoCause(ids []string, verdict string) bool {
	for _, id := range ids {
		if id != "select.timeout" {
			return false
		}
	}
	return strings.Contains(verdict, "mongoconn diagnose")
}

// allowedSuffixes are the DNS names the clients may ask about: the
// scenarios' names (under the reserved .test domain) and the names a
// tunnelled replica set advertises.
var allowedSuffixes = []string{".test.", ".internal."}

// checkQueries fails the test when anything asked the namespace's DNS
// server about a name of no scenario: a client trying to reach the
// outside (telemetry, update checks).
func checkQueries(t *testing.T, d *mongotest.DNSServer) {
	t.Helper()
	seen := map[string]bool{}
	for _, q := range d.Queries() {
		ok := false
		for _, s := range allowedSuffixes {
			ok = ok || strings.HasSuffix(q.Name, s)
		}
		if !ok && !seen[q.Name] {
			seen[q.Name] = true
			t.Errorf("something asked for %s %s: a client tried to reach beyond the scenarios", q.Type, q.Name)
		}
	}
}

// digits matches the numbers a text varies by from run to run: ports,
// durations, ids.
var digits = regexp.MustCompile(`[0-9a-f]*[0-9][0-9a-f]*`)

// checkKinds fails the test when a client printed the same text (numbers
// aside) in scenarios where diagnose named different causes, and the
// text is not classified causeless or ambiguous: explain cannot name a
// single cause for it, and the suite must not ask it to.
func checkKinds(t *testing.T, rows []row) {
	t.Helper()
	type key struct {
		client driverrun.Client
		shape  string
	}
	seen := map[key]row{}
	for _, r := range rows {
		if r.ClientOK || r.DiagnoseID == "" || kindOf(r.text) != namesCause {
			continue
		}
		k := key{r.Client, digits.ReplaceAllString(r.text, "N")}
		if prev, ok := seen[k]; ok && prev.DiagnoseID != r.DiagnoseID {
			t.Errorf("%s prints the same text in %s (diagnose: %s) and %s (diagnose: %s): add it to ambiguousTexts or causelessTexts:\n%s",
				r.Client, prev.Scenario, prev.DiagnoseID, r.Scenario, r.DiagnoseID, r.text)
		}
		seen[k] = r
	}
}

// summary is the table of every row.
func summary(rows []row) string {
	var b strings.Builder
	w := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "SCENARIO\tCLIENT\tPING\tDIAGNOSE\tEXPLAIN\tERROR")
	for _, r := range rows {
		ping := "ok"
		if !r.ClientOK {
			ping = "fail"
		}
		d := "ok"
		if !r.DiagnoseOK {
			d = r.DiagnoseID
		}
		x := "-"
		if !r.ClientOK {
			x = strings.Join(r.ExplainIDs, ",")
			if x == "" {
				x = "(none)"
			}
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Scenario, r.Client, ping, d, x, r.ErrorName)
	}
	_ = w.Flush()
	return b.String()
}

func indent(s string) string { return strings.ReplaceAll(s, "\n", "\n    ") }

// corpusName is the file of testdata/explain for a client's text in a
// scenario: the client and its major version, then the scenario.
func corpusName(c driverrun.Client, v driverrun.Versions, scenario string) string {
	ver := map[driverrun.Client]string{driverrun.Node: v.NodeDriver, driverrun.Mongosh: v.Mongosh, driverrun.PyMongo: v.PyMongo}[c]
	major, _, _ := strings.Cut(ver, ".")
	return fmt.Sprintf("%s%s_%s.txt", c, major, strings.ReplaceAll(scenario, "-", "_"))
}

// ownCorpusFile matches the names corpusName gives, whatever the versions.
func ownCorpusFile(name string) bool {
	for _, c := range driverrun.AllClients() {
		rest, ok := strings.CutPrefix(name, string(c))
		if !ok {
			continue
		}
		major, _, ok := strings.Cut(rest, "_")
		if ok && major != "" && strings.Trim(major, "0123456789") == "" && strings.HasSuffix(name, ".txt") {
			return true
		}
	}
	return false
}

// outcomes is testdata/drivers/outcomes.json.
type outcomes struct {
	Versions driverrun.Versions `json:"versions"`
	Rows     []row              `json:"rows"`
}

// writeCaptured replaces the suite's files of testdata/explain with this
// run's texts, made stable (fixture ports and temporary paths rewritten),
// each with the ids explain gives for the stable text, and writes
// outcomes.json.
func writeCaptured(t *testing.T, bin string, v driverrun.Versions, rows []row) {
	t.Helper()
	old, err := os.ReadDir(corpusDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range old {
		if ownCorpusFile(e.Name()) {
			if err := os.Remove(filepath.Join(corpusDir, e.Name())); err != nil {
				t.Fatal(err)
			}
		}
	}
	for i := range rows {
		r := &rows[i]
		if r.ClientOK {
			continue
		}
		stable := r.tg.rewrite.Apply(r.text)
		x, err := explain(t.Context(), bin, stable)
		if err != nil {
			t.Fatalf("explain on the stable text of %s in %s: %v", r.Client, r.Scenario, err)
		}
		if !slices.Equal(x.IDs(), r.ExplainIDs) {
			t.Logf("%s in %s: explain gives %v for the stable text, %v for the exact one", r.Client, r.Scenario, x.IDs(), r.ExplainIDs)
		}
		b, err := driverrun.CorpusEntry{IDs: x.IDs(), Secrets: r.tg.secrets, Text: stable}.Format()
		if err != nil {
			t.Fatalf("%s in %s: %v", r.Client, r.Scenario, err)
		}
		r.CorpusFile = corpusName(r.Client, v, r.Scenario)
		if err := os.WriteFile(filepath.Join(corpusDir, r.CorpusFile), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := json.MarshalIndent(outcomes{Versions: v, Rows: rows}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(outcomesFile, append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s and the texts in %s", outcomesFile, corpusDir)
}
