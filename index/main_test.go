package index_test

import (
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/wharfhq/wharf/index"
	"github.com/wharfhq/wharf/index/gittest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// testConfigJSON is config.json of the test repositories.
const testConfigJSON = `{"dl":"http://127.0.0.1:1/api/v1/crates","api":"http://127.0.0.1:1","auth-required":false}`

// testRepoConfig returns a Config for a repository in dir logging to log.
func testRepoConfig(dir string, log *gittest.Log) index.Config {
	return index.Config{
		Dir:        dir,
		Author:     index.Signature{Name: "Wharf Test", Email: "wharf@example.test"},
		ConfigJSON: []byte(testConfigJSON),
		Logger:     log.Logger,
	}
}

// openRepo opens a repository in dir (a new temporary one when "").
func openRepo(t *testing.T, dir string, log *gittest.Log) *index.Repo {
	t.Helper()
	if dir == "" {
		dir = filepath.Join(t.TempDir(), "index.git")
	}
	repo, err := index.Open(testRepoConfig(dir, log))
	require.NoError(t, err)
	return repo
}

// changeLog is a deterministic change log and the files it leaves.
type changeLog struct {
	changes []index.Change
	files   map[string]string // path → content at the end
}

// sampleChanges returns changes from..to (inclusive) of one fixed log,
// which adds files at every depth, updates some and deletes others, and
// what the index holds after change to.
func sampleChanges(from, to int) changeLog {
	base := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	files := map[string]string{"config.json": testConfigJSON}
	var all []index.Change
	for i := 1; i <= to; i++ {
		c := index.Change{Seq: int64(i), Time: base.Add(time.Duration(i) * time.Minute)}
		switch {
		case i == 1:
			c.Path, c.Message = "1/a", "Publish a 1.0.0"
		case i == 2:
			c.Path, c.Message = "2/ab", "Publish ab 1.0.0"
		case i == 3:
			c.Path, c.Message = "3/f/foo", "Publish foo 1.0.0"
		case i%6 == 0:
			c.Path, c.Message = crateFile(i-2), fmt.Sprintf("Delete crate%d", i-2)
		case i%4 == 0:
			c.Path, c.Message = crateFile(i-1), fmt.Sprintf("Publish crate%d 1.1.0", i-1)
		default:
			c.Path, c.Message = crateFile(i), fmt.Sprintf("Publish crate%d 1.0.0", i)
		}
		if !strings.HasPrefix(c.Message, "Delete") {
			c.Content = []byte(files[c.Path] + fmt.Sprintf(`{"name":"x","vers":"1.%d.0","deps":[],"cksum":"%064d","features":{},"yanked":false}`+"\n", i, i))
			files[c.Path] = string(c.Content)
		} else {
			delete(files, c.Path)
		}
		all = append(all, c)
	}
	return changeLog{changes: all[from-1:], files: files}
}

func crateFile(i int) string {
	name := fmt.Sprintf("crate%d", i)
	return name[:2] + "/" + name[2:4] + "/" + name
}

// requireIndex checks the repository's HEAD against log: fsck --strict is
// clean, one commit per change plus the root with their trailers, and the
// files and contents at HEAD.
func requireIndex(t *testing.T, dir string, want changeLog, wantSeq int) {
	t.Helper()
	gittest.Git(t, "", "--git-dir="+dir, "fsck", "--strict", "--no-dangling")
	subjects := strings.Split(gittest.Git(t, "", "--git-dir="+dir, "log", "--format=%(trailers:key=Wharf-Change,valueonly)", "HEAD"), "\n")
	var seqs []string
	for _, s := range subjects {
		if s = strings.TrimSpace(s); s != "" {
			seqs = append(seqs, s)
		}
	}
	require.Len(t, seqs, wantSeq+1)
	for i, s := range seqs {
		require.Equal(t, fmt.Sprint(wantSeq-i), s)
	}
	paths := strings.Split(gittest.Git(t, "", "--git-dir="+dir, "ls-tree", "-r", "--name-only", "HEAD"), "\n")
	require.Equal(t, slices.Sorted(maps.Keys(want.files)), paths)
	for p, content := range want.files {
		got := gittest.Git(t, "", "--git-dir="+dir, "cat-file", "blob", "HEAD:"+p)
		require.Equal(t, strings.TrimSpace(content), got, p)
	}
}
