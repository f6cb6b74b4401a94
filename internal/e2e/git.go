package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wharfhq/wharf/crate"
	"github.com/wharfhq/wharf/crate/cratetest"
)

// Git runs the real git with an isolated configuration: a global config
// file of its own (GIT_CONFIG_GLOBAL), no system config, no prompts, and no
// GIT_* variables inherited from the test's environment.
type Git struct {
	Dir    string // holds the config file and the credential store
	Config string // GIT_CONFIG_GLOBAL
}

// NewGit writes a fresh global git configuration.
func NewGit(t *testing.T) *Git {
	t.Helper()
	dir := t.TempDir()
	g := &Git{Dir: dir, Config: filepath.Join(dir, "gitconfig")}
	cfg := "[user]\n\tname = E2E Test\n\temail = e2e@example.com\n[init]\n\tdefaultBranch = main\n[advice]\n\tdetachedHead = false\n"
	require.NoError(t, os.WriteFile(g.Config, []byte(cfg), 0o644))
	return g
}

// StoreCredentials makes git answer HTTP Basic challenges for url's host
// with url's user and password, through `git credential-store` scoped to
// this configuration.
func (g *Git) StoreCredentials(t *testing.T, url string) {
	t.Helper()
	store := filepath.Join(g.Dir, "credentials")
	require.NoError(t, os.WriteFile(store, []byte(url+"\n"), 0o600))
	f, err := os.OpenFile(g.Config, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = fmt.Fprintf(f, "[credential]\n\thelper = store --file=%s\n", store)
	require.NoError(t, err)
	require.NoError(t, f.Close())
}

// Env is the environment git (or cargo running git) needs.
func (g *Git) Env() []string {
	var env []string
	for _, kv := range baseEnv() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(strings.ToUpper(k), "GIT_") || k == "SSH_ASKPASS" {
			continue
		}
		env = append(env, kv)
	}
	return append(env,
		"GIT_CONFIG_GLOBAL="+g.Config,
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_TERMINAL_PROMPT=0",
		"NO_PROXY=127.0.0.1,localhost",
	)
}

// GitResult is one finished git run.
type GitResult struct {
	Cmd    string
	Err    error
	Stdout string
	Stderr string
}

func (r GitResult) String() string {
	return fmt.Sprintf("%s: %v\n--- stdout:\n%s\n--- stderr:\n%s", r.Cmd, r.Err, r.Stdout, r.Stderr)
}

// Run runs git args… in dir ("" = the current directory), bounded by a
// minute. It needs no *testing.T, so goroutines can use it.
func (g *Git) Run(dir string, args ...string) GitResult {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	cmd.Env = g.Env()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return GitResult{Cmd: "git " + strings.Join(args, " "), Err: err, Stdout: stdout.String(), Stderr: stderr.String()}
}

// OK runs git and requires success; it returns stdout without the trailing
// newline.
func (g *Git) OK(t *testing.T, dir string, args ...string) string {
	t.Helper()
	res := g.Run(dir, args...)
	require.NoError(t, res.Err, "%s", res)
	return strings.TrimRight(res.Stdout, "\n")
}

// Fail runs git and requires a failure whose stderr contains every want.
func (g *Git) Fail(t *testing.T, dir string, args []string, want ...string) GitResult {
	t.Helper()
	res := g.Run(dir, args...)
	require.Error(t, res.Err, "expected failure\n%s", res)
	for _, w := range want {
		require.Contains(t, res.Stderr, w, "%s", res)
	}
	return res
}

// gitURL is srv's git index URL with HTTP Basic credentials; login "" gives
// the URL without any.
func gitURL(srv *Server, login, token string) string {
	if login == "" {
		return srv.URL + "/index.git"
	}
	return strings.Replace(srv.URL, "http://", "http://"+login+":"+token+"@", 1) + "/index.git"
}

// LsRemoteMain returns the commit of refs/heads/main that url advertises
// and requires HEAD to advertise the same one.
func (g *Git) LsRemoteMain(t *testing.T, url string) string {
	t.Helper()
	out := g.OK(t, "", "ls-remote", url)
	refs := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		if hash, name, ok := strings.Cut(line, "\t"); ok {
			refs[name] = hash
		}
	}
	require.Contains(t, refs, "refs/heads/main", "ls-remote %s:\n%s", url, out)
	require.Equal(t, refs["refs/heads/main"], refs["HEAD"], "HEAD must be main: %s", out)
	return refs["refs/heads/main"]
}

// RevParse resolves rev in the (bare) repository gitDir; "" when it does
// not resolve.
func (g *Git) RevParse(gitDir, rev string) string {
	res := g.Run("", "--git-dir="+gitDir, "rev-parse", "--verify", "--quiet", rev+"^{commit}")
	if res.Err != nil {
		return ""
	}
	return strings.TrimSpace(res.Stdout)
}

// changeSeq reads the Wharf-Change trailer of rev's commit message.
func (g *Git) changeSeq(t *testing.T, gitDir, rev string) int {
	t.Helper()
	msg := g.OK(t, "", "--git-dir="+gitDir, "log", "-1", "--format=%B", rev)
	for _, line := range strings.Split(msg, "\n") {
		if v, ok := strings.CutPrefix(line, "Wharf-Change: "); ok {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			require.NoError(t, err, "trailer in %q", msg)
			return n
		}
	}
	t.Fatalf("commit %s has no Wharf-Change trailer:\n%s", rev, msg)
	return 0
}

// requireLinearHistory checks rev's history in gitDir: no merges, count
// commits, and commit i (from the root, i = 0…) carries "Wharf-Change: i".
// It returns the subjects from the root up.
func (g *Git) requireLinearHistory(t *testing.T, gitDir, rev string, count int) []string {
	t.Helper()
	require.Empty(t, g.OK(t, "", "--git-dir="+gitDir, "rev-list", "--merges", rev), "history must have no merges")
	require.Equal(t, strconv.Itoa(count), g.OK(t, "", "--git-dir="+gitDir, "rev-list", "--count", rev), "commits in %s", rev)
	// One record per commit: parents, subject, trailer.
	out := g.OK(t, "", "--git-dir="+gitDir, "log", "--reverse", "--format=%P%x1f%s%x1f%(trailers:key=Wharf-Change,valueonly)%x1e", rev)
	var subjects []string
	for i, rec := range strings.Split(strings.TrimRight(out, "\x1e\n"), "\x1e") {
		f := strings.Split(strings.TrimLeft(rec, "\n"), "\x1f")
		require.Len(t, f, 3, "log record %q", rec)
		parents := strings.Fields(f[0])
		if i == 0 {
			require.Empty(t, parents, "root commit")
			require.Equal(t, "Initialize index", f[1])
		} else {
			require.Len(t, parents, 1, "commit %d (%s)", i, f[1])
		}
		require.Equal(t, strconv.Itoa(i), strings.TrimSpace(f[2]), "Wharf-Change trailer of commit %d (%s)", i, f[1])
		subjects = append(subjects, f[1])
	}
	require.Len(t, subjects, count)
	return subjects
}

// showFile returns path at rev in gitDir (nil when missing).
func (g *Git) showFile(gitDir, rev, path string) []byte {
	res := g.Run("", "--git-dir="+gitDir, "show", rev+":"+path)
	if res.Err != nil {
		return nil
	}
	return []byte(res.Stdout)
}

// Clone clones url into a new directory below parent and returns its git
// dir (the clone is bare: only history and trees are checked).
func (g *Git) Clone(t *testing.T, url, parent string) string {
	t.Helper()
	dir, err := os.MkdirTemp(parent, "clone-*.git")
	require.NoError(t, err)
	require.NoError(t, os.Remove(dir))
	g.OK(t, "", "clone", "--quiet", "--bare", url, dir)
	return dir
}

// waitFor polls cond every interval until it returns true or timeout
// passes; it then fails with msg and cond's last explanation.
func waitFor(t *testing.T, timeout, interval time.Duration, msg string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, why := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not reached after %s: %s", msg, timeout, why)
		}
		time.Sleep(interval)
	}
}

// publishResult is one raw-HTTP publish.
type publishResult struct {
	Name, Vers string
	Status     int    // 0 = transport error
	Err        error  // transport error
	Body       []byte // response body
}

var publishClient = &http.Client{Timeout: 60 * time.Second}

// publishRaw publishes a minimal crate name@vers (cratetest) to base
// (http://host:port) with token. It needs no *testing.T.
func publishRaw(base, token, name, vers string) publishResult {
	res := publishResult{Name: name, Vers: vers}
	body := cratetest.PublishBody(cratetest.Metadata(name, vers), cratetest.Build(name, vers, nil))
	req, err := http.NewRequest(http.MethodPut, base+"/api/v1/crates/new", bytes.NewReader(body))
	if err != nil {
		res.Err = err
		return res
	}
	req.Header.Set("Authorization", token)
	resp, err := publishClient.Do(req)
	if err != nil {
		res.Err = err
		return res
	}
	defer resp.Body.Close()
	res.Status = resp.StatusCode
	var buf bytes.Buffer
	_, res.Err = buf.ReadFrom(resp.Body)
	res.Body = buf.Bytes()
	return res
}

// mustPublish publishes name@vers and requires 200.
func mustPublish(t *testing.T, srv *Server, token, name, vers string) {
	t.Helper()
	res := publishRaw(srv.URL, token, name, vers)
	require.NoError(t, res.Err, "publish %s@%s", name, vers)
	require.Equal(t, http.StatusOK, res.Status, "publish %s@%s: %s\nserver log:\n%s", name, vers, res.Body, srv.LogTail(20))
}

// indexPath is the index file path of a crate name.
func indexPath(name string) string { return crate.IndexPath(name) }
