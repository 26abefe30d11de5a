//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// binary is the pizzeria executable built once by TestMain.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "pizzeria-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "pizzeria")
	build := exec.Command("go", "build", "-o", binary, "github.com/pizzeria/pizzeria/cmd/pizzeria")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	start := time.Now()
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: building ./cmd/pizzeria failed:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "e2e: built %s in %s\n", binary, time.Since(start).Round(time.Millisecond))
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// Proc is one pizzeria process: a role with its own data directory, HTTP
// port and log file. It can be killed and started again with the same
// directory and port, as an operator's supervisor would.
type Proc struct {
	Name    string   // for messages: "stage cheese", "serve"
	Args    []string // command and flags, without --http-addr and --data-dir
	DataDir string
	Addr    string // 127.0.0.1:PORT, kept across restarts
	LogPath string

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{} // closed when the current run ends
	starts int
}

// newProc prepares (but does not start) a process whose files live under dir.
func newProc(t testing.TB, dir, name string, args ...string) *Proc {
	t.Helper()
	slug := strings.ReplaceAll(name, " ", "-")
	p := &Proc{
		Name:    name,
		Args:    args,
		DataDir: filepath.Join(dir, slug),
		Addr:    freeAddr(t),
		LogPath: filepath.Join(dir, slug+".log"),
	}
	if err := os.MkdirAll(p.DataDir, 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// freeAddr returns a 127.0.0.1 address with a port nothing listens on now.
func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// Start runs the process, appending its stdout and stderr to LogPath.
func (p *Proc) Start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.running() {
		return fmt.Errorf("%s is already running", p.Name)
	}
	log, err := os.OpenFile(p.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	p.starts++
	fmt.Fprintf(log, "===== e2e: start #%d of %s at %s =====\n", p.starts, p.Name, time.Now().Format(time.RFC3339Nano))
	args := append(append([]string{}, p.Args...), "--http-addr", p.Addr, "--data-dir", p.DataDir)
	cmd := exec.Command(binary, args...)
	cmd.Env = cleanEnv()
	cmd.Stdout, cmd.Stderr = log, log
	// The process dies with the test binary, so no role outlives a run.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		log.Close()
		return fmt.Errorf("start %s: %w", p.Name, err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		log.Close()
		close(exited)
	}()
	p.cmd, p.exited = cmd, exited
	return nil
}

// cleanEnv is the test's environment without PIZZERIA_* variables, so that
// every setting a process runs with is visible in its arguments.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PIZZERIA_") {
			env = append(env, kv)
		}
	}
	return env
}

func (p *Proc) running() bool {
	if p.cmd == nil {
		return false
	}
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// Running reports whether the current run has not ended.
func (p *Proc) Running() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.running()
}

// Pid is the process id of the current run (0 if never started).
func (p *Proc) Pid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return 0
	}
	return p.cmd.Process.Pid
}

// Kill sends SIGKILL and waits until the process is gone.
func (p *Proc) Kill() {
	p.signal(syscall.SIGKILL, 10*time.Second)
}

// Stop sends SIGTERM, lets the process drain for up to grace, then kills it.
func (p *Proc) Stop(grace time.Duration) {
	if !p.signal(syscall.SIGTERM, grace) {
		p.Kill()
	}
}

// signal sends sig and reports whether the process ended within wait.
func (p *Proc) signal(sig syscall.Signal, wait time.Duration) bool {
	p.mu.Lock()
	cmd, exited := p.cmd, p.exited
	p.mu.Unlock()
	if cmd == nil {
		return true
	}
	_ = cmd.Process.Signal(sig)
	select {
	case <-exited:
		return true
	case <-time.After(wait):
		return false
	}
}

// URL is the address of path on this process's HTTP server.
func (p *Proc) URL(path string) string { return "http://" + p.Addr + path }

// WaitHealthy waits until GET /healthz answers 200, failing early if the
// process exits.
func (p *Proc) WaitHealthy(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	client := &http.Client{Timeout: time.Second}
	for time.Now().Before(deadline) {
		if !p.Running() {
			return fmt.Errorf("%s exited during start-up:\n%s", p.Name, p.Tail(30))
		}
		resp, err := client.Get(p.URL("/healthz"))
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("%s did not answer /healthz within %s:\n%s", p.Name, timeout, p.Tail(30))
}

// Restart kills the process if it runs, starts it again and waits until it
// serves HTTP.
func (p *Proc) Restart(timeout time.Duration) error {
	p.Kill()
	if err := p.Start(); err != nil {
		return err
	}
	return p.WaitHealthy(timeout)
}

// Tail returns the last n lines of the process's log.
func (p *Proc) Tail(n int) string {
	b, err := os.ReadFile(p.LogPath)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	lines := bytes.Split(bytes.TrimRight(b, "\n"), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}

// Starts is how many times the process has been started.
func (p *Proc) Starts() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.starts
}

// runBinary runs a one-shot pizzeria command (replay, dlq) and returns its
// combined output.
func runBinary(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = cleanEnv()
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("pizzeria %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}
