package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/mongoconn/mongoconn/internal/mongotest"
	"github.com/mongoconn/mongoconn/internal/mongotest/ferret"
)

// recipeTimeout bounds one command of a recipe: a --wait of the recipes
// ends as soon as the late server answers, a few seconds in.
const recipeTimeout = 2 * time.Minute

// lateStart is how long a server of a --wait recipe takes to appear: long
// enough that the first attempts fail.
const lateStart = 1500 * time.Millisecond

// buildStatic builds mongoconn the way the Dockerfile and `make build` do:
// no cgo, no local paths, no symbol table.
func buildStatic(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	out := filepath.Join(t.TempDir(), "mongoconn")
	c := exec.Command(goBin, "build", "-trimpath", "-ldflags", "-s -w", "-o", out, ".")
	c.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := c.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	return out
}

// recipes reads the blocks of docs/recipes.md: the fenced block after each
// "<!-- recipe: NAME -->".
func recipes(t *testing.T) map[string]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("docs", "recipes.md"))
	if err != nil {
		t.Fatal(err)
	}
	return fencedBlocks(string(b), regexp.MustCompile(`^<!-- recipe: ([a-z-]+) -->$`))
}

// fencedBlocks returns, for each line matching marker, the fenced code
// block that follows it, keyed by the marker's first group.
func fencedBlocks(doc string, marker *regexp.Regexp) map[string]string {
	out := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(doc))
	name, in := "", false
	var block []string
	for sc.Scan() {
		line := sc.Text()
		switch {
		case in && strings.HasPrefix(line, "```"):
			out[name] = strings.Join(block, "\n") + "\n"
			name, in, block = "", false, nil
		case in:
			block = append(block, line)
		case name != "" && strings.HasPrefix(line, "```"):
			in = true
		default:
			if m := marker.FindStringSubmatch(line); m != nil {
				name = m[1]
			}
		}
	}
	return out
}

// runRecipe runs the binary with args and only the environment given, in
// dir, and returns its exit code and output.
func runRecipe(t *testing.T, dir string, env []string, bin string, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), recipeTimeout)
	defer cancel()
	c := exec.CommandContext(ctx, bin, args...)
	c.Dir = dir
	c.Env = append([]string{"PATH=/usr/local/bin:/usr/bin:/bin", "NO_COLOR=1"}, env...)
	var out, errOut bytes.Buffer
	c.Stdout, c.Stderr = &out, &errOut
	err := c.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, out.String(), errOut.String()
	case errors.As(err, &ee) && ctx.Err() == nil:
		return ee.ExitCode(), out.String(), errOut.String()
	}
	t.Fatalf("%s %q: %v\nstderr:\n%s", bin, args, err, errOut.String())
	return 0, "", ""
}

// lateServer reserves a loopback port and starts FerretDB there after
// lateStart; it returns the address.
func lateServer(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	started := make(chan *ferret.DB, 1)
	timer := time.AfterFunc(lateStart, func() {
		f, err := ferret.NewAt(dir, addr, ferret.Options{})
		if err != nil {
			started <- nil
			return
		}
		started <- f
	})
	t.Cleanup(func() {
		if timer.Stop() {
			return
		}
		if f := <-started; f != nil {
			f.Close()
		}
	})
	return addr
}

// withAddr puts addr where a recipe names its database.
func withAddr(args []string, from, addr string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = strings.ReplaceAll(a, from, addr)
	}
	return out
}

// flagDuration reads --NAME DURATION from args.
func flagDuration(t *testing.T, args []string, name string) time.Duration {
	t.Helper()
	for i, a := range args {
		if a == "--"+name && i+1 < len(args) {
			d, err := time.ParseDuration(args[i+1])
			if err != nil {
				t.Fatalf("--%s %q: %v", name, args[i+1], err)
			}
			return d
		}
	}
	t.Fatalf("no --%s in %q", name, args)
	return 0
}

func TestRecipesRunAsWritten(t *testing.T) {
	docs := recipes(t)
	for _, name := range []string{"github-actions", "github-actions-fleet", "docker-compose", "kubernetes", "app-image", "dockerfile"} {
		if docs[name] == "" {
			t.Fatalf("docs/recipes.md has no recipe %q", name)
		}
	}
	bin := buildStatic(t)
	healthy := ferret.Start(t, ferret.Options{})
	closed, err := mongotest.NewClosedPort()
	if err != nil {
		t.Fatal(err)
	}

	t.Run("github-actions", func(t *testing.T) {
		var wf struct {
			Jobs map[string]struct {
				Services map[string]struct {
					Ports []string `yaml:"ports"`
				} `yaml:"services"`
				Steps []struct {
					Name string `yaml:"name"`
					Run  string `yaml:"run"`
				} `yaml:"steps"`
			} `yaml:"jobs"`
		}
		if err := yaml.Unmarshal([]byte(docs["github-actions"]), &wf); err != nil {
			t.Fatal(err)
		}
		job := wf.Jobs["test"]
		if p := job.Services["mongodb"].Ports; len(p) != 1 || p[0] != "27017:27017" {
			t.Fatalf("service ports %q: the step's URI names port 27017 of the runner", p)
		}
		var args []string
		for _, s := range job.Steps {
			if s.Name == "Wait for MongoDB" {
				args = goRunArgs(t, s.Run)
			}
		}
		if args == nil {
			t.Fatal("no step named Wait for MongoDB")
		}
		addr := lateServer(t)
		code, out, errOut := runRecipe(t, "", nil, bin, withAddr(args, "localhost:27017", addr)...)
		if code != 0 || !strings.HasPrefix(out, "OK ") {
			t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
		}
		if !strings.Contains(errOut, "attempt 1 ") {
			t.Errorf("the server started late, yet no failed attempt was printed:\n%s", errOut)
		}
	})

	t.Run("github-actions-fleet", func(t *testing.T) {
		var steps []struct {
			Run string `yaml:"run"`
		}
		if err := yaml.Unmarshal([]byte(docs["github-actions-fleet"]), &steps); err != nil || len(steps) != 1 {
			t.Fatalf("%v: %d steps", err, len(steps))
		}
		run, redirect, ok := strings.Cut(steps[0].Run, " > ")
		if !ok || strings.TrimSpace(redirect) != "mongoconn.xml" {
			t.Fatalf("run %q: want the JUnit report redirected to mongoconn.xml", steps[0].Run)
		}
		dir := t.TempDir()
		fleet := "# production\nmongodb://" + healthy.Addr + "/  # orders\nmongodb://" + closed + "/\t# billing, down\n"
		if err := os.WriteFile(filepath.Join(dir, "fleet.txt"), []byte(fleet), 0o644); err != nil {
			t.Fatal(err)
		}
		code, out, errOut := runRecipe(t, dir, nil, bin, goRunArgs(t, run)...)
		if code != 1 {
			t.Errorf("exit %d, want 1 (one deployment down)\nstderr:\n%s", code, errOut)
		}
		var doc struct {
			Tests    int `xml:"tests,attr"`
			Failures int `xml:"failures,attr"`
		}
		if err := xml.Unmarshal([]byte(out), &doc); err != nil || doc.Tests != 2 || doc.Failures != 1 {
			t.Errorf("JUnit report: %v, tests=%d failures=%d\n%s", err, doc.Tests, doc.Failures, out)
		}
	})

	t.Run("docker-compose", func(t *testing.T) {
		var compose struct {
			Services map[string]struct {
				Volumes     []string `yaml:"volumes"`
				Environment map[string]string
				Healthcheck struct {
					Test    []string `yaml:"test"`
					Timeout string   `yaml:"timeout"`
				} `yaml:"healthcheck"`
				DependsOn map[string]struct {
					Condition string `yaml:"condition"`
				} `yaml:"depends_on"`
			} `yaml:"services"`
		}
		if err := yaml.Unmarshal([]byte(docs["docker-compose"]), &compose); err != nil {
			t.Fatal(err)
		}
		db, app := compose.Services["mongo"], compose.Services["app"]
		if c := app.DependsOn["mongo"].Condition; c != "service_healthy" {
			t.Errorf("app depends on mongo with condition %q, want service_healthy", c)
		}
		test := db.Healthcheck.Test
		if len(test) < 3 || test[0] != "CMD" || test[1] != "mongoconn" {
			t.Fatalf("health check %q: want [CMD mongoconn ...]", test)
		}
		mounted := false
		for _, v := range db.Volumes {
			parts := strings.Split(v, ":")
			mounted = mounted || len(parts) >= 2 && parts[1] == "/usr/local/bin/mongoconn" && strings.Contains(parts[0], "mongoconn-linux-")
		}
		if !mounted {
			t.Errorf("volumes %q do not put a release binary on the image's PATH as mongoconn", db.Volumes)
		}
		hc, err := time.ParseDuration(db.Healthcheck.Timeout)
		if err != nil {
			t.Fatal(err)
		}
		args := test[2:]
		if d := flagDuration(t, args, "timeout"); d >= hc {
			t.Errorf("--timeout %s is not under the health check's timeout %s", d, hc)
		}
		if !strings.Contains(strings.Join(args, " "), "localhost:27017") {
			t.Fatalf("health check %q does not name localhost:27017", args)
		}
		code, out, errOut := runRecipe(t, "", nil, bin, withAddr(args, "localhost:27017", healthy.Addr)...)
		if code != 0 || strings.Count(out, "\n") != 1 || !strings.HasPrefix(out, "OK ") {
			t.Errorf("healthy: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
		}
		code, out, _ = runRecipe(t, "", nil, bin, withAddr(args, "localhost:27017", closed)...)
		if code != 1 || !strings.HasPrefix(out, "FAIL ") {
			t.Errorf("down: exit %d, stdout %q; want 1 and FAIL", code, out)
		}
	})

	t.Run("kubernetes", func(t *testing.T) {
		type envVar struct {
			Name      string `yaml:"name"`
			ValueFrom struct {
				SecretKeyRef struct {
					Name string `yaml:"name"`
					Key  string `yaml:"key"`
				} `yaml:"secretKeyRef"`
			} `yaml:"valueFrom"`
		}
		type container struct {
			Name           string   `yaml:"name"`
			Image          string   `yaml:"image"`
			Args           []string `yaml:"args"`
			Env            []envVar `yaml:"env"`
			ReadinessProbe struct {
				Exec struct {
					Command []string `yaml:"command"`
				} `yaml:"exec"`
				TimeoutSeconds int `yaml:"timeoutSeconds"`
			} `yaml:"readinessProbe"`
		}
		var dep struct {
			Kind string `yaml:"kind"`
			Spec struct {
				Template struct {
					Spec struct {
						InitContainers []container `yaml:"initContainers"`
						Containers     []container `yaml:"containers"`
					} `yaml:"spec"`
				} `yaml:"template"`
			} `yaml:"spec"`
		}
		if err := yaml.Unmarshal([]byte(docs["kubernetes"]), &dep); err != nil {
			t.Fatal(err)
		}
		pod := dep.Spec.Template.Spec
		if dep.Kind != "Deployment" || len(pod.InitContainers) != 1 || len(pod.Containers) != 1 {
			t.Fatalf("kind %q, %d init containers, %d containers", dep.Kind, len(pod.InitContainers), len(pod.Containers))
		}
		uriFromSecret := func(c container) bool {
			for _, e := range c.Env {
				if e.Name == "MONGODB_URI" && e.ValueFrom.SecretKeyRef.Name != "" && e.ValueFrom.SecretKeyRef.Key != "" {
					return true
				}
			}
			return false
		}
		initC, appC := pod.InitContainers[0], pod.Containers[0]
		if !uriFromSecret(initC) || !uriFromSecret(appC) {
			t.Errorf("MONGODB_URI does not come from a Secret in both containers")
		}

		// The init container runs the image's entrypoint with its args.
		addr := lateServer(t)
		code, out, errOut := runRecipe(t, "", []string{"MONGODB_URI=mongodb://" + addr + "/"}, bin, initC.Args...)
		if code != 0 || !strings.HasPrefix(out, "OK ") || !strings.Contains(errOut, "attempt 1 ") {
			t.Errorf("init container: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
		}

		probe := appC.ReadinessProbe
		cmd := probe.Exec.Command
		if len(cmd) < 2 {
			t.Fatalf("readiness probe command %q", cmd)
		}
		if d := flagDuration(t, cmd[1:], "timeout"); d >= time.Duration(probe.TimeoutSeconds)*time.Second {
			t.Errorf("--timeout %s is not under timeoutSeconds %d", d, probe.TimeoutSeconds)
		}
		code, out, errOut = runRecipe(t, "", []string{"MONGODB_URI=" + healthy.URI}, bin, cmd[1:]...)
		if code != 0 || strings.Count(out, "\n") != 1 || !strings.HasPrefix(out, "OK ") {
			t.Errorf("probe, healthy: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
		}
		code, out, _ = runRecipe(t, "", []string{"MONGODB_URI=mongodb://" + closed + "/"}, bin, cmd[1:]...)
		if code != 1 || !strings.HasPrefix(out, "FAIL ") {
			t.Errorf("probe, down: exit %d, stdout %q", code, out)
		}

		// The probe's binary is where the application image puts it, taken
		// from the mongoconn image's entrypoint.
		copyLine := strings.Fields(strings.TrimSpace(docs["app-image"]))
		img := readDockerfile(t)
		if len(copyLine) != 4 || copyLine[0] != "COPY" || copyLine[1] != "--from="+initC.Image ||
			copyLine[2] != img.entrypoint[0] || copyLine[3] != cmd[0] {
			t.Errorf("app image recipe %q: want COPY --from=%s %s %s", copyLine, initC.Image, img.entrypoint[0], cmd[0])
		}
	})

	t.Run("dockerfile", func(t *testing.T) {
		b, err := os.ReadFile("Dockerfile")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), docs["dockerfile"]) {
			t.Errorf("the Dockerfile of docs/recipes.md is not the repository's:\n%s", docs["dockerfile"])
		}
	})
}

// goRunArgs reads "go run github.com/mongoconn/mongoconn@latest ARGS...".
func goRunArgs(t *testing.T, run string) []string {
	t.Helper()
	f := strings.Fields(run)
	if len(f) < 4 || f[0] != "go" || f[1] != "run" || f[2] != "github.com/mongoconn/mongoconn@latest" {
		t.Fatalf("run %q is not go run github.com/mongoconn/mongoconn@latest ...", run)
	}
	return f[3:]
}

// TestREADMEShowsTheRecipes: the README's CI snippets are excerpts of
// docs/recipes.md, line for line.
func TestREADMEShowsTheRecipes(t *testing.T) {
	docs := recipes(t)
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := fencedBlocks(string(b), regexp.MustCompile(`^<!-- from docs/recipes.md: ([a-z-]+) -->$`))
	if len(blocks) < 2 {
		t.Fatalf("README has %d blocks taken from docs/recipes.md, want at least 2", len(blocks))
	}
	for name, block := range blocks {
		if !excerpt(block, docs[name]) {
			t.Errorf("README's %s block is not an excerpt of docs/recipes.md:\n%s", name, block)
		}
	}
}

// excerpt reports whether the lines of part, indentation aside, appear
// in whole, one after another, in whole.
func excerpt(part, whole string) bool {
	trim := func(s string) []string {
		var out []string
		for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
			out = append(out, strings.TrimSpace(l))
		}
		return out
	}
	p, w := trim(part), trim(whole)
	for i := 0; i+len(p) <= len(w); i++ {
		if strings.Join(w[i:i+len(p)], "\n") == strings.Join(p, "\n") {
			return true
		}
	}
	return false
}

// dockerImage is what the Dockerfile's final stage holds.
type dockerImage struct {
	copies     map[string]string // destination -> source in the build stage
	user       string
	entrypoint []string
	buildRun   string // the build stage's RUN go build line, joined
}

func readDockerfile(t *testing.T) dockerImage {
	t.Helper()
	b, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(string(b), "\\\n", " ")
	img := dockerImage{copies: map[string]string{}}
	final := false
	for _, line := range strings.Split(text, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		switch {
		case f[0] == "FROM":
			final = len(f) >= 2 && f[1] == "scratch"
		case !final && f[0] == "RUN" && strings.Contains(line, "go build"):
			img.buildRun = line
		case final && f[0] == "COPY" && len(f) == 4 && f[1] == "--from=build":
			img.copies[f[3]] = f[2]
		case final && f[0] == "USER" && len(f) == 2:
			img.user = f[1]
		case final && f[0] == "ENTRYPOINT":
			if err := json.Unmarshal([]byte(strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), "ENTRYPOINT"))), &img.entrypoint); err != nil {
				t.Fatalf("ENTRYPOINT %q: %v", line, err)
			}
		}
	}
	if len(img.entrypoint) == 0 || len(img.copies) == 0 {
		t.Fatalf("Dockerfile: no FROM scratch stage with COPY and ENTRYPOINT")
	}
	return img
}

// TestScratchImage builds the files of the Dockerfile's final stage into
// an empty directory, the binary as the build stage builds it and a CA
// bundle, and runs mongoconn there under chroot as the image's user,
// against loopback servers: what a container of the image can do.
func TestScratchImage(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("chroot and the image's Linux binary need Linux")
	}
	if os.Geteuid() != 0 {
		t.Skip("chroot needs root: run as root (as CI does) to check what the scratch image needs")
	}
	img := readDockerfile(t)
	for _, want := range []string{"CGO_ENABLED=0", "-trimpath", "-o " + img.copies[img.entrypoint[0]]} {
		if !strings.Contains(img.buildRun, want) {
			t.Fatalf("the Dockerfile's build (%q) lacks %q: the test builds the binary another way", img.buildRun, want)
		}
	}
	uid, gid := 0, 0
	if img.user != "" {
		u, g, _ := strings.Cut(img.user, ":")
		var err error
		if uid, err = strconv.Atoi(u); err != nil {
			t.Fatalf("USER %q: want numeric ids (no /etc/passwd in scratch)", img.user)
		}
		if gid, err = strconv.Atoi(g); err != nil {
			gid = uid
		}
	}
	bin := buildStatic(t)
	certs := mongotest.NewCerts(t)
	plain := ferret.Start(t, ferret.Options{})
	valid := certs.Server(mongotest.CertValid)
	tlsDB := ferret.Start(t, ferret.Options{TLSCertFile: valid.CertFile, TLSKeyFile: valid.KeyFile})

	// makeRoot lays out the image: every COPY of the final stage, from
	// the files this test has for their sources.
	makeRoot := func(withCA bool) string {
		root := t.TempDir()
		for dst, src := range img.copies {
			var from string
			switch {
			case dst == img.entrypoint[0]:
				from = bin
			case strings.HasSuffix(src, "ca-certificates.crt"):
				if !withCA {
					continue
				}
				from = certs.CAFile
			default:
				t.Fatalf("COPY %s %s: the test knows no file for it", src, dst)
			}
			data, err := os.ReadFile(from)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(root, dst)
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, data, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		// The directories up to root are root's; inside, the image's user
		// must be able to walk them.
		if err := filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
			if err == nil && fi.IsDir() {
				err = os.Chmod(p, 0o755)
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return root
	}
	inImage := func(root string, args ...string) (int, string, string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), recipeTimeout)
		defer cancel()
		c := exec.CommandContext(ctx, img.entrypoint[0], append(img.entrypoint[1:], args...)...)
		// Docker's default environment for a container: PATH alone.
		c.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
		c.Dir = "/"
		c.SysProcAttr = &syscall.SysProcAttr{Chroot: root, Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
		var out, errOut bytes.Buffer
		c.Stdout, c.Stderr = &out, &errOut
		err := c.Run()
		var ee *exec.ExitError
		switch {
		case err == nil:
			return 0, out.String(), errOut.String()
		case errors.As(err, &ee) && ctx.Err() == nil:
			return ee.ExitCode(), out.String(), errOut.String()
		}
		t.Fatalf("chroot %s %q: %v\nstderr:\n%s", root, args, err, errOut.String())
		return 0, "", ""
	}

	root := makeRoot(true)
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	var top []string
	for _, e := range entries {
		top = append(top, e.Name())
	}
	t.Logf("image root: %s", strings.Join(top, " "))

	if code, out, errOut := inImage(root, "version"); code != 0 || !strings.HasPrefix(out, "mongoconn ") {
		t.Errorf("version: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := inImage(root, "ping", "mongodb://"+plain.Addr+"/"); code != 0 || !strings.HasPrefix(out, "OK ") {
		t.Errorf("ping over TCP: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	tlsURI := "mongodb://" + tlsDB.Addr + "/?tls=true"
	if code, out, errOut := inImage(root, "ping", tlsURI); code != 0 || !strings.HasPrefix(out, "OK ") {
		t.Errorf("ping over TLS, the CA bundle at the image's path: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	// Without the bundle the same ping fails on the certificate: the
	// bundle is what TLS needs, at the path the image puts it.
	bare := makeRoot(false)
	code, out, _ := inImage(bare, "-o", "json", "ping", tlsURI)
	if code != 1 || !strings.Contains(out, `"id": "tls.unknown-authority"`) {
		t.Errorf("ping over TLS without the CA bundle: exit %d, want 1 and tls.unknown-authority\n%s", code, out)
	}
}
