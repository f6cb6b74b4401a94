package bench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	osuser "os/user"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// findNginx returns the nginx binary ("" when not installed). Debian puts
// it in /usr/sbin, which is not always on a user's PATH.
func findNginx() string {
	if p, err := exec.LookPath("nginx"); err == nil {
		return p
	}
	for _, p := range []string{"/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/local/nginx/sbin/nginx"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

// nginxConf serves root (the exported index files, same paths as Wharf)
// statically: a master and two workers, keep-alive, no access log, ETags
// on, open file descriptors cached as a production static setup would.
const nginxConf = `daemon off;
master_process on;
worker_processes 2;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log warn;
%[4]s
events {
    worker_connections 1024;
}

http {
    access_log off;
    default_type text/plain;
    types { }
    sendfile on;
    tcp_nopush on;
    etag on;
    keepalive_timeout 120s;
    keepalive_requests 100000000;
    open_file_cache max=200000 inactive=120s;
    open_file_cache_valid 120s;
    client_body_temp_path %[1]s/client_body;
    proxy_temp_path %[1]s/proxy;
    fastcgi_temp_path %[1]s/fastcgi;
    uwsgi_temp_path %[1]s/uwsgi;
    scgi_temp_path %[1]s/scgi;

    server {
        listen %[2]s;
        root %[3]s;
        location / { }
    }
}
`

// nginxServer is a running nginx (master in the foreground, our child).
type nginxServer struct {
	addr string
	cmd  *exec.Cmd
	done chan error
	logs *tailBuffer
}

// startNginx runs bin serving root on a free 127.0.0.1 port, with its
// configuration, pid and logs in prefix.
func startNginx(ctx context.Context, bin, root, prefix string) (*nginxServer, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(prefix, 0o750); err != nil {
		return nil, err
	}
	// Started as root, nginx would run its workers as nobody, who cannot
	// read private temporary directories: keep them as the current user.
	user := ""
	if os.Geteuid() == 0 {
		user = "user root;"
		if u, err := osuser.Current(); err == nil {
			if g, err := osuser.LookupGroupId(u.Gid); err == nil {
				user = fmt.Sprintf("user %s %s;", u.Username, g.Name)
			}
		}
	}
	conf := filepath.Join(prefix, "nginx.conf")
	if err := os.WriteFile(conf, fmt.Appendf(nil, nginxConf, prefix, addr, root, user), 0o600); err != nil {
		return nil, err
	}
	logs := &tailBuffer{max: 8 << 10}
	cmd := exec.Command(bin, "-e", filepath.Join(prefix, "error.log"), "-p", prefix, "-c", conf) //nolint:gosec // the nginx binary found on this machine
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start nginx: %w", err)
	}
	n := &nginxServer{addr: addr, cmd: cmd, done: make(chan error, 1), logs: logs}
	go func() { n.done <- cmd.Wait() }()
	if err := waitHTTP(ctx, "http://"+addr+"/", n.done, 15*time.Second); err != nil {
		if !errors.Is(err, errExited) {
			n.stop()
		}
		return nil, fmt.Errorf("nginx did not start: %w\n%s%s", err, logs.String(), readTail(filepath.Join(prefix, "error.log")))
	}
	return n, nil
}

// procs returns the master and its workers.
func (n *nginxServer) procs() procGroup {
	return append(procGroup{n.cmd.Process.Pid}, procChildren(n.cmd.Process.Pid)...)
}

// stop asks the master for a fast shutdown and waits for it.
func (n *nginxServer) stop() {
	_ = n.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-n.done:
	case <-time.After(10 * time.Second):
		_ = n.cmd.Process.Kill()
		<-n.done
	}
}

func readTail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	if len(b) > 4<<10 {
		b = b[len(b)-4<<10:]
	}
	return strings.TrimSpace(string(b))
}
